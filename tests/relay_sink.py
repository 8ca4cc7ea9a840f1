#!/usr/bin/env python3
"""relay_sink - posts relayed through libcurl to Postfix's smtp-sink (SPEC 7).

Part 1, copies: a post to a club of six members reaches smtp-sink as one
transaction per recipient, for exactly the members who get copies (not
the digest, nomail or paused ones), each with its own VERP envelope
sender and List-Unsubscribe token, the List-* headers, Precedence, the
subject prefix once, From munged, Message-ID/In-Reply-To/References kept,
the author's DKIM signature removed and the footer added.  Without
unsubscribe_url there is no List-Unsubscribe-Post.  The club's dmarc
(wrap, none) and reply_to settings shape the copies.  A SIGHUP that changes
the relay sends the next copies to the new one.

Part 2, faults (smtp-sink's fault injection): temporary refusals (-r
RCPT), a 421 and hang-up on MAIL (-Q), a hang-up after DATA (-q),
nothing listening: every copy stays queued with its error and attempt
count and the next attempt 1 minute later (a deferral is logged per copy
when the recipient's side refused, once per cause when it is ours); with
the relay fixed, the retries happen (time moved with MLISTD_NOW across a restart, and with
"mlistctl queue --retry") and every recipient gets exactly one copy.  A
permanent refusal (-f RCPT with 550 5.1.1) is a hard bounce at once: the
row leaves the queue and the member scores 1.  A copy still failing after
5 days expires as a soft bounce.  A refusal naming DMARC is logged but
never counts against the member.  A stop in the middle of a fan-out
resumes after the restart without sending anybody a second copy, and so
does a database locked by another process while outcomes are recorded.
"""

import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
if not os.path.exists("/usr/sbin/smtp-sink"):
    t.skip_all("smtp-sink not installed (Debian package postfix)")

DOM = L.DOMAIN


post, club = L.post, L.club


def relay_conf(sink_port, *more):
    return ["relay = smtp://127.0.0.1:%d" % sink_port, "relay_tls = off",
            "relay_concurrency = 2"] + list(more)


def by_rcpt(msgs):
    out = {}
    for mail, rcpts, body in msgs:
        for r in rcpts:
            out.setdefault(r, []).append((mail, body))
    return out


# ------------------------------------------------------------ part 1
sink = L.Sink()
d = L.Daemon(extra=relay_conf(sink.port,
                              "unsubscribe_url = https://lists.example.org/u"))
members = ["alice@example.com", "bob@example.com", "carol@example.com",
           "dave@example.com", "erin@example.com", "frank@example.com"]
club(d, members, footer="Acme Club: https://acme.example.org",
     subject_prefix="[acme]")
d.ctl("member", "set", "acme", "carol@example.com", "delivery", "digest",
      check=True)
d.ctl("member", "set", "acme", "dave@example.com", "delivery", "none",
      check=True)
d.ctl("member", "set", "acme", "erin@example.com", "paused", "yes",
      check=True)
d.start()
dkim = (b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1;\r\n"
        b" h=from:subject; bh=abc=; b=def=\r\n"
        b"In-Reply-To: <p0@example.com>\r\nReferences: <p0@example.com>\r\n")
r = post(d, "Alice Martin <alice@example.com>", "<p1@example.com>",
         "Re: [acme] Re: [acme] Budget", b"Line one\r\n.dot line\r\n", dkim)
t.like(r.text if r else "", r"accepted, copies queued",
       "the post is accepted, its copies queued")
t.ok(d.wait_queue_empty(30), "the queue drains")
t.ok(sink.wait_count(3, 10), "smtp-sink received the copies")
got = by_rcpt(sink.messages())
t.is_(sorted(got), ["alice@example.com", "bob@example.com",
                    "frank@example.com"],
      "each/active/unpaused members only (author's own copy included)")
