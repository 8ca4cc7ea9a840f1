#!/bin/bash
# digest.sh - how long mlistd takes to select, render and queue every
# member's digest issue in a big club, its peak memory, and how fast a
# post is accepted meanwhile (issue 10: < 5 s, < 100 MB, < 50 ms).
#
# Not a test: builds nothing, prints figures.  Club "big" of BENCH_MEMBERS
# members (mlistctl member import; joined 5 weeks before) and
# BENCH_MESSAGES messages in the week before the digest (mlistctl import
# of a generated mbox: threads of heavy-tailed sizes, replies mostly to
# the latest message, some to earlier ones, authors drawn from a
# Zipf-like 8% of the members, a fifth of the roots asking a question,
# some replies quoting), club "small" of 10 members.  Each round starts
# from a copy of that database: mlistd runs (relay = capture) while
# "mlistctl digest big --send --at T" runs the scheduler's send path
# (digest_send.c: one snapshot, selection, rendering, then 64 members per
# transaction); meanwhile a client posts to "small" over LMTP every
# 50 ms and times each post from the end of DATA to its 250.  Printed per
# round and as medians of BENCH_RUNS rounds: seconds, peak RSS of the
# send (/usr/bin/time), issues queued, and p50/max acceptance latency.
#
# Environment:
#   MLISTD_BIN      directory holding mlistd and mlistctl [../bin]
#   BENCH_RUNS      rounds [3]
#   BENCH_MEMBERS   members of the big club [10000]
#   BENCH_MESSAGES  messages in the week [2000]
#
# Needs: python3 (stdlib only), /usr/bin/time.

set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
RUNS=${BENCH_RUNS:-3}
MEMBERS=${BENCH_MEMBERS:-10000}
MESSAGES=${BENCH_MESSAGES:-2000}
JOINED=2025-02-03T09:00:00Z
AT=2025-03-10T07:00:00Z # Monday 08:00 in Paris

NAME=digest.sh
WORK_PREFIX=mldigest
. "$(dirname "$0")/lib.sh"
need_tools python3 /usr/bin/time

# gen.py DIR MEMBERS MESSAGES: members.txt, small.txt and week.mbox
cat >"$WORK/gen.py" <<'EOF'
import random, sys, time
d, nmem, nmsg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(10)
words = ("réunion budget transmission entreprise dirigeants rencontre "
         "expérience partager question réponse mois prochain atelier "
         "clients fournisseurs trésorerie recrutement formation projet "
         "proposition calendrier salle ordre jour compte rendu comptable "
         "banque export salon locaux stagiaire").split()
with open(d + "/members.txt", "w") as f:
    for i in range(nmem):
        f.write("m%05d@members.example.com\n" % i)
with open(d + "/small.txt", "w") as f:
    for i in range(10):
        f.write("s%d@members.example.com\n" % i)
