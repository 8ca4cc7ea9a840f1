#!/usr/bin/env python3
"""relay_slow - a relay slow to answer the end of data (RFC 5321
4.5.3.2.6: the client waits 10 minutes), as one with a before-queue
content filter is.

Part 1: smtp-sink answers the end of data after 90 s (-W .:90; it dumps
the message as soon as the dot arrives).  Each of the two members'
copies is received exactly once, nothing is deferred.

Part 2, at the same time: SIGTERM while a copy waits for its end-of-data
reply.  mlistd waits a bounded grace (30 s), then gives up: exit 0 within
a minute, the copy left queued untouched (no attempt counted), the
interruption logged; it is sent again after the restart.
"""

import os
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
if not os.path.exists("/usr/sbin/smtp-sink"):
    t.skip_all("smtp-sink not installed (Debian package postfix)")

DELAY = 90


def slow_daemon(members):
    sink = L.Sink(["-W", ".:%d" % DELAY])
    d = L.Daemon(extra=["relay = smtp://127.0.0.1:%d" % sink.port,
                        "relay_tls = off",
                        "relay_concurrency = %d" % len(members)])
    L.club(d, members)
    d.start()
    return sink, d


# both parts run side by side: one 90-s wait for the whole test
pair = ["alice@example.org", "bob@example.org"]
sink1, d1 = slow_daemon(pair)
sink2, d2 = slow_daemon(["carol@example.org"])
t_start = time.monotonic()
L.post(d1, "alice@example.org", "<slow1@example.com>", "Slow")
L.post(d2, "carol@example.org", "<slow2@example.com>", "Slow")

# part 2: the copy is waiting for its end-of-data reply once dumped
t.ok(sink2.wait_count(1, 30), "part 2: the copy went out, the relay is "
     "slow to answer")
t0 = time.monotonic()
rc = d2.stop(timeout=90)
took = time.monotonic() - t0
t.is_(rc, 0, "part 2: SIGTERM while waiting for the end-of-data reply: "
      "exit 0")
t.ok(20 <= took < 60, "part 2: after a bounded grace (%.1f s)" % took)
t.is_(d2.sql("SELECT status, attempts FROM queue"), [("pending", 0)],
      "part 2: the copy stays queued, no attempt counted")
t.like(open(d2.log).read(), r"to=<carol@example\.org> .*status=interrupted",
       "part 2: the interruption is logged")

# part 1: waits for the 90-s answers
ok = d1.wait_queue_empty(DELAY + 60)
t.ok(ok, "part 1: the queue empties once the relay answers (%.0f s)" %
     (time.monotonic() - t_start))
time.sleep(2)                   # a second copy would show up by now
got = {}
for mail, rcpts, body in sink1.messages():
    for r in rcpts:
        got[r] = got.get(r, 0) + 1
t.is_(sorted(got.items()), [(m, 1) for m in pair],
      "part 1: each member's copy received exactly once")
log = open(d1.log).read()
t.ok("status=deferred" not in log and "within" not in log,
     "part 1: nothing deferred, no timeout")
t.like(log, r"to=<bob@example\.org> .*status=sent",
       "part 1: the copies are sent")
t.is_(d1.stop(), 0, "part 1: stopped")
sink1.stop()
sink2.stop()
t.done()
