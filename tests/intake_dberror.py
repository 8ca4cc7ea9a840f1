#!/usr/bin/env python3
"""intake_dberror - a database error at intake is 451 4.3.0, never a
policy verdict taken from the built-in defaults (SPEC 5).

The fault is a real one on the real file: while the daemon runs, another
connection renames the club_settings table (as a botched manual repair
or a half-applied migration would leave it), so every read of a club's
settings fails with "no such table".  Before, intake then used the
defaults: "moderation = all" became "newcomers" (a member's post was
relayed instead of held) and "nonmember = reject" became "hold".  Now
the RCPT that needs the club's size limit, and a post whose policy needs
its settings, get 451 4.3.0 so that Postfix retries; once the table is
back the same posts are judged by the club's real settings.
"""

import os
import sqlite3
import sys

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN

d = L.Daemon()
d.ctl("club", "create", "acme", check=True)
d.ctl("club", "set", "acme", "moderation", "all", check=True)
d.ctl("club", "set", "acme", "nonmember", "reject", check=True)
d.ctl("member", "add", "acme", "ann@example.com", check=True)
d.ctl("member", "set", "acme", "ann@example.com", "moderated", "no",
      check=True)
d.ctl("member", "add", "acme", "bob@example.org", check=True)
d.start()


def rename(old, new):
    """The fault, through another connection to the live database."""
    con = sqlite3.connect(d.db, timeout=30)
    try:
        con.execute("ALTER TABLE %s RENAME TO %s" % (old, new))
        con.commit()
    finally:
        con.close()


def msg(sender, n):
    return ("From: %s\r\nSubject: post %d\r\nMessage-ID: <dbe%d@x.example>"
            "\r\n\r\nHello\r\n" % (sender, n, n)).encode()


def post_with_fault(sender, n):
    """RCPT while the table is there, the fault, then DATA: the verdict
    is the committer's.  Returns the reply after the final dot."""
    with d.client() as c:
        c.reply()
        c.lhlo()
        t.is_(c.cmd("MAIL FROM:<%s>" % sender).code, 250, "MAIL")
        t.is_(c.cmd("RCPT TO:<acme@%s>" % D).code, 250, "RCPT")
        rename("club_settings", "club_settings_away")
        try:
            t.is_(c.cmd("DATA").code, 354, "DATA")
            c.send(L.data_encode(msg(sender, n))[0])
            return c.reply()
        finally:
            rename("club_settings_away", "club_settings")


def post(sender, n):
    with d.client() as c:
        c.reply()
        c.lhlo()
        _, rr, _, after = c.transaction(sender, ["acme@" + D],
                                        L.data_encode(msg(sender, n))[0])
    return after[0] if after else rr[0]


# a member's post under "moderation = all" must not be relayed
r = post_with_fault("ann@example.com", 1)
t.like(r.text, r"^451 4\.3\.0 ", "settings unreadable: a member's post "
       "gets 451 4.3.0 (%s)" % r.text)
t.is_(d.sql1("SELECT count(*) FROM queue"), 0, "no copy is queued")
# a stranger's post under "nonmember = reject" must not be held
r = post_with_fault("eve@example.net", 2)
t.like(r.text, r"^451 4\.3\.0 ", "settings unreadable: a stranger's post "
       "gets 451 4.3.0 (%s)" % r.text)
t.is_(d.sql1("SELECT count(*) FROM messages"), 0, "nothing is stored")

# the size limit read at RCPT time
rename("club_settings", "club_settings_away")
try:
    with d.client() as c:
        c.reply()
        c.lhlo()
        c.cmd("MAIL FROM:<ann@example.com>")
        r = c.cmd("RCPT TO:<acme@%s>" % D)
        t.like(r.text, r"^451 4\.3\.0 ", "settings unreadable at RCPT: "
               "451 4.3.0 (%s)" % r.text)
finally:
    rename("club_settings_away", "club_settings")

# the retry, with the table back, gets the club's real verdicts
t.like(post("ann@example.com", 1).text, r"^250 2\.0\.0 .*held",
       "table back: the member's post is held (moderation = all)")
t.like(post("eve@example.net", 2).text, r"^550 5\.7\.1 ",
       "and the stranger's is rejected (nonmember = reject)")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
t.done()
