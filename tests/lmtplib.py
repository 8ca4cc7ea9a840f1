"""lmtplib - shared helpers for the Python LMTP tests (TAP output).

Stdlib only.  A test typically does:

    import lmtplib as L
    t = L.Tap()
    d = L.Daemon(extra=["max_message_size = 1M"])
    d.ctl("club", "create", "acme")
    d.start()
    c = d.client()                      # raw LMTP client, greeting unread
    t.is_(c.reply().code, 220, "greeting")
    ...
    t.done()                            # prints the plan, exits 0 or 1

Every daemon is started on 127.0.0.1 on a port the kernel gave us, in a
short temporary directory under /tmp, and stopped by its PID at exit
(atexit, also on SIGTERM/SIGINT/SIGHUP).  The directory is removed at
exit unless a test failed or MLISTD_KEEP_TMP is set.

Environment: MLISTD_BIN (directory holding mlistd and mlistctl; default
../mlistd next to this file), MLISTD_CORPUS (shared corpus; SKIP when
missing, failure under CI=true), MLISTD_TESTS (test sources directory;
default this file's directory), MLISTD_WRAPPER (a command line put
before mlistd's, e.g. valgrind: tests/valgrind_lmtp.sh), MLISTD_TIME_FACTOR
(multiplies the waits for the daemon: starting, stopping, replies).
"""

import atexit
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN = "lists.example.org"
# a daemon under valgrind is ~20 times slower: its waits stretch
TIME_FACTOR = float(os.environ.get("MLISTD_TIME_FACTOR") or 1)


def scaled(seconds):
    return seconds * TIME_FACTOR


def bin_dir():
    return os.environ.get("MLISTD_BIN") or os.path.normpath(
        os.path.join(HERE, "..", "bin"))


def tests_dir():
    return os.environ.get("MLISTD_TESTS") or HERE


# ---------------------------------------------------------------- TAP

