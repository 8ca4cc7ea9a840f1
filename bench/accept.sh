#!/bin/bash
# accept.sh - how fast mlistd accepts posts while it fans copies out,
# against Postfix's own durable intake.
#
# Not a test: builds nothing, prints figures.  One mlistd (user = root,
# log = stderr, relay = smtp://127.0.0.1:PORT, relay_tls = off,
# relay_concurrency = 4) relaying to smtp-sink, which discards; club
# "big" of 10,000 members and club "small" of 100 (mlistctl member
# import), moderation none.  Each round, over ONE LMTP session of
# sequential transactions (as Postfix delivers when traffic is light):
#   - 30 generated 4 KB posts (35% replies: In-Reply-To/References to
#     earlier posts) to big, i.e. 300,000 copies,
#   - then, while those copies go out, 300 posts to small;
# every post's acceptance latency runs from the end of DATA (the final
# "." sent) to its 250.  Then the queue is left to drain before the next
# round, with fresh posts.  The yardsticks, in the same run, after the
# mlistd rounds, the same 300 small-club posts of each round over one
# session to:
#   - a private Postfix (its own config_directory and queue_directory
#     under the work directory, smtpd on 127.0.0.1 only) whose
#     smtpd_recipient_restrictions start with check_client_access
#     static:HOLD: every message is fsync'd into the hold queue and goes
#     no further; this is Postfix's durable intake;
#   - smtp-sink -L, which speaks LMTP and stores nothing.
# Printed: per round and as medians of BENCH_RUNS rounds, posts/s, p50
# and p99 acceptance latency of each, and mlistd's ratios against the
# Postfix hold intake (rate: higher is better; p99: lower is better).
#
# Environment:
#   MLISTD_BIN   directory holding mlistd and mlistctl [../bin]
#   BENCH_RUNS   rounds [3]
#   BENCH_BIG    members of the big club [10000]
#   BENCH_SMALL  members of the small club [100]
#   BENCH_CONCURRENCY  relay_concurrency [4]
#
# Needs: postfix (master, smtpd, cleanup...), smtp-sink, sqlite3,
# python3 (stdlib only).  Run as root (postfix master; smtp-sink -u
# nobody; mlistd user = root).

set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
RUNS=${BENCH_RUNS:-3}
BIG=${BENCH_BIG:-10000}
SMALL=${BENCH_SMALL:-100}
CONC=${BENCH_CONCURRENCY:-4}
NBIG=30    # posts to the big club per round
NSMALL=300 # posts to the small club per round
DRAIN=900  # seconds a round's copies may take to go out

NAME=accept.sh
WORK_PREFIX=mlaccept
. "$(dirname "$0")/lib.sh"
need_tools smtp-sink postfix postconf sqlite3 python3
[ "$(id -u)" -eq 0 ] || { echo "accept.sh: run as root" >&2; exit 2; }

# --- posts and the client ---------------------------------------------------

# gen.py DIR ROUND NBIG NSMALL: fresh posts; a manifest line per post
# (LABEL RCPT-CLUB FILE), big first.  About 4 KB each, 35% replies.
cat >"$WORK/gen.py" <<'EOF'
import os, random, sys
d, rnd, nbig, nsmall = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(rnd)
words = ("réunion budget transmission entreprise dirigeants rencontre "
         "expérience partager question réponse mois prochain atelier "
         "clients fournisseurs trésorerie recrutement formation projet "
         "proposition calendrier salle ordre jour compte rendu").split()
