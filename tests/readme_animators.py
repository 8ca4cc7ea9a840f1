#!/usr/bin/env python3
"""readme_animators - the README's "For animators" guide, followed
literally.

The guide's notice (its ```text block) is compared with the notice a
real mlistd sends; each of its example mails (```mail blocks) is sent
over LMTP as written, with only the TOKEN placeholder replaced by the
Reply-To of the notice that animator received for that subject, and
what the guide says it does is checked: "ok" relays the post and lets
the newcomer's next post through, with a one-line "Approved" answer;
"no REASON" gives the author the reason; a later answer is told who
decided.
"""

import os
import re
import sys

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN
readme = os.path.join(L.tests_dir(), "..", "README.md")
with open(readme, encoding="utf-8") as f:
    text = f.read()
m = re.search(r"(?ms)^## For animators\n(.*?)^## ", text)
if not m:
    t.bail("README.md has no \"For animators\" section")
guide = m.group(1)
blocks = re.findall(r"(?ms)^```(\w+)\n(.*?)^```\n", guide)
shown = [b for k, b in blocks if k == "text"]
mails = [b for k, b in blocks if k == "mail"]
t.is_((len(shown), len(mails)), (1, 3),
      "the guide shows one notice and three example mails")

d = L.Daemon(extra=["templates = " + os.path.join(L.tests_dir(), "..",
                                                  "templates")])
d.ctl("club", "create", "acme", "--title", "Acme Club", check=True)
for a, role in (("anna@example.com", "animator"),
                ("alex@example.com", "animator"),
                ("kim@example.com", "member"), ("nina@example.org", "member")):
    d.ctl("member", "add", "acme", a, "--role", role, check=True)
d.ctl("member", "set", "acme", "kim@example.com", "moderated", "no",
      check=True)
d.start()
seen = [0]
n = [0]


def new_mail():
    out, seen[0] = L.outbox_since(d, seen[0])
    return out


text_of = L.mail_body


def words(s):
    return " ".join(s.split())


def post(frm, subject):
    n[0] += 1
    mid = "<guide%d@example.org>" % n[0]
    raw = ("From: %s\r\nTo: acme@%s\r\nSubject: %s\r\nMessage-ID: %s\r\n\r\n"
           "Hello\r\n" % (frm, D, subject, mid)).encode()
    return mid, d.deliver("acme@" + D, raw, re.sub(r".*<|>.*", "", frm))


notices = {}   # (animator, subject) -> notice


def hold(frm, subject):
    mid, r = post(frm, subject)
    for rcpt, msg in new_mail():
        notices[(rcpt, msg["Subject"])] = msg
    return mid, r


def send(block):
    """One example mail as written, its token filled in."""
    head = dict(re.findall(r"(?m)^([A-Za-z-]+): (.*)$",
                           block.split("\n\n", 1)[0]))
    frm = re.sub(r".*<|>.*", "", head["From"])
    subject = re.sub(r"^Re: ", "", head["Subject"])
    nt = notices.get((frm, subject))
    t.ok(nt is not None, "%s had a notice for \"%s\"" % (frm, subject))
    if nt is None:
        return None
    to = re.sub(r"^<|>$", "", nt["Reply-To"])
    raw = block.replace("acme+mod-TOKEN@" + D, to)
    raw = raw.replace("\n", "\r\n").encode("utf-8")
    return d.deliver(to, raw, frm)


def status(mid):
    return d.sql("SELECT status, decided_by FROM messages WHERE "
                 "message_id = ? AND role = 'post'", (mid,))


# -- the notice, as the guide shows it
mid_new, r = hold("Nina <nina@example.org>", "Looking for a bookkeeper")
mid_spam, r = hold("spam@example.net", "Cheap watches")
head, _, body = shown[0].partition("\n\n")
fields = dict(re.findall(r"(?m)^([A-Za-z-]+): (.*)$", head))
nt = notices.get(("anna@example.com", fields["Subject"]))
t.ok(nt is not None, "Anna's notice has the guide's Subject")
t.is_(L.header(nt.raw, "From") if nt else None, fields["From"],
      "and its From")
t.like(L.header(nt.raw, "Reply-To") if nt else "",
       "^" + re.escape(fields["Reply-To"]).replace("TOKEN", "[a-z0-9.]+")
       + "$", "and a Reply-To of the guide's form")
t.ok(nt is not None and words(text_of(nt)).startswith(words(body)),
     "its text starts with the guide's instructions")

# -- "ok"
r = send(mails[0])
t.like(r.text if r else "", r"mod: approved", "the guide's \"ok\" mail")
mail = new_mail()
t.is_(sorted(x for x, msg in mail if msg["Message-ID"] == mid_new),
      ["alex@example.com", "anna@example.com", "kim@example.com",
       "nina@example.org"], "\"The post goes to every member\"")
conf = [msg for x, msg in mail if x == "anna@example.com" and
        msg["Message-ID"] != mid_new]
t.ok(len(conf) == 1 and text_of(conf[0]).startswith("Approved: ") and
     text_of(conf[0]).strip().count("\n") == 0,
     "\"you get a one-line confirmation (Approved: ...)\"")
mid, r = post("nina@example.org", "Thanks")
t.like(r.text, r"accepted, copies queued",
       "\"lets their next posts through without moderation\"")
new_mail()

# -- "no REASON"
r = send(mails[1])
t.like(r.text if r else "", r"mod: rejected", "the guide's \"no\" mail")
reason = re.search(r"(?m)^no (.*)$", mails[1]).group(1)
mail = dict(new_mail())
au = mail.get("spam@example.net")
t.ok(au is not None and reason in words(text_of(au)),
     "\"the author gets the reason\": " + reason)
t.is_(status(mid_spam), [("rejected", "anna@example.com")], "rejected")

# -- too late
r = send(mails[2])
t.like(r.text if r else "", r"mod: already decided",
       "the guide's late answer")
mail = new_mail()
t.ok(len(mail) == 1 and mail[0][0] == "alex@example.com" and
     re.search(r"Already decided: .Looking for a bookkeeper. was approved "
               r"by anna@example\.com \(", words(text_of(mail[0][1]))),
     "\"is told who decided, and when\"")
t.is_(status(mid_new), [("accepted", "anna@example.com")],
      "\"changes nothing\"")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
t.done()