class Tap:
    """A tiny TAP producer: ok/is_/like/diag/skip_all/bail/done."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        _state["tap"] = self

    def ok(self, cond, desc=""):
        self.n += 1
        desc = desc.replace("\n", " ").replace("#", "\\#")
        if cond:
            print("ok %d - %s" % (self.n, desc), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, desc), flush=True)
        return bool(cond)

    def is_(self, got, want, desc=""):
        if self.ok(got == want, desc):
            return True
        self.diag("  got:  %s" % _short(got))
        self.diag("  want: %s" % _short(want))
        return False

    def like(self, got, regex, desc=""):
        if self.ok(got is not None and re.search(regex, got), desc):
            return True
        self.diag("  got:  %s" % _short(got))
        self.diag("  want match: %s" % regex)
        return False

    def diag(self, msg):
        for line in str(msg).splitlines() or [""]:
            print("# " + line, flush=True)

    # Under CI=true every dependency and the corpus are installed: a skip
    # there would hide a broken setup, so it fails instead (SPEC 1).
    def skip(self, why):
        if os.environ.get("CI") == "true":
            self.ok(False, "%s (required under CI=true)" % why)
            return
        self.n += 1
        print("ok %d # SKIP %s" % (self.n, why), flush=True)

    def skip_all(self, why):
        if os.environ.get("CI") == "true":
            self.bail("%s (required under CI=true)" % why)
        print("1..0 # SKIP %s" % why, flush=True)
        sys.exit(0)

    def bail(self, why):
        print("Bail out! %s" % why, flush=True)
        self.failed += 1
        sys.exit(1)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def _short(v, n=300):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "... (%d chars)" % len(s)


# ---------------------------------------------------- cleanup registry

_state = {"daemons": [], "sinks": [], "dirs": [], "tap": None}


def _cleanup():
    for k in list(_state["sinks"]):
        try:
            k.stop()
        except Exception:
            pass
    for d in list(_state["daemons"]):
        try:
            d.stop()
        except Exception:
            pass
    tap = _state["tap"]
    keep = os.environ.get("MLISTD_KEEP_TMP") or (tap is not None and
                                                 tap.failed)
    for p in _state["dirs"]:
        if keep:
            print("# kept %s" % p, flush=True)
        else:
            shutil.rmtree(p, ignore_errors=True)


def _on_signal(signum, frame):
    sys.exit(128 + signum)      # runs atexit handlers


atexit.register(_cleanup)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_sig, _on_signal)
    except (ValueError, OSError):
        pass


def mkdtemp():
    """A fresh short temporary directory under /tmp, removed at exit."""
    p = tempfile.mkdtemp(prefix="mlp.", dir="/tmp")
    _state["dirs"].append(p)
    return p


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def corpus_dir(tap, sub=None, skip_all=True):
    """$MLISTD_CORPUS (or its SUB directory).  When it is missing: under
    CI=true a failure (Bail out), otherwise SKIP the whole test, or,
    with skip_all=False, one skipped test point and None returned."""
    c = os.environ.get("MLISTD_CORPUS") or os.path.normpath(
        os.path.join(HERE, "..", "..", "shared", "corpus"))
    p = os.path.join(c, sub) if sub else c
    if not os.path.isdir(p):
        why = "corpus %s not found (set MLISTD_CORPUS)" % p
        if skip_all:
            tap.skip_all(why)
        tap.skip(why)
        return None
    return p


# ------------------------------------------------------------ daemon

class Daemon:
    """One mlistd instance in its own temporary directory."""

    def __init__(self, extra=(), tmpdir=None, port=None):
        self.dir = tmpdir or mkdtemp()
        self.port = port or free_port()
        self.conf = os.path.join(self.dir, "mlistd.conf")
        self.db = os.path.join(self.dir, "mlistd.db")
        self.outbox = os.path.join(self.dir, "outbox")
        self.log = os.path.join(self.dir, "mlistd.log")
        self.mlistd = os.path.join(bin_dir(), "mlistd")
        self.mlistctl = os.path.join(bin_dir(), "mlistctl")
        self.proc = None
        self.starts = 0
        lines = [
            "domain = " + DOMAIN,
            "database = " + self.db,
            "listen = inet:127.0.0.1:%d" % self.port,
            "relay = capture:" + self.outbox,
            "secret_file = " + os.path.join(self.dir, "secret"),
            "user = root",
            "log = stderr",
        ] + list(extra)
        # an extra "relay =" replaces the capture relay
        if any(re.match(r"relay\s*=", e) for e in extra):
            lines = [x for x in lines if not x.startswith("relay = capture")]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        _state["daemons"].append(self)

    # -- mlistctl
    def ctl(self, *args, check=False, timeout=30):
        """Run mlistctl -c CONF ARGS; returns CompletedProcess (text)."""
        r = subprocess.run([self.mlistctl, "-c", self.conf] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, universal_newlines=True,
                           errors="replace")
        if check and r.returncode != 0:
            raise RuntimeError("mlistctl %s: exit %d: %s" %
                               (" ".join(args), r.returncode,
                                r.stderr.strip()))
        return r

    # -- process
    def start(self, timeout=10):
        """Start mlistd -f in the background and wait for its port."""
        if self.running():
            return
        logf = open(self.log, "ab")
        wrapper = shlex.split(os.environ.get("MLISTD_WRAPPER") or "")
        self.proc = subprocess.Popen(wrapper +
                                     [self.mlistd, "-f", "-c", self.conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf)
        logf.close()
        self.starts += 1
        deadline = time.monotonic() + scaled(timeout)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mlistd exited with %s:\n%s" %
                                   (self.proc.returncode, self.log_tail()))
            try:
                socket.create_connection(("127.0.0.1", self.port),
                                         0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mlistd did not listen on port %d:\n%s" %
                           (self.port, self.log_tail()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self, timeout=10):
        """SIGTERM, wait, SIGKILL fallback.  Returns the exit status."""
        p = self.proc
        if p is None:
            return None
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(scaled(timeout))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
            except ProcessLookupError:
                pass
        self.proc = None
        return p.returncode

    def kill(self):
        """SIGKILL (a crash), then reap."""
        p = self.proc
        if p is None:
            return None
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(10)
        self.proc = None
        return p.returncode

    def remove(self):
        """Stop the daemon and delete its directory now."""
        self.stop()
        if self in _state["daemons"]:
            _state["daemons"].remove(self)
        if self.dir in _state["dirs"]:
            _state["dirs"].remove(self.dir)
            shutil.rmtree(self.dir, ignore_errors=True)

    def peak_rss(self):
        """The running daemon's peak resident set (VmHWM), in kB."""
        with open("/proc/%d/status" % self.pid) as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1])
        return 0

    def import_members(self, club, addrs, *opts):
        """mlistctl member import of ADDRS (one a line) into CLUB."""
        path = os.path.join(self.dir, "members.txt")
        with open(path, "w") as f:
            f.write("\n".join(addrs) + "\n")
        self.ctl("member", "import", club, path, *opts, check=True)

    def log_tail(self, n=30):
        try:
            with open(self.log, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    # -- clients
    def client(self, timeout=10):
        return LmtpClient(self.port, timeout=timeout)

    # -- database
    def sql(self, query, params=(), raw=False):
        """Rows of QUERY on the daemon's database (read-only).  raw=True
        returns TEXT values as bytes too (for the raw message column)."""
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True,
                              timeout=30)
        try:
            if raw:
                con.text_factory = bytes
            return con.execute(query, params).fetchall()
        finally:
            con.close()

    def sql1(self, query, params=()):
        rows = self.sql(query, params)
        return rows[0][0] if rows else None

    def deliver(self, rcpt, raw, mail_from):
        """One LMTP transaction of raw (bytes) to rcpt; its reply after
        DATA (or the RCPT reply when refused)."""
        with self.client() as c:
            c.reply()
            c.lhlo()
            _, rr, _, after = c.transaction(mail_from, [rcpt],
                                            data_encode(raw)[0])
        return after[0] if after else rr[0]


