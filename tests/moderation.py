#!/usr/bin/env python3
"""moderation - animators moderate by replying (SPEC 6, 7), over LMTP
with the capture relay, time moved with MLISTD_NOW across restarts.

A newcomer's post is held: every animator gets exactly one notice with
the reasons in words, the post attached as message/rfc822 and Reply-To
acme+mod-TOKEN@.  An animator's "ok" quoting the notice relays the post
and unmoderates the newcomer; a second decision (another animator, or
the same token replayed) is told "already decided by X" and changes
nothing; a rejection with a reason reaches the author; an empty reply or
an unknown word decides nothing and is answered with the words
understood; an auto-reply to the token is neither acted on nor answered;
a tampered token is refused at RCPT; a member who is no longer an
animator is refused; a hostile Subject stays text in the notice.  The
same in French ("oui"; "Refusé : motif" tells the author why, in
French).  14 days later, held
posts expire with a notice to their member author (none to a stranger
nor for an auto-reply), and an expired token changes nothing and gets a
clear reply.  mlistctl held reject tells the author too.  Moderation
notices, which carry a copy of the post, are purged 30 days later.
"""

import os
import re
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN
T0 = 1894010400  # 2030-01-07T10:00:00Z
DAY = 86400
os.environ["MLISTD_NOW"] = L.rfc3339(T0)
d = L.Daemon(extra=["templates = " + os.path.join(L.tests_dir(), "..",
                                                  "templates")])
d.ctl("club", "create", "acme", "--title", "Acme Club", check=True)
d.ctl("club", "create", "tribu", "--title", "La Tribu", "--lang", "fr",
      check=True)
for c, a, role in (("acme", "anna@example.com", "animator"),
                   ("acme", "alex@example.com", "animator"),
                   ("acme", "kim@example.com", "member"),
                   ("acme", "newt@example.com", "member"),
                   ("acme", "nora@example.com", "member"),
                   ("tribu", "amelie@example.fr", "animator"),
                   ("tribu", "noe@example.fr", "member")):
    d.ctl("member", "add", c, a, "--role", role, check=True)
d.ctl("member", "set", "acme", "kim@example.com", "moderated", "no",
      check=True)
d.start()
n = [0]
seen = [0]   # outbox pairs already looked at


def post(frm, subject, club="acme", extra=b"", body=b"Hello everyone\r\n"):
    n[0] += 1
    mid = "<mod%d@example.com>" % n[0]
    raw = (b"From: " + frm.encode() + b"\r\nTo: " + club.encode() + b"@" +
           D.encode() + b"\r\nSubject: " + subject.encode("utf-8") +
           b"\r\nMessage-ID: " + mid.encode() + b"\r\n" + extra +
           b"\r\n" + body)
    return mid, d.deliver(club + "@" + D, raw, "env@example.net")


def scheduled(m):
    """The scheduler's mail (digests, weekly reports, newcomer alerts),
    which a jump of 15 days brings, and which this test is not about."""
    subject = str(m["Subject"] or "")
    return (str(m["Message-ID"] or "").startswith("<notice.") and
            (m["List-Unsubscribe"] is not None or
             subject.endswith(("Weekly report", "Rapport de la semaine")) or
             "newcomer is waiting" in subject or
             "nouveau membre attend" in subject))


def new_mail():
    """Outbox messages since the last call: [(rcpt, parsed message)],
    but the scheduler's."""
    out, seen[0] = L.outbox_since(d, seen[0])
    return [(r_, m) for r_, m in out if not scheduled(m)]


text_of = L.mail_body


def answer(to, desc):
    """The text of the one new mail, which must go to `to`"""
    mail = new_mail()
    t.is_([r_ for r_, _ in mail], [to], desc)
    return text_of(mail[0][1]) if mail else ""


def html_of(m):
    return L.mail_body(m, "html")


def reply(notice, frm, body, extra=b"", quote=True, rcpt=None):
    """frm answers notice (a parsed message) as a mail client would:
    body on top, the notice quoted below"""
    n[0] += 1
    to = rcpt or re.sub(r"^<|>$", "", notice["Reply-To"])
    text = body
    if quote:
        text += ("\r\n\r\nOn Mon, 7 Jan 2030, %s wrote:\r\n" % notice["From"]
                 + "".join("> " + ln + "\r\n"
                           for ln in text_of(notice).splitlines()))
    raw = ("From: %s\r\nTo: %s\r\nSubject: Re: %s\r\nIn-Reply-To: %s\r\n"
           "Message-ID: <r%d@example.com>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           % (frm, to, notice["Subject"], notice["Message-ID"], n[0])
           ).encode("utf-8") + extra + b"\r\n" + text.encode("utf-8")
    return d.deliver(to, raw, re.sub(r".*<|>", "", frm))


