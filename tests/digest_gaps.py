#!/usr/bin/env python3
"""digest_gaps - the digest details DIGEST.md asks for beyond the worked
example, as an admin and the members meet them, with a real mlistd, a
capture relay and mlistctl:

- "de retour" (DIGEST 1.7): a member who writes again after 120 days or
  more of silence is tagged in Autres discussions (digest --json
  de_retour, both templates); 55 days of silence is not a return;
- a member's own mute and ignore (DIGEST 2.3 D5): "masquer KEY" and
  "ignorer ADDRESS" by mail, confirmed, take the thread, or the threads
  that member started, out of that member's digest only; "demasquer" and
  "designorer" bring them back;
- the "invite a peer" footer (DIGEST 2.2 row 7): only for a core member
  (3 substantive posts in 84 days), in the issues sent by digest --send
  at most once every 4 issues, linking to the invite command;
- dormant members (DIGEST 2.1): a member with no post or list command
  for 365 days gets the scheduler's issue with the news that highlights
  are now monthly and a one-click "keep weekly" address (a token, forged
  ones refused at RCPT); the next weeks are too soon; writing to that
  address makes the highlights weekly again;
- aliases (DIGEST 1.2): "member set CLUB ADDR aliases LIST" makes mail
  from those addresses the member's (Alice, with two posts from her
  home address, becomes an active member the digest skips); a bad
  address is refused;
- members who left (DIGEST 2.5): an unsubscribe by mail and a removal by
  mlistctl are counted in mlistctl stats (JSON and text); a departure
  before the week is not.
"""

import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controllib as C  # noqa: E402
import lmtplib as L  # noqa: E402
from digestlib import fr, key, mail, mbox, parts  # noqa: E402
import email  # noqa: E402
import email.policy  # noqa: E402

t = L.Tap()


def L_ts(s):
    """RFC 3339 UTC to a Unix time"""
    import calendar
    import time
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


CLUB = "gaps"
AT = "2025-03-10T08:00:00+01:00"
SINCE = "2025-03-03T08:00:00+01:00"
ANIM, ALICE, FARID, GASTON, ZOE, NEWBIE = (
    "anim@example.org", "alice@example.org", "farid@example.org",
    "gaston@example.org", "zoe@example.org", "newbie@example.org")
LEAVERS = ("leaver1@example.org", "leaver2@example.org",
           "leaver3@example.org")

os.environ["MLISTD_NOW"] = "2025-02-20T10:00:00Z"
d = C.daemon()
d.ctl("club", "create", CLUB, "--title", "Gaps", "--lang", "fr", check=True)
d.ctl("member", "add", CLUB, ANIM, "--name", "Anna", "--role", "animator",
      check=True)
for addr, name, joined in ((ALICE, "Alice", "2022-01-10T09:00:00Z"),
                           (FARID, "Farid", "2023-09-10T09:00:00Z"),
                           (GASTON, "Gaston", "2023-09-10T09:00:00Z"),
                           (ZOE, "Zoé", "2023-09-10T09:00:00Z"),
                           (NEWBIE, "Nina", "2025-03-05T09:00:00Z")) + tuple(
        (a, None, "2024-01-01T00:00:00Z") for a in LEAVERS):
    d.ctl("member", "add", CLUB, addr, *(("--name", name) if name else ()),
          check=True)
    d.ctl("member", "set", CLUB, addr, "joined", joined, check=True)

W = "Compte rendu de la réunion de mars"
msgs = [
    mail("h1", ALICE, fr("Fri, 20 Sep", "09:00", 2024), "Locaux à partager",
         "Nous avons un bureau libre à Cesson, disponible en octobre.\n",
         club=CLUB),
    mail("h2", FARID, fr("Tue, 01 Oct", "09:00", 2024), "Re: Locaux à partager",
         "Nous serions intéressés pour deux jours par semaine.\n",
         parent="h1", club=CLUB),
    mail("h3", GASTON, fr("Fri, 10 Jan", "09:00"), "Re: Locaux à partager",
         "Le bureau est-il encore libre en février pour notre stagiaire ?\n",
         parent="h1", club=CLUB),
    mail("h4", ALICE, fr("Mon, 03 Feb", "09:00"), "Re: Locaux à partager",
         "Le bureau de Cesson est de nouveau libre en mars.\n",
         parent="h1", club=CLUB),
    mail("w1", ALICE, fr("Tue, 04 Mar", "09:00"), W,
         "Le compte rendu est en pièce jointe pour tous les membres.\n",
         club=CLUB),
    mail("w2", GASTON, fr("Wed, 05 Mar", "09:00"), "Re: " + W,
         "Très utile, nous le partagerons avec notre équipe.\n",
         parent="w1", club=CLUB),
    mail("w3", FARID, fr("Thu, 06 Mar", "09:00"), "Re: " + W,
         "Je reviens après une longue absence : bravo pour ce travail.\n",
         parent="w1", club=CLUB),
]
path = os.path.join(d.dir, "gaps.mbox")
mbox(path, msgs)
r = d.ctl("import", CLUB, path)
print("# imported: Farid silent from 2024-10-01 to 2025-03-06 (156 days), "
      "Gaston from 2025-01-10 to 2025-03-05 (54 days), Alice from "
      "2025-02-03 to 2025-03-04")