# ------------------------------------------------------- LMTP client

    # -- relay
    def wait_queue_empty(self, timeout=30):
        """Wait until the delivery queue has no row (copies or fan-outs);
        True if it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sql1("SELECT (SELECT count(*) FROM queue) + "
                         "(SELECT count(*) FROM fanout)") == 0:
                return True
            time.sleep(0.05)
        return False

    def wait_queue(self, cond, timeout=30):
        """Wait until cond(rows of the queue as dicts) holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.ctl("queue", "--json")
            if r.returncode == 0 and cond(json.loads(r.stdout)):
                return True
            time.sleep(0.1)
        return False

    def outbox_pairs(self):
        """The capture relay's complete pairs: [(envelope dict, bytes)]."""
        out = []
        if not os.path.isdir(self.outbox):
            return out
        for n in sorted(os.listdir(self.outbox)):
            if not re.match(r"^[0-9]{8}\.json$", n):
                continue
            with open(os.path.join(self.outbox, n)) as f:
                env = json.load(f)
            with open(os.path.join(self.outbox, n[:-5] + ".eml"), "rb") as f:
                out.append((env, f.read()))
        return out


class Sink:
    """Postfix's smtp-sink on 127.0.0.1, one dump file per transaction.

    opts are extra smtp-sink options (fault injection: -r/-f/-q/-Q
    COMMANDS, -B reply, -W CMD:DELAY).  Stopped by its PID at exit."""

    def __init__(self, opts=(), port=None, tap=None):
        self.port = port or free_port()
        self.dir = mkdtemp()
        os.chmod(self.dir, 0o777)   # smtp-sink runs as nobody when root
        exe = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
        argv = [exe]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        argv += ["-d", os.path.join(self.dir, "m.")] + list(opts)
        argv += ["127.0.0.1:%d" % self.port, "100"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        _state["sinks"].append(self)
        self._wait_listening("smtp-sink")

    def _wait_listening(self, what):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port),
                                         0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("%s did not start on %d" % (what, self.port))

    def stop(self):
        p = self.proc
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        self.proc = None

    def messages(self):
        """[(mail_from, [rcpts], message bytes)] of complete dumps."""
        out = []
        for n in sorted(os.listdir(self.dir)):
            if n.startswith("."):       # a stub's dump being written
                continue
            with open(os.path.join(self.dir, n), "rb") as f:
                data = f.read()
            head, sep, msg = data.partition(b"\n\n")
            if not sep:
                continue
            mail, rcpts = None, []
            lines = head.split(b"\n")
            i = 0
            # the sink's own records end with its three-line Received:
            while i < len(lines) and not lines[i].startswith(b"Received:"):
                ln = lines[i].decode("utf-8", "replace")
                if ln.startswith("X-Mail-Args: "):
                    mail = ln[13:].split()[0] if ln[13:].strip() else ""
                    mail = mail.strip("<>")
                elif ln.startswith("X-Rcpt-Args: "):
                    rcpts.append(ln[13:].split()[0].strip("<>"))
                i += 1
            body = b"\n".join(lines[i + 3:]) + b"\n\n" + msg
            out.append((mail, rcpts, body))
        return out

    def copies(self):
        """collections.Counter of (recipient, Message-ID) over the
        complete dumps."""
        import collections
        c = collections.Counter()
        for _, rcpts, body in self.messages():
            mid = header(body, "Message-ID")
            for r in rcpts:
                c[(r, mid)] += 1
        return c

    def wait_count(self, n, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages()) >= n:
                return True
            time.sleep(0.05)
        return False