active = ["m%05d@members.example.com" % i
          for i in rng.sample(range(nmem), max(1, nmem * 8 // 100))]
weights = [1.0 / (k + 1) for k in range(len(active))]
start = time.mktime((2025, 3, 3, 7, 0, 0, 0, 0, 0)) - time.timezone
span = 7 * 86400 - 3600
def text(n):
    return " ".join(rng.choice(words) for _ in range(n))
msgs, threads = [], []
while len(msgs) < nmsg:
    # thread sizes: many short threads, a few long debates
    size = min(nmsg - len(msgs), int(rng.paretovariate(1.2)) + rng.randint(0, 2))
    t0 = start + rng.random() * span * 0.9
    subj = text(5)
    question = rng.random() < 0.2
    if question:
        subj = "Quelqu'un connaît " + subj + " ?"
    thread = []
    for k in range(size):
        date = t0 + k * rng.uniform(600, 6 * 3600)
        if date > start + span:
            break
        mid = "<g%d@bench.example.com>" % len(msgs)
        author = rng.choices(active, weights)[0]
        parent = None
        if thread:
            parent = thread[-1] if rng.random() < 0.6 else rng.choice(thread)
        body = text(rng.randint(40, 200)) + "\n"
        if parent and rng.random() < 0.4:
            body += "\n> " + parent["body"][:200].replace("\n", "\n> ") + "\n"
        m = {"mid": mid, "author": author, "date": date, "body": body,
             "subject": ("Re: " if parent else "") + subj,
             "parent": parent}
        thread.append(m)
        msgs.append(m)
msgs.sort(key=lambda m: m["date"])
with open(d + "/week.mbox", "w") as f:
    for m in msgs:
        t = time.gmtime(m["date"])
        f.write("From %s %s\n" % (m["author"], time.strftime("%a %b %d %H:%M:%S %Y", t)))
        f.write("From: %s\nTo: big@lists.example.org\nSubject: %s\n"
                "Message-ID: %s\nDate: %s\n" % (
                    m["author"], m["subject"], m["mid"],
                    time.strftime("%a, %d %b %Y %H:%M:%S +0000", t)))
        if m["parent"]:
            f.write("In-Reply-To: %s\nReferences: %s\n" % (
                m["parent"]["mid"], m["parent"]["mid"]))
        f.write("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: 8bit\n\n%s\n" % m["body"])
EOF

# probe.py PORT DOMAIN STOPFILE: a post to small every 50 ms until
# STOPFILE exists; prints "N P50 MAX" (ms, end of DATA to the 250)
cat >"$WORK/probe.py" <<'EOF'
import os, sys, time
from session import Session
port, domain, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = Session(port, "LHLO probe.bench.invalid")
lat, i = [], 0
while not os.path.exists(stop):
    i += 1
    c.cmd("MAIL FROM:<s0@members.example.com>", b"250")
    c.cmd("RCPT TO:<small@%s>" % domain, b"250")
    c.cmd("DATA", b"354")
    c.send(("From: s0@members.example.com\r\nSubject: probe %d\r\n"
               "Message-ID: <p%d.%d@bench.example.com>\r\n\r\nHello\r\n.\r\n"
               % (i, i, os.getpid())).encode())
    t0 = time.monotonic()
    r = c.reply()
    lat.append((time.monotonic() - t0) * 1000)
    if not r.startswith(b"250"):
        sys.exit("post -> %r" % r)
    time.sleep(0.05)
c.cmd("QUIT", b"221")
lat.sort()
print(len(lat), "%.1f" % lat[len(lat) // 2], "%.1f" % lat[-1])
EOF

python3 "$WORK/gen.py" "$WORK" "$MEMBERS" "$MESSAGES" || exit 1
PORT=$(free_port)
M="$WORK/m"
mkdir -p "$M"
cat >"$M/mlistd.conf" <<EOF
domain = lists.example.org
database = $M/mlistd.db
listen = inet:127.0.0.1:$PORT
relay = capture:$M/outbox
secret_file = $M/secret
user = root
log = stderr
timezone = Europe/Paris
templates = $HERE/../templates
EOF
export MLISTD_NOW=$JOINED
ctl() { "$MLISTCTL" -c "$M/mlistd.conf" "$@"; }
python3 -c 'import os; print(os.urandom(32).hex())' >"$M/secret"
chmod 0600 "$M/secret"
for c in big small; do
	ctl club create "$c" >/dev/null || exit 1
	ctl club set "$c" moderation none >/dev/null 2>&1
done
ctl member import big "$WORK/members.txt" >/dev/null || exit 1
ctl member import small "$WORK/small.txt" >/dev/null || exit 1
ctl import big "$WORK/week.mbox" >/dev/null || exit 1
cp "$M/mlistd.db" "$WORK/setup.db"
echo "club big: $MEMBERS members, $(grep -c '^Message-ID' "$WORK/week.mbox") messages in the week; digest at $AT"

: >"$WORK/rounds"
for r in $(seq 1 "$RUNS"); do
	rm -rf "$M/outbox" "$M/mlistd.db-wal" "$M/mlistd.db-shm" "$WORK/stop"
	cp "$WORK/setup.db" "$M/mlistd.db"
	export MLISTD_NOW=2025-03-10T06:00:00Z
	"$MLISTD" -f -c "$M/mlistd.conf" 2>>"$M/mlistd.log" &
	MPID=$!
	PIDS="$PIDS $MPID"
	wait_port "$PORT" "$MPID" || { echo "mlistd did not start" >&2; tail "$M/mlistd.log" >&2; exit 1; }
	PYTHONPATH=$HERE python3 "$WORK/probe.py" "$PORT" lists.example.org "$WORK/stop" >"$WORK/probe.out" &
	PPID_=$!
	PIDS="$PIDS $PPID_"
	sleep 0.5
	/usr/bin/time -f "%e %M" -o "$WORK/time.out" \
		"$MLISTCTL" -c "$M/mlistd.conf" digest big --send --at "$AT" >"$WORK/send.out" ||
		{ echo "digest --send failed" >&2; exit 1; }
	sleep 0.3
	touch "$WORK/stop"
	wait "$PPID_"
	stop_pid "$PPID_"
	stop_pid "$MPID"
	read -r secs kb <"$WORK/time.out"
	read -r n p50 max <"$WORK/probe.out"
	issues=$(sed -n 's/^big: \([0-9]*\) issue.*/\1/p' "$WORK/send.out")
	printf 'round %d: %s s, peak RSS %d MB, %s issues queued; %s posts meanwhile: p50 %s ms, max %s ms\n' \
		"$r" "$secs" $((kb / 1024)) "$issues" "$n" "$p50" "$max"
	echo "$secs $((kb / 1024)) $p50 $max" >>"$WORK/rounds"
done
printf 'median of %d: %s s, peak RSS %s MB, acceptance p50 %s ms, max %s ms\n' "$RUNS" \
	"$(median $(cut -d' ' -f1 "$WORK/rounds"))" "$(median $(cut -d' ' -f2 "$WORK/rounds"))" \
	"$(median $(cut -d' ' -f3 "$WORK/rounds"))" "$(median $(cut -d' ' -f4 "$WORK/rounds"))"