seen = {"big": [], "small": []}
man = open(os.path.join(d, "manifest"), "w")
for club, n in (("big", nbig), ("small", nsmall)):
    for i in range(n):
        mid = "<r%d.%s.%d.%d@bench.example.com>" % (rnd, club, i, rng.randrange(1 << 30))
        refs = ""
        subj = " ".join(rng.choice(words) for _ in range(5))
        if seen[club] and rng.random() < 0.35:
            chain = seen[club][-rng.randint(1, min(3, len(seen[club]))):]
            refs = ("In-Reply-To: %s\r\nReferences: %s\r\n"
                    % (chain[-1], " ".join(chain)))
            subj = "Re: " + subj
        seen[club].append(mid)
        head = ("From: Poster <poster@example.com>\r\nTo: %s@lists.example.org\r\n"
                "Subject: %s\r\nMessage-ID: %s\r\n%s"
                "Date: Mon, 10 Mar 2025 08:00:00 +0100\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" % (club, subj, mid, refs))
        body, line = [], []
        size = len(head.encode())
        while size < 4096:
            w = rng.choice(words)
            line.append(w)
            if sum(len(x) + 1 for x in line) > 70:
                s = " ".join(line) + "\r\n"
                body.append(s)
                size += len(s.encode())
                line = []
        f = os.path.join(d, "%s-%03d.eml" % (club, i))
        open(f, "wb").write((head + "".join(body)).encode())
        man.write("%s\t%s\t%s\n" % (club, club, f))
EOF

# client.py lmtp|smtp PORT DOMAIN MANIFEST [LABEL]: one session, one
# transaction after another; per label prints "LABEL N SECONDS P50 P99"
# (latency: end of DATA to the reply, ms).  Any reply but 250 fails.
cat >"$WORK/client.py" <<'EOF'
import sys, time
from session import Session
mode, port, domain, manifest = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
only = sys.argv[5] if len(sys.argv) > 5 else None
c = Session(port, ("LHLO" if mode == "lmtp" else "EHLO") + " client.bench.invalid")
posts = [l.rstrip("\n").split("\t") for l in open(manifest)]
if only:
    posts = [p for p in posts if p[0] == only]
stats = {}
for label, club, path in posts:
    raw = open(path, "rb").read()
    data = b"".join(b"." + l if l.startswith(b".") else l
                    for l in raw.splitlines(True))
    t0 = time.monotonic()
    c.cmd("MAIL FROM:<poster@example.com>", b"250")
    c.cmd("RCPT TO:<%s@%s>" % (club, domain), b"250")
    c.cmd("DATA", b"354")
    c.send(data + b".\r\n")
    t1 = time.monotonic()
    r = c.reply()
    t2 = time.monotonic()
    if not r.startswith(b"250"):
        sys.exit("%s: %r" % (path, r))
    st = stats.setdefault(label, [t0, 0, []])
    st[1] = t2
    st[2].append((t2 - t1) * 1000)
c.cmd("QUIT", b"221")
for label, (t0, t1, lat) in stats.items():
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("%s %d %.4f %.2f %.2f" % (label, len(lat), t1 - t0, p(0.5), p(0.99)))
EOF

# --- mlistd -----------------------------------------------------------------

queue_left() { # copies still to go: queue rows, plus fan-out rows if any
	local db=$1 n f
	n=$(sqlite3 "$db" "SELECT count(*) FROM queue" 2>/dev/null) || n=1
	if [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'fanout'")" = 1 ]; then
		f=$(sqlite3 "$db" "SELECT count(*) FROM fanout" 2>/dev/null) || f=1
		n=$((n + f))
	fi
	echo "$n"
}

M="$WORK/mlistd"
mkdir -p "$M"
MPORT=$(free_port)
SPORT=$(free_port)
mlistd_conf "$M" "$MPORT" "$SPORT" "$CONC"
python3 -c "
print('poster@example.com')
for i in range(1, $BIG):
    print('m%05d@example.org' % i)" >"$WORK/big.txt"
python3 -c "
print('poster@example.com')
for i in range(1, $SMALL):
    print('s%03d@example.org' % i)" >"$WORK/small.txt"
for c in big small; do
	"$MLISTCTL" -c "$M/mlistd.conf" club create "$c" >/dev/null &&
		"$MLISTCTL" -c "$M/mlistd.conf" club set "$c" moderation none &&
		"$MLISTCTL" -c "$M/mlistd.conf" member import "$c" "$WORK/$c.txt" >/dev/null ||
		{ echo "accept.sh: cannot set up club $c" >&2; exit 1; }