def status(mid):
    return d.sql("SELECT status, reasons, decided_by FROM messages WHERE "
                 "message_id = ? AND role = 'post'", (mid,))


def copies(mail, mid):
    return sorted(r for r, m in mail if m["Message-ID"] == mid)


# -- a newcomer's post: one notice per animator
mid, r = post("Newt <newt@example.com>", "First post")
t.like(r.text, r"held \(newcomer\)", "a newcomer's first post is held")
mail = new_mail()
t.is_(sorted(r for r, _ in mail), ["alex@example.com", "anna@example.com"],
      "each animator gets exactly one notice, nobody else anything")
notices = dict(mail)
nt = notices["anna@example.com"]
t.like(nt["Subject"], r"^\[Acme Club\] Held for moderation: First post$",
       "the notice's subject names the post")
t.like(nt["Reply-To"], r"^<?acme\+mod-[a-z0-9.]+@" + re.escape(D) + ">?$",
       "Reply-To: acme+mod-TOKEN@")
t.ok(nt["Reply-To"] != notices["alex@example.com"]["Reply-To"],
     "each animator has a token of their own")
t.is_(nt.get_content_type(), "multipart/mixed", "multipart/mixed")
parts = list(nt.iter_parts())
t.is_([p.get_content_type() for p in parts],
      ["multipart/alternative", "message/rfc822"],
      "the text and HTML alternative, then the post as message/rfc822")
att = parts[1].get_content()
t.is_((att["Message-ID"], att["Subject"]), (mid, "First post"),
      "the attached message is the held post")
t.like(text_of(nt), r"reply \"ok\".*reply \"no\" followed by the\s+reason",
       "one-line instructions first")
t.like(text_of(nt), r"the author is a new member",
       "the reason in words")
t.ok("<li>" in html_of(nt) and "new member" in html_of(nt),
     "and an HTML part from the same template")
t.is_(nt["Auto-Submitted"], "auto-generated", "marked auto-generated")

# -- "ok" on top of the quoted notice approves
r = reply(nt, "Anna <anna@example.com>", "OK, welcome Newt!")
t.like(r.text, r"mod: approved", "the animator's \"ok\" approves")
mail = new_mail()
t.is_(copies(mail, mid), ["alex@example.com", "anna@example.com",
                          "kim@example.com", "newt@example.com",
                          "nora@example.com"],
      "the post is relayed to every member")
conf = [m for r_, m in mail if r_ == "anna@example.com" and
        m["Message-ID"] != mid]
t.is_(len(conf), 1, "the animator gets one confirmation")
t.like(text_of(conf[0]) if conf else "", r"^Approved: .First post. from "
       r"newt@example\.com is on its way", "saying what was done")
t.is_(status(mid), [("accepted", '["newcomer"]', "anna@example.com")],
      "accepted, decided by the animator")
mid2, r = post("newt@example.com", "Second post")
t.like(r.text, r"accepted, copies queued",
       "the approved newcomer's next post is not held")
new_mail()

# -- a second decision, and a replayed token
r = reply(notices["alex@example.com"], "alex@example.com", "no spam")
t.like(r.text, r"mod: already decided", "a second animator is too late")
t.like(answer("alex@example.com", "and is told so"),
       r"Already decided: .First post. was approved by\s+anna@example\.com",
       "\"already decided by X (approved at T)\"")
r = reply(nt, "anna@example.com", "reject")
t.like(r.text, r"mod: already decided", "a replayed token decides nothing")
t.is_(status(mid)[0][0], "accepted", "the first decision stands")
new_mail()

# -- reject with a reason: the author is told, in the club's language
mid, r = post("Out Sider <out@example.org>", "Cheap watches")
nt = dict(new_mail())["alex@example.com"]
t.like(text_of(nt), r"not a member", "a stranger's post: notice says so")
r = reply(nt, "alex@example.com",
          "reject: Off-topic here.\r\nPlease use the jobs board.")
t.like(r.text, r"mod: rejected", "\"reject: reason\" rejects")
t.is_(status(mid), [("rejected",
                     '["nonmember","rejected: Off-topic here. Please use '
                     'the jobs board."]', "alex@example.com")],
      "rejected by alex, the reason kept")
mail = dict(new_mail())
t.is_(sorted(mail), ["alex@example.com", "out@example.org"],
      "the author and the deciding animator get one mail each")
