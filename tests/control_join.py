#!/usr/bin/env python3
"""control_join - a newcomer joins by mail, in English and in French
(SPEC 4, 6; DIGEST 1.7): acme+subscribe@ gets a confirmation whose
Reply-To is a confirm token; replying to it (quoted text and all) makes
the address a member and brings the welcome, which asks for an
introduction with three prompts; the newcomer's first post is held.
acme+unsubscribe@ confirmed by reply removes the member with a goodbye;
acme+unsub-TOKEN@ from a relayed copy's List-Unsubscribe removes at once.
Policies: closed and invite refuse politely, approve asks the animators,
whose reply to their notice admits the newcomer.  acme+owner@ reaches
the animators with the original attached.  A local template
(templates_local) overrides the shipped one for its language only.  No
control mail is relayed to the club."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controllib as C  # noqa: E402
import lmtplib as L  # noqa: E402

t = L.Tap()
D = C.D
# an admin's local template: a French help of its own (SPEC 10)
local = L.mkdtemp()
os.mkdir(os.path.join(local, "fr"))
with open(os.path.join(local, "fr", "help.html"), "w") as f:
    f.write('<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
            '<title>Aide locale</title></head><body><p>Aide du club '
            '<span data-var="club_title">X</span> : voir le site.</p>'
            '</body></html>\n')
d = C.daemon(["templates_local = " + local])
C.two_clubs(d)
for club in ("acme", "cercle"):
    d.ctl("member", "add", club, "old@example.com", check=True)
    d.ctl("member", "set", club, "old@example.com", "moderated", "no",
          check=True)
d.start()
box = C.Box(d)

LANGS = [
    ("acme", "en", "Please confirm", "Welcome",
     ["Who you are", "looking for", "can offer"], "left the club"),
    ("cercle", "fr", "Merci de confirmer", "Bienvenue",
     ["Qui vous êtes", "vous cherchez", "pouvez apporter"],
     "quitté le club"),
]

for club, lang, confirm_word, welcome_word, prompts, bye in LANGS:
    who = "newcomer-%s@example.net" % lang
    r = C.send(d, who, club + "+subscribe", "join", "Hello, I'd like to join")
    t.is_(r.code, 250, "%s: subscribe accepted" % lang)
    got = box.new()
    t.is_([m.to for m in got], [who], "%s: one mail, to the newcomer" % lang)
    conf = got[0] if got else None
    t.like(conf.subject if conf else "", confirm_word,
           "%s: the confirmation is in the club's language" % lang)
    t.like(conf.reply_to if conf else "",
           r"^%s\+confirm-q\.[0-9a-z]+\.[0-9a-z]+\.[a-z2-7]{12}@" % club,
           "%s: its Reply-To is a confirm token" % lang)
    t.ok(conf and len(C.token_local(conf.reply_to)) <= 64,
         "%s: the token fits a local part" % lang)
    t.ok(conf and conf.reply_to in conf.text and conf.reply_to in conf.html,
         "%s: text and HTML parts name the confirm address" % lang)
    t.is_(C.member(d, who, club), None, "%s: not a member yet" % lang)

    r = C.confirm_reply(d, conf)
    t.is_(r.code, 250, "%s: the reply to the confirmation is accepted" % lang)
    m = C.member(d, who, club)
    t.ok(m is not None and m["role"] == "member" and m["moderated"] == 1,
         "%s: the address is a (moderated) member" % lang)
    got = box.new()
    t.is_([x.to for x in got], [who], "%s: one welcome mail" % lang)
    w = got[0] if got else None
    t.like(w.subject if w else "", welcome_word, "%s: welcome subject" % lang)
    text = C.words(w.text if w else "")
    t.ok(all(p in text for p in prompts),
         "%s: the welcome has the three introduction prompts" % lang)
    t.ok("%s@%s" % (club, D) in text and
         "%s+request@%s" % (club, D) in text,
         "%s: it names the club and command addresses" % lang)

    r = L.post(d, who, "<intro-%s@example.net>" % lang, "Hello",
               b"I run a bakery\r\n", rcpt="%s@%s" % (club, D))
    t.like(r.text if r else "", "held", "%s: the first post is held" % lang)
    # the animator's moderation notice, and no copy to anyone
    t.is_([x.to for x in box.new()], ["anim@example.com"],
          "%s: nothing relayed for a held post, the animator is told" % lang)

    # replaying the confirmation changes nothing and says so
    d.ctl("member", "remove", club, who, check=True)
    C.confirm_reply(d, conf)
    t.is_(C.member(d, who, club), None, "%s: a replayed token adds nobody"
          % lang)
    got = box.new()
    t.is_(len(got), 1, "%s: the replay gets one answer" % lang)
    t.ok(got and conf.reply_to not in got[0].text and
         "%s+subscribe@" % club in got[0].text,
         "%s: it says how to start again" % lang)
    d.ctl("member", "add", club, who, check=True)

    # leaving by mail: a confirmation, then the goodbye
    C.send(d, who, club + "+unsubscribe", "bye")
    got = box.new()
    t.is_([x.to for x in got], [who], "%s: unsubscribe asks to confirm"
          % lang)
    t.ok(C.member(d, who, club) is not None, "%s: still a member meanwhile"
         % lang)
    if got:
        C.confirm_reply(d, got[0])
    t.is_(C.member(d, who, club), None, "%s: gone once confirmed" % lang)
    got = box.new()
    t.ok(len(got) == 1 and bye in got[0].subject, "%s: the goodbye" % lang)

# one click: the List-Unsubscribe of a relayed copy
L.post(d, "old@example.com", "<p1@example.com>", "News")
copies = [m for m in box.new() if m.to == "old@example.com"]
lu = str(copies[0].msg["List-Unsubscribe"]) if copies else ""
unsub = lu[lu.find("<mailto:") + 8:lu.find(">")]
t.like(unsub, r"^acme\+unsub-", "a copy carries a mailto unsubscribe")
r = C.send(d, "old@example.com", unsub, "unsubscribe", "")
t.is_(r.code, 250, "the one-click unsubscribe is accepted")
t.is_(C.member(d, "old@example.com"), None, "removed without confirmation")
got = box.new()
t.ok(len(got) == 1 and "left the club" in got[0].subject,
     "and told so once")
d.ctl("member", "add", "acme", "old@example.com", check=True)

# policies
d.ctl("club", "set", "acme", "policy", "closed", check=True)
C.send(d, "closed@example.net", "acme+subscribe", "join")
got = box.new()
t.ok(len(got) == 1 and "not taking new members" in C.words(got[0].text),
     "closed: a polite refusal")
t.is_(d.sql1("SELECT count(*) FROM pending WHERE address = ?",
             ("closed@example.net",)), 0, "closed: nothing pending")
d.ctl("club", "set", "acme", "policy", "invite", check=True)
C.send(d, "stranger@example.net", "acme+subscribe", "join")
got = box.new()
t.ok(len(got) == 1 and "by invitation" in C.words(got[0].text),
     "invite: refused without an invitation")

d.ctl("club", "set", "acme", "policy", "approve", check=True)
C.send(d, "wants@example.net", "acme+subscribe", "join")
got = box.new()
C.confirm_reply(d, got[0])
got = box.new()
anim = [x for x in got if x.to == "anim@example.com"]
asker = [x for x in got if x.to == "wants@example.net"]
t.is_(len(anim), 1, "approve: the animator is asked once the address "
      "confirmed")
t.ok(asker and "animators" in asker[0].text, "approve: the asker is told")
t.is_(C.member(d, "wants@example.net"), None, "approve: not a member yet")
if anim:
    C.confirm_reply(d, anim[0], frm="anim@example.com")
t.ok(C.member(d, "wants@example.net") is not None,
     "approve: the animator's reply admits the newcomer")
got = box.new()
t.ok([x.to for x in got] == ["wants@example.net"] and
     "introduce yourself" in got[0].text, "approve: the welcome follows")
d.ctl("club", "set", "acme", "policy", "confirm", check=True)

# acme+owner@
r = C.send(d, "visitor@example.net", "acme+owner", "A question",
           "Can my company join?")
got = box.new()
t.is_([x.to for x in got], ["anim@example.com"], "owner: to the animators")
t.ok(got and got[0].attached is not None and
     "Can my company join?" in got[0].attached.get_content(),
     "owner: the original is attached")
t.ok(got and got[0].reply_to == "visitor@example.net",
     "owner: replying answers the sender")

big = "A long letter.\n" + ("x" * 70 + "\n") * 16000
C.send(d, "writer@example.net", "acme+owner", "Big", big)
got = box.new()
t.ok(len(got) == 1 and got[0].attached is None and
     "too large" in C.words(got[0].text) and len(got[0].raw) < 100000,
     "owner: over 1 MiB, forwarded without the original")

# a header-breaking newline in a value stays inside the subject
C.send(d, "visitor@example.net", "acme+owner",
       "=?utf-8?q?Hi=0D=0ABcc=3A_evil@example.com?=", "Hello")
got = box.new()
head = got[0].raw.split(b"\r\n\r\n", 1)[0] if got else b""
t.ok(got and not any(ln.lower().startswith(b"bcc:")
                     for ln in head.split(b"\r\n")),
     "owner: a newline in the subject cannot add a header")
t.ok(got and got[0].env["rcpt_to"] == ["anim@example.com"],
     "owner: the forward goes to the animators only")

# the local override wins for its language only; the rest is shipped
C.send(d, "curious@example.net", "cercle+help", "aide")
C.send(d, "curious@example.net", "acme+help", "help")
got = {x.to.split("@")[0] + x.subject: x for x in box.new()}
t.is_(sorted(got), ["curiousAide locale",
                    "curious[Acme Club] How the club works by email"],
      "help: the local French template, the shipped English one")
loc = got.get("curiousAide locale")
t.ok(loc and "Aide du club Cercle : voir le site." in C.words(loc.text) and
     "Aide du club" in loc.html, "the override renders to text and HTML")

# nothing sent to a control address ever reached the club
t.is_(d.sql1("SELECT count(*) FROM messages WHERE role NOT IN "
             "('post', 'reply', 'notice', 'answer') AND thread_id IS NOT "
             "NULL"), 0, "no control mail is threaded")
t.is_(d.sql1("SELECT count(*) FROM messages WHERE role = 'post' AND "
             "(subject = 'join' OR subject LIKE 'Re:%')"), 0,
      "no control mail was stored as a post")
d.stop()
t.done()
