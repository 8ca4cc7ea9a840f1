#!/usr/bin/env python3
"""join_to_relay - issue 9's first scenario as one story, over LMTP with
the capture relay, in English (club acme) and in French (club cercle):
a newcomer writes to CLUB+subscribe@, gets the confirmation, replies to
it as a mail client would, gets the welcome (which asks for an
introduction), posts to the club, the post is held, every animator gets
exactly one moderation notice, one animator answers "ok" ("oui") to the
notice's Reply-To with the notice quoted, the post is relayed to every
member with List-Id and a personal List-Unsubscribe, and the
newcomer's second post is relayed without being held."""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controllib as C  # noqa: E402
import lmtplib as L  # noqa: E402

t = L.Tap()
D = C.D
d = C.daemon()

STORIES = [
    dict(club="acme", title="Acme Club", lang="en", yes="ok",
         confirm=r"Please confirm", welcome=r"Welcome",
         prompts=["Who you are", "looking for", "can offer"],
         held=r"Held for moderation"),
    dict(club="cercle", title="Le Cercle", lang="fr", yes="oui",
         confirm=r"Merci de confirmer", welcome=r"Bienvenue",
         prompts=["Qui vous êtes", "vous cherchez", "pouvez apporter"],
         held=r"En attente de modération"),
]
for s in STORIES:
    c = s["club"]
    d.ctl("club", "create", c, "--title", s["title"], "--lang", s["lang"],
          check=True)
    s["animators"] = ["anna@%s.example" % c, "alex@%s.example" % c]
    s["old"] = ["kim@%s.example" % c, "lou@%s.example" % c]
    for a in s["animators"]:
        d.ctl("member", "add", c, a, "--role", "animator", check=True)
    for m in s["old"]:
        d.ctl("member", "add", c, m, check=True)
        d.ctl("member", "set", c, m, "moderated", "no", check=True)
d.start()
box = C.Box(d)


def reply_quoting(out, frm, top):
    """frm answers a captured mail as a mail client would: to its
    Reply-To, In-Reply-To set, TOP above the quoted original."""
    body = (top + "\n\nOn Mon, 10 Mar 2025, %s wrote:\n" % out.msg["From"] +
            "".join("> " + ln + "\n" for ln in out.text.splitlines()))
    extra = "In-Reply-To: %s\r\n" % out.msg["Message-ID"]
    return C.send(d, frm, out.reply_to, "Re: " + out.subject, body, extra)


def post(s, mid, subject, body):
    """The newcomer posts to the club; the LMTP reply after DATA."""
    to = "%s@%s" % (s["club"], D)
    raw = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\n"
           "Date: Mon, 10 Mar 2025 09:00:00 +0100\r\n\r\n%s\r\n"
           % (s["who"], to, subject, mid, body)).encode()
    return d.deliver(to, raw, s["who"])


def check_copies(s, got, mid, what):
    """Every member got exactly one copy of mid, with the list headers."""
    c = s["club"]
    members = sorted(s["animators"] + s["old"] + [s["who"]])
    copies = [m for m in got if m.msg["Message-ID"] == mid]
    t.is_(sorted(m.to for m in copies), members,
          "%s: %s relayed once to every member" % (s["lang"], what))
    t.ok(copies and all(str(m.msg["List-Id"]) ==
                        '"%s" <%s.%s>' % (s["title"], c, D) for m in copies),
         "%s: %s copies carry List-Id" % (s["lang"], what))
    unsubs = [str(m.msg["List-Unsubscribe"] or "") for m in copies]
    pat = r"^<mailto:%s\+unsub-[0-9a-z.]+@%s>$" % (c, re.escape(D))
    t.ok(copies and all(re.match(pat, u) for u in unsubs),
         "%s: %s copies carry a mailto List-Unsubscribe" % (s["lang"], what))
    t.is_(len(set(unsubs)), len(copies),
          "%s: each copy's unsubscribe token is its member's own"
          % s["lang"])
    t.ok(copies and all(("[%s]" % c) in m.subject for m in copies),
         "%s: %s copies have the subject prefix" % (s["lang"], what))
    return copies