t.is_(r.returncode, 0, "the archive is imported")
WK = key("w1")
print("# leaver3 removed on 2025-02-20, before the week")
d.ctl("member", "remove", CLUB, LEAVERS[2], check=True)


def digest(*extra, at=AT, since=SINCE):
    r = d.ctl("--json", "digest", CLUB, "--at", at, "--since", since, *extra)
    if r.returncode != 0:
        t.diag(r.stderr)
        return {}
    return {x["member"]: x for x in json.loads(r.stdout)}


def preview(member):
    r = d.ctl("digest", CLUB, "--member", member, "--at", AT, "--since",
              SINCE, "--preview")
    if r.returncode != 0:
        t.diag(r.stderr)
        return {}
    return parts(email.message_from_string(r.stdout,
                                           policy=email.policy.default))


# -- de retour (DIGEST 1.7)
dg = digest()
z = dg.get(ZOE, {})
t.is_((z.get("sent"), z.get("autres"), z.get("de_retour")),
      (True, [WK], [{"key": WK, "member": FARID}]),
      "Zoé's Autres discussions tag Farid back, not Gaston")
t.is_(dg.get(ANIM, {}).get("de_retour"), [{"key": WK, "member": FARID}],
      "so does the animator's issue")
t.is_(dg.get(ALICE, {}).get("autres"), [],
      "Alice, who wrote in it, does not get the thread (D2)")
p = preview(ZOE)
print("# Zoé's preview, French: %r" % [
    l for l in p.get("text/plain", "").splitlines() if "retour" in l])
t.ok("avec Farid, de retour" in C.words(p.get("text/plain", "")) and
     "Gaston, de retour" not in p.get("text/plain", ""),
     "the French text says Farid is back")
t.ok("de retour" in p.get("text/html", ""), "and so does the HTML part")
d.ctl("club", "set", CLUB, "lang", "en", check=True)
p = preview(ZOE)
t.ok("with Farid, who is back" in C.words(p.get("text/plain", "")),
     "the English template says Farid is back")
d.ctl("club", "set", CLUB, "lang", "fr", check=True)
d.ctl("member", "set", CLUB, FARID, "featured", "no", check=True)
t.is_(digest().get(ZOE, {}).get("de_retour"), [],
      "a member who opted out of being featured is never tagged")
d.ctl("member", "set", CLUB, FARID, "featured", "yes", check=True)

# -- a member's mute and ignore (DIGEST 2.3 D5), by mail
os.environ["MLISTD_NOW"] = "2025-03-07T10:00:00Z"
d.start()
box = C.Box(d)


def command(frm, line):
    """frm sends line to gaps+request@ and confirms; the final reply"""
    C.send(d, frm, CLUB + "+request", "", line + "\n")
    got = box.new()
    if not got or not got[0].reply_to:
        t.diag("no confirmation for %r: %r" % (line, got))
        return None
    C.confirm_reply(d, got[0])
    got = box.new()
    return got[0] if got else None


def autres(member):
    return digest().get(member, {}).get("autres")


print("# Zoé sends 'masquer %s' and confirms" % WK)
rep = command(ZOE, "masquer " + WK)
t.ok(rep and "c’est fait" in rep.text, "masquer KEY: done")
t.is_((autres(ZOE), autres(ANIM)), ([], [WK]),
      "a member's mute: gone from Zoé's digest, not from Anna's")
t.is_(d.sql1("SELECT muted FROM threads WHERE key = ?", (WK,)), 0,
      "a member's mute does not mute the thread for the club")
command(ZOE, "demasquer " + WK)
t.is_(autres(ZOE), [WK], "demasquer KEY: the thread is back")
print("# Zoé sends 'ignorer %s' and confirms" % ALICE.upper())
command(ZOE, "ignorer " + ALICE.upper())
t.is_((autres(ZOE), autres(ANIM)), ([], [WK]),
      "ignorer ADDRESS: Alice's thread leaves Zoé's digest only")
