#!/usr/bin/env python3
"""digest_example - the worked example of DIGEST.md section 4, built as
an admin would: club and members with mlistctl, the twelve messages of
the week and the history before it written to an mbox and loaded with
"mlistctl import", then "mlistctl digest --json" checked against every
row of "Expected digests", "threads --json" against the thread-metrics
table, and the variants V1-V5 (V6 is a unit test of the score,
test-digest_metrics).
"""

import email
import email.policy
import json
import os
import sys
from html.parser import HTMLParser

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402
from digestlib import fr, key, mail, mbox, parts  # noqa: E402

t = L.Tap()
# mlistctl only: no daemon is started
d = L.Daemon(extra=["templates = " + os.path.join(L.tests_dir(), "..",
                                                  "templates")])
CLUB = "entreprendre35"
AT = "2025-03-10T08:00:00+01:00"
SINCE = "2025-03-03T08:00:00+01:00"
VOCABULARY = ("RH: recrut, alternan, embauch, salarié; "
              "compta: compta, factur, tva, expert-comptable; "
              "com: communication, marketing, agence")

MEMBERS = {  # name: (address, delivery, joined, tags)
    "Alice": ("alice@example.org", "each", "2022-01-10T09:00:00Z", "compta"),
    "Bruno": ("bruno@example.org", "each", "2023-05-10T09:00:00Z", "RH"),
    "Chloé": ("chloe@example.org", "digest", "2024-02-10T09:00:00Z", ""),
    "David": ("david@example.org", "each", "2022-06-10T09:00:00Z", "RH"),
    "Emma": ("emma@example.org", "each", "2025-03-03T09:00:00+01:00",
             "com"),
    "Farid": ("farid@example.org", "each", "2023-09-10T09:00:00Z", ""),
}
NADIA = "nadia@example.org"
A, B, C, D, E, F = (MEMBERS[n][0] for n in
                    ("Alice", "Bruno", "Chloé", "David", "Emma", "Farid"))


QUOTE_B = ("Le mar. 4 mars 2025 à 14:00, Bruno <bruno@example.org> a écrit :\n"
           "> Je ne suis pas d'accord : un alternant demande beaucoup de "
           "temps.\n")
T1S = "Recruter un alternant en 2025 : bonne idée ou pas ?"
T2S = "Quel logiciel de facturation utilisez-vous ?"
T3S = "Présentation : Emma, agence de communication à Rennes"
T4S = "Quelqu'un connaît un expert-comptable pour une SAS ?"

history = [
    # David's last post, and Bruno's reply to it (the tie of section 4)
    mail("h1", D, fr("Tue, 20 Aug", "09:00", 2024), "Un premier CDI chez nous",
         "Bonjour,\n\nNous venons de signer notre premier CDI. Quelques "
         "conseils pour l'intégration ?\n\nDavid\n"),
    mail("h2", B, fr("Tue, 20 Aug", "15:00", 2024), "Re: Un premier CDI chez nous",
         "Félicitations David ! Prévoyez un parcours d'accueil écrit, "
         "cela évite bien des oublis.\n", parent="h1"),
    # Alice, Bruno and Chloé are active members
    mail("h3", A, fr("Mon, 10 Feb", "10:00"), "Salon des entrepreneurs",
         "Le salon des entrepreneurs a lieu en avril à Rennes, qui y "
         "va ?\n"),
    mail("h4", B, fr("Tue, 11 Feb", "10:00"), "Re: Salon des entrepreneurs",
         "J'y serai le samedi, avec deux collègues de l'atelier.\n",
         parent="h3"),
    mail("h5", C, fr("Tue, 11 Feb", "11:00"), "Re: Salon des entrepreneurs",
         "Nous tiendrons un stand, passez nous voir au fond du hall.\n",
         parent="h3", refs=("h3",)),
    # Farid's last post before the week, 40 days before it
    mail("h6", F, fr("Wed, 29 Jan", "08:00"), "Locaux à partager",
         "Nous avons un bureau libre à Cesson, au rez-de-chaussée, "
         "disponible en mars.\n"),
]