for s in STORIES:
    c, lang = s["club"], s["lang"]
    who = s["who"] = "newcomer@%s-home.example" % c

    # 1. subscribe: one confirmation, to the newcomer only
    r = C.send(d, who, c + "+subscribe", "join", "Hello, I'd like to join")
    t.is_(r.code, 250, "%s: CLUB+subscribe@ accepted" % lang)
    got = box.new()
    t.is_([m.to for m in got], [who], "%s: one confirmation, to the "
          "newcomer" % lang)
    conf = got[0] if got else None
    t.like(conf.subject if conf else "", s["confirm"],
           "%s: the confirmation is in the club's language" % lang)
    t.like(conf.reply_to if conf else "",
           r"^%s\+confirm-[0-9a-z.]+@%s$" % (c, re.escape(D)),
           "%s: its Reply-To is a confirm token" % lang)
    t.is_(C.member(d, who, c), None, "%s: not a member yet" % lang)

    # 2. the reply makes a moderated member and brings the welcome
    r = reply_quoting(conf, who, "Yes, that was me.") if conf else None
    t.is_(r.code if r else 0, 250, "%s: the reply is accepted" % lang)
    m = C.member(d, who, c)
    t.ok(m is not None and m["role"] == "member" and m["moderated"] == 1,
         "%s: a member now, moderated as every newcomer" % lang)
    got = box.new()
    t.is_([x.to for x in got], [who], "%s: one welcome, to the newcomer"
          % lang)
    w = got[0] if got else None
    t.like(w.subject if w else "", s["welcome"], "%s: the welcome" % lang)
    text = C.words(w.text if w else "")
    t.ok(all(p in text for p in s["prompts"]),
         "%s: it asks for an introduction (who, looking for, can offer)"
         % lang)
    t.ok("%s@%s" % (c, D) in text and "%s+request@%s" % (c, D) in text,
         "%s: it names the club and the command addresses" % lang)

    # 3. the introduction is held; each animator gets exactly one notice
    mid = "<intro-%s@%s-home.example>" % (lang, c)
    r = post(s, mid, "Hello from the newcomer",
             "I run a bakery and look for a bookkeeper.")
    t.like(r.text if r else "", r"held", "%s: the first post is held" % lang)
    got = box.new()
    t.is_(sorted(x.to for x in got), sorted(s["animators"]),
          "%s: exactly one notice per animator, nothing to anyone else"
          % lang)
    t.ok(got and all(re.search(s["held"], x.subject) for x in got),
         "%s: the notices are in the club's language" % lang)
    t.ok(got and all(x.attached is not None and
                     x.attached["Message-ID"] == mid for x in got),
         "%s: the held post is attached to each notice" % lang)
    t.ok(got and all(re.match(r"^%s\+mod-[0-9a-z.]+@" % c, x.reply_to)
                     for x in got),
         "%s: each notice's Reply-To is a mod token" % lang)
    t.is_(d.sql1("SELECT status FROM messages WHERE message_id = ? AND "
                 "role = 'post'", (mid,)), "held", "%s: stored as held"
          % lang)
    notice = [x for x in got if x.to == s["animators"][0]]

    # 4. the first animator says "ok"/"oui" on top of the quoted notice
    r = reply_quoting(notice[0], s["animators"][0], s["yes"].capitalize() +
                      ", welcome!") if notice else None
    t.like(r.text if r else "", r"mod: approved",
           "%s: \"%s\" approves" % (lang, s["yes"]))
    got = box.new()
    check_copies(s, got, mid, "the approved post")
    others = [x for x in got if x.msg["Message-ID"] != mid]
    t.is_([x.to for x in others], [s["animators"][0]],
          "%s: besides the copies, one confirmation to the animator" % lang)
    t.is_(d.sql1("SELECT decided_by FROM messages WHERE message_id = ? AND "
                 "role = 'post'", (mid,)), s["animators"][0],
          "%s: decided by that animator" % lang)
    t.is_(C.member(d, who, c)["moderated"], 0,
          "%s: approving the first post unmoderated the newcomer" % lang)

    # 5. the second post goes straight through
    mid2 = "<second-%s@%s-home.example>" % (lang, c)
    r = post(s, mid2, "A second word", "Anyone for coffee?")
    t.like(r.text if r else "", r"accepted",
           "%s: the second post is accepted, not held" % lang)
    got = box.new()
    check_copies(s, got, mid2, "the second post")
    t.is_([x.to for x in got if x.msg["Message-ID"] != mid2], [],
          "%s: and no notice to the animators" % lang)

d.stop()
t.done()
