#!/usr/bin/env python3
"""control_guide - the README's "For members" guide, followed literally:
every ```mail block is sent as written (its To: is the LMTP recipient)
and what the guide says happens is checked: joining takes one reply to
the confirmation and brings the welcome; the introduction is held for an
animator; the delivery commands are confirmed by one reply and applied;
the invited peer gets a confirmation naming the member and joins,
credited to them."""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controllib as C  # noqa: E402
import lmtplib as L  # noqa: E402

t = L.Tap()
readme = os.path.join(L.tests_dir(), "..", "README.md")
text = open(readme, encoding="utf-8").read()
guide = text[text.index("## For members"):]
guide = guide[:guide.index("\n## ", 5)]
blocks = dict(re.findall(r"```mail (\w+)\n(.*?)```", guide, re.S))
t.is_(sorted(blocks), ["delivery", "introduce", "invite", "join"],
      "the guide has its four example mails")

d = C.daemon()
d.ctl("club", "create", "acme", "--title", "Acme Club", check=True)
d.ctl("member", "add", "acme", "anim@example.com", "--role", "animator",
      check=True)
d.start()
box = C.Box(d)
CLAIRE = "claire@example.net"


def send(name):
    raw = blocks.get(name, "From: x@example.net\nTo: acme@x\n\n")
    to = re.search(r"^To: (\S+)", raw, re.M).group(1)
    frm = re.search(r"^From: .*<(\S+)>", raw, re.M).group(1)
    return d.deliver(to, raw.replace("\n", "\r\n").encode(), frm)


send("join")
got = box.new()
t.ok(len(got) == 1 and got[0].to == CLAIRE and
     "Please confirm your request" in got[0].subject,
     "join: the club answers \"Please confirm your request\"")
if got:
    C.confirm_reply(d, got[0])
t.ok(C.member(d, CLAIRE) is not None, "join: one reply makes a member")
got = box.new()
t.ok(len(got) == 1 and "Welcome" in got[0].subject, "join: the welcome")
w = C.words(got[0].text) if got else ""
t.ok("what your company does" in w and "looking for" in w and
     "can offer" in w, "the welcome asks for the three things")

r = send("introduce")
t.like(r.text, "held", "introduce: the first post waits for an animator")
t.ok(d.ctl("held", "list", "acme").stdout.count("Hello from Claire") == 1,
     "introduce: it is in the held list")
t.is_([x.to for x in box.new()], ["anim@example.com"],
      "introduce: the animator is asked to decide")

send("delivery")
got = box.new()
t.ok(len(got) == 1 and "to be confirmed" in got[0].text,
     "delivery: one reply says what will be done")
m = C.member(d, CLAIRE)
t.is_((m["delivery"], m["highlights"]), ("each", "weekly"),
      "delivery: nothing changes before the confirmation")
if got:
    C.confirm_reply(d, got[0])
m = C.member(d, CLAIRE)
t.is_((m["delivery"], m["highlights"], m["profile"]),
      ("digest", "daily", "Bakery in Rennes, can help with local suppliers"),
      "delivery: the reply applies them all")
t.is_(len(box.new()), 1, "delivery: one reply says it is done")

send("invite")
got = box.new()
if got:
    C.confirm_reply(d, got[0])
got = box.new()
guest = [x for x in got if x.to == "marc@example.com"]
t.ok(guest and CLAIRE in guest[0].text, "invite: the guest is told who "
     "invited them")
if guest:
    C.confirm_reply(d, guest[0])
m = C.member(d, "marc@example.com")
t.ok(m is not None and m["invited_by"] == CLAIRE,
     "invite: the guest joined, credited to the member")
d.stop()
t.done()