week = [
    mail("m1", A, fr("Tue, 04 Mar", "09:00"), T1S,
         "Bonjour à tous,\n\nNous hésitons à prendre un alternant cette "
         "année. Est-ce raisonnable pour une structure de six "
         "personnes ?\n\nAlice\n"),
    mail("m2", B, fr("Tue, 04 Mar", "14:00"), "Re: " + T1S,
         "Je ne suis pas d'accord : un alternant demande beaucoup de "
         "temps d'encadrement, surtout la première année.\n", parent="m1"),
    mail("m3", C, fr("Wed, 05 Mar", "10:00"), "Re: " + T1S,
         "Au contraire, chez nous l'alternance a très bien marché, avec un "
         "tuteur motivé.\n", parent="m1"),
    mail("m4", A, fr("Wed, 05 Mar", "18:00"), "Re: " + T1S,
         "Bruno, l'encadrement est réel, mais nous avons une tutrice "
         "disponible deux jours par semaine.\n\n" + QUOTE_B,
         parent="m2", refs=("m1",)),
    mail("m5", B, fr("Thu, 06 Mar", "09:00"), "Re: " + T1S,
         "Une tutrice disponible change tout, je retire une partie de mon "
         "objection.\n", parent="m4", refs=("m1", "m2")),
    mail("m6", C, fr("Fri, 07 Mar", "16:00"), "Re: " + T1S,
         "Pensez aussi aux aides de l'État : elles couvrent une bonne part "
         "du coût la première année.\n", parent="m5",
         refs=("m1", "m2", "m4")),
    mail("m7", F, fr("Tue, 04 Mar", "11:00"), T2S,
         "Bonjour, je change d'outil le mois prochain. Lequel utilisez-vous "
         "au quotidien ?\n\nFarid\n"),
    mail("m8", A, fr("Tue, 04 Mar", "15:00"), "Re: " + T2S,
         "Nous utilisons un logiciel en ligne depuis deux ans, simple et "
         "pas cher, avec un export pour notre cabinet.\n", parent="m7"),
    mail("m9", F, fr("Wed, 05 Mar", "08:30"), "Re: " + T2S,
         "Merci beaucoup !\n\nLe mar. 4 mars 2025 à 15:00, Alice a écrit :\n"
         "> Nous utilisons un logiciel en ligne depuis deux ans.\n",
         parent="m8", refs=("m7",)),
    mail("m10", E, fr("Mon, 03 Mar", "17:00"), T3S,
         "Bonjour à tous,\n\nJe dirige une agence de communication à Rennes "
         "depuis cinq ans. Nous cherchons des imprimeurs locaux "
         "fiables.\n\nEmma\n"),
    mail("m11", E, fr("Mon, 03 Mar", "17:20"), "Re: " + T3S,
         "PS : voici le lien de notre site : https://example.org/emma\n",
         parent="m10"),
    mail("m12", C, fr("Sat, 08 Mar", "10:00"), T4S,
         "Notre cabinet part à la retraite, nous voulons changer avant "
         "l'été.\n"),
]
T1, T2, T3, T4 = key("m1"), key("m7"), key("m10"), key("m12")
NAMES = {T1: "T1", T2: "T2", T3: "T3", T4: "T4"}

# -- the club as an admin sets it up
d.ctl("club", "create", CLUB, "--title", "Entreprendre 35", "--lang", "fr",
      check=True)
d.ctl("club", "set", CLUB, "vocabulary", VOCABULARY, check=True)
d.ctl("member", "add", CLUB, NADIA, "--name", "Nadia", "--role", "animator",
      check=True)
d.ctl("member", "set", CLUB, NADIA, "joined", "2021-01-04T09:00:00Z",
      check=True)
for name, (addr, delivery, joined, tags) in MEMBERS.items():
    d.ctl("member", "add", CLUB, addr, "--name", name, "--delivery",
          delivery, check=True)
    d.ctl("member", "set", CLUB, addr, "joined", joined, check=True)
    if tags:
        d.ctl("member", "set", CLUB, addr, "tags", tags, check=True)
    d.ctl("member", "set", CLUB, addr, "highlights", "weekly", check=True)
d.ctl("member", "set", CLUB, E, "company", "Agence Emma", check=True)

path = os.path.join(d.dir, "week.mbox")
mbox(path, history + week)
r = d.ctl("import", CLUB, path)
t.is_((r.returncode, r.stdout.strip()),
      (0, "18 messages imported, 0 already there"),
      "the history and the week imported")


