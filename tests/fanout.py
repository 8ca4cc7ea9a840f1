#!/usr/bin/env python3
"""fanout - accepting a post costs the same whatever the club's size.

Intake writes one fan-out row per post, never a row per member: right
after the 250 of a post to a club of 10,000 members (the relay stalled on
a server that never answers) there is one fan-out row and no queue row.
The copies still go to exactly the members at the moment of the 250: a
member who joins after it gets none, a member removed before the relay
reaches them gets none, everyone else gets one through smtp-sink, even
after a SIGKILL before any copy went out.  A SIGKILL in the middle of a
fan-out resumes from its cursor: members up to the cursor get exactly
one copy, only copies beyond it may come twice (at-least-once for the
copies in flight), and every member gets the post.
"""

import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
if not os.path.exists("/usr/sbin/smtp-sink"):
    t.skip_all("smtp-sink not installed (Debian package postfix)")

DOM = L.DOMAIN
N = 10000


def post(d, club, msgid, subject):
    raw = ("From: Poster <poster@example.com>\r\nTo: %s@%s\r\n"
           "Subject: %s\r\nMessage-ID: %s\r\n"
           "Date: Mon, 10 Mar 2025 08:00:00 +0100\r\n\r\nHello all\r\n"
           % (club, DOM, subject, msgid)).encode()
    with d.client() as c:
        c.reply()
        c.lhlo()
        _, _, _, after = c.transaction("poster@example.com",
                                       ["%s@%s" % (club, DOM)],
                                       L.data_encode(raw)[0])
    return after[0] if after else None


def msg_rows(d, msgid):
    """(fan-out rows, queue rows) of one message, as on disk now."""
    return d.sql("SELECT (SELECT count(*) FROM fanout f JOIN messages m "
                 "ON m.id = f.msg_id WHERE m.message_id = ?1), "
                 "(SELECT count(*) FROM queue q JOIN messages m "
                 "ON m.id = q.msg_id WHERE m.message_id = ?1)",
                 (msgid,))[0]


def copies(sink, msgid):
    """{recipient: number of copies of msgid} in the sink's dumps."""
    out = {}
    for _, rcpts, body in sink.messages():
        if ("Message-ID: " + msgid).encode() in body:
            for r in rcpts:
                out[r] = out.get(r, 0) + 1
    return out


def dumps(sink):
    return len(os.listdir(sink.dir))


# a relay that accepts connections and never says a word: the fan-out
# is stalled while intake's writes are counted
hole = socket.socket()
hole.bind(("127.0.0.1", 0))
hole.listen(64)
port = hole.getsockname()[1]
d = L.Daemon(extra=["relay = smtp://127.0.0.1:%d" % port, "relay_tls = off",
                    "relay_concurrency = 2"])
members = os.path.join(d.dir, "members.txt")
with open(members, "w") as f:
    f.write("poster@example.com\n")
    for i in range(1, N):
        f.write("m%05d@example.org\n" % i)
for club in ("big", "small"):
    d.ctl("club", "create", club, check=True)
    d.ctl("club", "set", club, "moderation", "none", check=True)
d.ctl("member", "import", "big", members, check=True)
small = ["poster@example.com"] + ["s%d@example.org" % i for i in range(9)]
for a in small:
    d.ctl("member", "add", "small", a, check=True)
d.start()

r = post(d, "big", "<p1@example.com>", "To ten thousand")
t.like(r.text if r else "", r"accepted, copies queued",
       "a post to 10,000 members is accepted")
t.is_(msg_rows(d, "<p1@example.com>"), (1, 0),
      "right after its 250: one fan-out row, no row per member")
r = post(d, "small", "<p2@example.com>", "To ten")
t.is_(msg_rows(d, "<p2@example.com>"), (1, 0),
      "a post to 10 members writes the same: one fan-out row")

# after the 250: a newcomer must not get p1; a member removed before
# the relay reaches them gets nothing (the stalled relay handed out the
# first ids only)
d.ctl("member", "add", "big", "late@example.org", check=True)
d.ctl("member", "remove", "big", "m09990@example.org", check=True)
q = json.loads(d.ctl("queue", "--json", check=True).stdout)
p1 = [i for i in q if i["message_id"] == "<p1@example.com>"]
t.ok(len(p1) == 1 and p1[0]["recipient"] is None and
     p1[0]["members"] == N - 1,
     "queue --json: the fan-out as one item with the members left (%s)" %
     L._short(p1))
t.like(d.ctl("queue").stdout,
       r"(?m)^big\t<p1@example\.com>\t\(%d members\)\t0\t" % (N - 1),
       "mlistctl queue: one line for the fan-out")

# a crash before any copy went out, then a working relay
d.kill()
hole.close()
sink = L.Sink(port=port)
d.start()
t.ok(d.wait_queue_empty(180), "after the restart the queue drains")
got = copies(sink, "<p1@example.com>")
want = ["poster@example.com"] + ["m%05d@example.org" % i
                                 for i in range(1, N) if i != 9990]
t.is_(len(got), len(want), "every member at the 250 but the removed one "
      "got the post (%d of %d)" % (len(got), len(want)))
t.ok(sorted(got) == sorted(want) and set(got.values()) == {1},
     "exactly one copy each")
t.ok("late@example.org" not in got, "the member who joined after the 250 "
     "got none")
t.ok("m09990@example.org" not in got, "the removed member got none")
t.is_(sorted(copies(sink, "<p2@example.com>")), sorted(small),
      "the small club's post reached its 10 members")

# SIGKILL in the middle of a fan-out that is sending
before = dumps(sink)
r = post(d, "big", "<p3@example.com>", "Again")
deadline = time.monotonic() + 60
while dumps(sink) < before + 2500 and time.monotonic() < deadline:
    time.sleep(0.01)
d.kill()
cursor = d.sql1("SELECT f.cursor FROM fanout f JOIN messages m ON "
                "m.id = f.msg_id WHERE m.message_id = '<p3@example.com>'")
t.ok(cursor is not None and cursor > 0,
     "killed mid-fan-out, its cursor had moved (%s)" % cursor)
d.start()
t.ok(d.wait_queue_empty(180), "after the restart the fan-out finishes")
got = copies(sink, "<p3@example.com>")
ids = dict(d.sql("SELECT address, id FROM members WHERE club_id = "
                 "(SELECT id FROM clubs WHERE name = 'big')"))
want = set(ids)  # late@ joined before this post: theirs too
t.is_(sorted(set(got) & want), sorted(want),
      "every member got the post (%d)" % len(want))
twice = sorted(ids[a] for a, n in got.items() if n > 1)
cursor = cursor or 0
t.ok(all(i > cursor for i in twice) and
     all(got[a] == 1 for a in want if ids[a] <= cursor),
     "only copies beyond the cursor came twice (%d, cursor %d)" %
     (len(twice), cursor))
t.ok(all(n <= 2 for n in got.values()), "nobody got three")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
sink.stop()
t.done()