t.ok(all(len(v) == 1 for v in got.values()), "exactly one copy each")
member_id = dict(d.sql("SELECT address, id FROM members"))
tokens = set()
for rcpt, [(mail, body)] in sorted(got.items()):
    m = re.match(r"^<?acme\+bounce-([a-z0-9.]+)@lists\.example\.org>?$",
                 mail or "")
    t.ok(m is not None, "%s: envelope sender is acme+bounce-TOKEN@" % rcpt)
    if m:
        t.ok(m.group(1).startswith(L.b36(member_id[rcpt]) + "."),
             "%s: its token names the member" % rcpt)
    lu = L.header(body, "List-Unsubscribe") or ""
    um = re.match(r"<mailto:acme\+unsub-([a-z0-9.]+)@lists\.example\.org>, "
                  r"<https://lists\.example\.org/u/([a-z0-9.]+)>$", lu)
    t.ok(um is not None and um.group(1) == um.group(2),
         "%s: List-Unsubscribe by mail and URL, same token (%s)" % (rcpt, lu))
    if um:
        tokens.add(um.group(1))
    t.is_(L.header(body, "List-Unsubscribe-Post"),
          "List-Unsubscribe=One-Click", "%s: List-Unsubscribe-Post" % rcpt)
    t.is_(L.header(body, "List-Id"), '"Acme Club" <acme.lists.example.org>',
          "%s: List-Id" % rcpt)
    for h, v in (("List-Post", "<mailto:acme@lists.example.org>"),
                 ("List-Help", "<mailto:acme+help@lists.example.org>"),
                 ("List-Subscribe",
                  "<mailto:acme+subscribe@lists.example.org>"),
                 ("List-Owner", "<mailto:acme+owner@lists.example.org>"),
                 ("Precedence", "list"),
                 ("Subject", "Re: [acme] Budget"),
                 ("Message-ID", "<p1@example.com>"),
                 ("In-Reply-To", "<p0@example.com>"),
                 ("References", "<p0@example.com>")):
        t.is_(L.header(body, h), v, "%s: %s" % (rcpt, h))
    t.like(L.header(body, "From") or "",
           r'^"?Alice Martin via acme"? <acme@lists\.example\.org>$',
           "%s: From munged (DMARC)" % rcpt)
    t.like(L.header(body, "Cc") or "", r"alice@example\.com",
           "%s: the author in Cc (reply_to = list)" % rcpt)
    t.is_(L.header(body, "DKIM-Signature"), None,
          "%s: the author's DKIM signature is removed" % rcpt)
    t.ok(b"\r\n.dot line\r\n" in body.replace(b"\n", b"\r\n").replace(
        b"\r\r\n", b"\r\n") or b"\n.dot line\n" in body,
         "%s: a line starting with a dot arrives intact" % rcpt)
    t.like(body.decode("utf-8", "replace"), r"Acme Club: https://acme",
           "%s: the footer is there" % rcpt)
t.is_(len(tokens), 3, "every member has an unsubscribe token of their own")
t.like(open(d.log).read(),
       r"M\d+: club=acme to=<bob@example\.com> relay=127\.0\.0\.1:\d+ "
       r"dsn=2\.\d\.\d status=sent \(",
       "each delivery is logged in the outcome format")
d.stop()
sink.stop()

# no unsubscribe_url: no List-Unsubscribe-Post
sink = L.Sink()
d = L.Daemon(extra=relay_conf(sink.port))
club(d, ["bob@example.com"])
d.start()
post(d, "bob@example.com", "<p2@example.com>", "Plain")
t.ok(sink.wait_count(1, 20), "a copy without unsubscribe_url")
[(mail, rcpts, body)] = sink.messages()[:1]
t.like(L.header(body, "List-Unsubscribe") or "",
       r"^<mailto:acme\+unsub-[a-z0-9.]+@lists\.example\.org>$",
       "List-Unsubscribe by mail only")
t.is_(L.header(body, "List-Unsubscribe-Post"), None,
      "and no List-Unsubscribe-Post")
t.is_(L.header(body, "Subject"), "[acme] Plain", "subject prefixed once")
d.stop()
sink.stop()

