#!/usr/bin/env python3
"""intake_memory - the daemon's memory stays bounded while 50 LMTP
sessions each send a 10 MB message at once (SPEC 5, 12; README
"Decisions").

A session keeps at most 64 KB of a message in memory and spools the rest
to an unnamed file next to the database; the committer maps one batch of
at most 16 MB of messages at a time.  Before, every session held its
whole message (50 x 10 MB) and the committer parsed every waiting
message at once: a peak RSS over 500 MB.  Each message here is a short
text with a 10 MB attachment, from a stranger, so it is held (stored,
not relayed: the relay's memory is not what is measured).  All 50 must
get 250 and be stored; the daemon's peak RSS (VmHWM) must stay under
PEAK_MAX_MB.
"""

import base64
import os
import sys
import threading
import time

sys.dont_write_bytecode = True    # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lmtplib as L  # noqa: E402

SESSIONS = 50
SIZE = 10 * 1000 * 1000         # under the default 10M limit
PEAK_MAX_MB = 200

t = L.Tap()
# A build with AddressSanitizer keeps freed memory in a quarantine of
# 256 MB by default, counted in RSS: the bound grows by that much.
with open(os.path.join(L.bin_dir(), "mlistd"), "rb") as f:
    if b"__asan_init" in f.read():
        PEAK_MAX_MB += 256
        t.diag("AddressSanitizer build: bound raised to %d MB" %
               PEAK_MAX_MB)
D = L.DOMAIN

d = L.Daemon()
d.ctl("club", "create", "acme", check=True)
d.start()


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1]) // 1024     # MB
    return None


# one attachment shared by every message (only the headers differ)
blob = base64.encodebytes(os.urandom(SIZE * 3 // 4 - 4096)).replace(
    b"\n", b"\r\n")
body = (b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
        b"boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        b"The report is attached.\r\n--B\r\nContent-Type: "
        b"application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\n" + blob + b"--B--\r\n")
wire_body = L.data_encode(body)[0]      # base64 has no leading dots
results = [None] * SESSIONS
start = threading.Barrier(SESSIONS, timeout=120)


def session(i):
    head = ("From: stranger%d@example.net\r\nSubject: big %d\r\n"
            "Message-ID: <big%d@example.net>\r\n" % (i, i, i)).encode()
    try:
        with d.client(timeout=300) as c:
            c.reply()
            c.lhlo()
            c.send("MAIL FROM:<stranger%d@example.net>\r\n"
                   "RCPT TO:<acme@%s>\r\nDATA\r\n" % (i, D))
            rr = c.replies(3)
            if rr[2].code != 354:
                results[i] = rr[2]
                return
            start.wait()            # all 50 transfers at once
            c.send(head + wire_body)
            results[i] = c.reply()
    except Exception as e:  # noqa: BLE001 - reported below
        results[i] = e


t0 = time.monotonic()
threads = [threading.Thread(target=session, args=(i,))
           for i in range(SESSIONS)]
for th in threads:
    th.start()
for th in threads:
    th.join(400)                    # bounded: each socket times out too
secs = time.monotonic() - t0
ok = [r for r in results if isinstance(r, L.Reply) and r.code == 250]
t.is_(len(ok), SESSIONS, "all %d sessions get 250 (%.1f s)" %
      (SESSIONS, secs))
bad = [r for r in results if r not in ok]
if bad:
    t.diag("first other outcome: %r" % (bad[0],))
t.is_(d.sql1("SELECT count(*) FROM messages WHERE length(raw) > ?",
             (SIZE,)), SESSIONS, "and all %d are stored whole" % SESSIONS)
peak = vm(d.pid, "VmHWM")
t.diag("peak RSS %d MB (VmHWM) for %d sessions x %d MB" %
       (peak, SESSIONS, len(body) // 1000000))
t.ok(peak is not None and peak < PEAK_MAX_MB,
     "peak RSS %s MB stays under %d MB" % (peak, PEAK_MAX_MB))
t.is_(d.stop(timeout=60), 0, "SIGTERM: exit 0")
left = [n for n in os.listdir(d.dir) if n.startswith(".mlistd-spool")]
t.is_(left, [], "no spool file is left behind")
t.done()
