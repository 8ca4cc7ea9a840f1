#!/usr/bin/env python3
"""bounce_life - a member's bounces over weeks (SPEC 8), time moved with
MLISTD_NOW across restarts.

Hard DSNs to the VERP address of a copy on five UTC days suspend the
member (score 5): the animators get the bounce-suspended notice (in the
club's language), the member gets a probe whose Reply-To is a confirm
token, and later posts skip the member.  A reply to the probe resumes
delivery with a clean score.  Suspended again, the member is probed
weekly and removed a week after the third unanswered probe.  Delayed
notices never count, and two reports the same day count once.  A report
for a copy sent before a member joined is not theirs, and the row id of
a member who left is never given to the next one.
"""

import os
import re
import sys

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN
T0 = 1894010400  # 2030-01-07T10:00:00Z
DAY = 86400


at = L.rfc3339
d = L.Daemon(extra=["templates = " + os.path.join(L.tests_dir(), "..",
                                                  "templates")])
d.ctl("club", "create", "acme", "--title", "Club Acme", "--lang", "fr",
      check=True)
d.ctl("club", "set", "acme", "moderation", "none", check=True)
d.ctl("member", "add", "acme", "anim@example.com", "--role", "animator",
      check=True)
d.ctl("member", "add", "acme", "gone@example.net", "--name", "Gaston",
      check=True)
d.ctl("member", "add", "acme", "ok@example.org", check=True)
n = [0]


def restart(ts):
    d.stop()
    os.environ["MLISTD_NOW"] = at(ts)
    d.start()


def deliver(rcpt, raw, mail_from="anim@example.com"):
    return d.deliver(rcpt, raw, mail_from)


def post(subject):
    n[0] += 1
    raw = ("From: anim@example.com\r\nSubject: %s\r\nMessage-ID: "
           "<life%d@example.com>\r\n\r\nHello\r\n" % (subject, n[0])).encode()
    deliver("acme@" + D, raw)
    d.wait_queue_empty(20)


def verp_of(rcpt):
    v = [env["mail_from"] for env, _ in d.outbox_pairs()
         if env["rcpt_to"] == [rcpt]]
    return v[-1] if v else None


def dsn(verp, action="failed", status="5.1.1"):
    n[0] += 1
    raw = L.dsn(verp, "gone@example.net", "dsn%d" % n[0], action, status)
    return deliver(verp, raw, "")


