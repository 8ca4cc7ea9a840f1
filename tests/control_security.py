#!/usr/bin/env python3
"""control_security - control by mail cannot be driven by a forger
(SPEC 4, 6): a forged From without a token changes nothing (the
confirmation goes to the real mailbox); a tampered token, or a valid one
moved to another request, is refused at RCPT with 550 5.1.1; an expired
or replayed confirmation changes nothing and gets a clear answer; 1,000
subscribe requests from forged addresses send at most one confirmation
per address per day and leave the database bounded: what they left is
purged (pending rows 30 days after expiry, control mail and answers
after 7 days)."""

import os
import re
import sqlite3
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controllib as C  # noqa: E402
import lmtplib as L  # noqa: E402

t = L.Tap()
D = C.D
T0 = 1894010400  # 2030-01-07T10:00:00Z
DAY = 86400
os.environ["MLISTD_NOW"] = L.rfc3339(T0)
d = C.daemon()
d.ctl("club", "create", "acme", check=True)
d.ctl("member", "add", "acme", "alice@example.org", check=True)
d.start()
box = C.Box(d)


def restart(ts):
    d.stop()
    os.environ["MLISTD_NOW"] = L.rfc3339(ts)
    d.start()


# a forger writes as Alice
r = C.send(d, "alice@example.org", "acme+request", "nomail",
           "unsubscribe\n", mail_from="mallory@evil.example")
t.is_(r.code, 250, "forged request accepted (it is answered, not obeyed)")
C.send(d, "alice@example.org", "acme+unsubscribe", "bye",
       mail_from="mallory@evil.example")
m = C.member(d, "alice@example.org")
t.ok(m is not None and m["delivery"] == "each",
     "forged From: Alice is still a member with delivery each")
got = box.new()
t.is_(sorted(x.to for x in got), ["alice@example.org"] * 2,
      "the answers go to Alice's own mailbox, none to the forger")
t.ok(all(re.match(r"acme\+confirm-q\.", x.reply_to) for x in got),
     "and only ask her to confirm")
req = [x for x in got if "nomail" in x.text]

# tampered tokens are refused during the SMTP session
good = req[0].reply_to if req else "acme+confirm-q.1.x.aaaaaaaaaaaa@" + D
local, dom = good.split("@")
head, mac = local.rsplit(".", 1)
flip = head + "." + ("b" if mac[0] != "b" else "c") + mac[1:] + "@" + dom
r = C.send(d, "alice@example.org", flip, "Re: confirm", "yes")
t.is_(r.code, 550, "a tampered MAC gets 550")
t.like(r.text, r"5\.1\.1", "with 5.1.1")
pid = re.match(r"acme\+confirm-q\.([0-9a-z]+)\.", local)
other = local.replace("q.%s." % pid.group(1),
                      "q.%s." % L.b36(int(pid.group(1), 36) + 1), 1) \
    if pid else local
r = C.send(d, "alice@example.org", other + "@" + dom, "Re: confirm", "yes")
t.is_(r.code, 550, "the MAC does not fit another request's address")
r = C.send(d, "alice@example.org", "acme+confirm-q.zz.1.abcdefghijkl@" + D,
           "Re", "yes")
t.is_(r.code, 550, "a token naming no request gets 550")
t.ok(C.member(d, "alice@example.org")["delivery"] == "each",
     "nothing changed")

# confirmed once: applied; replayed: nothing, and a clear answer
C.confirm_reply(d, req[0]) if req else None
m = C.member(d, "alice@example.org")
t.is_(m, None, "Alice's own confirmation applies both commands "
      "(nomail, then unsubscribe)")
got = box.new()
t.is_([x.to for x in got], ["alice@example.org"], "one reply for them")
d.ctl("member", "add", "acme", "alice@example.org", check=True)
if req:
    C.confirm_reply(d, req[0])
t.ok(C.member(d, "alice@example.org") is not None,
     "a replayed confirmation changes nothing")
got = box.new()
t.ok(len(got) == 1 and "already been used" in C.words(got[0].text),
     "and is answered: already used")

# expired: accepted at RCPT, answered, nothing done
C.send(d, "bob@example.net", "acme+subscribe", "join")
conf = box.new()
restart(T0 + 9 * DAY)
r = C.confirm_reply(d, conf[0]) if conf else None
t.is_(r.code if r else None, 250, "an expired confirmation is accepted")
t.is_(C.member(d, "bob@example.net"), None, "but joins nobody")
got = box.new()
t.ok(len(got) == 1 and "expired" in got[0].text and
     "acme+subscribe@" in got[0].text,
     "the answer says it expired and how to start again")

# a flood of forged subscribe requests: 250 addresses, 4 times each
N, K = 250, 4
pending0 = d.sql1("SELECT count(*) FROM pending")
with d.client() as c:
    c.reply()
    c.lhlo()
    for k in range(K):
        for i in range(N):
            to = "acme+subscribe@" + D
            raw = C.mail("victim%d@example.com" % i, to, "subscribe")
            _, rr, _, after = c.transaction("spammer@evil.example", [to],
                                            L.data_encode(raw)[0])
            if not after or after[0].code != 250:
                t.ok(False, "flood mail %d/%d accepted" % (k, i))
                break
got = box.new()
per = {}
for x in got:
    per[x.to] = per.get(x.to, 0) + 1
t.is_(len(got), N, "%d requests sent %d confirmations" % (N * K, N))
t.is_(max(per.values()) if per else 0, 1, "at most one per address")
# the MAC covers the address that asked: the same token for a request
# whose address changed is forged
v0 = [x for x in got if x.to == "victim0@example.com"]
if v0:
    pid = int(re.match(r"acme\+confirm-q\.([0-9a-z]+)\.", v0[0].reply_to)
              .group(1), 36)
    con = sqlite3.connect(d.db, timeout=30)
    con.execute("UPDATE pending SET address = 'mallory@evil.example' "
                "WHERE id = ?", (pid,))
    con.commit()
    con.close()
    r = C.confirm_reply(d, v0[0], frm="mallory@evil.example")
    t.is_(r.code, 550, "a token whose request names another address: 550")
    t.is_(C.member(d, "mallory@evil.example"), None, "nobody joined")
    box.new()
t.is_(d.sql1("SELECT count(*) FROM pending") - pending0, N,
      "one pending row per address, not per request")
restart(T0 + 10 * DAY + 3600)
C.send(d, "victim1@example.com", "acme+subscribe", "again")
t.is_(len(box.new()), 1, "a new day, a new confirmation")

# everything the flood left goes
restart(T0 + 60 * DAY)
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    left = d.sql1("SELECT (SELECT count(*) FROM pending) + (SELECT count(*) "
                  "FROM auto_replies) + (SELECT count(*) FROM messages WHERE "
                  "role NOT IN ('post', 'reply', 'notice'))")
    if left <= 1:
        break
    time.sleep(0.5)
t.ok(left <= 1, "pending rows, reply counts, control mail and answers are "
     "purged (left: %d, the newest message row is kept)" % left)
d.stop()
t.done()
