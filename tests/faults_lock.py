#!/usr/bin/env python3
"""faults_lock - the database locked by another process (issue 11 item
7; SPEC 2, 5).

A separate process (python3's sqlite3) opens mlistd's database and
holds "BEGIN EXCLUSIVE" for HOLD seconds, longer than mlistd's busy
timeout (10 s), while a post to a club of 2,000 members is being
relayed to smtp-sink.  Meanwhile:
  - a new post is answered 451 4.3.0 within the busy timeout plus a
    little: not 250, not a hang, not a crash;
  - mlistctl member add says "database is locked" and exits 75
    (EX_TEMPFAIL, SPEC 2's "temporary failure"), also within a bound;
  - mlistd is still running.
When the lock goes, without a restart or a signal: the next post gets
250, the relay carries on, and every member gets each accepted post
exactly once.
"""

import os
import sys
import threading
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
if not os.path.exists("/usr/sbin/smtp-sink"):
    t.skip_all("smtp-sink not installed (Debian package postfix)")

N = 2000
HOLD = 14
BUSY = 10       # mlistd's busy timeout (STORE_BUSY_MS)

sink = L.Sink()
d = L.Daemon(extra=["relay = smtp://127.0.0.1:%d" % sink.port,
                    "relay_tls = off"])
addrs = ["m%04d@example.org" % i for i in range(N)]
d.ctl("club", "create", "acme", check=True)
d.ctl("club", "set", "acme", "moderation", "none", check=True)
d.import_members("acme", addrs)
d.start()

def post(frm, msgid, subject):
    """L.post, waiting up to 30 s for the reply."""
    raw = ("From: %s\r\nTo: acme@%s\r\nSubject: %s\r\nMessage-ID: %s\r\n"
           "\r\nHello\r\n" % (frm, L.DOMAIN, subject, msgid)).encode()
    with d.client(timeout=30) as c:
        c.reply()
        c.lhlo()
        _, _, _, after = c.transaction(frm, ["acme@" + L.DOMAIN],
                                       L.data_encode(raw)[0])
    return after[0] if after else None


r = post(addrs[0], "<l1@faults.test>", "Before the lock")
t.like(r.text if r else "", r"^250 ", "a post before the lock: 250")
locker = L.lock_db(d.db, HOLD)
t.ok(locker is not None, "another process holds BEGIN EXCLUSIVE for %d s "
     "(pid %s)" % (HOLD, locker and locker.pid))
t0 = time.monotonic()
sent_at_lock = len(sink.messages())
out = {}


def ctl():
    s = time.monotonic()
    out["ctl"] = (d.ctl("member", "add", "acme", "late@example.net"),
                  time.monotonic() - s)


th = threading.Thread(target=ctl)
th.start()
r = post(addrs[1], "<l2@faults.test>", "During the lock")
took = time.monotonic() - t0
t.diag("post during the lock: %s after %.1f s" %
       (r.text if r else None, took))
t.like(r.text if r else "", r"^451 4\.3\.0 ", "a post during the lock "
       "gets 451 4.3.0")
t.ok(took < BUSY + 3, "within the busy timeout and a little (%.1f s)" %
     took)
th.join(30)
res, took = out["ctl"]
t.diag("mlistctl member add during the lock: exit %d after %.1f s: %s" %
       (res.returncode, took, res.stderr.strip()))
t.is_(res.returncode, 75, "mlistctl exits 75 (EX_TEMPFAIL)")
t.like(res.stderr, r"database is locked", "saying the database is locked")
t.ok(took < BUSY + 3, "within a bound (%.1f s)" % took)
t.ok(d.running(), "mlistd is still running")
t.diag("copies at the sink when the lock was taken: %d, now: %d" %
       (sent_at_lock, len(sink.messages())))

locker.wait(HOLD + 10)
t.diag("lock released after %.1f s" % (time.monotonic() - t0))
r = post(addrs[2], "<l3@faults.test>", "After the lock")
t.like(r.text if r else "", r"^250 ", "a post after the lock: 250")
t.ok(d.wait_queue_empty(60), "the relay carries on: the queue drains")
got = sink.copies()
for mid in ("<l1@faults.test>", "<l3@faults.test>"):
    n = [got[(a, mid)] for a in addrs]
    t.ok(all(k == 1 for k in n), "every member got %s exactly once "
         "(%d members, %d copies)" % (mid, sum(1 for k in n if k), sum(n)))
t.is_(sum(v for (a, m), v in got.items() if m == "<l2@faults.test>"), 0,
      "the refused post went nowhere")
t.is_(d.ctl("member", "add", "acme", "late@example.net").returncode, 0,
      "mlistctl works again")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
for ln in open(d.log, errors="replace"):
    if "locked" in ln or "busy" in ln:
        t.diag("log: " + ln.rstrip())
t.done()
