#!/usr/bin/env python3
"""relay_outage - failures on our side never count against members, and
the relay is checked and its state shown (SPEC 7).

Part 1, a 6-day outage: nothing listens at the relay's address.  At
start, before any post, mlistd logs one line naming the relay and the
cause.  A post to three members stays queued; mlistctl queue (text and
JSON) shows the relay's state and each copy's error, on our side.  Time
is moved with MLISTD_NOW across a restart: 6 days later the copies
expire without counting: no bounce recorded, every score 0, nobody
suspended.  The cause is logged once per run, not once per copy.
SIGHUP checks the relay again: with it back, one line says so and the
queue drains.

Part 2, the contrast: a relay (smtp_stub.py) that answers 450 at RCPT
for bob only, for more than 5 days: alice and carol get their copies,
bob's copy expires as a soft bounce for bob alone.

Part 3, the check never blocks: a relay that accepts the connection and
never says a word.  mlistd starts and accepts a post at once, and a
stop ends the check at once.
"""

import json
import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
if not os.path.exists("/usr/sbin/smtp-sink"):
    t.skip_all("smtp-sink not installed (Debian package postfix)")

NOW = "2030-01-07T10:00:00Z"
T0 = 1894010400  # NOW as a Unix time
DAY = 86400


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def wait_log(d, regex, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(regex, open(d.log).read()):
            return True
        time.sleep(0.1)
    return False


def relay_conf(port):
    return ["relay = smtp://127.0.0.1:%d" % port, "relay_tls = off",
            "relay_concurrency = 2"]


members = ["alice@example.org", "bob@example.org", "carol@example.org"]

# ------------------------------------------------------------ part 1
port = L.free_port()
down = r"relay smtp://127\.0\.0\.1:%d: cannot connect: " \
    r"Connection refused" % port
d = L.Daemon(extra=relay_conf(port))
os.environ["MLISTD_NOW"] = NOW
L.club(d, members)
d.start()
t.ok(wait_log(d, down), "at start, before any copy: one line names the "
     "relay and the cause")
r = L.post(d, "alice@example.org", "<o1@example.com>", "Outage")
t.like(r.text if r else "", r"accepted, copies queued",
       "intake works while the relay is down")
t.ok(d.wait_queue(lambda q: len(q) == 3 and
                  all(i["attempts"] == 1 for i in q), 30),
     "the copies are tried and stay queued")
q = json.loads(d.ctl("queue", "--json").stdout)
t.ok(all(i.get("side") == "relay" and not i.get("refused") for i in q),
     "queue --json: each copy failed on our side, never refused (%s)" %
     [(i.get("side"), i.get("refused")) for i in q])
t.ok(all(re.search("cannot connect", i["last_error"] or "") for i in q),
     "queue --json: each copy's last error (%s)" %
     (q[0]["last_error"] if q else None))
t.ok(all(re.search(r"127\.0\.0\.1:%d: cannot connect" % port,
                   i.get("relay_error") or "") for i in q),
     "queue --json: the relay's state (%s)" %
     (q[0].get("relay_error") if q else None))
text = d.ctl("queue").stdout
t.like(text, r"^# relay 127\.0\.0\.1:%d: cannot connect: Connection "
       r"refused \(since " % port, "queue: the relay's state first")
t.like(text, r"\nacme\t<o1@example\.com>\tbob@example\.org\t1\t[^\t]+\t"
       r"relay\tcannot connect", "queue: bob's copy, our side, the error")
t.is_(d.stop(), 0, "stopped")
log = open(d.log).read()
t.is_(len(re.findall(down, log)), 1,
      "the cause is logged once, not once per copy")
t.ok("status=deferred" not in log, "no deferral line per copy")

os.environ["MLISTD_NOW"] = iso(T0 + 6 * DAY)
d.start()
t.ok(d.wait_queue_empty(30), "6 days later the copies expire")
t.is_(d.stop(), 0, "stopped")
log = open(d.log).read()
t.is_(len(re.findall(r"status=expired \(cannot connect: Connection refused; "
                     r"failed on our side only: not counted", log)), 3,
      "each expiry is logged, as not counted")
t.is_(d.sql("SELECT count(*) FROM bounces"), [(0,)], "no bounce recorded")
t.is_(d.sql("SELECT address, bounce_score, status FROM members "
            "ORDER BY address"),
      [(m, 0.0, "active") for m in members],
      "every score 0, nobody suspended")

# the relay comes back: SIGHUP checks it, says so, the queue drains
post_port = port
del os.environ["MLISTD_NOW"]
d.start()
L.post(d, "alice@example.org", "<o2@example.com>", "Outage")
t.ok(d.wait_queue(lambda q: len(q) == 3 and
                  all(i["attempts"] == 1 for i in q), 30),
     "a new post waits for the relay")
sink = L.Sink(port=port)
n = open(d.log).read().count("configuration reloaded")
d.proc.send_signal(1)
t.ok(wait_log(d, r"relay smtp://127\.0\.0\.1:%d: working again" % port),
     "SIGHUP: the check logs that the relay works again")
d.ctl("queue", "--retry", check=True)
t.ok(d.wait_queue_empty(30) and sink.wait_count(3, 10),
     "and the copies go")
t.ok(not d.ctl("queue").stdout.startswith("# relay"),
     "queue: no relay trouble shown any more")
t.is_(d.stop(), 0, "stopped")
sink.stop()

# ------------------------------------------------------------ part 2
stub = L.Stub({"bob@example.org": "450 4.2.2 Mailbox full"})
d = L.Daemon(extra=relay_conf(stub.port))
os.environ["MLISTD_NOW"] = NOW
L.club(d, members)
d.start()
L.post(d, "alice@example.org", "<r1@example.com>", "Outage")
t.ok(d.wait_queue(lambda q: len(q) == 1 and q[0]["attempts"] == 1, 30),
     "450 at RCPT for bob: his copy stays queued")
t.ok(stub.wait_count(2, 30), "alice and carol got theirs")
q = json.loads(d.ctl("queue", "--json").stdout)
t.ok(len(q) == 1 and q[0]["recipient"] == "bob@example.org" and
     q[0].get("side") == "recipient" and q[0].get("refused") and
     q[0].get("relay_error") is None,
     "queue --json: bob's address refused, the relay fine (%s)" % q)
t.like(open(d.log).read(), r"to=<bob@example\.org> .*status=deferred "
       r"\(450 4\.2\.2 Mailbox full\)", "the deferral is logged per copy")
t.is_(d.stop(), 0, "stopped")
os.environ["MLISTD_NOW"] = iso(T0 + 5 * DAY + 60)
d.start()
t.ok(d.wait_queue_empty(30), "5 days later bob's copy expires")
t.is_(d.stop(), 0, "stopped")
del os.environ["MLISTD_NOW"]
t.is_(d.sql("SELECT m.address, b.kind, b.counted, b.status FROM bounces b "
            "JOIN members m ON m.id = b.member_id"),
      [("bob@example.org", "soft", 1, "4.4.7")],
      "a soft bounce for bob, and only for him")
t.is_(d.sql("SELECT address, bounce_score FROM members ORDER BY address"),
      [("alice@example.org", 0.0), ("bob@example.org", 0.5),
       ("carol@example.org", 0.0)], "bob scores 0.5, the others 0")
stub.stop()

# ------------------------------------------------------------ part 3
mute = socket.socket()
mute.bind(("127.0.0.1", 0))
mute.listen(16)                 # connections wait, never a greeting
d = L.Daemon(extra=relay_conf(mute.getsockname()[1]))
L.club(d, ["alice@example.org"])
t0 = time.monotonic()
d.start()
r = L.post(d, "alice@example.org", "<m1@example.com>", "Mute")
t.like(r.text if r else "", r"accepted, copies queued",
       "a mute relay: the post is accepted all the same")
t.ok(time.monotonic() - t0 < 15, "start and intake did not wait for the "
     "relay check (%.1f s)" % (time.monotonic() - t0))
t0 = time.monotonic()
t.is_(d.stop(), 0, "SIGTERM during the check: exit 0")
t.ok(time.monotonic() - t0 < 15, "and at once (%.1f s)" %
     (time.monotonic() - t0))
# the copy waits as a queue row, or still inside its post's fan-out row
# when the stop came before the relay started it (RELAY_SETTLE_MS)
t.is_(d.sql1("SELECT (SELECT count(*) FROM queue WHERE status = 'pending')"
             " + (SELECT count(*) FROM fanout)"), 1,
      "the copy is still queued")
mute.close()
t.done()