def wait_probes(addr, want, timeout=10):
    """The maintenance pass runs within a second of a start."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = member(addr)
        if m is None or m[2] >= want:
            break
        time.sleep(0.1)
    d.wait_queue_empty(20)
    m = member(addr)
    return m[2] if m else None


def member(addr):
    r = d.sql("SELECT status, bounce_score, probes FROM members "
              "WHERE address = ?", (addr,))
    return r[0] if r else None


restart(T0)
post("First")
v = verp_of("gone@example.net")
t.like(v or "", r"^acme\+bounce-[a-z0-9.]+@lists\.example\.org$",
       "the member's copy has a VERP envelope sender")
r = dsn(v, "delayed", "4.4.1")
t.like(r.text, r"bounce delayed not counted", "a delayed notice: not counted")
r = dsn(v)
t.like(r.text, r"bounce hard counted", "a hard bounce counts")
r = dsn(v)
t.like(r.text, r"not counted", "a second one the same day does not")
t.is_(member("gone@example.net"), ("active", 1.0, 0), "score 1")
for day in range(1, 5):
    restart(T0 + day * DAY)
    r = dsn(v)
t.like(r.text, r"member suspended", "the fifth day suspends the member")
t.is_(member("gone@example.net")[:2], ("suspended", 5.0), "suspended at 5")
wait_probes("gone@example.net", 1)
pairs = d.outbox_pairs()
notes = [(env, raw) for env, raw in pairs
         if env["rcpt_to"] == ["anim@example.com"] and
         b"Auto-Submitted: auto-generated" in raw]
t.is_(len(notes), 1, "the animator gets one notice")
if notes:
    p = os.path.join(d.dir, "note.eml")
    open(p, "wb").write(notes[0][1])
    import json
    m = json.loads(d.ctl("inspect", "message", p).stdout)
    t.like(m["subject"], r"Club Acme", "in French, about the club (%s)" %
           m["subject"])
    t.like(m["text"], r"gone@example\.net", "naming the member")
    t.like(m["text"], r"5\.1\.1", "with the last error")
probes = [(env, raw) for env, raw in pairs
          if env["rcpt_to"] == ["gone@example.net"] and
          b"Auto-Submitted: auto-generated" in raw]
t.is_(len(probes), 1, "the member gets a probe")
reply_to = None
if probes:
    m = re.search(rb"Reply-To: <([^>]+)>", probes[0][1])
    reply_to = m.group(1).decode() if m else None
    t.like(reply_to or "", r"^acme\+confirm-p\.[a-z0-9.]+@lists\.example\.org$",
           "whose Reply-To is a confirm token")
before = len(d.outbox_pairs())
post("While suspended")
after = [env["rcpt_to"][0] for env, _ in d.outbox_pairs()[before:]]
t.is_(sorted(after), ["anim@example.com", "ok@example.org"],
      "a suspended member gets no copies")
if reply_to:
    r = deliver(reply_to, b"From: gone@example.net\r\nSubject: Re: check\r\n"
                b"Message-ID: <yes@example.net>\r\n\r\nyes\r\n",
                "gone@example.net")
    t.like(r.text, r"delivery resumed", "replying to the probe resumes")
t.is_(member("gone@example.net"), ("active", 0.0, 0), "with a clean score")

# suspended again, then probed weekly and removed
base = T0 + 10 * DAY
for day in range(5):
    restart(base + day * DAY)
    dsn(v)
t.is_(member("gone@example.net")[0], "suspended", "suspended again")
t.is_(wait_probes("gone@example.net", 1), 1, "first probe at once")
restart(base + 4 * DAY + 6 * DAY)
t.is_(wait_probes("gone@example.net", 2, 3), 1, "none before a week")
restart(base + 4 * DAY + 7 * DAY + 60)
t.is_(wait_probes("gone@example.net", 2), 2, "a week later, the second")
restart(base + 4 * DAY + 14 * DAY + 120)
t.is_(wait_probes("gone@example.net", 3), 3, "then the third")
restart(base + 4 * DAY + 21 * DAY + 180)
import time
deadline = time.monotonic() + 10
while member("gone@example.net") and time.monotonic() < deadline:
    time.sleep(0.1)
t.is_(member("gone@example.net"), None,
      "a week after the third unanswered probe the member is removed")
t.like(open(d.log).read(), r"member removed: club=acme "
       r"address=<gone@example\.net> probes=3", "and the removal is logged")
t.is_(member("ok@example.org"), ("active", 0.0, 0), "others are untouched")

# a late report for the copy of a member who left must not reach the
# member who joins next (row ids are never reused; and the copy went out
# before the newcomer joined)
later = base + 40 * DAY
restart(later)
d.ctl("member", "add", "acme", "late1@example.org", check=True)
post("Late")
v1 = verp_of("late1@example.org")
d.ctl("member", "remove", "acme", "late1@example.org", check=True)
os.environ["MLISTD_NOW"] = at(later + DAY)
d.ctl("member", "add", "acme", "late2@example.org", check=True)
t.ok(d.sql1("SELECT id FROM members WHERE address = 'late2@example.org'") !=
     int(v1.split("-", 1)[1].split(".")[0], 36),
     "the newcomer gets a new row id, not the departed member's")
r = dsn(v1)
t.like(r.text, r"bounce not attributed",
       "a report for a copy sent before the newcomer joined is not theirs")
t.is_(member("late2@example.org"), ("active", 0.0, 0), "their score is 0")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
del os.environ["MLISTD_NOW"]
t.done()