au = mail.get("out@example.org")
t.like(au["Subject"] if au else "", r"Your message was not sent: Cheap watches",
       "the author's notice (held-rejected)")
t.like(text_of(au) if au else "",
       r"reason: Off-topic here\. Please use the jobs board\.",
       "with the animator's reason")

# -- an empty reply and an unknown word decide nothing
mid, r = post("nora@example.com", "Hello from Nora")
notices = dict(new_mail())
nt = notices["anna@example.com"]
r = reply(nt, "anna@example.com", "")
t.like(r.text, r"mod: no decision", "an empty reply is no decision")
t.like(answer("anna@example.com", "it is answered"),
       r"(?s)no text of its own.*ok.*approve.*no.*reject",
       "with the words understood")
r = reply(nt, "anna@example.com", "maybe later")
t.like(r.text, r"mod: no decision", "an unknown word is no decision")
t.like(answer("anna@example.com", "the unknown word is answered"),
       r".maybe. is not a word we",
       "the answer names the word")
t.is_(status(mid)[0][0], "held", "the post is still held")

# -- robots, forged tokens, former animators
r = reply(nt, "anna@example.com", "ok",
          extra=b"Auto-Submitted: auto-replied\r\n")
t.like(r.text, r"auto-reply ignored", "an auto-reply to mod- is ignored")
t.is_(new_mail(), [], "and never answered")
t.is_(status(mid)[0][0], "held", "nor acted on")
to = re.sub(r"^<|>$", "", nt["Reply-To"])
local = to.split("@")[0]
bad = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + D
with d.client() as c:
    c.reply()
    c.lhlo()
    c.cmd("MAIL FROM:<anna@example.com>")
    rr = c.cmd("RCPT TO:<%s>" % bad)
t.like(rr.text, r"^550 5\.1\.1", "a tampered mod token: 550 5.1.1 at RCPT")
d.ctl("member", "set", "acme", "alex@example.com", "role", "member",
      check=True)
r = reply(notices["alex@example.com"], "alex@example.com", "ok")
t.like(r.text, r"refused, not an animator",
       "a member no longer animator is refused")
t.like(answer("alex@example.com", "the former animator is answered"),
       r"no longer an animator",
       "and told so")
t.is_(status(mid)[0][0], "held", "nothing changed")
held_nora = mid

# -- the same in French
mid, r = post("Noé <noe@example.fr>", "Bonjour à tous", club="tribu")
mail = new_mail()
t.is_([r_ for r_, _ in mail], ["amelie@example.fr"], "French club: one notice")
nt = mail[0][1]
t.like(nt["Subject"], r"^\[La Tribu\] En attente de modération : Bonjour",
       "in French")
t.like(text_of(nt), r"l’auteur est un nouveau membre", "reasons in French")
t.like(nt["Reply-To"], r"tribu\+mod-", "Reply-To: tribu+mod-TOKEN@")
r = reply(nt, "amelie@example.fr", "Oui")
t.like(r.text, r"mod: approved", "\"Oui\" approves")
mail = new_mail()
t.is_(copies(mail, mid), ["amelie@example.fr", "noe@example.fr"],
      "the post is relayed")
conf = [m for r_, m in mail if m["Message-ID"] != mid]
t.like(text_of(conf[0]) if conf else "", r"^Accepté", "confirmed in French")
mid, r = post("noe@example.fr", "Encore", club="tribu")
t.like(r.text, r"accepted", "the newcomer is unmoderated")
new_mail()
# a rejection tells the author why, in French ("Refusé", a participle)
d.ctl("member", "set", "tribu", "noe@example.fr", "moderated", "yes",
      check=True)
mid, r = post("noe@example.fr", "Vends montres", club="tribu")
nt = dict(new_mail()).get("amelie@example.fr")
r = reply(nt, "amelie@example.fr", "Refusé : hors sujet ici.") if nt else None
t.like(r.text if r else "", r"mod: rejected", "\"Refusé : motif\" rejects")
au = dict(new_mail()).get("noe@example.fr")
t.like(au["Subject"] if au else "",
       r"^\[La Tribu\] Votre message n’a pas été diffusé : Vends montres",
       "the author is told in French")
t.like(re.sub(r"\s+", " ", text_of(au)) if au else "",
       r"Le motif de l’animateur\s*: hors sujet ici\.", "with the reason")

# -- a hostile subject stays text in the notice
mid, r = post("x@example.net", "=?utf-8?q?Hi=0D=0ABcc=3A_evil=40example=2Enet"
              "_<script>alert(1)</script>?=")