# the club's dmarc and reply_to settings reach the copies
d = L.Daemon()
club(d, ["bob@example.com"])
d.start()
for dmarc, reply_to, mid in (("wrap", "list", "<w1@example.com>"),
                             ("none", "author", "<w2@example.com>")):
    d.ctl("club", "set", "acme", "dmarc", dmarc, check=True)
    d.ctl("club", "set", "acme", "reply_to", reply_to, check=True)
    post(d, "Bob Durand <bob@example.com>", mid, "Settings " + dmarc)
    d.wait_queue_empty(20)
    [raw] = [m for _, m in d.outbox_pairs() if mid.encode() in m]
    if dmarc == "wrap":
        t.like(L.header(raw, "Content-Type") or "", r"^multipart/mixed",
               "dmarc = wrap: a multipart/mixed wrapper")
        t.ok(b"message/rfc822" in raw and
             b"From: Bob Durand <bob@example.com>" in raw,
             "holding the original, its From untouched")
        t.like(L.header(raw, "From") or "", r"Bob Durand via acme",
               "the wrapper comes from the list")
    else:
        t.is_(L.header(raw, "From"), "Bob Durand <bob@example.com>",
              "dmarc = none: From unchanged")
        t.is_(L.header(raw, "Reply-To"), None,
              "reply_to = author: no Reply-To to the list")
d.stop()

# SIGHUP moves the relay: capture first, then the sink
sink = L.Sink()
d = L.Daemon()
club(d, ["bob@example.com"])
d.start()
post(d, "bob@example.com", "<hup1@example.com>", "Before")
d.wait_queue_empty(20)
t.is_(len(d.outbox_pairs()), 1, "SIGHUP test: the first copy is captured")
conf = open(d.conf).read().replace("relay = capture:" + d.outbox,
                                   "relay = smtp://127.0.0.1:%d\nrelay_tls = off"
                                   % sink.port)
open(d.conf, "w").write(conf)
d.proc.send_signal(1)
deadline = time.monotonic() + 10
while "configuration reloaded" not in open(d.log).read() and \
        time.monotonic() < deadline:
    time.sleep(0.05)
post(d, "bob@example.com", "<hup2@example.com>", "After")
t.ok(sink.wait_count(1, 20), "after SIGHUP the next copy goes to the new relay")
t.is_(len(d.outbox_pairs()), 1, "and not to the old one")
d.stop()
sink.stop()

# ------------------------------------------------------------ part 2
NOW = "2030-01-07T10:00:00Z"
T0 = 1894010400  # NOW as a Unix time


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


rcpts3 = ["u1@example.org", "u2@example.org", "u3@example.org"]
for opts, what in ((["-r", "RCPT"], "450 at RCPT"),
                   (["-Q", "MAIL"], "421 and hang-up at MAIL"),
                   (["-q", "DATA"], "hang-up at DATA"),
                   (None, "nothing listening")):
    port = L.free_port()
    bad = L.Sink(opts, port=port) if opts is not None else None
    d = L.Daemon(extra=relay_conf(port))
    os.environ["MLISTD_NOW"] = NOW
    club(d, rcpts3)
    d.start()
    post(d, "u1@example.org", "<f@example.com>", "Fault")
    ok = d.wait_queue(lambda q: len(q) == 3 and
                      all(i["attempts"] == 1 for i in q), 30)
    q = json.loads(d.ctl("queue", "--json").stdout)
    t.ok(ok, "%s: the 3 copies stay queued after one attempt" % what)
    t.ok(all(i["last_error"] for i in q) and (opts is None or all(
        re.match(r"4\d\d ", i["last_error"]) for i in q) or
        opts[0] == "-q"),
         "%s: each with its last error (%s)" %
         (what, q[0]["last_error"] if q else None))
    t.ok(all(i["next_attempt"] == iso(T0 + 60) or
             i["next_attempt"] == iso(T0 + 61) for i in q),
         "%s: next attempt 1 minute later (%s)" %
         (what, q[0]["next_attempt"] if q else None))
    text = d.ctl("queue").stdout
    t.like(text, r"acme\t<f@example\.com>\tu2@example\.org\t1\t",
           "%s: mlistctl queue lists them" % what)
    d.stop()
    if bad:
        bad.stop()
    # a working relay on the same port; restarted 2 minutes later, the
    # 1-minute retry is due
    good = L.Sink(port=port)
    os.environ["MLISTD_NOW"] = iso(T0 + 120)
    d.start()
    t.ok(d.wait_queue_empty(30), "%s: the retry empties the queue" % what)
    t.ok(good.wait_count(3, 10), "%s: the copies arrive" % what)
    got = by_rcpt(good.messages())
    t.is_(sorted((k, len(v)) for k, v in got.items()),
          [(r, 1) for r in rcpts3], "%s: one copy each" % what)
    log = open(d.log).read()
    if opts is not None and opts[0] == "-r":
        t.like(log, r"status=deferred", "%s: deferrals logged" % what)
    else:
        # SPEC 7: our side's trouble is logged once per cause
        t.is_(len(re.findall(r"warning: relay smtp://127\.0\.0\.1:%d: " %
                             port, log)), 1,
              "%s: the relay's trouble logged once" % what)
        t.ok("status=deferred" not in log, "%s: not once per copy" % what)
    d.stop()
    good.stop()
    del os.environ["MLISTD_NOW"]

