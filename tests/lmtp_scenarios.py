#!/usr/bin/env python3
"""lmtp_scenarios - run every tests/lmtp/*.scn against a fresh mlistd.

A tiny scenario language (after OpenSMTPD's smtpscript).  Each .scn runs
against its own daemon whose database already holds club `acme` with
members alice@example.com (animator) and bob@example.com.  The greeting
is not read for you: scenarios start with `< 220`.  One TAP line per
scenario; the first failing step is reported with file:line, the
expectation and what came back.

  # comment, blank lines ignored
  > TEXT              send TEXT + CRLF
  >raw TEXT           send TEXT exactly, with escapes \\r \\n \\t \\0 \\xHH \\\\
  < PREFIX            read the next reply (all its lines); one of its
                      lines must start with PREFIX (e.g. `< 250`,
                      `< 250-PIPELINING`, `< 550 5.1.1`)
  <+ PREFIX           the same reply again: another line to look for
  <~ REGEX            read the next reply; REGEX must match its text
  <+~ REGEX           the previous reply must match REGEX
  <!~ REGEX           the previous reply must NOT match REGEX
  <*N PREFIX          read exactly N replies, each starting with PREFIX
  <none               nothing more arrives within 0.5 s
  <closed             the server closes the connection
  ! conf LINE         extra mlistd.conf line (read before the start)
  ! ctl ARGS...       run mlistctl ARGS (must exit 0; `! ctl? ...` any)
  ! ctlfail ARGS...   run mlistctl ARGS, must exit non-zero
  ! threadkey VAR     VAR = key of the newest thread of acme
                      (first field of `mlistctl threads acme`)
  ! sql QUERY => WANT the rows of QUERY, "|" between columns and ","
                      between rows, must equal WANT
  ! repeat N > LINE   N copies of LINE + CRLF in one write (${i} = 1..N)
  ! reconnect         close and open a new connection (greeting unread)
  ! sleep S           pause S seconds (at most 5)

In `>`, `>raw`, `<...`, `! sql` and `! ctl` lines, ${VAR} is replaced by a
variable and $(rep N STR) by N copies of STR.
"""

import glob
import os
import re
import shlex
import socket
import sys
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402


class StepFailed(Exception):
    pass


def expand(s, vars_):
    s = re.sub(r"\$\(rep (\d+) ([^)]*)\)",
               lambda m: m.group(2) * min(int(m.group(1)), 10 ** 7), s)
    return re.sub(r"\$\{(\w+)\}",
                  lambda m: vars_.get(m.group(1), m.group(0)), s)


def show(reply):
    return "(none)" if reply is None else repr(reply.text)[:400]


def run_scenario(path, tap):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    name = os.path.basename(path)
    extra = []
    for l in lines:
        if l.startswith("! conf "):
            extra.append(l[len("! conf "):])
    d = L.Daemon(extra=extra)
    d.ctl("club", "create", "acme", check=True)
    d.ctl("member", "add", "acme", "alice@example.com", "--name", "Alice",
          "--role", "animator", check=True)
    d.ctl("member", "add", "acme", "bob@example.com", "--name", "Bob",
          check=True)
    d.start()
    c = d.client()
    vars_ = {}
    last = None
    steps = 0
    passed = False
    try:
        for lineno, l in enumerate(lines, 1):
            where = "%s:%d: %s" % (name, lineno, l[:120])
            if not l.strip() or l.lstrip().startswith("#"):
                continue
            steps += 1
            try:
                last = step(d, c, l, vars_, last, where)
                if isinstance(last, L.LmtpClient):     # reconnected
                    c, last = last, None
            except StepFailed as e:
                tap.ok(False, "%s" % name)
                tap.diag("at %s" % where)
                tap.diag(str(e))
                if not d.running():
                    tap.diag("mlistd is gone; log:\n" + d.log_tail())
                return
            except (socket.timeout, L.LmtpError, OSError) as e:
                tap.ok(False, "%s" % name)
                tap.diag("at %s" % where)
                tap.diag("I/O: %s (last reply %s)" % (e, show(last)))
                if not d.running():
                    tap.diag("mlistd is gone; log:\n" + d.log_tail())
                return
        alive = d.running()
        tap.ok(alive, "%s (%d steps)" % (name, steps))
        if not alive:
            tap.diag("mlistd died; log:\n" + d.log_tail())
        else:
            passed = True
    finally:
        c.close()
        rc = d.stop()
        if rc not in (0, None):
            tap.diag("%s: mlistd exit status %s on SIGTERM" % (name, rc))
        if passed and rc in (0, None):
            d.remove()
        else:
            tap.diag("%s: files kept in %s" % (name, d.dir))


