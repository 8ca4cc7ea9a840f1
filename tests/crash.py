#!/usr/bin/env python3
"""crash - no acknowledged message is lost, none is stored twice (SPEC 5).

Ten concurrent LMTP sessions push COUNT (default 2,000) numbered,
distinct messages (Message-ID <n-N@crash.test>, a body naming N) to
club acme, recording every N whose DATA got 250.  Meanwhile the main
thread SIGKILLs mlistd at random moments (every 0.3-1.0 s, at least 5
times) and restarts it on the same port and database.  Clients
reconnect on errors and resend whatever was not acknowledged.  At the
end every acknowledged N must be in the messages table exactly once,
and all COUNT must have been acknowledged.

Environment: MLISTD_CRASH_COUNT (default 2000), MLISTD_SEED (random
seed, printed), MLISTD_CRASH_RATE (messages started per second,
default COUNT/8, so the traffic lasts long enough to be hit by kills).
"""

import collections
import os
import random
import sys
import threading
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

COUNT = int(os.environ.get("MLISTD_CRASH_COUNT", "2000"))
CLIENTS = 10
MIN_KILLS = 5
MAX_KILLS = 40
RATE = float(os.environ.get("MLISTD_CRASH_RATE", str(COUNT / 8.0)))
SEND_DEADLINE = 100.0           # seconds for the whole send phase
MAX_ATTEMPTS = 200              # per message
RCPT = "acme@lists.example.org"


def message(n):
    return ("From: Crash Tester <crash@example.com>\r\n"
            "To: acme@lists.example.org\r\n"
            "Subject: crash test message %d\r\n"
            "Message-ID: <n-%d@crash.test>\r\n"
            "Date: Mon, 10 Mar 2025 08:00:00 +0100\r\n"
            "\r\n"
            "This is message number %d of the crash test.\r\n"
            ".a line starting with a dot, for good measure (%d)\r\n"
            % (n, n, n, n)).encode()


class Work:
    def __init__(self, count):
        self.lock = threading.Lock()
        self.todo = collections.deque(range(1, count + 1))
        self.acked = set()
        self.ack_count = collections.Counter()
        self.attempts = collections.Counter()
        self.given_up = set()
        self.inflight = 0
        self.started = 0         # first attempts begun (for the rate)
        self.errors = collections.Counter()
        self.t0 = time.monotonic()
        self.stop = threading.Event()

    def take(self):
        """(N, first attempt?) or None when nothing is ready now."""
        with self.lock:
            if not self.todo:
                return None
            n = self.todo[0]
            first = self.attempts[n] == 0
            if first and self.started / RATE > time.monotonic() - self.t0:
                return None      # throttled
            self.todo.popleft()
            self.attempts[n] += 1
            self.inflight += 1
            if first:
                self.started += 1
            return n

    def done(self, n, acked, why=None):
        with self.lock:
            self.inflight -= 1
            if acked:
                self.acked.add(n)
                self.ack_count[n] += 1
                return
            if why:
                self.errors[why] += 1
            if self.attempts[n] >= MAX_ATTEMPTS:
                self.given_up.add(n)
            else:
                self.todo.append(n)

    def finished(self):
        with self.lock:
            return not self.todo and self.inflight == 0


def worker(work, port, rng):
    c = None
    while not work.stop.is_set():
        n = work.take()
        if n is None:
            if work.finished():
                break
            time.sleep(0.005)
            continue
        why = None
        try:
            if c is None:
                c = L.LmtpClient(port, timeout=10)
                g = c.reply(5)
                if g.code != 220:
                    raise L.LmtpError("greeting %s" % g.text)
                if c.cmd("LHLO crash.test", 5).code != 250:
                    raise L.LmtpError("LHLO refused")
            wire, _ = L.data_encode(message(n))
            c.send("MAIL FROM:<crash@example.com>\r\nRCPT TO:<%s>\r\n"
                   "DATA\r\n" % RCPT)
            mr, rr, dr = c.reply(10), c.reply(10), c.reply(10)
            if (mr.code, rr.code, dr.code) != (250, 250, 354):
                raise L.LmtpError("MAIL/RCPT/DATA: %s / %s / %s" %
                                  (mr.text, rr.text, dr.text))
            c.send(wire)
            r = c.reply(30)
            if r.code == 250:
                if "already" in r.text:
                    work.errors["250 for a redelivery (dedup): " +
                                r.text[:50]] += 1
                work.done(n, True)
                continue
            why = "reply %s" % r.text[:40]
            if r.code and r.code >= 500:
                work.errors["permanent: " + r.text[:60]] += 1
            # an answer that is not 250 leaves the session usable
            work.done(n, False, why)
            continue
        except Exception as e:  # connection refused/reset, timeout, EOF
            why = type(e).__name__
        if c is not None:
            c.close()
            c = None
        work.done(n, False, why)
        time.sleep(rng.uniform(0.02, 0.1))
    if c is not None:
        try:
            c.send("QUIT\r\n")
        except OSError:
            pass
        c.close()


