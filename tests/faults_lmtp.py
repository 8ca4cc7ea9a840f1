#!/usr/bin/env python3
"""faults_lmtp - slow, dripping and oversized-header LMTP clients
(issue 11 item 7; SPEC 5).

Timeouts, shortened with MLISTD_IDLE_TIMEOUT=2 (a command line must be
complete 2 s after the previous reply, a message 4 s after DATA):
  - a client that drips one byte of a command line every 0.3 s is told
    421 4.4.2 and closed within the bound, though it is never silent;
  - a client that drips its message after DATA the same way is closed
    within the message bound, and nothing of it is stored;
  - a client that sends one whole NOOP a second is not closed (the bound
    is per command, not per session);
  - while the drippers drip, another session's post gets 250 at once.
Header caps (1,000 fields, 2 MB of header section):
  - 100,000 tiny header fields: 554 5.6.0 "too many header fields";
  - a 5 MB header section (50 lines of 100 KB): 554 5.6.0 "header
    section too big"; 1,000 fields, a 1 MB header line, and 1,500 lines
    that are not fields (no blank line before the text) still get 250;
  - each answer comes quickly, mlistd's peak RSS stays bounded, the
    daemon stays up and takes the next post.
"""

import os
import sys
import threading
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

IDLE = 2                # MLISTD_IDLE_TIMEOUT: command bound
DATA = 2 * IDLE         # message bound
SLACK = 1.6             # the sweep runs once a second
RCPT = "acme@" + L.DOMAIN

t = L.Tap()
os.environ["MLISTD_IDLE_TIMEOUT"] = str(IDLE)
d = L.Daemon()
L.club(d, ["ann@example.com"])
d.start()


def drip(c, data, every=0.3, limit=20):
    """Send DATA one byte every EVERY seconds until the server closes
    the connection; (seconds until closed, bytes sent, last reply)."""
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < limit:
        try:
            c.send(data[sent % len(data):sent % len(data) + 1])
            sent += 1
        except OSError:
            break
        if c.closed(every):
            break
    took = time.monotonic() - t0
    lines = c.buf.decode("utf-8", "replace").strip().splitlines()
    return took, sent, lines[-1] if lines else None


def session():
    """A client past LHLO."""
    c = d.client()
    c.reply()
    c.lhlo()
    return c


def msg(n, head=b""):
    return (b"From: ann@example.com\r\nTo: " + RCPT.encode() +
            b"\r\nSubject: faults %d\r\nMessage-ID: <f%d@faults.test>\r\n" %
            (n, n) + head + b"\r\nbody %d\r\n" % n)


def deliver(raw, timeout=30):
    """(reply after the dot, seconds from DATA to the reply)."""
    with session() as c:
        c.send("MAIL FROM:<ann@example.com>\r\nRCPT TO:<%s>\r\nDATA\r\n"
               % RCPT)
        c.replies(3)
        t0 = time.monotonic()
        c.send(L.data_encode(raw)[0])
        r = c.reply(timeout)
        return r, time.monotonic() - t0


# ------------------------------------------------------ timeouts
results = {}


def drip_command():
    c = session()
    results["cmd"] = drip(c, b"NOOP" + b" " * 400)
    c.close()


def drip_data():
    c = session()
    c.send("MAIL FROM:<ann@example.com>\r\nRCPT TO:<%s>\r\nDATA\r\n" % RCPT)
    c.replies(3)
    results["data"] = drip(c, b"From: ann@example.com\r\nSubject: drip\r\n"
                           b"Message-ID: <drip@faults.test>\r\n\r\nxx\r\n")
    c.close()


def noop_each_second():
    c = session()
    ok = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < DATA + 2:
        time.sleep(1)
        try:
            if c.cmd("NOOP", 3).code == 250:
                ok += 1
        except Exception:
            break
    results["noop"] = ok
    c.close()


t.diag("drip: one byte every 0.3 s; command bound %d s, message bound "
       "%d s (MLISTD_IDLE_TIMEOUT=%d)" % (IDLE, DATA, IDLE))
ths = [threading.Thread(target=f) for f in
       (drip_command, drip_data, noop_each_second)]