def digest(*extra, at=AT, since=SINCE, club=CLUB):
    r = d.ctl("--json", "digest", club, "--at", at, "--since", since, *extra)
    if r.returncode != 0:
        t.diag(r.stderr)
        return {}
    return {x["member"]: x for x in json.loads(r.stdout)}


def threads(*extra, at=AT, club=CLUB):
    r = d.ctl("--json", "threads", club, "--at", at, *extra)
    if r.returncode != 0:
        t.diag(r.stderr)
        return {}
    return {x["key"]: x for x in json.loads(r.stdout)}


def names(keys):
    return [NAMES.get(k, k) for k in keys]


def row(x):
    """one digest as the table of DIGEST.md 4 writes it"""
    if not x["sent"]:
        return (False, x["skip_reason"])
    return (True, [(p["kind"], NAMES.get(p["key"], p["key"]))
                   for p in x["pour_vous"]],
            names(x["a_la_une"]), names(x["debats"]), names(x["attente"]),
            x["bienvenue"], names(x["autres"]),
            x["subject"])


# -- thread metrics (DIGEST.md 4)
th = threads()
want = {  # M P X Rr m_max beta mu pi age_h phi D delta score open
    T1: (6, 3, 5, 3, 2, 1.0, 8, 2, 64.0, 0.540030, 2, 1.5, 12.9607, True),
    T2: (2, 2, 1, 0, 1, 1.0, 1, 1, 137.0, 0.267428, 0, 1.0, 0.2674, False),
    T3: (2, 1, 0, 0, 2, 0.0, 0, 0, 158.67, None, 0, 1.0, 0.0, False),
    T4: (1, 1, 0, 0, 1, 0.0, 0, 0, 46.0, None, 0, 1.0, 0.0, False),
}
for k, w in want.items():
    x = th.get(k)
    if not t.ok(x is not None and "metrics" in x,
                "%s listed with its metrics" % NAMES[k]):
        continue
    m = x["metrics"]
    got = (m["M"], m["P"], m["X"], m["Rr"], m["m_max"], round(m["beta"], 6),
           round(m["mu"]), round(m["pi"]), round(m["age_h"], 2),
           round(m["phi"], 6) if w[9] is not None else None, m["D"],
           round(m["delta"], 4), round(x["debate_score"], 4),
           x["open_debate"])
    t.is_(got, w, "%s: M P X Rr m_max beta mu pi age_h phi D delta score "
          "open as in the table" % NAMES[k])
t.is_({NAMES[k]: th[k]["unanswered"] for k in want if k in th},
      {"T1": False, "T2": False, "T3": True, "T4": True},
      "threads --json: T3 and T4 unanswered")
t.is_(names(threads("--unanswered")), ["T3", "T4"],
      "threads --unanswered: the newcomer's first post, then T4")
t.is_(names(threads("--open-debates")), ["T1"],
      "threads --open-debates: T1 only")

# -- expected digests
HDR = {"new_threads": 4, "messages": 12, "new_members": 1}
SUB = "[%s] " % CLUB
expected = {
    A: (False, "active"),
    B: (True, [], [], [], ["T3", "T4"], [E], ["T2"],
        SUB + "2 membres attendent une réponse · 1 nouveau membre"),
    C: (True, [("reassurance", "T4")], [], [], ["T3"], [E], ["T2"],
        SUB + "1 membre attend une réponse · 1 nouveau membre"),
    D: (True, [("nudge", "T1")], [], [], ["T3", "T4"], [E], ["T2"],
        SUB + "1 débat · 2 membres attendent une réponse · "
        "1 nouveau membre"),
    E: (True, [("reassurance", "T3")], [], ["T1"], ["T4"], [], ["T2"],
        SUB + "1 débat · 1 membre attend une réponse"),
    F: (True, [], [], ["T1"], ["T3", "T4"], [E], [],
        SUB + "1 débat · 2 membres attendent une réponse · "
        "1 nouveau membre"),
}
dg = digest()
t.is_(sorted(dg), sorted([NADIA] + list(expected)),
      "one entry per member, the animator included")
for addr, w in expected.items():
    x = dg.get(addr)
    if not t.ok(x is not None, "%s has an entry" % addr):
        continue
    t.is_(row(x), w, "%s: %s" % (addr, "sent as in the table" if w[0]
                                 else "not sent: " + w[1]))
    if w[0]:
        t.is_(x["header"], HDR, "%s: header 4 threads, 12 messages, "
              "1 new member" % addr)
