#!/usr/bin/env python3
"""control_commands - member and animator commands to acme+request@
(SPEC 6), in English and French: each mail gets exactly one reply;
help and who are answered at once (who only to a member, opted-in
members only); every change waits for the reply to a confirmation and
is then applied, with one reply saying what was done; quoted text and
signatures are ignored; at most 10 commands are read; invite sends the
invitee a confirmation and credits the member; animator commands are
refused to members; thread commands act on the thread named."""

import json
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
C.two_clubs(d)
for club in ("acme", "cercle"):
    d.ctl("member", "add", club, "alice@example.org", "--name",
          "Alice Martin", check=True)
    d.ctl("member", "set", club, "alice@example.org", "company", "Martin SARL",
          check=True)
    d.ctl("member", "add", club, "shy@example.org", "--name", "Shy Person",
          check=True)
    d.ctl("member", "set", club, "shy@example.org", "featured", "no",
          check=True)
    # a second animator for quiet: 10 automatic replies a day per address
    d.ctl("member", "add", club, "anim2@example.com", "--role", "animator",
          check=True)
d.start()
box = C.Box(d)
_m = [0]


def fresh():
    """A new member of both clubs: at most 10 automatic replies go to an
    address a day, so each case writes from its own."""
    _m[0] += 1
    a = "m%d@example.org" % _m[0]
    for club in ("acme", "cercle"):
        d.ctl("member", "add", club, a, check=True)
    return a


def ask(club, frm, subject, body):
    """Send commands; the single reply (or None), checking there is
    exactly one mail and that it goes to frm."""
    C.send(d, frm, club + "+request", subject, body)
    got = box.new()
    t.is_([x.to for x in got], [frm], "%s: exactly one reply to %s"
          % (club, subject or body.split("\n")[0]))
    return got[0] if got else None


def confirm(club, reply):
    C.confirm_reply(d, reply)
    got = box.new()
    t.is_(len(got), 1, "%s: the confirmation brings one reply" % club)
    return got[0] if got else None


CASES = [
    # club, the mail's body, expected member row after confirmation
    ("acme",
     "nomail\nDigest Daily\nprofile: Baker in Rennes, can help with "
     "bread\nwho\n\nThanks!\n-- \nAlice\nunsubscribe\n",
     "none", "daily", "Baker in Rennes, can help with bread"),
    ("cercle",
     "PAUSE\nRésumé quotidien\nprofil : Boulangère à Rennes\nqui\n\n"
     "Merci\n-- \nAlice\ndésabonner\n",
     "none", "daily", "Boulangère à Rennes"),
    ("acme", "digest\nDIGEST weekly\n", "digest", "weekly", None),
    ("cercle", "résumé\nresume hebdo\n", "digest", "weekly", None),
    ("acme", "each\ndigest off\n", "each", "off", None),
    ("cercle", "Chaque\nRÉSUMÉ NON\n", "each", "off", None),
]
for club, body, delivery, highlights, profile in CASES:
    quoted = "\n\nOn Monday, the club wrote:\n> unsubscribe\n> nomail\n"
    who = fresh()
    rep = ask(club, who, "", body + quoted)
    m = C.member(d, who, club)
    t.is_((m["delivery"], m["highlights"], m["profile"]),
          ("each", "weekly", None), "%s: nothing changes before the "
          "confirmation" % club)
    text = C.words(rep.text if rep else "")
    if "who" in body or "qui" in body:
        t.ok("Alice Martin" in text and "Martin SARL" in text and
             "Shy Person" not in text,
             "%s: who lists opted-in members only" % club)
    t.ok(rep and re.match(r"%s\+confirm-q\." % club, rep.reply_to),
         "%s: the reply asks to confirm" % club)
    rep2 = confirm(club, rep) if rep else None
    m = C.member(d, who, club)
    t.is_((m["delivery"], m["highlights"]), (delivery, highlights),
          "%s: %s applied" % (club, body.split("\n")[:2]))
    if profile:
        t.is_(m["profile"], profile, "%s: profile stored" % club)
    t.ok(m is not None, "%s: quoted text and signature were not read "
         "(still a member)" % club)
    t.ok(rep2 and "unsubscribe" not in rep2.text.split("\n\n", 1)[-1]
         .split("Commands go to")[0], "%s: the reply lists only the "
         "commands read" % club)

# help / aide: no confirmation
for club, word, want in (("acme", "help", "Commands go to"),
                         ("cercle", "aide", "Les commandes")):
    rep = ask(club, fresh(), word, "")
    t.ok(rep and want in C.words(rep.text) and not rep.reply_to,
         "%s: %s answered at once, nothing to confirm" % (club, word))