done
smtp-sink -u nobody "127.0.0.1:$SPORT" 1000 >"$WORK/sink.log" 2>&1 &
SINK=$!
PIDS="$PIDS $SINK"
wait_port "$SPORT" "$SINK" || { echo "accept.sh: smtp-sink did not start" >&2; exit 1; }
"$MLISTD" -f -c "$M/mlistd.conf" 2>"$M/mlistd.log" &
MPID=$!
PIDS="$PIDS $MPID"
wait_port "$MPORT" "$MPID" || { echo "accept.sh: mlistd did not start" >&2; cat "$M/mlistd.log" >&2; exit 1; }

echo "# mlistd acceptance benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# binary: $MLISTD"
echo "# machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# load per round: $NBIG posts to $BIG members, then $NSMALL to $SMALL during the fan-out; one LMTP session; relay_concurrency = $CONC"
echo

FAIL=0
declare -A R P50 P99
add() { R[$1]="${R[$1]:-} $2"; P50[$1]="${P50[$1]:-} $3"; P99[$1]="${P99[$1]:-} $4"; }
# show LABEL ROUND N SECONDS P50 P99 (a client.py line): print and keep
show() {
	local rate
	rate=$(python3 -c "print('%.1f' % ($3 / $4))")
	printf '%-28s round %d: %4d posts %7.2f s %8s posts/s  p50 %7s ms  p99 %7s ms\n' \
		"$1" "$2" "$3" "$4" "$rate" "$5" "$6"
	add "$1" "$rate" "$5" "$6"
}

# yardstick LABEL lmtp|smtp PORT: each round's small-club posts, one
# session a round
yardstick() {
	local r n secs p50 p99
	for r in $(seq 1 "$RUNS"); do
		[ -f "$WORK/posts$r/manifest" ] || continue
		if PYTHONPATH=$HERE python3 "$WORK/client.py" "$2" "$3" lists.example.org \
			"$WORK/posts$r/manifest" small >"$WORK/y$r" 2>"$WORK/err$r"; then
			read -r _ n secs p50 p99 <"$WORK/y$r"
			show "$1" "$r" "$n" "$secs" "$p50" "$p99"
		else
			echo "accept.sh: $1, round $r: $(cat "$WORK/err$r")" >&2
			FAIL=1
		fi
	done
}

for r in $(seq 1 "$RUNS"); do
	mkdir -p "$WORK/posts$r"
	python3 "$WORK/gen.py" "$WORK/posts$r" "$r" "$NBIG" "$NSMALL" || exit 1
	t0=$(now)
	if ! PYTHONPATH=$HERE python3 "$WORK/client.py" lmtp "$MPORT" lists.example.org \
		"$WORK/posts$r/manifest" >"$WORK/out$r" 2>"$WORK/err$r"; then
		echo "accept.sh: round $r: $(cat "$WORK/err$r")" >&2
		FAIL=1
		continue
	fi
	while read -r label n secs p50 p99; do
		case $label in
		big) show "mlistd big club ($BIG)" "$r" "$n" "$secs" "$p50" "$p99" ;;
		small) show "mlistd small club (fan-out)" "$r" "$n" "$secs" "$p50" "$p99" ;;
		esac
	done <"$WORK/out$r"
	# the round's copies go out before the next one starts
	i=0
	while [ "$(queue_left "$M/mlistd.db")" != 0 ] && [ $i -lt $((DRAIN * 10)) ]; do
		sleep 0.1; i=$((i + 1))
	done
	left=$(queue_left "$M/mlistd.db")
	printf '%-28s round %d: queue drained %.1f s after the first post%s\n' \
		"" "$r" "$(python3 -c "print($(now) - $t0)")" \
		"$([ "$left" = 0 ] || echo ", NOT EMPTY ($left left)")"
	[ "$left" = 0 ] || FAIL=1
done
SENT=$(grep -c 'status=sent' "$M/mlistd.log")
echo "# mlistd logged $SENT copies sent (expected $((RUNS * (NBIG * BIG + NSMALL * SMALL))))"
HWM=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$MPID/status")
stop_pid "$MPID"
stop_pid "$SINK"

# --- the private Postfix: durable intake into the hold queue ----------------