nudge = dg.get(D, {}).get("pour_vous", [{}])[0]
t.is_(nudge.get("names"), [B, A],
      "the nudge names Bruno (tied) then Alice")
x = dg.get(B, {})
t.is_(digest("--member", B).get(B), x, "--member gives the same issue")
t.is_(d.sql1("SELECT count(*) FROM digests") +
      d.sql1("SELECT count(*) FROM nudge_log"), 0,
      "--json records nothing: no attempt, no nudge")

# -- --preview: the message David would get
def preview(member, club=CLUB):
    r = d.ctl("digest", club, "--member", member, "--at", AT, "--since",
              SINCE, "--preview")
    if r.returncode != 0:
        t.diag(r.stderr)
        return None
    return email.message_from_string(r.stdout, policy=email.policy.default)


class Balance(HTMLParser):
    """every element closed in order: the HTML part is well-formed"""
    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.ok = [], True

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def well_formed(html):
    b = Balance()
    b.feed(html)
    b.close()
    return b.ok and not b.stack and "data-" not in html


msg = preview(D)
t.is_((msg and msg.get_content_type(), msg and str(msg["Subject"]),
       msg and msg["Auto-Submitted"]),
      ("multipart/alternative", x and dg[D]["subject"], "auto-generated"),
      "--preview: multipart/alternative, the JSON's subject, "
      "Auto-Submitted")
p = parts(msg)
text, html = p.get("text/plain", ""), p.get("text/html", "")
t.ok("Bruno et Alice débattent" in text and T1S in text,
     "the nudge names Bruno and Alice and the thread")
reply = "%s+r-%s@%s" % (CLUB, T1, L.DOMAIN)
t.ok(reply in text and "mailto:" + reply in html,
     "each item has its reply address, a mailto: link in HTML")
t.ok(all(("%s+r-%s@" % (CLUB, k)) in text for k in (T3, T4)) and
     "Qui peut aider Emma" in text and "T2" not in text and T2S in text,
     "the text part has every section's items")
t.ok("<" not in text.replace("<" + reply + ">", ""),
     "the text part has no markup")
t.ok(html.count("+r-") >= 3 and "Ils attendent une réponse" in html,
     "the HTML part shows the same items")
t.ok(well_formed(html), "the HTML part is well-formed, no data-* left")
t.ok("Tous les messages" not in text,
     "an each member gets no full text")
p = parts(preview(C))
text = p.get("text/plain", "")
t.ok("Tous les messages de la période" in text and
     "Au contraire, chez nous" in text and "Merci beaucoup" in text and
     text.index(T3S, text.index("Tous les messages")) <
     text.index(T1S, text.index("Tous les messages")),
     "a digest member gets every message of the period, thread by thread")
t.ok(well_formed(p.get("text/html", "")), "and its HTML is well-formed")
r = d.ctl("digest", CLUB, "--member", A, "--at", AT, "--since", SINCE,
          "--preview")
t.is_(r.returncode, 1, "--preview of a skipped member exits 1 (active)")
r = d.ctl("digest", CLUB, "--at", AT, "--preview")
t.is_(r.returncode, 2, "--preview needs --member")

# -- the animators' report figures
r = d.ctl("--json", "stats", CLUB, "--at", AT)
st = json.loads(r.stdout) if r.returncode == 0 else {}
t.is_(st.get("period"), {"since": "2025-03-03T07:00:00Z",
                         "until": "2025-03-10T07:00:00Z"},
      "stats: the week before --at")
t.is_(st.get("figures"), {"new_threads": 4, "messages": 12, "posters": 5,
                          "new_members": 1, "left": 0, "suspended": 0},
      "stats: figures of the week")
t.is_([(x["key"], x["author"], x["age_days"], x["newcomer"])
       for x in st.get("unanswered", [])],
      [(T3, "Emma", 6, True), (T4, "Chloé", 1, False)],
      "stats: every unanswered item, newcomer first")
t.is_([(x["name"], x["introduced"], x["answered"])
       for x in st.get("newcomers", [])], [("Emma", True, False)],
      "stats: Emma introduced herself, no reply yet")
t.is_([x["key"] for x in st.get("open_debates", [])], [T1],
      "stats: the open debates")
