#!/usr/bin/env python3
"""faults_disk - the disk under the database fills up (issue 11 item 7;
SPEC 5: "250" only once stored).

The database (and so the spool directory beside it) lives on a small
tmpfs mounted for the test (root only: skipped otherwise, a failure
under CI=true); the log and the capture outbox stay outside it.  A few
posts are accepted, then a filler file takes every free byte, and
posts keep coming, small ones (the database's own pages) and 200 KB
ones (spooled to a file first):
  - each is answered 452 4.3.1 (no room: SQLITE_FULL or ENOSPC) or
    451 4.3.0, or 250 when it did fit (the WAL can have room left):
    every 250 is checked against the database afterwards;
  - mlistd stays up, and mlistctl, asked to change something, says
    that the disk is full and exits 75 (EX_TEMPFAIL: try again);
  - the filler is removed: without a restart or a signal, the next
    posts get 250, every message acknowledged before is in the
    database, and its integrity_check is ok.
The tmpfs is unmounted by its path at exit.
"""

import atexit
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
SIZE = "6m"
if os.geteuid() != 0:
    t.skip_all("mounting a tmpfs needs root")
mnt = L.mkdtemp()
r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + SIZE, "tmpfs",
                    mnt], stderr=subprocess.PIPE, universal_newlines=True)
if r.returncode != 0:
    t.skip_all("cannot mount a tmpfs here: %s" % r.stderr.strip())


@atexit.register
def unmount():
    subprocess.run(["umount", mnt], stderr=subprocess.DEVNULL)


t.diag("database on a %s tmpfs at %s" % (SIZE, mnt))
db = os.path.join(mnt, "mlistd.db")
d = L.Daemon()
with open(d.conf) as f:
    conf = f.read().replace("database = " + d.db, "database = " + db)
with open(d.conf, "w") as f:
    f.write(conf)
d.db = db
L.club(d, ["ann@example.com", "bob@example.org"])
d.start()

acked = []
replies = []


def post(n, big):
    body = (b"x" * 76 + b"\r\n") * (2600 if big else 1)
    r = L.post(d, "ann@example.com", "<d%d@faults.test>" % n,
               "disk %d" % n, body=body)
    text = r.text if r else "(no reply)"
    replies.append((n, big, text))
    if r and r.code == 250:
        acked.append(n)
    return r


for n in range(3):
    post(n, n == 2)
t.is_(len(acked), 3, "before the fault: 3 posts get 250")

# the fault: a filler takes every free byte
filler = os.path.join(mnt, "filler")
with open(filler, "wb") as f:
    try:
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    except OSError as e:
        t.diag("filler: %d bytes, then %s" % (f.tell(), e.strerror))
st = os.statvfs(mnt)
t.diag("free on the tmpfs: %d bytes" % (st.f_bavail * st.f_frsize))

codes = []
for n in range(3, 23):
    r = post(n, n % 2 == 0)
    codes.append(r.code if r else None)
    t.diag("disk full, %s post %d: %s" %
           ("200 KB" if n % 2 == 0 else "small", n, replies[-1][2]))
t.ok(all(c in (250, 451, 452) for c in codes),
     "every post on a full disk gets 250, 451 or 452 (%s)" % codes)
full = [x for x in replies[3:] if x[2].startswith("452 4.3.1")]
t.ok(len(full) >= 10, "most are 452 4.3.1, saying there is no room "
     "(%d of 20)" % len(full))
t.like(full[0][2] if full else "", r"452 4\.3\.1 .*(space|room|full)",
       "the reply says why")
t.ok(d.running(), "mlistd is still running")
r = d.ctl("member", "add", "acme", "carol@example.net")
t.diag("mlistctl member add on a full disk: exit %d: %s" %
       (r.returncode, r.stderr.strip()))
t.is_(r.returncode, 75, "mlistctl exits 75 (EX_TEMPFAIL) on a full disk")
t.like(r.stderr, r"(?i)disk is full|database or disk is full",
       "and says the disk is full")

# the space comes back
os.unlink(filler)
t.diag("filler removed: no restart, no signal")
deadline = time.monotonic() + 20
got = None
n = 100
while time.monotonic() < deadline:
    r = post(n, True)
    n += 1
    if r and r.code == 250:
        got = r
        break
    time.sleep(0.5)
t.ok(got is not None, "the next posts get 250 again (%s)" %
     (replies[-1][2]))
for k in range(3):
    post(200 + k, k == 1)
t.is_([x[2][:3] for x in replies[-3:]], ["250"] * 3,
      "three more posts get 250")
t.ok(d.wait_queue_empty(30), "their copies go out")
stored = {int(m[2:m.index("@")]) for (m,) in d.sql(
    "SELECT message_id FROM messages WHERE message_id LIKE '<d%'")}
lost = sorted(set(acked) - stored)
t.is_(lost, [], "every one of the %d acknowledged posts is stored" %
      len(acked))
t.ok(d.ctl("member", "add", "acme", "carol@example.net").returncode == 0,
     "mlistctl works again")
t.is_(d.sql1("PRAGMA integrity_check"), "ok", "integrity_check ok")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
t.done()
