#!/usr/bin/env python3
"""relay_bounce_corpus - real bounces answering real copies (SPEC 8).

One post goes to a club of as many members as the corpus has bounces
(bounces/flufl and bounces/sisimai/*.eml); mlistd relays a copy to each
through the capture relay, each with its own VERP envelope sender.  Each
corpus bounce is then rewritten to answer one of those copies: every
address mlistd's parser reads as failed in it becomes that copy's
recipient, and it is delivered over LMTP to that copy's VERP address,
from the null sender.  Checked: every report is accepted; the bounces
table gets exactly one event for that member, naming the post, of the
kind "mlistctl inspect bounce" gives for the rewritten report; it counts
exactly when the kind is hard or soft (and DMARC is not the cause); and
the member's score is 1 (hard), 0.5 (soft) or 0 (otherwise).
"""

import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
corpus = L.corpus_dir(t, "bounces")
files = []
for sub in ("flufl", "sisimai"):
    d = os.path.join(corpus, sub)
    for n in sorted(os.listdir(d)):
        p = os.path.join(d, n)
        if os.path.isfile(p) and not n.endswith((".tsv", ".md", ".json")):
            files.append(p)
t.ok(len(files) > 100, "%d corpus bounces" % len(files))

d = L.Daemon()
d.ctl("club", "create", "acme", check=True)
d.ctl("club", "set", "acme", "moderation", "none", check=True)
members = ["m%03d@example.net" % i for i in range(len(files))]
lst = os.path.join(d.dir, "members.txt")
with open(lst, "w") as f:
    f.write("".join(m + "\n" for m in ["author@example.com"] + members))
d.ctl("member", "import", "acme", lst, check=True)
d.ctl("member", "set", "acme", "author@example.com", "own_copy", "no",
      check=True)
d.start()

post = (b"From: Author <author@example.com>\r\nTo: acme@lists.example.org\r\n"
        b"Subject: A question\r\nMessage-ID: <q@example.com>\r\n\r\nHello?\r\n")
with d.client() as c:
    c.reply()
    c.lhlo()
    _, _, _, after = c.transaction("author@example.com",
                                   ["acme@lists.example.org"],
                                   L.data_encode(post)[0])
t.like(after[0].text if after else "", r"accepted, copies queued",
       "the post is accepted with its copies queued")
t.ok(d.wait_queue_empty(60), "every copy is relayed")
verp = {}
for env, _ in d.outbox_pairs():
    verp[env["rcpt_to"][0]] = env["mail_from"]
t.is_(sorted(verp), sorted(members), "one copy per member, none to the author")
post_id = d.sql1("SELECT id FROM messages WHERE message_id = '<q@example.com>'")


def inspect(path):
    r = d.ctl("inspect", "bounce", path)
    return json.loads(r.stdout) if r.returncode == 0 else None


bad = []
counts = {"hard": 0, "soft": 0, "delayed": 0, "none": 0}
with d.client(timeout=30) as c:
    c.reply()
    c.lhlo()
    for i, path in enumerate(files):
        rcpt = members[i]
        with open(path, "rb") as f:
            raw = f.read()
        before = inspect(path) or {"recipients": []}
        for r in before["recipients"]:
            a = r["address"].encode()
            if a:
                raw = re.sub(re.escape(a), rcpt.encode(), raw,
                             flags=re.I)
        # a unique Message-ID per file, so no report is a duplicate
        raw = b"X-Test-File: " + str(i).encode() + b"\n" + raw
        rw = os.path.join(d.dir, "b%03d.eml" % i)
        with open(rw, "wb") as f:
            f.write(raw)
        want = inspect(rw)
        mr, rr, dr, after = c.transaction("", [verp[rcpt]],
                                          L.data_encode(raw)[0])
        if not after or after[0].code != 250:
            bad.append("%s: not accepted: %s" % (path, after or rr))
            continue
        rows = d.sql("SELECT kind, counted, msg_id FROM bounces b JOIN "
                     "members m ON m.id = b.member_id WHERE m.address = ?",
                     (rcpt,))
        kind = want["kind"] if want else "none"
        counts[kind] = counts.get(kind, 0) + 1
        counted = 1 if kind in ("hard", "soft") and not want.get(
            "dmarc", False) else 0
        if rows != [(kind, counted, post_id)]:
            bad.append("%s: bounces %r, want %r" %
                       (os.path.basename(path), rows,
                        [(kind, counted, post_id)]))
            continue
        score = d.sql1("SELECT bounce_score FROM members WHERE address = ?",
                       (rcpt,))
        want_score = {"hard": 1.0, "soft": 0.5}.get(kind, 0.0) if counted \
            else 0.0
        if score != want_score:
            bad.append("%s: score %r, want %r" % (path, score, want_score))
for b in bad[:20]:
    t.diag(b)
t.diag("kinds of the rewritten reports: %r" % counts)
t.is_(len(bad), 0, "every report is attributed to its member and message, "
      "with the parser's kind, counted as SPEC 8 says")
t.ok(counts["hard"] > 50 and counts["soft"] > 50,
     "hard and soft bounces both occur")
t.ok(d.running(), "mlistd is still running")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
t.done()
