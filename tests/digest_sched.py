#!/usr/bin/env python3
"""digest_sched - mlistd sends digests at the club's local time, once.

A club with digest_time 08:00 in Europe/Paris (weekly on Monday), moved
through time with MLISTD_NOW across restarts (the scheduler's pass runs
within a second of a start): the issue goes out at 07:00Z in winter and
06:00Z after the change of 2025-03-30, not a minute before; a restart,
or a run cut after its issues were committed (its slot not recorded),
sends nothing twice; a member with daily highlights gets the next day's
issue; three missed weeks give one issue; mlistctl digest --send uses
the same path and its records; the animators get one alert
about a newcomer's first post left unanswered 24 h, once, and the weekly
report, which a club with nothing to report does not get, and which a
club whose only news is a member who left does get, with that count.
"""

import email
import email.policy
import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

t = L.Tap()
D = L.DOMAIN
d = L.Daemon(extra=["templates = " + os.path.join(L.tests_dir(), "..",
                                                  "templates")])
ANIM, ALICE, BOB, DAN = ("anim@example.com", "alice@example.org",
                         "bob@example.org", "dan@example.org")


def ts(s):
    return int(time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
               - time.timezone)


def restart(s):
    d.stop()
    os.environ["MLISTD_NOW"] = s
    d.start()


def settle():
    """The pass at start has run (it logs nothing when idle)."""
    time.sleep(1.5)


def issues(addr):
    """Times of the issues sent to addr."""
    return [r[0] for r in d.sql(
        "SELECT g.sent FROM digests g JOIN members m ON m.id = g.member_id"
        " WHERE m.address = ? AND g.sent IS NOT NULL ORDER BY g.sent",
        (addr,))]


