#!/usr/bin/env python3
"""policy - who may post, and what becomes of the rest (SPEC 7, 2).

Over LMTP with the capture relay: a known member's post is relayed; a
newcomer's first post and a non-member's are held (250) and listed by
"mlistctl held list" with their reasons, not threaded, not relayed;
approving relays it and unmoderates the newcomer; rejecting keeps it out;
a decision is final.  nonmember = reject answers 550 5.7.1 after DATA to
that recipient only, discard answers 250 and keeps nothing; moderation =
all / emergency hold all but animators' posts, none lets newcomers
through; auto-replies are held silently with reason "auto"; a message
carrying one of our List-Ids (a loop) and a bounce sent to the post
address are kept, never relayed nor held; the same post through acme@
and acme+r-KEY@ is relayed once.
"""

import json
import os
import sys

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN
d = L.Daemon()
d.ctl("club", "create", "acme", check=True)
d.ctl("club", "create", "other", check=True)
for a, role in (("anna@example.com", "animator"), ("kim@example.com", "member"),
                ("newt@example.com", "member")):
    d.ctl("member", "add", "acme", a, "--role", role, check=True)
d.ctl("member", "set", "acme", "kim@example.com", "moderated", "no", check=True)
d.start()
n = [0]


def post(frm, subject="Hello", extra=b"", rcpts=("acme@" + D,), body=b"Hi\r\n"):
    n[0] += 1
    mid = "<pol%d@example.com>" % n[0]
    raw = (b"From: " + frm.encode() + b"\r\nTo: acme@" + D.encode() +
           b"\r\nSubject: " + subject.encode() + b"\r\nMessage-ID: " +
           mid.encode() + b"\r\n" + extra + b"\r\n" + body)
    with d.client() as c:
        c.reply()
        c.lhlo()
        _, rr, _, after = c.transaction("env@example.net", list(rcpts),
                                        L.data_encode(raw)[0])
    return mid, after


def status(mid):
    return d.sql("SELECT status, reasons, thread_id IS NOT NULL FROM messages "
                 "WHERE message_id = ? ORDER BY id", (mid,))


def held():
    return json.loads(d.ctl("held", "list", "acme", "--json").stdout)


def copies(mid):
    d.wait_queue_empty(20)
    return sorted(env["rcpt_to"][0] for env, raw in d.outbox_pairs()
                  if ("Message-ID: " + mid).encode() in raw or
                  ("Message-Id: " + mid).encode() in raw)


mid, after = post("Kim <kim@example.com>")
t.like(after[0].text, r"accepted, copies queued", "a known member's post")
t.is_(copies(mid), ["anna@example.com", "kim@example.com", "newt@example.com"],
      "is relayed to every member")

mid_new, after = post("newt@example.com", "First post")
t.like(after[0].text, r": held \(newcomer\)", "a newcomer's first post: 250, held")
t.is_(status(mid_new), [("held", '["newcomer"]', 0)], "held, not threaded")
mid_out, after = post("Out Sider <out@example.org>", "Buy now")
t.like(after[0].text, r": held \(nonmember\)", "a non-member's post: held")
h = held()
t.is_([(x["from"], x["subject"], x["reasons"]) for x in h],
      [("newt@example.com", "First post", ["newcomer"]),
       ("out@example.org", "Buy now", ["nonmember"])],
      "held list --json: from, subject, reasons")
t.ok(all(x["id"] and x["received"].endswith("Z") for x in h),
     "with an id and a received date")
t.is_(copies(mid_new) + copies(mid_out), [], "held posts are not relayed")
t.like(d.ctl("held", "list", "acme").stdout,
       r"(?m)^\d+\t\S+Z\tnewt@example\.com\t\[\"newcomer\"\]\tFirst post$",
       "held list: one line a post")

ids = {x["from"]: x["id"] for x in h}
r = d.ctl("held", "approve", ids["newt@example.com"])
t.is_(r.returncode, 0, "held approve")
t.like(r.stdout, r"approved: 3 copies queued", "says what it queued")
t.is_(copies(mid_new), ["anna@example.com", "kim@example.com",
                        "newt@example.com"], "the approved post is relayed")
t.is_(status(mid_new), [("accepted", '["newcomer"]', 1)], "and threaded")
t.like(d.ctl("threads", "acme").stdout, r"First post", "it shows in threads")
r = d.ctl("held", "approve", ids["newt@example.com"])
t.is_(r.returncode, 1, "a second decision is refused (exit 1)")
t.like(r.stderr, r"no longer held \(accepted\)", "saying what happened")
mid2, after = post("newt@example.com", "Second post")
t.like(after[0].text, r": accepted", "an approved newcomer posts freely")
# an imported archive shows who has posted already: no newcomers there
d.ctl("member", "add", "acme", "old@example.com", check=True)
mbox = os.path.join(d.dir, "old.mbox")
with open(mbox, "w") as f:
    f.write("From old@example.com Mon Mar  3 08:00:00 2025\n"
            "From: Old Timer <old@example.com>\nSubject: Archive post\n"
            "Message-ID: <arch1@example.com>\n"
            "Date: Mon, 03 Mar 2025 08:00:00 +0100\n\nFrom the archive\n")