t.is_((st.get("passive_count"), st.get("nudges_sent"), st.get("held")),
      (1, 0, {"items": [], "count": 0, "oldest_days": 0}),
      "stats: one passive member (a count), no nudge, nothing held")
t.ok(D not in r.stdout and "David" not in r.stdout,
     "stats never names the passive member")

# -- a quiet period (DIGEST 2.1): every year 03-09..03-11, or once
for q in ("03-09..03-11", "2025-03-10..2025-03-10, 08-01..08-31",
          "12-20..03-10"):
    d.ctl("club", "set", CLUB, "quiet", q, check=True)
    got = digest()
    t.ok(got and all(not x["sent"] and x["skip_reason"] == "quiet"
                     for x in got.values()),
         "quiet %s: nobody gets an issue, reason quiet" % q)
d.ctl("club", "set", CLUB, "quiet", "03-11..12-19", check=True)
t.is_(row(digest().get(D, {"sent": False, "skip_reason": None}))[0], True,
      "outside the quiet period the issues go again")
r = d.ctl("club", "set", CLUB, "quiet", "08-01..2025-08-31")
t.is_(r.returncode, 2, "a malformed quiet period is refused (exit 2)")
d.ctl("club", "set", CLUB, "quiet", "", check=True)

# -- V1: close T1
r = d.ctl("thread", CLUB, T1.upper(), "close")
t.is_(r.returncode, 0, "thread KEY close exits 0")
dg = digest()
t.is_(row(dg[D]),
      (True, [("nudge", "T3")], [], [], ["T4"], [E], ["T1", "T2"],
       SUB + "2 membres attendent une réponse · 1 nouveau membre"),
      "V1: David's nudge moves to T3, T1 falls to Autres")
t.is_((names(dg[F]["debats"]), names(dg[F]["autres"])), ([], ["T1"]),
      "V1: Farid loses T1 from Débats, gets it in Autres")
t.is_((names(dg[E]["debats"]), names(dg[E]["autres"])), ([], ["T1", "T2"]),
      "V1: Emma loses T1 from Débats, Autres T1, T2")
t.is_(names(threads("--open-debates")), [], "V1: no open debate")
r = d.ctl("thread", CLUB, T1, "reopen")
t.is_(row(digest()[D])[1], [("nudge", "T1")], "reopen: the nudge is T1 again")
r = d.ctl("thread", CLUB, "deadbeef", "close")
t.is_(r.returncode, 1, "an unknown key exits 1")
r = d.ctl("thread", CLUB, T1, "explode")
t.is_(r.returncode, 2, "an unknown action exits 2")

# -- V2: a daily issue on Saturday 20:00
v2 = digest(at="2025-03-08T20:00:00+01:00",
            since="2025-03-07T20:00:00+01:00")
t.ok(all(T4 not in x["attente"] for x in v2.values()),
     "V2: T4, 10 h old, is in nobody's Ils attendent une réponse")
t.is_(names(threads("--unanswered", at="2025-03-08T20:00:00+01:00")),
      ["T3"], "V2: threads --unanswered lists T3 only")

# -- V4: a duel, V5: a star (clubs of their own)
for club in ("duel", "star"):
    d.ctl("club", "create", club, "--lang", "en", check=True)
    for who in ("a", "b", "c", "d", "e", "f", "g", "h"):
        d.ctl("member", "add", club, "%s@example.org" % who, check=True)
        d.ctl("member", "set", club, "%s@example.org" % who, "joined",
              "2024-01-01T00:00:00Z" if who != "h" else
              "2025-03-05T00:00:00Z", check=True)
msgs, prev = [], None
for i in range(10):
    who = "a" if i % 2 == 0 else "b"
    msgs.append(mail("d%d" % i, "%s@example.org" % who,
                     fr("Sat, 08 Mar", "%02d:00" % (8 + i)),
                     "Re: TVA sur marge <script>" if prev else
                     "TVA sur marge <script>",
                     "Argument number %d, and I disagree with the last "
                     "one for several reasons.\n" % i, parent=prev))
    prev = "d%d" % i
msgs.append(mail("d10", "c@example.org", fr("Sat, 08 Mar", "19:00"),
                 "Re: TVA sur marge", "A third view on this long "
                 "exchange, from the side of a small shop.\n",
                 parent="d5"))