# the example mails of the help (CLUB+help@), sent as written, do what
# it says (issue 9: the help template shows real example mails)
for club, to_w, subj_w, want in (
        ("acme", "To", "Subject", ("digest", "weekly", "Alice Martin, "
                                   "Martin SARL, bakery; I can help with "
                                   "hiring")),
        ("cercle", "À", "Objet", ("digest", "weekly", "Alice Martin, "
                                  "Martin SARL, boulangerie ; je peux aider "
                                  "à recruter"))):
    who = fresh()
    C.send(d, who, club + "+help", "", "")
    got = box.new()
    text = got[0].text.replace("\r\n", "\n") if got else ""
    ex = re.findall(r"^%s ?: (\S+)\n%s ?: (.*)$" % (to_w, subj_w), text,
                    re.M)
    t.is_(len(ex), 2, "%s: the help shows two example mails" % club)
    t.ok(ex and all(to == "%s+request@%s" % (club, D) for to, _ in ex),
         "%s: addressed to this club's request address" % club)
    for to, subject in ex:
        rep = ask(club, who, subject, "")
        if rep:
            confirm(club, rep)
    m = C.member(d, who, club)
    t.is_((m["delivery"], m["highlights"], m["profile"]), want,
          "%s: the examples, confirmed, changed the delivery and profile"
          % club)

# who from a non-member
rep = ask("acme", "outsider@example.net", "who", "")
t.ok(rep and "Alice Martin" not in rep.text and
     "only members" in C.words(rep.text), "who: members only")

# no command at all
rep = ask("acme", fresh(), "Hello", "How are you?\n")
t.ok(rep and "no command" in C.words(rep.text) and "Commands go to" in
     C.words(rep.text), "no command: said so, with the help")

# more than 10 commands
rep = ask("acme", fresh(), "", "each\n" * 12)
t.ok(rep and "Only the first 10" in C.words(rep.text), "12 commands: capped")
t.is_(rep.text.count("to be confirmed (see below)") if rep else 0, 10,
      "10 read")
n = d.sql1("SELECT commands FROM pending ORDER BY id DESC LIMIT 1")
t.is_(n.count("\n") if n else 0, 10, "10 stored for the confirmation")

# invite / inviter
for club, word in (("acme", "invite"), ("cercle", "inviter")):
    guest = "guest-%s@example.net" % club
    host = fresh()
    rep = ask(club, host, "", "%s %s\n" % (word, guest.upper()))
    C.confirm_reply(d, rep)
    got = box.new()
    inv = [x for x in got if x.to == guest]
    t.is_(sorted(x.to for x in got), sorted([host, guest]),
          "%s: the member's reply and the guest's confirmation" % word)
    t.ok(inv and host in inv[0].text,
         "%s: the guest is told who invited them" % word)
    if inv:
        C.confirm_reply(d, inv[0])
    m = C.member(d, guest, club)
    t.ok(m and m["invited_by"] == host,
         "%s: the guest joined, credited to the member" % word)
    box.new()

# invite under policy invite: the only way in
d.ctl("club", "set", "acme", "policy", "invite", check=True)
rep = ask("acme", fresh(), "invite peer@example.net", "")
C.confirm_reply(d, rep)
got = box.new()
inv = [x for x in got if x.to == "peer@example.net"]
if inv:
    C.confirm_reply(d, inv[0])
t.ok(C.member(d, "peer@example.net") is not None,
     "policy invite: a member's invite lets the peer in")
box.new()
d.ctl("club", "set", "acme", "policy", "confirm", check=True)

# subscribe and unsubscribe as commands
rep = ask("acme", "newbie@example.net", "subscribe", "")
rep2 = confirm("acme", rep)
t.ok(C.member(d, "newbie@example.net") is not None, "subscribe: joined")
t.ok(rep2 and "introduce yourself" in C.words(rep2.text).lower(),
     "subscribe: the one reply carries the welcome")
leaver = fresh()
rep = ask("cercle", leaver, "désabonner", "")
confirm("cercle", rep)
t.is_(C.member(d, leaver, "cercle"), None,
      "désabonner: left")

# animator commands
print("# a member sends moderate, emergency on, quiet 08-01 08-31, pin")
rep = ask("acme", fresh(), "", "moderate newbie@example.net\n"
          "emergency on\nquiet 08-01 08-31\npin 0123abcd\n")
rep2 = confirm("acme", rep)
t.ok(rep2 and C.words(rep2.text).count("only animators can do this") == 4,
     "a member's animator commands are refused")
