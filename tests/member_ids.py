#!/usr/bin/env python3
"""member_ids - a token names a member by row id, so ids are never
reused (SPEC 4): the bounce token of a member who left must not act on
the member who joins next, even one whose join date (as an imported
roster gives it) is older than the copy the token came with.
"""

import os
import sys

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN
d = L.Daemon()
d.ctl("club", "create", "acme", check=True)
d.ctl("club", "set", "acme", "moderation", "none", check=True)
d.ctl("member", "add", "acme", "anim@example.com", "--role", "animator",
      check=True)
d.ctl("member", "add", "acme", "old@example.net", check=True)
d.start()


def member_id(addr):
    return d.sql1("SELECT id FROM members WHERE address = ?", (addr,))


d.deliver("acme@" + D, b"From: anim@example.com\r\nSubject: Hello\r\n"
          b"Message-ID: <ids1@example.com>\r\n\r\nHello\r\n",
          "anim@example.com")
t.ok(d.wait_queue_empty(20), "the post is relayed")
verp = [env["mail_from"] for env, _ in d.outbox_pairs()
        if env["rcpt_to"] == ["old@example.net"]]
t.is_(len(verp), 1, "the member's copy went out with a VERP sender")
verp = verp[0] if verp else "acme+bounce-x@" + D
old_id = member_id("old@example.net")
t.is_(old_id, d.sql1("SELECT max(id) FROM members"),
      "the member has the highest id")

d.ctl("member", "remove", "acme", "old@example.net", check=True)
d.ctl("member", "add", "acme", "new@example.org", check=True)
d.ctl("member", "set", "acme", "new@example.org", "joined",
      "2020-01-01T00:00:00Z", check=True)
t.ok(member_id("new@example.org") != old_id,
     "the next member gets a new id, not the departed member's (%s, %s)" %
     (member_id("new@example.org"), old_id))

r = d.deliver(verp, L.dsn(verp, "old@example.net", "ids-dsn"), "")
t.is_(r.code, 250, "the old token's report is accepted (250)")
t.like(r.text, r"bounce not attributed", "and attributed to nobody")
t.is_(d.sql("SELECT status, bounce_score FROM members WHERE address = ?",
            ("new@example.org",)), [("active", 0.0)],
      "the new member is untouched")
t.is_(d.sql1("SELECT count(*) FROM bounces b JOIN members m ON "
             "m.id = b.member_id WHERE m.address = 'new@example.org'"), 0,
      "no bounce is logged against them")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
t.done()