def wait_issues(addr, n, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(issues(addr)) >= n:
            return True
        time.sleep(0.1)
    t.diag("timed out waiting for %d issues to %s; log:\n%s" %
           (n, addr, d.log_tail()))
    return False


def digests_out(addr):
    """Digest messages the capture relay sent to addr."""
    return [raw for env, raw in d.outbox_pairs()
            if env["rcpt_to"] == [addr] and b"List-Unsubscribe:" in raw and
            (L.header(raw, "Message-ID") or "").startswith("<notice.")]


def reports():
    """(recipient, raw) of the weekly reports the relay sent."""
    return [(env["rcpt_to"], raw) for env, raw in d.outbox_pairs()
            if (L.header(raw, "Subject") or "").endswith("Weekly report")]


def deliver(frm, msgid, subject, date, body):
    raw = ("From: %s\r\nTo: acme@%s\r\nSubject: %s\r\nMessage-ID: %s\r\n"
           "Date: %s\r\n\r\n%s\r\n" % (frm, D, subject, msgid, date,
                                       body)).encode()
    return d.deliver("acme@" + D, raw, frm)


restart("2025-03-17T09:00:00Z")
L.club(d, [ALICE, BOB, DAN], digest_time="08:00", digest_day="mon",
       timezone="Europe/Paris")
d.ctl("member", "add", "acme", ANIM, "--role", "animator", check=True)
# a club where nothing happens: its animator never gets a report
d.ctl("club", "create", "calm", check=True)
d.ctl("member", "add", "calm", "calm-anim@example.com", "--role", "animator",
      check=True)
# a club whose only news is a departure (DIGEST 2.5: members who left)
d.ctl("club", "create", "leavers", check=True)
d.ctl("member", "add", "leavers", "leavers-anim@example.com", "--role",
      "animator", check=True)
d.ctl("member", "add", "leavers", "gone@example.org", check=True)

# the club's first pass notes the slots; a question arrives on Thursday
restart("2025-03-20T10:00:00Z")
r = deliver(ALICE, "<q1@example.org>", "Which accountant do you use?",
            "Thu, 20 Mar 2025 11:00:00 +0100",
            "Hello, I am new here. Could anyone recommend an accountant "
            "for a small company?")
t.like(r.text, r"^250", "the newcomer's question is accepted")
print("# gone@example.org is removed from club leavers on 2025-03-20")
d.ctl("member", "remove", "leavers", "gone@example.org", check=True)
settle()
t.is_(d.sql1("SELECT count(*) FROM digest_slots"), 6,
      "the first pass notes the weekly and daily slots of the clubs")
t.is_(issues(BOB), [], "nothing is sent at the club's first pass")

# newcomer alert: 24 h after the post, once
restart("2025-03-21T10:30:00Z")
settle()
d.wait_queue_empty()
alerts = [(env, raw) for env, raw in d.outbox_pairs()
          if L.header(raw, "Subject") and
          "newcomer is waiting" in L.header(raw, "Subject")]
t.is_([env["rcpt_to"] for env, _ in alerts], [[ANIM]],
      "the animator alone is alerted about the unanswered first post")
restart("2025-03-21T11:30:00Z")
settle()
d.wait_queue_empty()
t.is_(len([1 for env, raw in d.outbox_pairs()
           if "newcomer is waiting" in (L.header(raw, "Subject") or "")]),
      1, "the alert is not sent again after a restart")

# winter: Monday 08:00 Paris is 07:00Z
restart("2025-03-24T06:59:30Z")
settle()
t.is_(issues(BOB), [], "no issue at 06:59:30Z (07:59:30 in Paris)")
restart("2025-03-24T07:00:30Z")
wait_issues(BOB, 1)
got = issues(BOB)
t.ok(len(got) == 1 and ts("2025-03-24T07:00:00Z") <= got[0] <
     ts("2025-03-24T07:05:00Z"), "the winter issue goes out at 07:00Z")
d.wait_queue_empty()
out = digests_out(BOB)
t.is_(len(out), 1, "bob's issue reaches the relay once")
if out:
    t.like(L.header(out[0], "List-Unsubscribe") or "",
           r"^<mailto:acme\+unsub-[^@]+@%s>" % D.replace(".", r"\."),
           "the issue carries bob's List-Unsubscribe")
    t.is_(L.header(out[0], "Auto-Submitted"), "auto-generated",
          "the issue is Auto-Submitted")
    t.like(L.header(out[0], "List-Id") or "", r"acme\.", "and a List-Id")
gone = [raw for r, raw in reports() if r == ["leavers-anim@example.com"]]
t.is_(len(gone), 1, "a club whose only news is a departure: one report")
if gone:
    m = email.message_from_bytes(gone[0], policy=email.policy.default)
    body = " ".join(m.get_body(("plain",)).get_content().split())
    t.ok("Members who left: 1" in body,
         "the report counts the member who left")
rep = [(r, raw) for r, raw in reports()
       if r not in (["calm-anim@example.com"], ["leavers-anim@example.com"])]
t.is_([r for r, _ in rep], [[ANIM]],
      "acme's weekly report goes to its animator only")
if rep:
    t.is_(L.header(rep[0][1], "Subject"), "[acme] Weekly report",
          "the report's subject")
    t.is_(L.header(rep[0][1], "Auto-Submitted"), "auto-generated",
          "the report is Auto-Submitted")
n_eval = d.sql1("SELECT count(*) FROM digests")

# a restart in the same slot sends nothing
restart("2025-03-24T07:02:00Z")
settle()
t.is_(len(issues(BOB)), 1, "a restart after the run sends no second issue")

# a run cut after its batches committed but before its slot was noted
d.stop()
con = sqlite3.connect(d.db)
con.execute("UPDATE digest_slots SET slot = ? WHERE kind = 'weekly' AND "
            "club_id = (SELECT id FROM clubs WHERE name = 'acme')",
            (ts("2025-03-17T07:00:00Z"),))
con.commit()
con.close()
os.environ["MLISTD_NOW"] = "2025-03-24T07:03:00Z"
d.start()
deadline = time.monotonic() + 10
while time.monotonic() < deadline and d.sql1(
        "SELECT slot FROM digest_slots s JOIN clubs c ON c.id = s.club_id "
        "WHERE c.name = 'acme' AND kind = 'weekly'") != \
        ts("2025-03-24T07:00:00Z"):
    time.sleep(0.1)
t.is_(d.sql1("SELECT count(*) FROM digests"), n_eval,
      "the slot run again evaluates nobody twice")
t.is_(len(issues(BOB)), 1, "and sends bob nothing more")

# daily highlights: dan gets Tuesday's issue, bob does not
d.ctl("member", "set", "acme", DAN, "highlights", "daily", check=True)
restart("2025-03-25T07:00:30Z")
wait_issues(DAN, 2)
t.is_(len(issues(DAN)), 2, "the daily member gets Tuesday's issue")
t.is_(len(issues(BOB)), 1, "the weekly member does not")
d.ctl("member", "set", "acme", DAN, "highlights", "weekly", check=True)

# summer: Monday 08:00 Paris is 06:00Z
restart("2025-03-31T05:59:30Z")
settle()
t.is_(len(issues(BOB)), 1, "no issue at 05:59:30Z (07:59:30 in Paris)")
restart("2025-03-31T06:00:30Z")
wait_issues(BOB, 2)
got = issues(BOB)
t.ok(len(got) == 2 and ts("2025-03-31T06:00:00Z") <= got[1] <
     ts("2025-03-31T06:05:00Z"), "the summer issue goes out at 06:00Z")

# SIGKILL right after the run, then a restart: still one issue
d.wait_queue_empty()
d.kill()
os.environ["MLISTD_NOW"] = "2025-03-31T06:01:30Z"
d.start()
settle()
t.is_(len(issues(BOB)), 2, "SIGKILL after the run: no second issue")

# three weeks down: one issue, not three (a new member to welcome)
restart("2025-04-01T10:00:00Z")
d.ctl("member", "add", "acme", "erin@example.org", check=True)
d.ctl("member", "set", "acme", "erin@example.org", "featured", "yes",
      check=True)
d.stop()
n_reports = len(reports())
restart("2025-04-22T09:00:00Z")
wait_issues(BOB, 3)
settle()
got = issues(BOB)
t.is_(len(got), 3, "three missed weeks catch up with one issue")
t.is_(d.sql1("SELECT slot FROM digest_slots s JOIN clubs c ON c.id = "
             "s.club_id WHERE c.name = 'acme' AND kind = 'weekly'"),
      ts("2025-04-21T06:00:00Z"), "the latest missed slot is the one run")
d.wait_queue_empty()
t.is_([r for r, _ in reports()[n_reports:]], [[ANIM]],
      "one report after the downtime, to acme's animator; none for a club "
      "with nothing to report")

# mlistctl digest --send: the same path, by hand
r = deliver(ALICE, "<q2@example.org>", "Does anyone know a printer?",
            "Tue, 22 Apr 2025 11:00:00 +0200",
            "Hello, could anyone recommend a printer in Rennes?")
t.like(r.text, r"^250", "a second question is accepted")
before = len(issues(DAN))
r = d.ctl("digest", "acme", "--send", "--member", DAN, "--at",
          "2025-04-29T10:00:00Z")
t.is_((r.returncode, r.stdout.strip()),
      (0, "acme: 1 issue queued, 0 members skipped"),
      "digest --send --member queues that member's issue")
t.is_(len(issues(DAN)), before + 1, "and records it")
r = d.ctl("digest", "acme", "--send", "--member", DAN, "--at",
          "2025-04-29T10:05:00Z")
t.is_(r.stdout.strip(), "acme: 0 issues queued, 1 member skipped",
      "a second --send is too soon")
t.is_(d.ctl("digest", "acme", "--send", "--member", "nobody@example.org")
      .returncode, 1, "an unknown member exits 1")

# 30 days on, the issues' messages are purged; their records stay
d.wait_queue_empty()
n_rows = d.sql1("SELECT count(*) FROM digests WHERE sent IS NOT NULL")
restart("2025-05-30T09:00:00Z")
deadline = time.monotonic() + 10
old = ts("2025-04-29T09:00:00Z") * 1000
while time.monotonic() < deadline and d.sql1(
        "SELECT count(*) FROM messages WHERE arg = 'digest' AND date < ?",
        (old,)):
    time.sleep(0.1)
t.is_(d.sql1("SELECT count(*) FROM messages WHERE arg = 'digest' AND "
             "date < ?", (old,)), 0,
      "issues sent over 30 days ago are purged")
t.ok(d.sql1("SELECT count(*) FROM digests WHERE sent IS NOT NULL")
     >= n_rows, "the issues' records stay")

d.stop()
t.done()