path = os.path.join(d.dir, "duel.mbox")
mbox(path, msgs)
d.ctl("import", "duel", path, check=True)
x = threads(club="duel").get(key("d0"), {})
m = x.get("metrics", {})
t.is_((m.get("M"), m.get("P"), m.get("duel"), x.get("open_debate")),
      (11, 3, True, False), "V4: 10 A/B + 1 C is a duel, not a debate")
v4 = digest(club="duel").get("d@example.org", {})
t.is_((v4.get("debats"), v4.get("bienvenue"), v4.get("autres")),
      ([], ["h@example.org"], [key("d0")]),
      "V4: the duel goes to Autres discussions")
p = parts(preview("d@example.org", club="duel"))
t.ok("&lt;script&gt;" in p.get("text/html", "") and
     "<script>" not in p.get("text/html", "x<script>") and
     "TVA sur marge <script>" in p.get("text/plain", ""),
     "a title with markup is escaped in HTML, plain in text")
t.ok("Other conversations" in p.get("text/plain", ""),
     "an English club gets the English template")

msgs = [mail("s0", "a@example.org", fr("Fri, 07 Mar", "09:00"),
             "We won the regional award", "Our shop won the regional "
             "award for craft bakeries this year.\n")]
for i, who in enumerate("bcdefg"):
    msgs.append(mail("s%d" % (i + 1), "%s@example.org" % who,
                     fr("Fri, 07 Mar", "%02d:00" % (10 + i)),
                     "Re: We won the regional award",
                     "Congratulations to the whole team, well deserved "
                     "after all this work!\n", parent="s0"))
path = os.path.join(d.dir, "star.mbox")
mbox(path, msgs)
d.ctl("import", "star", path, check=True)
x = threads(club="star").get(key("s0"), {})
m = x.get("metrics", {})
t.is_((m.get("M"), m.get("P"), m.get("X"), m.get("Rr"), x.get("open_debate")),
      (7, 7, 6, 0, False), "V5: a star thread has Rr = 0, no debate")
v5 = digest(club="star").get("g@example.org", {})
t.is_((v5.get("sent"), v5.get("subject")), (True, "[star] 1 new member"),
      "an English club's subject")
d.ctl("thread", "star", key("s0"), "pin", "2", check=True)
t.is_(d.sql1("SELECT pin_issues FROM threads WHERE key = ?", (key("s0"),)),
      2, "thread KEY pin 2: pinned for two issues")
v5 = digest(club="star", since="2025-03-06T00:00:00Z").get("a@example.org",
                                                            {})
t.is_((v5.get("a_la_une"), v5.get("subject")),
      ([key("s0")], "[star] This week's conversations"),
      "a pinned thread leads, uncounted: the subject without counts")

# -- member set keys the digest reads: featured, paused
d.ctl("member", "set", CLUB, E, "featured", "no", check=True)
d.ctl("member", "set", CLUB, F, "paused", "yes", check=True)
dg = digest()
t.is_((dg[B]["bienvenue"], dg[B]["subject"], dg[B]["header"]["new_members"]),
      ([], SUB + "2 membres attendent une réponse", 1),
      "featured no: Emma is not in Bienvenue, still a join in the header")
t.is_((dg[F]["sent"], dg[F]["skip_reason"]), (False, "paused"),
      "paused yes: Farid gets no issue")
d.ctl("member", "set", CLUB, E, "featured", "yes", check=True)
d.ctl("member", "set", CLUB, F, "paused", "no", check=True)

# -- V3 (last: it changes the week): Bruno welcomes Emma
path = os.path.join(d.dir, "v3.mbox")
mbox(path, [mail("m13", B, fr("Sun, 09 Mar", "10:00"), "Re: " + T3S,
                 "Bienvenue Emma !\n", parent="m10")])
d.ctl("import", CLUB, path, check=True)
th = threads()
t.is_((th[T3]["unanswered"], th[T3]["metrics"]["M"]), (False, 2),
      "V3: an ack-only welcome answers T3 and is no debate message")
dg = digest()
t.is_(names(dg[F]["attente"]), ["T4"], "V3: T3 leaves Farid's section 4")
t.is_(row(dg[D])[1], [("nudge", "T1")], "V3: David's nudge stays T1")
t.is_(dg[D]["subject"], SUB + "1 débat · 1 membre attend une réponse · "
      "1 nouveau membre", "V3: David's subject counts one waiting item")

t.done()