def step(d, c, l, vars_, last, where):
    if l.startswith("<"):
        l = expand(l, vars_)
    if l.startswith(">raw "):
        c.send(L.unescape(expand(l[5:], vars_)))
        return last
    if l.startswith("> ") or l == ">":
        c.line(expand(l[2:], vars_))
        return last
    if l.startswith("<+ "):
        want = l[3:]
        if last is None or not last.has(want):
            raise StepFailed("want a line starting %r in the previous "
                             "reply, got %s" % (want, show(last)))
        return last
    if l.startswith("<+~ "):
        if last is None or not re.search(l[4:], last.text):
            raise StepFailed("previous reply must match %r, got %s" %
                             (l[4:], show(last)))
        return last
    if l.startswith("<!~ "):
        if last is not None and re.search(l[4:], last.text):
            raise StepFailed("previous reply must not match %r, got %s" %
                             (l[4:], show(last)))
        return last
    if l.startswith("<~ "):
        r = c.reply()
        if not re.search(l[3:], r.text):
            raise StepFailed("want a reply matching %r, got %s" %
                             (l[3:], show(r)))
        return r
    m = re.match(r"<\*(\d+) (.*)$", l)
    if m:
        n, want = int(m.group(1)), m.group(2)
        r = None
        for k in range(n):
            r = c.reply()
            if not r.lines[0].startswith(want):
                raise StepFailed("reply %d of %d: want %r, got %s" %
                                 (k + 1, n, want, show(r)))
        return r
    if l == "<none":
        if not c.quiet(0.5):
            extra = None
            try:
                extra = c.reply(1)
            except Exception:
                pass
            raise StepFailed("want no more replies, got %s" % show(extra))
        return last
    if l == "<closed":
        if not c.closed(3):
            raise StepFailed("want the connection closed; pending %r" %
                             c.buf[:200])
        return last
    if l.startswith("< "):
        want = l[2:]
        r = c.reply()
        if not r.has(want):
            raise StepFailed("want a reply starting %r, got %s" %
                             (want, show(r)))
        return r
    if l.startswith("! "):
        return bang(d, c, l[2:], vars_, last)
    raise StepFailed("unknown scenario line")


def bang(d, c, cmd, vars_, last):
    verb, _, rest = cmd.partition(" ")
    if verb == "conf":
        return last
    if verb in ("ctl", "ctl?", "ctlfail"):
        args = shlex.split(expand(rest, vars_))
        r = d.ctl(*args)
        if verb == "ctl" and r.returncode != 0:
            raise StepFailed("mlistctl %s: exit %d: %s" %
                             (rest, r.returncode, r.stderr.strip()))
        if verb == "ctlfail" and r.returncode == 0:
            raise StepFailed("mlistctl %s: want failure, got exit 0" %
                             rest)
        vars_["CTL_OUT"] = r.stdout.strip()
        return last
    if verb == "threadkey":
        r = d.ctl("threads", "acme")
        first = r.stdout.strip().splitlines()
        if r.returncode != 0 or not first:
            raise StepFailed("mlistctl threads acme: exit %d, output %r" %
                             (r.returncode, r.stdout))
        vars_[rest.strip()] = first[0].split("\t")[0]
        return last
    if verb == "sql":
        q, sep, want = expand(rest, vars_).rpartition(" => ")
        if not sep:
            raise StepFailed("! sql needs QUERY => WANT")
        rows = d.sql(q)
        got = ",".join("|".join(str(v) for v in row) for row in rows)
        if got != want.strip():
            raise StepFailed("sql %s\n  got:  %r\n  want: %r" %
                             (q, got, want.strip()))
        return last
    if verb == "repeat":
        m = re.match(r"(\d+) > (.*)$", rest)
        if not m:
            raise StepFailed("! repeat N > LINE")
        n = min(int(m.group(1)), 100000)
        data = "".join(expand(m.group(2), dict(vars_, i=str(i))) + "\r\n"
                       for i in range(1, n + 1))
        c.send(data)
        return last
    if verb == "reconnect":
        c.close()
        return d.client()
    if verb == "sleep":
        time.sleep(min(float(rest), 5.0))
        return last
    raise StepFailed("unknown ! command %r" % verb)


def main():
    tap = L.Tap()
    pattern = os.path.join(L.tests_dir(), "lmtp", "*.scn")
    files = sorted(glob.glob(pattern))
    if len(sys.argv) > 1:
        files = [f for f in files
                 if any(a in os.path.basename(f) for a in sys.argv[1:])]
    if not files:
        tap.bail("no scenarios match %s" % pattern)
    for f in files:
        try:
            run_scenario(f, tap)
        except Exception as e:          # setup failure: report, go on
            tap.ok(False, os.path.basename(f))
            tap.diag("setup: %s" % e)
    tap.done()


if __name__ == "__main__":
    main()