command(ZOE, "designorer " + ALICE)
t.is_(autres(ZOE), [WK], "designorer ADDRESS: it is back")
rep = command(ZOE, "masquer 0123abcd")
t.ok(rep and "aucun fil ne porte cette clé" in C.words(rep.text),
     "masquer an unknown key: said so")

# -- members who left (DIGEST 2.5)
print("# leaver1 unsubscribes by mail on 2025-03-07 and confirms")
C.send(d, LEAVERS[0], CLUB + "+unsubscribe", "", "")
got = box.new()
t.is_([x.to for x in got], [LEAVERS[0]], "the unsubscribe is to be confirmed")
if got:
    C.confirm_reply(d, got[0])
    box.new()
t.is_(C.member(d, LEAVERS[0], CLUB), None, "leaver1 left")
print("# leaver2 removed with mlistctl member remove on 2025-03-07")
d.ctl("member", "remove", CLUB, LEAVERS[1], check=True)
d.stop()
t.is_(sorted(r[0] for r in d.sql("SELECT how FROM departures")),
      ["removed", "removed", "unsubscribe"],
      "each departure is recorded with its way, no address kept")
r = d.ctl("--json", "stats", CLUB, "--at", AT)
st = json.loads(r.stdout) if r.returncode == 0 else {}
t.is_(st.get("figures", {}).get("left"), 2,
      "stats: two members left in the week (not the one before)")
r = d.ctl("stats", CLUB, "--at", AT)
t.like(r.stdout, r"left 2,", "stats in text: left 2")
r = d.ctl("--json", "stats", CLUB, "--at", "2025-02-21T08:00:00Z")
t.is_(json.loads(r.stdout).get("figures", {}).get("left"), 1,
      "stats of the week before: one member left")

# -- the "invite a peer" footer (DIGEST 2.2 row 7)
CARLA = "carla@example.org"
os.environ["MLISTD_NOW"] = "2025-01-01T10:00:00Z"
d.ctl("member", "add", CLUB, CARLA, "--name", "Carla", check=True)
path = os.path.join(d.dir, "carla.mbox")
mbox(path, [mail("c%d" % i, CARLA, fr(day, "09:00"), subj, body, club=CLUB)
            for i, (day, subj, body) in enumerate((
                ("Mon, 20 Jan", "Atelier export",
                 "Nous organisons un atelier sur l'export en avril.\n"),
                ("Tue, 21 Jan", "Salon de Rennes",
                 "Le salon de Rennes a lieu en mai, nous y serons.\n"),
                ("Wed, 22 Jan", "Nouveaux locaux",
                 "Nous déménageons à Cesson le mois prochain.\n")))])
d.ctl("import", CLUB, path, check=True)
print("# Carla: 3 substantive posts on 20-22 January, none since")
dg = digest()
t.is_((dg.get(CARLA, {}).get("invite"), dg.get(ZOE, {}).get("invite")),
      (True, False), "digest --json: the footer for Carla (core), not Zoé")
p = preview(CARLA)
text = C.words(p.get("text/plain", ""))
t.ok("Invitez un pair" in text and
     "%s+request@%s" % (CLUB, L.DOMAIN) in text,
     "the footer names the request address")
t.ok('href="mailto:%s+request@%s?subject=inviter%%20"' % (CLUB, L.DOMAIN)
     in p.get("text/html", ""), "and links to it with the invite subject")
t.ok("Invitez un pair" not in C.words(preview(ZOE).get("text/plain", "")),
     "Zoé's issue has no footer")
got = []
for week in ("2025-03-10", "2025-03-17", "2025-03-24", "2025-03-31",
             "2025-04-07"):
    # a newcomer each week, so that every issue has something to say
    os.environ["MLISTD_NOW"] = week + "T06:00:00Z"
    d.ctl("member", "add", CLUB, "new-%s@example.org" % week, check=True)
    at = week + "T07:00:00Z"
    x = digest(at=at, since=week[:8] + "01T00:00:00Z").get(CARLA, {})
    r = d.ctl("digest", CLUB, "--send", "--member", CARLA, "--at", at)
    if r.returncode != 0:
        t.diag(r.stderr)
    got.append((x.get("sent"), x.get("invite")))
print("# Carla's issues sent on five Mondays: %r" % got)
t.is_(got, [(True, True), (True, False), (True, False), (True, False),
            (True, True)],
      "the footer in the first issue, then again in the fifth")
