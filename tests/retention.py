#!/usr/bin/env python3
"""retention - the store does not grow with unauthenticated mail
(SPEC 4), time moved with MLISTD_NOW across restarts.

Mail to control addresses is kept 7 days; held posts expire 14 days
after arrival and, once rejected or expired, are deleted 30 days after
that decision; a post kept unseen (a loop) goes 30 days after arrival.
Relayed posts, approved ones included, stay with their threads; the
record that a member left goes after 400 days.  The
maintenance pass runs within a second of a start; each check waits for
a deletion that must happen in that pass, then looks at what must not
have happened in the same pass.
"""

import json
import os
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN
T0 = 1894010400  # 2030-01-07T10:00:00Z
DAY = 86400
HOUR = 3600
CONTROL = ["subscribe", "unsubscribe", "help", "request", "owner"]


d = L.Daemon()
n = [0]


def restart(ts):
    d.stop()
    os.environ["MLISTD_NOW"] = L.rfc3339(ts)
    d.start()


def deliver(rcpt, sender, subject, extra=""):
    n[0] += 1
    raw = ("From: %s\r\nSubject: %s\r\nMessage-ID: <ret%d@example.com>\r\n"
           "%s\r\nHello\r\n" % (sender, subject, n[0], extra)).encode()
    return d.deliver(rcpt, raw, sender)


def count(where, params=()):
    return d.sql1("SELECT count(*) FROM messages WHERE " + where, params)


def control_rows():
    """Mail to control addresses (our answers to it are role answer)."""
    return count("role NOT IN ('post', 'reply', 'notice', 'answer')")


def by_subject(subject):
    return d.sql("SELECT status, role FROM messages WHERE subject = ?",
                 (subject,))


def wait_for(cond, what, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    t.diag("timed out waiting for %s" % what)
    return False


restart(T0 - DAY)
d.ctl("club", "create", "acme", check=True)
d.ctl("member", "add", "acme", "anim@example.com", "--role", "animator",
      check=True)
d.ctl("member", "add", "acme", "newbie@example.org", check=True)
r = deliver("acme+help@" + D, "early@example.net", "early help")
t.like(r.text, r"stored", "control mail a day early: stored")

restart(T0)
for form in CONTROL:
    r = deliver("acme+%s@%s" % (form, D), "stranger@example.net", form)
    t.is_(r.code, 250, "acme+%s@: 250" % form)
t.like(deliver("acme@" + D, "stranger@example.net", "rejected").text,
       r"held", "a stranger's post is held (to be rejected)")
t.like(deliver("acme@" + D, "other@example.net", "expiring").text,
       r"held", "another is held (to expire)")
t.like(deliver("acme@" + D, "newbie@example.org", "approved").text,
       r"held", "a newcomer's post is held (to be approved)")
t.like(deliver("acme@" + D, "anim@example.com", "loop",
               "List-Id: <acme.%s>\r\n" % D).text,
       r"kept", "a copy of ours coming back is kept unseen")
t.like(deliver("acme@" + D, "anim@example.com", "relayed").text,
       r"accepted", "an animator's post is relayed")
held = {h["from"]: h["id"]
        for h in json.loads(d.ctl("--json", "held", "list", "acme").stdout)}
d.ctl("held", "reject", str(held.get("stranger@example.net")), check=True)
d.ctl("held", "approve", str(held.get("newbie@example.org")), check=True)
t.ok(d.wait_queue_empty(20), "copies sent")
t.is_(control_rows(), 1 + len(CONTROL), "control mail stored")
relayed = count("status = 'accepted'")
t.is_(relayed, 2, "two posts relayed (one approved)")

# six and a half days: the early one is 7.5 days old, the others not 7
restart(T0 + 6 * DAY + 12 * HOUR)
t.ok(wait_for(lambda: by_subject("early help") == [], "early purge"),
     "control mail older than 7 days is deleted")
t.is_(control_rows(), len(CONTROL), "younger control mail is kept")

restart(T0 + 7 * DAY + HOUR)
t.ok(wait_for(lambda: control_rows() == 0, "control purge"),
     "7 days after arrival, control mail is deleted")
t.ok(wait_for(lambda: count("role = 'answer'") <= 1, "answer purge"),
     "and so are the answers to it (the newest row stays)")
t.is_(by_subject("rejected"), [("rejected", "post")],
      "a post rejected a week ago is kept")
t.is_(by_subject("loop"), [("kept", "post")], "the loop is kept")

restart(T0 + 14 * DAY + HOUR)
t.ok(wait_for(lambda: by_subject("expiring") == [("expired", "post")],
              "expiry"), "14 days after arrival a held post expires")
t.is_(by_subject("rejected"), [("rejected", "post")],
      "a post rejected 14 days ago is kept")

restart(T0 + 30 * DAY + HOUR)
t.ok(wait_for(lambda: by_subject("rejected") == [], "rejected purge"),
     "30 days after the decision, a rejected post is deleted")
t.ok(wait_for(lambda: by_subject("loop") == [], "kept purge"),
     "30 days after arrival, a post kept unseen is deleted")
t.is_(by_subject("expiring"), [("expired", "post")],
      "one that expired 16 days ago is kept")

d.ctl("member", "add", "acme", "leaver1@example.org", check=True)
d.ctl("member", "remove", "acme", "leaver1@example.org", check=True)
t.is_(d.sql1("SELECT count(*) FROM departures"), 1,
      "a member removed: their departure is recorded")

restart(T0 + 44 * DAY + HOUR)
t.ok(wait_for(lambda: by_subject("expiring") == [], "expired purge"),
     "30 days after its expiry, a held post is deleted")
t.is_(d.sql("SELECT subject, status FROM messages ORDER BY id"),
      [("approved", "accepted"), ("relayed", "accepted")],
      "relayed posts, the approved one too, are all that is left")
th = d.ctl("threads", "acme").stdout
t.ok("approved" in th and "relayed" in th, "with their threads")
t.is_(d.sql1("SELECT count(*) FROM msg_refs WHERE msg_id NOT IN "
             "(SELECT id FROM messages)"), 0, "no reference left dangling")
t.like(open(d.log).read(), r"retention: held_expired=1 ",
       "the expiry is logged")
d.ctl("member", "add", "acme", "leaver2@example.org", check=True)
d.ctl("member", "remove", "acme", "leaver2@example.org", check=True)

# 400 days and an hour after the first departure, 386 after the second
restart(T0 + 30 * DAY + 400 * DAY + 2 * HOUR)
t.ok(wait_for(lambda: d.sql1("SELECT count(*) FROM departures") == 1,
              "departures purge"),
     "400 days after a member left, the record of it is deleted")
t.is_(d.sql1("SELECT count(*) FROM departures WHERE at > ?",
             (T0 + 44 * DAY,)), 1, "one 386 days old is kept")
t.like(open(d.log).read(), r"retention: .* departures=1",
       "the purge is logged")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
del os.environ["MLISTD_NOW"]
t.done()