PF="$WORK/pf"
PFQ="$WORK/pfq"
PFD="$WORK/pfd"
PFPORT=$(free_port)
PF_UP=0
pf_stop() {
	[ "$PF_UP" = 1 ] || return 0
	local mp i=0
	postfix -c "$PF" stop >/dev/null 2>&1
	mp=$(tr -dc 0-9 <"$PFQ/pid/master.pid" 2>/dev/null)
	while [ -n "$mp" ] && kill -0 "$mp" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -n "$mp" ] && kill -KILL "$mp" 2>/dev/null
	PF_UP=0
}
trap 'pf_stop; cleanup' EXIT
mkdir -p "$PF" "$PFQ"
for f in postfix-files dynamicmaps.cf; do
	src="/etc/postfix/$f"
	[ -f "$src" ] || src="$(postconf -dh meta_directory)/$f"
	[ -f "$src" ] && cp "$src" "$PF/$f"
done
mkdir -p "$PF/postfix-files.d" "$PF/dynamicmaps.cf.d"
cat >"$PF/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $PF
meta_directory = $PF
queue_directory = $PFQ
data_directory = $PFD
mail_owner = postfix
setgid_group = postdrop
maillog_file = $WORK/maillog
maillog_file_prefixes = $WORK
myhostname = pf.bench.invalid
mydomain = bench.invalid
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relay_domains = lists.example.org
relay_recipient_maps =
default_transport = discard:held
relay_transport = discard:held
smtputf8_enable = no
biff = no
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
# every message is fsync'd into the hold queue and goes no further
smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject_unauth_destination
delay_warning_time = 0
notify_classes =
EOF
cat >"$PF/master.cf" <<EOF
127.0.0.1:$PFPORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
discard   unix  -       -       n       -       -       discard
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
anvil     unix  -       -       n       -       1       anvil
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
: >"$WORK/maillog"
if ! postfix -c "$PF" check >"$WORK/pfcheck" 2>&1 || ! postfix -c "$PF" start >>"$WORK/pfcheck" 2>&1; then
	echo "accept.sh: the private Postfix did not start:" >&2
	cat "$WORK/pfcheck" "$WORK/maillog" >&2
	exit 1
fi
PF_UP=1
i=0
while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$PFPORT),1).close()" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "accept.sh: private smtpd not listening" >&2; exit 1; }
	sleep 0.1
done
yardstick "Postfix hold (durable)" smtp "$PFPORT"
HELD=$(find "$PFQ/hold" -type f | wc -l)
echo "# Postfix hold queue: $HELD messages (expected $((RUNS * NSMALL)))"
[ "$HELD" = $((RUNS * NSMALL)) ] || FAIL=1
pf_stop

# --- smtp-sink -L: stores nothing -------------------------------------------

LPORT=$(free_port)
smtp-sink -L -u nobody "127.0.0.1:$LPORT" 1000 >"$WORK/lsink.log" 2>&1 &
LSINK=$!
PIDS="$PIDS $LSINK"
wait_port "$LPORT" "$LSINK" || { echo "accept.sh: smtp-sink -L did not start" >&2; exit 1; }
yardstick "smtp-sink -L (stores nothing)" lmtp "$LPORT"
stop_pid "$LSINK"

# --- medians ----------------------------------------------------------------

echo
echo "# medians over $RUNS round(s); ratios against Postfix's hold intake; mlistd peak RSS $HWM MB"
printf '%-30s %9s %8s %8s %11s %11s\n' "" "posts/s" "p50 ms" "p99 ms" "rate/hold" "p99/hold"
HOLD="Postfix hold (durable)"
hr=$(median ${R[$HOLD]:-0}); h99=$(median ${P99[$HOLD]:-0})
for k in "mlistd big club ($BIG)" "mlistd small club (fan-out)" "$HOLD" "smtp-sink -L (stores nothing)"; do
	[ -n "${R[$k]:-}" ] || { printf '%-30s %9s\n' "$k" n/a; continue; }
	m=$(median ${R[$k]}); p5=$(median ${P50[$k]}); p9=$(median ${P99[$k]})
	printf '%-30s %9s %8s %8s %11s %11s\n' "$k" "$m" "$p5" "$p9" \
		"$(python3 -c "print('%.2f' % ($m / $hr) if $hr else 'n/a')")" \
		"$(python3 -c "print('%.2f' % ($p9 / $h99) if $h99 else 'n/a')")"
done
exit $FAIL
