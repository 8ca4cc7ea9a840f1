#!/usr/bin/env python3
"""faults_backlog - a restart with 10,000 pending copies (issue 11 item
7; SPEC 7, 12).

A club of 10,000 members posts while the relay is down (nothing listens
at its address): every copy fails on our side and waits in the queue.
mlistd is stopped, smtp-sink starts at the relay's address, and mlistd
starts again, MLISTD_NOW ten minutes later so every copy is due at once.
  - start-up (until the LMTP port answers) is quick: seconds printed;
  - while the backlog drains, a post to another club is answered at
    once: the LMTP session's latency is printed and bounded;
  - mlistd's peak RSS (VmHWM from /proc) is printed and bounded;
  - all 10,000 copies reach smtp-sink, each exactly once.
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

N = 10000
T0 = 1894010400  # 2030-01-07T10:00:00Z
port = L.free_port()
d = L.Daemon(extra=["relay = smtp://127.0.0.1:%d" % port, "relay_tls = off",
                    "relay_concurrency = 4"])
addrs = ["m%05d@example.org" % i for i in range(N)]
for club in ("big", "acme"):
    d.ctl("club", "create", club, check=True)
    d.ctl("club", "set", club, "moderation", "none", check=True)
d.import_members("big", addrs)
d.ctl("member", "add", "acme", "ann@example.com", check=True)


os.environ["MLISTD_NOW"] = L.rfc3339(T0)
d.start()
r = L.post(d, addrs[0], "<b1@faults.test>", "To ten thousand",
           rcpt="big@" + L.DOMAIN)
t.like(r.text if r else "", r"^250 ", "a post to 10,000 members, relay "
       "down: 250")
deadline = time.monotonic() + 40
while time.monotonic() < deadline:
    if d.sql1("SELECT count(*) FROM queue") == N and \
            d.sql1("SELECT count(*) FROM fanout") == 0:
        break
    time.sleep(0.2)
t.is_(d.sql1("SELECT count(*) FROM queue WHERE attempts >= 1"), N,
      "10,000 copies tried and queued")
t.is_(d.stop(), 0, "stopped with 10,000 pending copies")

sink = L.Sink(port=port)
os.environ["MLISTD_NOW"] = L.rfc3339(T0 + 600)
s = time.monotonic()
d.start()
up = time.monotonic() - s
t.diag("start-up with 10,000 pending copies: %.2f s" % up)
t.ok(up < 3, "start-up is quick (%.2f s)" % up)

lat = []
for i in range(5):
    time.sleep(0.2)
    s = time.monotonic()
    r = L.post(d, "ann@example.com", "<a%d@faults.test>" % i, "Small")
    lat.append(time.monotonic() - s)
    if not r or r.code != 250:
        t.diag("post %d: %s" % (i, r))
backlog = len(sink.messages())
t.diag("LMTP session latency while the backlog drains: %s s (%d copies "
       "at the sink after them)" % (" ".join("%.3f" % x for x in lat),
                                     backlog))
t.ok(max(lat) < 1.0, "every post is answered within 1 s (max %.3f s)" %
     max(lat))
t.ok(backlog < N, "measured while the backlog was draining (%d of %d)" %
     (backlog, N))
s = time.monotonic()
t.ok(d.wait_queue_empty(60), "the backlog drains")
t.diag("drained %.1f s after the last post" % (time.monotonic() - s))
rss = d.peak_rss()
t.diag("mlistd peak RSS: %d kB" % rss)
t.ok(rss < 128 * 1024, "peak RSS under 128 MB")
got = {a: n for (a, mid), n in sink.copies().items()
       if mid == "<b1@faults.test>"}
t.is_(len(got), N, "all 10,000 members got the post")
t.is_(sorted(a for a, n in got.items() if n != 1), [], "each exactly once")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
t.done()