# backoff, then "queue --retry", then expiry after 5 days
port = L.free_port()
bad = L.Sink(["-r", "RCPT"], port=port)
d = L.Daemon(extra=relay_conf(port))
os.environ["MLISTD_NOW"] = NOW
club(d, ["v1@example.org", "v2@example.org"])
d.start()
post(d, "v1@example.org", "<b@example.com>", "Backoff")
t.ok(d.wait_queue(lambda q: len(q) == 2 and all(i["attempts"] == 1
                                                for i in q), 30),
     "first attempt deferred")
d.stop()
os.environ["MLISTD_NOW"] = iso(T0 + 90)
d.start()
t.ok(d.wait_queue(lambda q: all(i["attempts"] == 2 for i in q), 30),
     "restarted 90 s later: the second attempt happens by itself")
q = json.loads(d.ctl("queue", "--json").stdout)
t.ok(all(i["next_attempt"] == iso(T0 + 300) for i in q),
     "the third is due 5 minutes after the first (%s)" %
     (q[0]["next_attempt"] if q else None))
r = d.ctl("queue", "--retry")
t.like(r.stdout, r"^2 copies due now", "queue --retry makes them due")
t.ok(d.wait_queue(lambda q: all(i["attempts"] == 3 for i in q), 30),
     "and they are tried at once")
d.stop()
os.environ["MLISTD_NOW"] = iso(T0 + 5 * 86400 + 60)
d.start()
t.ok(d.wait_queue_empty(30), "after 5 days the copies expire")
t.is_(d.sql("SELECT m.address, b.kind, b.counted, b.status FROM bounces b "
            "JOIN members m ON m.id = b.member_id ORDER BY m.address"),
      [("v1@example.org", "soft", 1, "4.4.7"),
       ("v2@example.org", "soft", 1, "4.4.7")],
      "each counts as a soft bounce (4.4.7)")
t.like(open(d.log).read(), r"to=<v2@example\.org> .*status=expired",
       "the expiry is logged")
d.stop()
bad.stop()
del os.environ["MLISTD_NOW"]

# a permanent refusal is a hard bounce at once
bad = L.Sink(["-f", "RCPT", "-B", "550 5.1.1 No such user"])
d = L.Daemon(extra=relay_conf(bad.port))
club(d, ["w1@example.org", "w2@example.org"])
d.start()
post(d, "w1@example.org", "<h@example.com>", "Hard")
t.ok(d.wait_queue_empty(30), "5xx: nothing stays queued")
t.is_(d.sql("SELECT address, bounce_score FROM members ORDER BY address"),
      [("w1@example.org", 1.0), ("w2@example.org", 1.0)],
      "each member scores a hard bounce")
t.like(open(d.log).read(), r"to=<w2@example\.org> .*dsn=5\.1\.1 "
       r"status=bounced \(550 5\.1\.1 No such user\)", "the bounce is logged")
d.stop()
bad.stop()

