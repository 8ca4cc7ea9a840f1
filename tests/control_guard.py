#!/usr/bin/env python3
"""control_guard - mlistd never answers robots (SPEC 6): the auto-replies
of the shared corpus, sent to every answering control address, get no
answer and change nothing; nor do mail with Auto-Submitted (but "no"),
Precedence bulk/junk/list/auto_reply, X-Autoreply, a vacation subject, a
List-Id (ours or another list's), a null envelope sender, a DSN, a
robot's address (MAILER-DAEMON, owner-*, *-request) or one of ours.  A
vacation responder answering a confirmation does not confirm it.  An
address gets at most 10 automatic replies a UTC day."""

import glob
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controllib as C  # noqa: E402
import lmtplib as L  # noqa: E402

t = L.Tap()
D = C.D
T0 = 1894010400  # 2030-01-07T10:00:00Z
corpus = L.corpus_dir(t, "autoreplies")
os.environ["MLISTD_NOW"] = L.rfc3339(T0)
d = C.daemon()
d.ctl("club", "create", "acme", check=True)
d.ctl("member", "add", "acme", "anim@example.com", "--role", "animator",
      check=True)
d.start()
box = C.Box(d)
ADDRS = ["acme+request", "acme+subscribe", "acme+unsubscribe", "acme+help",
         "acme+owner"]

files = sorted(f for f in glob.glob(os.path.join(corpus, "*", "*"))
               if not f.endswith(".tsv"))
t.ok(len(files) >= 5, "the corpus has auto-replies (%d)" % len(files))
for f in files:
    raw = open(f, "rb").read()
    for a in ADDRS:
        r = d.deliver(a + "@" + D, raw, "robot@example.net")
        if r.code != 250:
            t.ok(False, "%s to %s accepted (%s)" % (f, a, r))
got = box.new()
t.is_([x.to for x in got], [], "no corpus auto-reply was answered")
t.is_(d.sql1("SELECT count(*) FROM pending"), 0, "nor left anything pending")

CASES = [
    ("Auto-Submitted: auto-replied\r\n", "", "Auto-Submitted"),
    ("Precedence: bulk\r\n", "", "Precedence bulk"),
    ("Precedence: junk\r\n", "", "Precedence junk"),
    ("Precedence: list\r\n", "", "Precedence list"),
    ("Precedence: auto_reply\r\n", "", "Precedence auto_reply"),
    ("X-Autoreply: yes\r\n", "", "X-Autoreply"),
    ("", "Out of office: back Monday", "vacation subject"),
    ("", "Absence du bureau", "French vacation subject"),
    ("List-Id: <other.lists.example.com>\r\n", "", "another list's List-Id"),
    ("List-Id: \"Acme\" <acme.%s>\r\n" % D, "", "our own List-Id"),
]
for extra, subject, what in CASES:
    for a in ADDRS:
        C.send(d, "person@example.net", a, subject or "help", "help\n",
               extra=extra)
    t.is_([x.to for x in box.new()], [], "%s: not answered" % what)
for a in ADDRS:
    C.send(d, "person@example.net", a, "help", "help\n", mail_from="")
t.is_([x.to for x in box.new()], [], "null envelope sender: not answered")
for a in ADDRS:
    raw = L.dsn("acme+help@" + D, "person@example.net", "dsn-%s" % a)
    d.deliver(a + "@" + D, raw, "mailer-daemon@example.net")
t.is_([x.to for x in box.new()], [], "a DSN: not answered")
t.is_(d.sql1("SELECT count(*) FROM pending"), 0, "nothing pending")

for a in ADDRS:
    C.send(d, "acme@" + D, a, "help", "help\n")
    C.send(d, "acme+owner@" + D, a, "help", "help\n")
t.is_([x.to for x in box.new()], [], "our own addresses: not answered")
d.ctl("member", "add", "acme", "member@example.net", check=True)
C.send(d, "member@example.net", "acme+request", "invite acme@" + D, "")
got = box.new()
t.ok(len(got) == 1 and not got[0].reply_to and
     "not understood" in C.words(got[0].text),
     "inviting one of our own addresses is not understood")

# Auto-Submitted: no is a person
C.send(d, "person@example.net", "acme+help", "help", "",
       extra="Auto-Submitted: no\r\n")
t.is_([x.to for x in box.new()], ["person@example.net"],
      "Auto-Submitted: no is answered")

# a vacation responder answering a confirmation confirms nothing
C.send(d, "away@example.net", "acme+subscribe", "join", "")
conf = box.new()
if conf:
    C.send(d, "away@example.net", conf[0].reply_to,
           "Auto: Re: " + conf[0].subject, "I am away until Monday.\n",
           extra="Auto-Submitted: auto-replied\r\n")
t.is_(C.member(d, "away@example.net"), None,
      "an auto-reply to a confirmation does not subscribe")
t.is_(box.new(), [], "and is not answered")

# at most 10 automatic replies an address a day
for i in range(12):
    C.send(d, "chatty@example.net", "acme+help", "help %d" % i, "")
t.is_(len(box.new()), 10, "12 help requests a day: 10 answers")
C.send(d, "chatty@example.net", "acme+owner", "hello", "")
t.is_(box.new(), [], "over the limit, +owner@ forwards nothing either")
d.stop()
os.environ["MLISTD_NOW"] = L.rfc3339(T0 + 86400)
d.start()
C.send(d, "chatty@example.net", "acme+help", "help again", "")
t.is_(len(box.new()), 1, "the next UTC day, answered again")
d.stop()
t.done()