d.ctl("import", "acme", mbox, check=True)
mid3, after = post("old@example.com", "Back again")
t.like(after[0].text, r": accepted", "a member who posted in an imported archive is no newcomer")

r = d.ctl("held", "reject", ids["out@example.org"], "--reason", "spam")
t.is_(r.returncode, 0, "held reject --reason")
t.is_(status(mid_out), [("rejected", '["nonmember","rejected: spam"]', 0)],
      "rejected with the reason kept")
t.is_(held(), [], "nothing held any more")
t.is_(d.ctl("held", "approve", "999").returncode, 1, "unknown id: exit 1")
t.is_(d.ctl("held", "approve", "x").returncode, 2, "bad id: exit 2")
t.is_(d.ctl("held", "list", "nope").returncode, 1, "unknown club: exit 1")

d.ctl("club", "set", "acme", "nonmember", "reject", check=True)
mid, after = post("out@example.org", "Again",
                  rcpts=("acme@" + D, "acme+owner@" + D))
t.is_([a.code for a in after], [550, 250],
      "nonmember = reject: 550 for the post, 250 for acme+owner@")
t.like(after[0].text, r"^550 5\.7\.1 ", "with 5.7.1")
d.ctl("club", "set", "acme", "nonmember", "discard", check=True)
mid, after = post("out@example.org", "Again")
t.is_(after[0].code, 250, "nonmember = discard: 250")
t.is_(status(mid), [], "and nothing kept")
d.ctl("club", "set", "acme", "nonmember", "hold", check=True)

d.ctl("club", "set", "acme", "moderation", "all", check=True)
mid, after = post("kim@example.com", "Moderated")
t.like(after[0].text, r": held \(moderated\)", "moderation = all holds members")
mid, after = post("anna@example.com", "From the animator")
t.like(after[0].text, r": accepted", "but not animators")
d.ctl("club", "set", "acme", "moderation", "emergency", check=True)
mid, after = post("kim@example.com", "Emergency")
t.like(after[0].text, r": held \(emergency\)", "moderation = emergency too")
d.ctl("club", "set", "acme", "moderation", "none", check=True)
d.ctl("member", "add", "acme", "fresh@example.com", check=True)
mid, after = post("fresh@example.com", "No moderation")
t.like(after[0].text, r": accepted", "moderation = none: newcomers pass")

mid, after = post("kim@example.com", "Out of office",
                  b"Auto-Submitted: auto-replied\r\n")
t.like(after[0].text, r": held \(auto\)", "an auto-reply is held, reason auto")
t.is_(copies(mid), [], "and not relayed")
mid, after = post("kim@example.com", "Looped",
                  b"List-Id: <other.lists.example.org>\r\n")
t.like(after[0].text, r": kept \(loop\)", "one of our List-Ids: a loop, kept")
t.is_(status(mid), [("kept", '["loop"]', 0)], "neither relayed nor held")
mid, after = post("Other List <x@example.net>", "Foreign list",
                  b"List-Id: <dev.example.net>\r\nPrecedence: list\r\n")
t.like(after[0].text, r": held \(nonmember\)",
       "another list's mail is judged like any post")
dsn = (b"Content-Type: multipart/report; report-type=delivery-status; "
       b"boundary=b\r\n", b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
       b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
       b"Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; z@x.org\r\n"
       b"Action: failed\r\nStatus: 5.1.1\r\n--b--\r\n")
mid, after = post("MAILER-DAEMON@mx.example.com",
                  "Undelivered Mail Returned to Sender", dsn[0], body=dsn[1])
t.like(after[0].text, r": kept \(bounce\)", "a bounce to the post address is kept")
t.is_(copies(mid), [], "never relayed")

key = d.ctl("threads", "acme").stdout.split("\t")[0]
mid, after = post("kim@example.com", "Both", rcpts=("acme@" + D,
                                                    "acme+r-%s@%s" % (key, D)))
t.is_([a.code for a in after], [250, 250], "acme@ and acme+r-KEY@ in one go")
t.is_(len(copies(mid)), 5, "relayed once (5 members, one copy each)")
t.is_(sorted(s for s, _, _ in status(mid)), ["accepted", "kept"],
      "the second row is kept as a duplicate")
t.ok(d.running(), "mlistd still running")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
t.done()