t.ok(not re.search(r"quiet = 08", d.ctl("club", "show", "acme").stdout),
         "a member's quiet: no quiet period set")
d.ctl("member", "set", "acme", "newbie@example.net", "moderated", "no",
      check=True)
L.post(d, "anim@example.com", "<topic@example.com>", "A topic to close")
box.new()  # its copies to the members
thr = [x["key"] for x in json.loads(d.ctl("threads", "acme", "--json",
                                          check=True).stdout)
       if "<topic@example.com>" in x["message_ids"]]
key = thr[0] if thr else "none"
rep = ask("acme", "anim@example.com", "", "moderate newbie@example.net\n"
          "emergency on\nclose %s\nclose 0123abcd\npin %s\n" % (key, key))
rep2 = confirm("acme", rep)
t.is_(C.member(d, "newbie@example.net")["moderated"], 1,
      "moderate: applied")
t.like(d.ctl("club", "show", "acme").stdout, r"moderation = emergency",
      "emergency on: applied")
t.is_(d.sql("SELECT closed, pin_issues FROM threads t JOIN thread_keys k "
            "ON k.thread_id = t.id WHERE k.key = ?", (key,)), [(1, 1)],
      "close KEY and pin KEY: applied to the thread")
t.ok(rep2 and "no thread has this key" in C.words(rep2.text),
     "close of an unknown key: said so")
# quiet FROM TO: the club's quiet period, no digest inside it
print("# the animator sends quiet 08-01 08-31 and confirms")
rep = ask("acme", "anim2@example.com", "", "quiet 08-01 08-31\n")
t.ok(rep and "to be confirmed" in C.words(rep.text),
     "quiet: waits for the confirmation round-trip")
t.ok(not re.search(r"quiet = 08", d.ctl("club", "show", "acme").stdout),
         "quiet: nothing changed before the confirmation")
rep2 = confirm("acme", rep)
t.ok(rep2 and re.search(r"quiet 08-01 08-31: done", C.words(rep2.text)),
     "quiet: the reply says it was done")
t.like(d.ctl("club", "show", "acme").stdout, r"quiet = 08-01\.\.08-31",
       "quiet 08-01 08-31: the club setting")
skips = {x["member"]: x["skip_reason"] for x in json.loads(d.ctl(
    "digest", "acme", "--json", "--at", "2031-08-11T08:00:00Z",
    check=True).stdout)}
print("# digest --json at 2031-08-11: %s" % skips.get("alice@example.org"))
t.is_(skips.get("alice@example.org"), "quiet",
      "quiet by mail: a digest inside the period is skipped (quiet)")
rep = ask("acme", "anim2@example.com", "", "quiet 12-20\n")
t.ok(rep and "not understood" in C.words(rep.text) and not rep.reply_to,
     "quiet with one date: not understood, nothing to confirm")
rep = ask("acme", "anim2@example.com", "quiet off", "")
confirm("acme", rep)
t.ok(not re.search(r"quiet = 08", d.ctl("club", "show", "acme").stdout),
         "quiet off: the quiet period is removed")
rep = ask("cercle", "anim2@example.com", "", "silence 2026-12-20 2027-01-02\n")
confirm("cercle", rep)
t.like(d.ctl("club", "show", "cercle").stdout,
       r"quiet = 2026-12-20\.\.2027-01-02", "silence (French): applied")
C.send(d, fresh(), "acme+help", "help", "")
got = box.new()
t.ok(got and "quiet FROM TO" in C.words(got[0].text),
     "the help text lists quiet FROM TO")
C.send(d, fresh(), "cercle+help", "aide", "")
got = box.new()
t.ok(got and "silence DEBUT FIN" in C.words(got[0].text),
     "the French help lists silence DEBUT FIN")
rep = ask("acme", "anim@example.com", "", "unmoderate newbie@example.net\n"
          "emergency off\n")
confirm("acme", rep)
t.is_(C.member(d, "newbie@example.net")["moderated"], 0,
      "unmoderate: applied")
t.like(d.ctl("club", "show", "acme").stdout, r"moderation = newcomers",
       "emergency off: back to newcomers")
# French animator words
rep = ask("cercle", "anim@example.com", "", "urgence oui\n")
confirm("cercle", rep)
t.like(d.ctl("club", "show", "cercle").stdout, r"moderation = emergency",
       "urgence oui: applied")

# a bad argument is reported, not applied
rep = ask("acme", fresh(), "", "invite not-an-address\n")
t.ok(rep and "not understood" in C.words(rep.text) and not rep.reply_to,
     "a bad argument: not understood, nothing to confirm")
d.stop()
t.done()