_LOCKER = ("import sqlite3, sys, time\n"
           "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
           "con.execute('BEGIN EXCLUSIVE')\n"
           "print('locked', flush=True)\n"
           "time.sleep(float(sys.argv[2]))\n"
           "con.execute('COMMIT')\n")


def lock_db(path, seconds):
    """Another process (python3's sqlite3) holding BEGIN EXCLUSIVE on the
    database at PATH for SECONDS; returns its Popen once it holds the
    lock (its stdout said "locked"), None if it could not."""
    p = subprocess.Popen([sys.executable, "-c", _LOCKER, path, str(seconds)],
                         stdout=subprocess.PIPE, universal_newlines=True)
    if p.stdout.readline().strip() != "locked":
        p.wait(10)
        return None
    return p


def rfc3339(ts):
    """A Unix time as MLISTD_NOW wants it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def dsn(verp, final_rcpt, msgid, action="failed", status="5.1.1"):
    """An RFC 3464 report to a VERP address, as bytes."""
    return ("From: MAILER-DAEMON@mx.example.net\r\nTo: %s\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Message-ID: <%s@mx.example.net>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; "
            "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
            "Delivery failed.\r\n--b\r\nContent-Type: "
            "message/delivery-status\r\n\r\nReporting-MTA: dns; "
            "mx.example.net\r\n\r\nFinal-Recipient: rfc822; %s\r\n"
            "Action: %s\r\nStatus: %s\r\nDiagnostic-Code: smtp; 550 %s "
            "mailbox unavailable\r\n--b--\r\n" %
            (verp, msgid, final_rcpt, action, status, status)).encode()


class Stub(Sink):
    """smtp_stub.py on 127.0.0.1: refuse maps recipients to the reply
    their RCPT gets (the others are accepted); messages() as Sink's.
    Stopped by its PID at exit."""

    def __init__(self, refuse=None, port=None):
        self.port = port or free_port()
        self.dir = mkdtemp()
        argv = [sys.executable, os.path.join(tests_dir(), "smtp_stub.py"),
                str(self.port), self.dir]
        argv += ["%s=%s" % kv for kv in (refuse or {}).items()]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL)
        _state["sinks"].append(self)
        self._wait_listening("smtp_stub")


def club(d, members, **settings):
    """Club acme with settings, members unmoderated."""
    d.ctl("club", "create", "acme", "--title", "Acme Club", check=True)
    for k, v in settings.items():
        d.ctl("club", "set", "acme", k, v, check=True)
    for m in members:
        d.ctl("member", "add", "acme", m, check=True)
        d.ctl("member", "set", "acme", m, "moderated", "no", check=True)


def post(d, frm, msgid, subject, body=b"Hello all\r\n", extra=b"",
         rcpt="acme@" + DOMAIN):
    """One message over LMTP; the reply after DATA (or None)."""
    raw = (b"From: " + frm.encode() + b"\r\nTo: acme@" + DOMAIN.encode() +
           b"\r\nSubject: " + subject.encode() + b"\r\nMessage-ID: " +
           msgid.encode() + b"\r\nDate: Mon, 10 Mar 2025 08:00:00 +0100\r\n"
           + extra + b"\r\n" + body)
    with d.client() as c:
        c.reply()
        c.lhlo()
        _, _, _, after = c.transaction("bounce@example.com", [rcpt],
                                       data_encode(raw)[0])
    return after[0] if after else None


def b36(n):
    """n in base 36, as mlistd's tokens write ids."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    s = ""
    while True:
        n, r = divmod(n, 36)
        s = digits[r] + s
        if n == 0:
            return s