for th in ths:
    th.start()
time.sleep(1)
r, lat = deliver(msg(1))
t.like(r.text, r"^250 ", "while three slow sessions run, a post gets 250 "
       "(%.3f s)" % lat)
t.ok(lat < 2, "promptly (%.3f s)" % lat)
for th in ths:
    th.join(30)

took, sent, last = results["cmd"]
t.diag("command drip: closed after %.1f s, %d bytes, last reply %r" %
       (took, sent, last))
t.like(last or "", r"^421 4\.4\.2 .*command", "a dripped command line "
       "gets 421 4.4.2")
t.ok(took <= IDLE + SLACK, "within the command bound (%.1f s <= %.1f s)" %
     (took, IDLE + SLACK))
took, sent, last = results["data"]
t.diag("message drip: closed after %.1f s, %d bytes, last reply %r" %
       (took, sent, last))
t.like(last or "", r"^421 4\.4\.2 .*message", "a dripped message gets "
       "421 4.4.2")
t.ok(DATA - 0.5 <= took <= DATA + SLACK, "within the message bound "
     "(%.1f s in [%.1f, %.1f])" % (took, DATA - 0.5, DATA + SLACK))
t.is_(d.sql1("SELECT count(*) FROM messages WHERE message_id = "
             "'<drip@faults.test>'"), 0, "nothing of it is stored")
t.ok(results["noop"] >= DATA + 1, "a NOOP a second is served for %d s "
     "(%d NOOPs): the bound is per command" % (DATA + 2, results["noop"]))

# ---------------------------------------------------- header caps
rss0 = d.peak_rss()
t.diag("mlistd peak RSS before the header tests: %d kB" % rss0)

head = b"".join(b"X-F%d: v\r\n" % i for i in range(100000))
r, lat = deliver(msg(2, head))
t.diag("100,000 header fields (%d bytes): %s in %.2f s" %
       (len(head), r.text, lat))
t.like(r.text, r"^554 5\.6\.0 .*too many header fields", "100,000 header "
       "fields: 554 5.6.0")
t.ok(lat < 5, "answered quickly (%.2f s)" % lat)

head = b"".join(b"X-Big%d: " % i + b"a" * 100000 + b"\r\n"
                for i in range(50))
r, lat = deliver(msg(3, head))
t.diag("a %d-byte header section: %s in %.2f s" % (len(head), r.text, lat))
t.like(r.text, r"^554 5\.6\.0 .*header section too big", "a 5 MB header "
       "section: 554 5.6.0")
t.ok(lat < 5, "answered quickly (%.2f s)" % lat)

head = b"".join(b"X-F%d: v\r\n" % i for i in range(995))
r, lat = deliver(msg(4, head))
t.like(r.text, r"^250 ", "1,000 header fields: 250 (%s)" % r.text)
r, lat = deliver(msg(7, b"".join(b"line %d of a text with no blank line\r\n"
                                 % i for i in range(1500))))
t.like(r.text, r"^250 ", "1,500 lines that are not fields (no blank line "
       "before them): 250 (%s)" % r.text)
r, lat = deliver(msg(5, b"X-Long: " + b"b" * (1 << 20) + b"\r\n"))
t.like(r.text, r"^250 ", "a 1 MB header line: 250 (%s)" % r.text)
t.ok("long-line" in (d.sql1("SELECT problems FROM messages WHERE message_id"
                         " = '<f5@faults.test>'") or ""),
     "and flagged in problems")
t.is_(d.sql1("SELECT count(*) FROM messages WHERE message_id IN "
             "('<f2@faults.test>', '<f3@faults.test>')"), 0,
      "neither refused message is stored")
rss1 = d.peak_rss()
t.diag("mlistd peak RSS after: %d kB (+%d kB)" % (rss1, rss1 - rss0))
t.ok(rss1 - rss0 < 64 * 1024, "peak RSS grew by less than 64 MB")
t.ok(d.running(), "mlistd is still running")
r, lat = deliver(msg(6))
t.like(r.text, r"^250 ", "and takes the next post (%s)" % r.text)
t.is_(d.stop(), 0, "SIGTERM: exit 0")
t.done()