mail = new_mail()
nt = mail[0][1] if mail else None
t.ok(nt is not None and nt["Bcc"] is None and
     "\n" not in str(nt["Subject"]) and "<script>" in str(nt["Subject"]),
     "a newline in the subject does not break the notice's header")
t.ok(nt is not None and "&lt;script&gt;" in html_of(nt) and
     "<script>" not in html_of(nt), "<script> is escaped in the HTML part")
# 8-bit text, a would-be boundary and a bare LF in the held post
mid, r = post("x@example.net", "Caf\u00e9", body="Caf\u00e9 cr\u00e8me\n"
              "--=_mlistd_alt_1\r\n--=_mlistd_0123456789abcdef01234567--\r\n"
              "end\r\n".encode("utf-8"))
mail = new_mail()
nt = mail[0][1] if mail else None
parts = list(nt.iter_parts()) if nt else []
att = parts[1] if len(parts) == 2 else None
t.ok(att is not None and att.get_content_type() == "message/rfc822" and
     att["Content-Transfer-Encoding"] == "8bit" and
     b"Caf\xc3\xa9 cr\xc3\xa8me\r\n--=_mlistd_alt_1\r\n" in nt.raw and
     re.search(rb"\r\nend\r\n--=_mlistd_[0-9a-f]{24}--\r\n$", nt.raw),
     "an 8-bit post with boundary-like lines is attached whole, 8bit, CRLF")

# -- mlistctl held reject tells the author too
d.ctl("member", "add", "acme", "nell@example.com", check=True)
mid, r = post("nell@example.com", "Promo")
new_mail()
hid = d.sql1("SELECT id FROM messages WHERE message_id = ? AND role = 'post'",
             (mid,))
r = d.ctl("held", "reject", str(hid), "--reason", "No ads, please")
t.is_(r.returncode, 0, "mlistctl held reject --reason")
mail = dict(new_mail())
t.like(text_of(mail["nell@example.com"]) if "nell@example.com" in mail
       else "", r"reason: No ads, please", "the author gets the reason")
t.is_(status(mid)[0][2], "admin", "decided by admin")
r = d.ctl("held", "approve", str(hid))
t.like(r.stderr, r"no longer held \(rejected\), decided by admin",
       "mlistctl says who decided first")

# -- 14 days later: expiry, and an expired token
mid_auto, r = post("kim@example.com", "Out of office",
                   extra=b"Auto-Submitted: auto-replied\r\n")
t.like(r.text, r"held \(auto\)", "an auto-reply is held")
mid_out, r = post("spam@example.net", "Spam")
mail = new_mail()
t.is_(sorted(r_ for r_, _ in mail), ["anna@example.com"],
      "an auto-reply gets no notice, a stranger's post does")
d.stop()
os.environ["MLISTD_NOW"] = L.rfc3339(T0 + 15 * DAY)
d.start()
deadline = time.monotonic() + 20
while time.monotonic() < deadline and status(mid_out)[0][0] == "held":
    time.sleep(0.1)
t.is_([status(m)[0][0] for m in (held_nora, mid_auto, mid_out)],
      ["expired"] * 3, "held posts expire after 14 days")
mail = new_mail()
t.is_([r_ for r_, _ in mail], ["nora@example.com"],
      "only the member author is told (no auto, no stranger)")
t.like(mail[0][1]["Subject"] if mail else "",
       r"Your message expired: Hello from Nora", "held-expired")
r = reply(notices["anna@example.com"], "anna@example.com", "ok")
t.like(r.text, r"mod: token expired", "an expired token is accepted")
t.is_(status(held_nora)[0][0], "expired", "and changes nothing")
t.like(answer("anna@example.com", "the late animator is answered"),
       r"(?s)has expired.*has expired.*mlistctl held approve \d+",
       "the answer says so, what became of the post, and what to do")
# -- 30 days on, the notices carrying a copy of a held post are purged
d.stop()
os.environ["MLISTD_NOW"] = L.rfc3339(T0 + 46 * DAY)
d.start()
deadline = time.monotonic() + 20
while time.monotonic() < deadline and d.sql1(
        "SELECT count(*) FROM messages WHERE role = 'notice' AND "
        "arg = 'original'"):
    time.sleep(0.1)
t.is_(d.sql1("SELECT count(*) FROM messages WHERE role = 'notice' AND "
             "arg = 'original'"), 0,
      "moderation notices (a copy of the post) are purged after 30 days")
t.ok(d.sql1("SELECT count(*) FROM messages WHERE role = 'notice'") > 0,
     "other notices stay")
t.ok(d.running(), "mlistd still running")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
t.done()
