#!/usr/bin/env python3
"""mbox_import - "mlistctl import" reads every message of an mbox as
Python's mailbox module does: a "From " line starts a message even when
no blank line comes before it, so nothing is lost silently.  Counts are
compared with mailbox.mbox on the same file, contents with the rows
stored, and the corpus's thread archives are read in place.
"""

import glob
import mailbox
import os
import re
import sys

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
d = L.Daemon()   # mlistctl only: no daemon is started


def imported(out):
    m = re.match(r"^(\d+) messages? imported, (\d+) already there$",
                 out.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def python_bodies(path):
    mb = mailbox.mbox(path)
    try:
        return [mb.get_bytes(k) for k in mb.keys()]
    finally:
        mb.close()


# five messages, none of them after a blank line; the last without a
# final newline
N = 5
parts = []
for i in range(N):
    parts.append("From a%d@example.org Mon Mar %2d 08:00:00 2025\n"
                 "From: a%d@example.org\nSubject: m%d\n"
                 "Date: Mon, %02d Mar 2025 09:00:00 +0100\n"
                 "Message-ID: <nb%d@example.org>\n\nbody %d\n" %
                 (i, i + 3, i, i, i + 3, i, i))
text = "".join(parts).rstrip("\n")
path = os.path.join(d.dir, "noblank.mbox")
with open(path, "w") as f:
    f.write(text)

want = python_bodies(path)
t.is_(len(want), N, "Python's mailbox reads %d messages" % N)
d.ctl("club", "create", "acme", check=True)
r = d.ctl("import", "acme", path)
t.is_(r.returncode, 0, "import exits 0")
t.is_(imported(r.stdout), (N, 0), "all %d imported: %s" %
      (N, r.stdout.strip()))
rows = d.sql("SELECT raw FROM messages ORDER BY date", raw=True)
t.is_(len(rows), N, "%d rows stored" % N)
t.is_([bytes(x[0]) for x in rows], want,
      "each stored as Python's mailbox reads it")
t.is_(d.sql("SELECT subject FROM messages ORDER BY date"),
      [("m%d" % i,) for i in range(N)], "subjects in order")

# one message: singular
one = os.path.join(d.dir, "one.mbox")
with open(one, "w") as f:
    f.write(parts[0])
d.ctl("club", "create", "solo", check=True)
r = d.ctl("import", "solo", one)
t.is_(r.stdout.strip(), "1 message imported, 0 already there",
      "one message: singular")

# not an mbox: refused with the line, nothing stored
bad = os.path.join(d.dir, "bad.mbox")
with open(bad, "w") as f:
    f.write("Subject: hello\n\nnot an mbox\n" + parts[1])
d.ctl("club", "create", "bad", check=True)
r = d.ctl("import", "bad", bad)
t.is_(r.returncode, 65, "a file that is not an mbox: 65")
t.like(r.stderr, r"line 1", "naming the line: %s" % r.stderr.strip())
t.is_(d.sql1("SELECT count(*) FROM messages m JOIN clubs c ON "
             "c.id = m.club_id WHERE c.name = 'bad'"), 0, "nothing stored")

# the corpus's archives, read in place
corpus = L.corpus_dir(t, "threads", skip_all=False)
files = sorted(glob.glob(os.path.join(corpus, "**", "*.mbox"),
                         recursive=True)) if corpus else []
if corpus and not files:
    t.skip("no mbox in the corpus")
for i, p in enumerate(files):
    club = "c%d" % i
    n = len(python_bodies(p))
    d.ctl("club", "create", club, check=True)
    r = d.ctl("import", club, p)
    got = imported(r.stdout)
    t.ok(r.returncode == 0 and got is not None and sum(got) == n,
         "%s: %s (Python's mailbox: %d)" %
         (os.path.basename(p), r.stdout.strip() or r.stderr.strip(), n))
t.done()
