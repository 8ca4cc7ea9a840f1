#!/usr/bin/env python3
"""faults_digest_kill - SIGKILL during a digest run (issue 11 item 7;
SPEC 9: "never sends the same issue twice to a member, even across a
crash").

A club of 5,000 members in digest delivery, three posts in the week,
moved with MLISTD_NOW to Monday 08:00 Paris (07:00Z) when the weekly
issue is due.  The run writes its issues 64 members a transaction; the
test SIGKILLs mlistd when a random number of issues has been recorded
(a seed, printed), restarts it (same instant plus the seconds elapsed),
and does so several times.  At the end:
  - at the last start another process holds the database locked for
    6 s (less than the 10 s busy timeout): nothing is written meanwhile,
    then the run carries on;
  - every member has exactly one issue recorded (digests.sent);
  - every member's issue reached the relay (capture outbox) under one
    Message-ID: no member got two different issues;
  - the same issue relayed twice (a relay copy in flight at a kill, see
    faults_relay_kill.py) is counted and printed separately.  The run
    happens in the relay's dispatcher thread (periodic_run), which also
    writes the relay's outcomes: while a run lasts, issues already
    relayed are not recorded as sent, so a kill mid-run sends again
    every issue relayed since the run (re)started; the test prints how
    many were recorded at each kill.
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

N = 5000
KILLS = 4
LOCK = 6        # seconds, less than mlistd's busy timeout (10 s)
D = L.DOMAIN

t = L.Tap()
seed = int(os.environ.get("MLISTD_SEED") or random.randrange(1 << 30))
rng = random.Random(seed)
t.diag("seed %d (MLISTD_SEED to replay): %d members in digest delivery, "
       "up to %d kills during the weekly run" % (seed, N, KILLS))

d = L.Daemon(extra=["templates = " + os.path.join(L.tests_dir(), "..",
                                                  "templates")])
addrs = ["m%04d@example.org" % i for i in range(N)]
os.environ["MLISTD_NOW"] = "2025-03-17T09:00:00Z"
L.club(d, [], digest_time="08:00", digest_day="mon",
       timezone="Europe/Paris", moderation="none")
d.import_members("acme", addrs, "--delivery", "digest")
d.start()
time.sleep(1.5)         # the club's first pass notes its slots
d.stop()

os.environ["MLISTD_NOW"] = "2025-03-20T10:00:00Z"
d.start()
for i in range(3):
    raw = ("From: %s\r\nTo: acme@%s\r\nSubject: Question %d: which "
           "accountant?\r\nMessage-ID: <q%d@faults.test>\r\n\r\nHello, "
           "could anyone recommend an accountant for a small company? "
           "(%d)\r\n" % (addrs[i], D, i, i, i)).encode()
    r = d.deliver("acme@" + D, raw, addrs[i])
    t.like(r.text, r"^250 ", "post %d of the week accepted" % i)
t.is_(d.stop(), 0, "stopped before the slot")

T0 = 1742799630  # 2025-03-24T07:00:30Z
t_start = time.monotonic()


def now():
    """The test's instant: Monday 07:00:30Z plus the seconds elapsed."""
    return L.rfc3339(T0 + int(time.monotonic() - t_start))


def recorded():
    return d.sql1("SELECT count(*) FROM digests WHERE sent IS NOT NULL")


kills = []
target = 0
for k in range(KILLS):
    target += rng.randrange(64, max(65, (N - target) // 2))
    os.environ["MLISTD_NOW"] = now()
    d.start()
    deadline = time.monotonic() + 30
    while recorded() < target and time.monotonic() < deadline:
        time.sleep(0.005)
    n = recorded()
    if n >= N:
        t.diag("kill %d: the run had finished (%d issues)" % (k + 1, n))
        break
    d.kill()
    n = recorded()
    kills.append(n)
    t.diag("kill %d: aimed at %d issues, SIGKILL with %d of %d recorded, "
           "%d relayed, %d of them recorded as sent" %
           (k + 1, target, n, N, len(d.outbox_pairs()),
            n - d.sql1("SELECT count(*) FROM queue")))
    target = max(target, n)
    if target >= N - 1:
        break

# the last start meets the database locked by another process for
# less than the busy timeout: the run waits, then carries on
os.environ["MLISTD_NOW"] = now()
locker = L.lock_db(d.db, LOCK)
t.ok(locker is not None, "another process holds BEGIN EXCLUSIVE for %d s "
     "as mlistd starts again" % LOCK)
before = recorded()
d.start()
locker.wait(LOCK + 10)
t.is_(recorded(), before, "no issue is written while the lock is held")
deadline = time.monotonic() + 60
while recorded() < N and time.monotonic() < deadline:
    time.sleep(0.1)
t.diag("after the lock: %d of %d issues recorded" % (recorded(), N))
t.ok(len(kills) >= 2, "mlistd was killed %d times during the run (%s)" %
     (len(kills), kills))
t.ok(d.wait_queue_empty(60), "the issues drain to the relay")
t.is_(d.stop(), 0, "SIGTERM: exit 0")

per = dict(d.sql("SELECT m.address, count(*) FROM digests g JOIN members "
                 "m ON m.id = g.member_id WHERE g.sent IS NOT NULL "
                 "GROUP BY m.address"))
t.is_(sorted(a for a in addrs if per.get(a) != 1), [],
      "each of the %d members has exactly one issue recorded" % N)
ids = collections.defaultdict(set)
copies = collections.Counter()
for env, raw in d.outbox_pairs():
    mid = L.header(raw, "Message-ID")
    for r in env["rcpt_to"]:
        ids[r].add(mid)
        copies[r] += 1
t.is_(sorted(a for a in addrs if not ids.get(a)), [],
      "every member's issue reached the relay")
two = sorted(a for a in addrs if len(ids.get(a, ())) > 1)
t.is_(two, [], "no member got two different issues")
again = sorted(a for a in addrs if copies[a] > 1)
t.diag("issues relayed twice (the same Message-ID, a copy in flight at a "
       "kill): %d %s" % (len(again), again[:8]))
t.ok(len(again) <= len(kills) * (2 * 512 + 4),
     "those stay within the relay's bound per kill")
t.is_(sorted(r for r in ids if r not in set(addrs)), [],
      "nothing else went out")
t.done()