t.is_(d.sql1("SELECT invite_footer_at FROM members WHERE address = ?",
             (CARLA,)), L_ts("2025-04-07T07:00:00Z"),
      "the issue that last carried the footer is remembered")

# -- dormant (DIGEST 2.1)
DORA = "dora@example.org"
os.environ["MLISTD_NOW"] = "2025-04-13T10:00:00Z"
d.ctl("member", "add", CLUB, DORA, "--name", "Dora", check=True)
d.ctl("member", "set", CLUB, DORA, "joined", "2023-06-01T09:00:00Z",
      check=True)
d.ctl("member", "add", CLUB, "new-2025-04-13@example.org", check=True)
print("# Dora joined 2023-06-01 and never wrote; the scheduler's slot of "
      "Monday 2025-04-14 runs at a start at 07:30Z")
os.environ["MLISTD_NOW"] = "2025-04-14T07:30:00Z"
d.start()
box = C.Box(d)
deadline = time.monotonic() + 15
mine = []
while time.monotonic() < deadline and not mine:
    time.sleep(0.3)
    mine = [x for x in C.outbox(d) if x.to == DORA]
t.is_(len(mine), 1, "Dora gets the scheduler's issue")
text = C.words(mine[0].text) if mine else ""
m = re.search(r"(%s\+weekly-[a-z0-9.]+@%s)" % (CLUB, re.escape(L.DOMAIN)),
              text)
t.ok("Vos temps forts deviennent mensuels" in text and m,
     "it says the highlights are now monthly, with a keep-weekly address")
at = d.sql1("SELECT dormant_notice_at FROM members WHERE address = ?",
           (DORA,)) or 0
t.ok(0 <= at - L_ts("2025-04-14T07:30:00Z") < 60,
     "the news is remembered, so it is said once")
x = digest(at="2025-04-21T06:00:00Z", since="2025-04-14T06:00:00Z")
t.is_(x.get(DORA, {}).get("skip_reason"), "too_soon",
      "a week later Dora's month is not over: too soon")
r = C.send(d, "x@example.net", CLUB + "+weekly-1.abc.defghijklmno")
t.like(r.text, r"^550", "a forged keep-weekly token is refused at RCPT")
if m:
    print("# Dora writes to %s" % m.group(1))
    C.send(d, DORA, m.group(1), "", "")
    got = box.new()
    t.ok(got and got[-1].to == DORA and
         "digest weekly" in C.words(got[-1].text),
         "keep weekly: Dora is told her highlights are weekly")
d.ctl("member", "add", CLUB, "new-2025-04-14@example.org", check=True)
x = digest(at="2025-04-21T06:00:00Z", since="2025-04-14T06:00:00Z")
print("# Dora on 2025-04-21: %r" % x.get(DORA, {}).get("skip_reason"))
t.is_((x.get(DORA, {}).get("sent"), x.get(DORA, {}).get("dormant_notice")),
      (True, False), "after the click Dora's next week is an issue again")
d.stop()

# -- aliases (DIGEST 1.2)
HOME = "alice@home.example"
path = os.path.join(d.dir, "alias.mbox")
mbox(path, [mail("a1", HOME, fr("Wed, 05 Mar", "12:00"), "Re: " + W,
                 "Nous avons aussi des notes de la réunion précédente.\n",
                 parent="w1", club=CLUB),
            mail("a2", HOME, fr("Thu, 06 Mar", "12:00"), "Re: " + W,
                 "Je les mets en ligne sur notre espace partagé demain.\n",
                 parent="w1", club=CLUB)])
d.ctl("import", CLUB, path, check=True)
print("# two posts of the week from %s, not yet Alice's alias" % HOME)
LATER = dict(at="2025-04-21T06:00:00Z", since="2025-03-03T07:00:00Z")
t.is_(digest(**LATER).get(ALICE, {}).get("skip_reason"), None,
      "without the alias Alice has one post in the week: she gets her issue")
r = d.ctl("member", "set", CLUB, ALICE, "aliases", "alice@, x")
t.is_(r.returncode, 2, "aliases: a bad address is refused (exit 2)")
d.ctl("member", "set", CLUB, ALICE, "aliases", " Alice@Home.Example ",
      check=True)
t.is_(d.sql1("SELECT aliases FROM members WHERE address = ?", (ALICE,)),
      HOME, "the alias is stored normalised")
t.is_(digest(**LATER).get(ALICE, {}).get("skip_reason"), "active",
      "with the alias her three posts make her active (each): skipped")
t.done()