def header(msg, name):
    """The unfolded value of header NAME in MSG (bytes) or None."""
    head = msg.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n")
    head = re.sub(rb"\n[ \t]+", b" ", head)
    for ln in head.split(b"\n"):
        k, _, v = ln.partition(b":")
        if k.strip().lower() == name.lower().encode():
            return v.strip().decode("utf-8", "replace")
    return None


class Reply:
    """One (possibly multi-line) reply."""

    def __init__(self, lines):
        self.lines = lines              # str, without CRLF

    @property
    def code(self):
        try:
            return int(self.lines[-1][:3])
        except (ValueError, IndexError):
            return None

    @property
    def text(self):
        return "\n".join(self.lines)

    def has(self, prefix):
        """Some line of the reply starts with PREFIX."""
        return any(l.startswith(prefix) for l in self.lines)

    def __repr__(self):
        return "Reply(%r)" % self.text


class LmtpError(Exception):
    pass


class LmtpClient:
    """A raw LMTP client: send any bytes, read replies with a timeout.
    The greeting is not read on connect."""

    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.timeout = scaled(timeout)
        self.sock = socket.create_connection((host, port), timeout)
        self.buf = b""
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data)

    def line(self, s):
        """Send S plus CRLF."""
        self.send((s.encode("utf-8", "surrogateescape")
                   if isinstance(s, str) else s) + b"\r\n")

    def _readline(self, deadline):
        while b"\n" not in self.buf:
            if self.eof:
                raise LmtpError("connection closed" +
                                (" (partial %r)" % self.buf if self.buf
                                 else ""))
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out waiting for a reply")
            self.sock.settimeout(left)
            d = self.sock.recv(65536)
            if not d:
                self.eof = True
                continue
            self.buf += d
        i = self.buf.index(b"\n")
        l, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return l.rstrip(b"\r\n").decode("utf-8", "replace")

    def reply(self, timeout=None):
        """The next whole reply (continuation lines "NNN-" read too)."""
        deadline = time.monotonic() + (scaled(timeout) if timeout
                                       else self.timeout)
        lines = []
        while True:
            l = self._readline(deadline)
            lines.append(l)
            if len(l) < 4 or l[3] != "-":
                return Reply(lines)

    def replies(self, n, timeout=None):
        return [self.reply(timeout) for _ in range(n)]

    def cmd(self, s, timeout=None):
        """Send one command line, return its reply."""
        self.line(s)
        return self.reply(timeout)

    def quiet(self, wait=0.5):
        """True when nothing more arrives within WAIT seconds (EOF
        counts as quiet)."""
        if self.buf:
            return False
        if self.eof:
            return True
        self.sock.settimeout(wait)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return True
        except OSError:
            return True
        if not d:
            self.eof = True
            return True
        self.buf += d
        return False

    def closed(self, wait=2.0):
        """True when the server closes the connection within WAIT s
        (any pending bytes are discarded)."""
        deadline = time.monotonic() + scaled(wait)
        while not self.eof and time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return False
            except OSError:
                return True
            if not d:
                self.eof = True
            else:
                self.buf += d
        return self.eof

    # -- a whole transaction
    def lhlo(self, name="test.example"):
        return self.cmd("LHLO " + name)

    def transaction(self, mail_from, rcpts, data, timeout=None):
        """Pipelined MAIL/RCPT*/DATA, then the message (already
        encoded with data_encode()).  Returns (mail_reply, rcpt_replies,
        data_reply, after_dot_replies); after_dot_replies has one reply
        per accepted recipient (empty when DATA was refused)."""
        cmds = "MAIL FROM:<%s>\r\n" % mail_from
        cmds += "".join("RCPT TO:<%s>\r\n" % r for r in rcpts)
        cmds += "DATA\r\n"
        self.send(cmds)
        mr = self.reply(timeout)
        rr = [self.reply(timeout) for _ in rcpts]
        dr = self.reply(timeout)
        if dr.code != 354:
            return mr, rr, dr, []
        self.send(data)
        n = sum(1 for r in rr if r.code == 250)
        return mr, rr, dr, [self.reply(timeout) for _ in range(n)]


