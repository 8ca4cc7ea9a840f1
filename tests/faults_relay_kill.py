#!/usr/bin/env python3
"""faults_relay_kill - SIGKILL while copies go out (issue 11 item 7;
SPEC 5, 7).

A club of 1,000 members, POSTS posts, relay = Postfix's smtp-sink,
relay_concurrency = 4.  While the copies go out mlistd is SIGKILLed at
random moments (a seed, printed) and restarted on the same database,
several times.  At each kill, once the process is dead, the test reads
what mlistd had recorded: the copies still due (queue rows, and the
members past each fan-out's cursor) and what the sink had received.  A
copy the sink received whose outcome was not yet recorded was "in
flight": it may be sent again after the restart.  At the end:
  - every member got every post at least once;
  - no copy whose outcome was recorded before a kill came again;
  - every copy that came twice (or more) was in flight at that many
    kills; those are printed, and their number at each kill is
    bounded (relay_concurrency plus the copies sent out of order ahead
    of a slower one, which the cursor cannot pass yet).
Environment: MLISTD_SEED (random seed, printed).
"""

import collections
import os
import random
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
if not os.path.exists("/usr/sbin/smtp-sink"):
    t.skip_all("smtp-sink not installed (Debian package postfix)")

MEMBERS = 1000
POSTS = 6
CONC = 4
KILLS = 5
BOUND = 2 * 512 + CONC  # in flight per kill, see above

seed = int(os.environ.get("MLISTD_SEED") or random.randrange(1 << 30))
rng = random.Random(seed)
t.diag("seed %d (MLISTD_SEED to replay): %d members, %d posts, "
       "relay_concurrency %d, up to %d kills" %
       (seed, MEMBERS, POSTS, CONC, KILLS))

sink = L.Sink()
d = L.Daemon(extra=["relay = smtp://127.0.0.1:%d" % sink.port,
                    "relay_tls = off", "relay_concurrency = %d" % CONC])
addrs = ["m%03d@example.org" % i for i in range(MEMBERS)]
d.ctl("club", "create", "acme", check=True)
d.ctl("club", "set", "acme", "moderation", "none", check=True)
d.import_members("acme", addrs)
msgids = ["<k%d@faults.test>" % i for i in range(POSTS)]
want = {(a, m) for a in addrs for m in msgids}


def pending():
    """The copies mlistd has not recorded an outcome for (daemon dead)."""
    rows = d.sql("SELECT q.recipient, m.message_id FROM queue q "
                 "JOIN messages m ON m.id = q.msg_id")
    rows += d.sql("SELECT mb.address, m.message_id FROM fanout f "
                  "JOIN messages m ON m.id = f.msg_id JOIN members mb ON "
                  "mb.club_id = f.club_id AND mb.id > f.cursor AND "
                  "mb.id <= f.last_member")
    return set(rows)


d.start()
for i, mid in enumerate(msgids):
    r = L.post(d, addrs[0], mid, "Kill test %d" % i)
    t.like(r.text if r else "", r"^250 ", "post %d accepted" % i)

kills = []          # (copies received at the kill, in flight, recorded)
inflight_at = collections.Counter()
recorded_at = {}    # copy -> count received when its record was seen
t0 = time.monotonic()
while len(kills) < KILLS:
    # a random moment while copies go out (4,000 a second here)
    time.sleep(rng.uniform(0.05, 0.3))
    d.kill()
    time.sleep(0.3)     # the sink finishes writing its last dumps
    rec = sink.copies()
    pend = pending()
    flight = {c for c in pend if rec[c] > 0}
    for c in flight:
        inflight_at[c] += 1
    for c in want - pend:
        recorded_at.setdefault(c, rec[c])
    kills.append((sum(rec.values()), len(flight), len(want - pend)))
    t.diag("kill %d at %.2f s: %d copies received, %d recorded, "
           "%d in flight (sent, not recorded): %s" %
           (len(kills), time.monotonic() - t0, sum(rec.values()),
            len(want - pend), len(flight),
            ", ".join("%s %s" % c for c in sorted(flight)[:6]) +
            (" ..." if len(flight) > 6 else "")))
    d.start()
    if not pend:
        break   # all recorded: nothing left to interrupt

t.ok(len(kills) >= 3, "mlistd was killed %d times while copies went out"
     % len(kills))
t.ok(d.wait_queue_empty(60), "after the last restart the queue drains")
sink_ok = sink.wait_count(len(want), 10)
rec = sink.copies()
t.is_(d.stop(), 0, "SIGTERM: exit 0")
missing = sorted(want - set(rec))
t.is_(len(missing), 0, "every member got every post (%d copies)" %
      len(want))
if missing:
    t.diag("missing: %s" % missing[:10])
again = sorted(c for c, n in recorded_at.items() if rec[c] > n)
t.is_(again, [], "no copy recorded as sent before a kill came again "
      "(%d recorded at kills)" % len(recorded_at))
dups = {c: n for c, n in rec.items() if n > 1}
t.diag("copies received more than once: %d: %s" %
       (len(dups), ", ".join("%s %s x%d" % (c[0], c[1], n)
                             for c, n in sorted(dups.items())[:10])))
bad = sorted(c for c, n in dups.items() if n > 1 + inflight_at[c])
t.is_(bad, [], "each copy that came twice was in flight at a kill")
worst = max([k[1] for k in kills] or [0])
t.ok(worst <= BOUND, "in flight at a kill: at most %d (<= %d)" %
     (worst, BOUND))
t.is_(sorted(set(rec) - want), [], "nothing unexpected reached the sink")
t.done()