# a relay refusing our envelope sender is our fault, never the members'
bad = L.Sink(["-f", "MAIL", "-B", "553 5.1.8 Sender address rejected"])
d = L.Daemon(extra=relay_conf(bad.port))
club(d, ["y1@example.org", "y2@example.org"])
d.start()
post(d, "y1@example.org", "<mf@example.com>", "Sender refused")
t.ok(d.wait_queue(lambda q: len(q) == 2 and all(
    i["attempts"] == 1 and "5.1.8" in i["last_error"] for i in q), 30),
     "5xx at MAIL: the copies stay queued with the error")
t.is_(d.sql("SELECT count(*) FROM bounces"), [(0,)],
      "and nobody scores a bounce")
d.stop()
bad.stop()

# a refusal because of the author's DMARC policy is not the member's fault
bad = L.Sink(["-f", "RCPT", "-B", "550 5.7.1 Rejected by DMARC policy"])
d = L.Daemon(extra=relay_conf(bad.port))
club(d, ["x1@example.org"])
d.start()
post(d, "x1@example.org", "<dm@example.com>", "DMARC")
t.ok(d.wait_queue_empty(30), "DMARC refusal: nothing stays queued")
t.is_(d.sql("SELECT b.kind, b.counted, m.bounce_score FROM bounces b JOIN "
            "members m ON m.id = b.member_id"), [("soft", 0, 0.0)],
      "logged as a bounce that does not count against the member")
d.stop()
bad.stop()

# a stop in the middle of a fan-out resumes without duplicates
port = L.free_port()
slow = L.Sink(["-W", "DATA:1"], port=port)
many = ["r%02d@example.org" % i for i in range(12)]
d = L.Daemon(extra=["relay = smtp://127.0.0.1:%d" % port,
                    "relay_tls = off", "relay_concurrency = 1"])
club(d, many)
d.start()
post(d, many[0], "<s@example.com>", "Slow")
slow.wait_count(2, 20)
t.is_(d.stop(), 0, "SIGTERM in the middle of the fan-out: exit 0")
first = by_rcpt(slow.messages())
slow.stop()
left = d.sql1("SELECT count(*) FROM queue")
t.ok(0 < left < 12, "some copies sent (%d), the rest still queued (%d)" %
     (len(first), left))
t.is_(d.sql1("SELECT count(*) FROM queue WHERE status != 'pending'"), 0,
      "nothing left claimed")
fast = L.Sink(port=port)
d.start()
t.ok(d.wait_queue_empty(30), "after the restart the queue drains")
fast.wait_count(left, 10)
second = by_rcpt(fast.messages())
t.is_(sorted(list(first) + list(second)), sorted(many),
      "every member got the post, nobody twice")
t.ok(all(len(v) == 1 for v in list(first.values()) +
         list(second.values())), "one copy per transaction")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
fast.stop()

# the database locked by someone else while outcomes are recorded: they
# are kept and written later, and no copy is sent twice after a restart
import sqlite3  # noqa: E402
port = L.free_port()
slow = L.Sink(["-W", "DATA:1"], port=port)
few = ["k%02d@example.org" % i for i in range(6)]
d = L.Daemon(extra=["relay = smtp://127.0.0.1:%d" % port,
                    "relay_tls = off", "relay_concurrency = 1"])
club(d, few)
d.start()
post(d, few[0], "<lock@example.com>", "Locked")
slow.wait_count(1, 20)
con = sqlite3.connect(d.db, timeout=30, isolation_level=None)
con.execute("BEGIN IMMEDIATE")
# longer than mlistd's 10 s busy timeout by more than a copy takes even
# on a loaded machine: some record must start early enough to give up
time.sleep(20)
con.execute("COMMIT")
con.close()
t.ok(d.wait_queue_empty(40), "locked for 20 s: the queue still drains")
t.like(open(d.log).read(), r"outcomes kept for the next try",
       "the failed record is reported and kept")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
d.start()
time.sleep(2)
got = by_rcpt(slow.messages())
t.is_(sorted((k, len(v)) for k, v in got.items()), [(r, 1) for r in few],
      "after a restart nobody has a second copy")
t.is_(d.stop(), 0, "SIGTERM: exit 0")
slow.stop()
t.done()
