#!/usr/bin/env python3
"""text_corpus - question detection and quote stripping (DIGEST.md 1.2,
1.3) on real mail from ../shared/corpus, read the way an admin checks
mlistd's judgement: `mlistctl inspect message FILE`.

English: an Apache httpd users' list archive (ponymail corpus), a
question asked in the body, one asked as "what does that mean?", and a
reply quoting the whole question with ">" under an "Anyone?".  French:
notmuch's "Essai accentué", an exclamation, not a question, with a
"-- " signature.  Which message is which was read by hand from the
corpus; the test finds them by Message-ID or subject.
"""

import json
import mailbox
import os
import sys

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
corpus = L.corpus_dir(t, "threads")
d = L.Daemon()
tmp = L.mkdtemp()


def inspect(raw, name):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(raw)
    r = d.ctl("inspect", "message", path)
    if r.returncode != 0:
        t.diag("inspect %s: exit %d: %s" % (name, r.returncode, r.stderr))
        return {}
    return json.loads(r.stdout)


def words(s):
    return " ".join((s or "").split())


mbox = os.path.join(corpus, "ponymail", "corpus",
                    "httpd-users-200606-part.mbox")
by_subject = {}
for i, m in enumerate(mailbox.mbox(mbox)):
    by_subject.setdefault(str(m["Subject"] or ""), []).append(m.as_bytes())

root = by_subject.get('[users@httpd] bug? LogFormat "%{tid}P" gives wrong '
                      'tid on Windows Server 2003', [b""])[0]
j = inspect(root, "root.eml")
t.is_(j.get("is_question"), True,
      "en: 'Could anyone confirm that this is a bug ...?' is a question")

j = inspect(by_subject.get("[users@httpd] Log file shows -ve number for %D "
                           "(time spent in microseconds)", [b""])[0],
            "meaning.eml")
t.is_(j.get("is_question"), True, "en: 'what does that mean?' is a question")

reply = by_subject.get('RE: [users@httpd] bug? LogFormat "%{tid}P" gives '
                       'wrong tid on Windows Server 200', [b""])[0]
j = inspect(reply, "reply.eml")
st = words(j.get("stripped_text"))
t.like(st, r"^Anyone\? Could it be that the \"thread id\"",
       "en: the reply's own words are kept")
t.ok("It seems that the access log" not in st and
     "gaodebin@hotmail.com" not in st,
     "en: the quoted question (lines starting with '>') is stripped")
t.like(words(j.get("text")), r"It seems that the access log",
       "en: the full text still holds the quote")
t.is_(j.get("ack_only"), False, "en: the reply is substantive")

fr = os.path.join(corpus, "notmuch", "default", "cur", "53:2,")
with open(fr, "rb") as f:
    j = inspect(f.read(), "fr.eml")
t.like(words(j.get("stripped_text")), r"accentué pour ça .* à la bonne "
       r"heure !$", "fr: the text is decoded from ISO-8859-1 QP")
t.ok("BERGER" not in (j.get("stripped_text") or ""),
     "fr: the '-- ' signature is stripped")
t.is_(j.get("is_question"), False, "fr: an exclamation is no question")
t.done()
