#!/usr/bin/env python3
"""intake_bounce - one crafted report to a member's VERP address does not
stall intake (SPEC 5, 8; README "Decisions": untrusted work is bounded).

Anyone who received one copy knows a valid acme+bounce-TOKEN@ address (the
Return-Path of every copy).  A 1.8 MB "DSN" holding 300,000 addresses on
one line once kept the committer busy for hours while the write lock was
held.  Here it is sent on one LMTP session while a normal post goes on
another: the post must get its 250 within 5 s, the report itself must be
answered in bounded time, and SIGTERM must stop the daemon promptly
afterwards.
"""

import os
import sys
import threading
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN

d = L.Daemon()
d.ctl("club", "create", "acme", check=True)
d.ctl("club", "set", "acme", "moderation", "none", check=True)
d.ctl("member", "add", "acme", "anim@example.com", "--role", "animator",
      check=True)
d.ctl("member", "add", "acme", "bob@example.org", check=True)
d.start()


def deliver(rcpt, raw, mail_from="anim@example.com", timeout=10):
    with d.client(timeout=timeout) as c:
        c.reply()
        c.lhlo()
        _, rr, _, after = c.transaction(mail_from, [rcpt],
                                        L.data_encode(raw)[0], timeout)
    return after[0] if after else rr[0]


def post(n):
    raw = ("From: anim@example.com\r\nSubject: post %d\r\nMessage-ID: "
           "<ib%d@example.com>\r\n\r\nHello\r\n" % (n, n)).encode()
    return deliver("acme@" + D, raw)


# a member's VERP address, as any recipient of a copy sees it
t.like(post(1).text, r"^250 ", "a first post is accepted")
t.ok(d.wait_queue_empty(30), "its copies are relayed")
verp = [env["mail_from"] for env, _ in d.outbox_pairs()
        if env["rcpt_to"] == ["bob@example.org"]]
verp = verp[-1] if verp else ""
t.like(verp, r"^acme\+bounce-[a-z0-9.]+@lists\.example\.org$",
       "bob's copy carries his VERP address")

addrs = " ".join("%s@b.c" % chr(97 + i % 26) for i in range(300000))
crafted = ("From: MAILER-DAEMON@mx.example.net\r\nTo: %s\r\n"
           "Subject: Undelivered Mail Returned to Sender\r\n"
           "Message-ID: <crafted@mx.example.net>\r\n\r\n"
           "Delivery failed for: %s\r\n" % (verp, addrs)).encode()
t.ok(len(crafted) > 1800000, "the crafted report is %d bytes" % len(crafted))

result = {}


def send_crafted():
    t0 = time.monotonic()
    try:
        # bounded: a stalled daemon fails the test, it does not hang it
        result["reply"] = deliver(verp, crafted, "", timeout=60)
    except Exception as e:  # noqa: BLE001 - reported below
        result["reply"] = e
    result["secs"] = time.monotonic() - t0


th = threading.Thread(target=send_crafted)
th.start()
time.sleep(0.3)                 # the report is on its way or being judged
t0 = time.monotonic()
try:
    r = post(2)
except Exception as e:  # noqa: BLE001
    r = L.Reply([repr(e)])
secs = time.monotonic() - t0
t.diag("normal post answered in %.2f s" % secs)
t.like(r.text, r"^250 ", "a post on another session is accepted")
t.ok(secs < 5, "within 5 s (%.2f s)" % secs)
th.join(70)
rep = result.get("reply")
t.diag("crafted bounce answered in %.2f s" % result.get("secs", -1))
t.ok(isinstance(rep, L.Reply) and rep.code == 250,
     "the crafted report is answered 250 (%r)" % (rep,))
t.ok(result.get("secs", 99) < 15, "in bounded time (%.2f s)" %
     result.get("secs", -1))
t.is_(d.sql1("SELECT count(*) FROM messages WHERE role = 'bounce'"), 1,
      "the report is stored")
t0 = time.monotonic()
t.is_(d.stop(timeout=30), 0, "SIGTERM: exit 0")
t.ok(time.monotonic() - t0 < 5, "promptly (%.2f s)" % (time.monotonic() - t0))
t.done()