# --------------------------------------------------- data encoding

_BARE_LF = re.compile(rb"(?<!\r)\n")


def data_encode(raw, crlf=True):
    """RAW (bytes) as the DATA section of an LMTP transaction.

    Returns (wire, stored): WIRE ends with the CRLF "." CRLF terminator,
    dot-stuffed; STORED is what the server must keep after
    dot-unstuffing.  With crlf=True bare LFs become CRLF first (the
    usual MTA behaviour); with crlf=False they are sent as they are
    (the server then counts them as line ends for dot-stuffing too).
    A message not ending in CRLF gets one added (SMTP can only carry
    whole lines), and it is part of STORED."""
    if crlf:
        raw = _BARE_LF.sub(b"\r\n", raw)
    if not raw.endswith(b"\r\n"):
        raw += b"\r\n"
    stuffed = re.sub(rb"(^|\n)\.", rb"\1..", raw)
    return stuffed + b".\r\n", raw


def unescape(s):
    """Scenario escapes: \\r \\n \\t \\0 \\xHH \\\\ ; returns bytes."""
    out = bytearray()
    b = s.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(b):
        c = b[i]
        if c == 0x5c and i + 1 < len(b):
            n = chr(b[i + 1])
            if n == "r":
                out += b"\r"
            elif n == "n":
                out += b"\n"
            elif n == "t":
                out += b"\t"
            elif n == "0":
                out += b"\0"
            elif n == "\\":
                out += b"\\"
            elif n == "x" and i + 3 < len(b):
                out.append(int(b[i + 2:i + 4], 16))
                i += 4
                continue
            else:
                out += b[i:i + 2]
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def outbox_since(d, start):
    """What the capture relay wrote after its first START messages, once
    the queue is empty: ([(recipient, message)], new start); each message
    is an email.message.EmailMessage with its bytes in .raw"""
    import email
    import email.policy
    d.wait_queue_empty(20)
    pairs = d.outbox_pairs()
    out = []
    for env, raw in pairs[start:]:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        msg.raw = raw
        out.append((env["rcpt_to"][0], msg))
    return out, len(pairs)


def mail_body(msg, kind="plain"):
    """The text/KIND body of a parsed message, or ''"""
    part = msg.get_body(preferencelist=(kind,))
    return part.get_content() if part else ""