def main():
    t = L.Tap()
    seed = int(os.environ.get("MLISTD_SEED") or random.randrange(1 << 30))
    t.diag("seed %d (MLISTD_SEED to replay), %d messages, %d clients, "
           "rate %.0f/s" % (seed, COUNT, CLIENTS, RATE))
    rng = random.Random(seed)
    d = L.Daemon()
    d.ctl("club", "create", "acme", check=True)
    d.ctl("member", "add", "acme", "crash@example.com", check=True)
    d.start()

    work = Work(COUNT)
    threads = [threading.Thread(target=worker,
                                args=(work, d.port,
                                      random.Random(rng.random())),
                                daemon=True)
               for _ in range(CLIENTS)]
    for th in threads:
        th.start()

    kills = 0
    restart_fail = None
    deadline = time.monotonic() + SEND_DEADLINE
    try:
        while (time.monotonic() < deadline and not work.finished()
               and kills < MAX_KILLS):
            time.sleep(rng.uniform(0.3, 1.0))
            if work.finished():
                break
            if d.proc is not None and d.proc.poll() is not None:
                t.diag("mlistd exited by itself with status %s:\n%s" %
                       (d.proc.returncode, d.log_tail(10)))
            d.kill()
            kills += 1
            time.sleep(rng.uniform(0.0, 0.1))
            try:
                d.start()
            except RuntimeError as e:
                restart_fail = str(e)
                break
        # let the clients finish what is left
        while (time.monotonic() < deadline and not work.finished()
               and restart_fail is None):
            if not d.running():
                try:
                    d.start()
                except RuntimeError as e:
                    restart_fail = str(e)
            time.sleep(0.1)
    finally:
        work.stop.set()
        for th in threads:
            th.join(15)
    elapsed = time.monotonic() - work.t0

    t.ok(restart_fail is None, "mlistd restarts after every SIGKILL")
    if restart_fail:
        t.diag(restart_fail)
    t.ok(d.running(), "mlistd is running at the end")
    rc = d.stop()
    t.is_(rc, 0, "mlistd exits 0 on SIGTERM at the end")

    t.diag("kills: %d, elapsed %.1f s" % (kills, elapsed))
    t.diag("acknowledged: %d of %d; attempts: %d; resent: %d; given up: %d"
           % (len(work.acked), COUNT, sum(work.attempts.values()),
              sum(work.attempts.values()) - len(work.attempts),
              len(work.given_up)))
    for why, k in work.errors.most_common(8):
        t.diag("  client events: %5d x %s" % (k, why))
    t.ok(kills >= MIN_KILLS, "mlistd was killed at least %d times "
         "during the traffic (%d)" % (MIN_KILLS, kills))

    rows = d.sql("SELECT message_id, count(*) FROM messages "
                 "WHERE message_id LIKE '<n-%@crash.test>' "
                 "GROUP BY message_id")
    stored = {}
    for mid, k in rows:
        try:
            stored[int(mid[3:mid.index("@")])] = k
        except ValueError:
            stored[mid] = k
    lost = sorted(n for n in work.acked if stored.get(n, 0) == 0)
    twice = sorted(n for n, k in stored.items() if k != 1)
    if not t.is_(len(lost), 0, "every acknowledged message is stored"):
        t.diag("lost (acknowledged, not stored): %s" % lost[:30])
    if not t.is_(len(twice), 0, "no message is stored twice"):
        t.diag("stored more than once: %s" %
               [(n, stored[n]) for n in twice[:30]])
    missing = sorted(set(range(1, COUNT + 1)) - work.acked)
    if not t.is_(len(missing), 0, "all %d messages were eventually "
                 "acknowledged" % COUNT):
        t.diag("never acknowledged: %s" % missing[:30])
    total = d.sql1("SELECT count(*) FROM messages")
    t.is_(total, COUNT, "the messages table holds exactly %d rows" % COUNT)
    extra = sorted(k for k in stored if k not in range(1, COUNT + 1))
    t.is_(extra, [], "no unexpected Message-ID")
    bad_raw = d.sql1("SELECT count(*) FROM messages WHERE "
                     "instr(raw, CAST('\r\n.a line' AS BLOB)) = 0")
    t.is_(bad_raw, 0, "every stored raw is dot-unstuffed and whole")
    t.is_(d.sql1("PRAGMA integrity_check"), "ok",
          "database integrity_check after %d kills" % kills)
    t.done()


if __name__ == "__main__":
    main()
