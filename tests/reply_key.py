#!/usr/bin/env python3
"""reply_key - a reply to acme+r-KEY@ lands in thread KEY (SPEC 4, 9).

The digest gives every item a reply address acme+r-KEY@.  A member's
client replying to the digest sets In-Reply-To to the digest's own
Message-ID, or nothing at all; the reply must still join thread KEY
(under its root), and the copies relayed to the other members must carry
In-Reply-To/References naming that root so their clients thread it too.
When the reply's own headers name a message of the club, they win
(DIGEST 1.2: header links always win).  A held reply through r-KEY joins
KEY once approved.
"""

import json
import os
import sys

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN

d = L.Daemon()
L.club(d, ["alice@example.org", "bob@example.org", "carol@example.org"])
d.ctl("member", "add", "acme", "newbie@example.org", check=True)
d.start()


def threads():
    r = d.ctl("threads", "acme", "--json", check=True)
    return {x["key"]: x for x in json.loads(r.stdout)}


def key_of(mid):
    for k, x in threads().items():
        if mid in x["message_ids"]:
            return k
    return None


def copies_of(mid):
    return [m for _, m in d.outbox_pairs()
            if L.header(m, "Message-ID") == mid]


r = L.post(d, "alice@example.org", "<root1@example.org>", "Recruiting")
t.like(r.text if r else "", "accepted", "root of thread one accepted")
L.post(d, "bob@example.org", "<root2@example.org>", "Invoicing software")
k1, k2 = key_of("<root1@example.org>"), key_of("<root2@example.org>")
t.ok(k1 and k2 and k1 != k2, "two threads (%s, %s)" % (k1, k2))

# 1. no In-Reply-To, no References, a subject of its own
r = L.post(d, "carol@example.org", "<bare@example.org>", "My experience",
           rcpt="acme+r-%s@%s" % (k1, D))
t.like(r.text if r else "", "accepted", "a bare reply to r-KEY is accepted")
t.is_(key_of("<bare@example.org>"), k1, "it joins thread KEY")
t.is_(d.sql1("SELECT p.message_id FROM messages m JOIN messages p "
             "ON p.id = m.parent_id WHERE m.message_id = ?",
             ("<bare@example.org>",)),
      "<root1@example.org>", "under the thread's root")

# 2. In-Reply-To names the digest (unknown to the club)
r = L.post(d, "bob@example.org", "<viadigest@example.org>",
           "Re: [acme] Your weekly digest",
           extra=b"In-Reply-To: <digest.42@lists.example.org>\r\n"
                 b"References: <digest.42@lists.example.org>\r\n",
           rcpt="acme+r-%s@%s" % (k1, D))
t.is_(key_of("<viadigest@example.org>"), k1,
      "a reply to the digest itself joins thread KEY")

# 3. headers naming a message of the club win over KEY
r = L.post(d, "alice@example.org", "<hdrwin@example.org>", "Re: Invoicing",
           extra=b"In-Reply-To: <root2@example.org>\r\n",
           rcpt="acme+r-%s@%s" % (k1, D))
t.is_(key_of("<hdrwin@example.org>"), k2,
      "In-Reply-To naming a known post wins over KEY")

# the relayed copies carry the links
t.ok(d.wait_queue_empty(30), "copies sent")
for mid in ("<bare@example.org>", "<viadigest@example.org>"):
    cs = copies_of(mid)
    t.ok(len(cs) >= 2, "%s: relayed to the members (%d copies)"
         % (mid, len(cs)))
    t.ok(all(L.header(c, "In-Reply-To") == "<root1@example.org>"
             for c in cs), "%s: every copy's In-Reply-To is the root" % mid)
    t.ok(all("<root1@example.org>" in (L.header(c, "References") or "")
             for c in cs), "%s: and its References name the root" % mid)
    t.ok(all(c.count(b"\nIn-Reply-To:") + c.startswith(b"In-Reply-To:") == 1
             for c in cs), "%s: one In-Reply-To field only" % mid)
cs = copies_of("<hdrwin@example.org>")
t.ok(cs and all(L.header(c, "In-Reply-To") == "<root2@example.org>"
                for c in cs), "the header-linked reply keeps its own link")

# 4. a hostile Message-ID in References is not written back
r = L.post(d, "carol@example.org", "<hostile@example.org>", "Hostile",
           extra=b"References: <a b@x> <ok@example.org>\r\n",
           rcpt="acme+r-%s@%s" % (k1, D))
t.ok(d.wait_queue_empty(30), "copies sent")
cs = copies_of("<hostile@example.org>")
t.ok(cs and all(L.header(c, "In-Reply-To") == "<root1@example.org>"
                for c in cs), "a reply with unknown references joins KEY")

# 5. a held reply (a newcomer's) through r-KEY joins KEY once approved
r = L.post(d, "newbie@example.org", "<held@example.org>", "Hello",
           rcpt="acme+r-%s@%s" % (k1, D))
t.like(r.text if r else "", "held", "a newcomer's reply is held")
t.is_(key_of("<held@example.org>"), None, "not threaded while held")
hid = d.sql1("SELECT id FROM messages WHERE message_id = ?",
             ("<held@example.org>",))
d.ctl("held", "approve", str(hid), check=True)
t.is_(key_of("<held@example.org>"), k1, "approved, it joins thread KEY")
t.ok(d.wait_queue_empty(30), "copies sent")
cs = copies_of("<held@example.org>")
t.ok(cs and all(L.header(c, "In-Reply-To") == "<root1@example.org>"
                for c in cs), "and its copies name the root")

t.is_(threads()[k1]["messages"], 5, "thread KEY holds the root and four "
      "replies")
t.is_(d.stop(), 0, "stopped")
t.done()
