#!/bin/bash
# fanout.sh - relay fan-out of mlistd against an smtp-source ceiling.
#
# Not a test: builds nothing, prints figures.  Each run:
#   - mlistd (fresh temporary directory and database; relay =
#     smtp://127.0.0.1:PORT, relay_tls = off, relay_concurrency = N,
#     user = root, log = stderr) with club "bench" of BENCH_MEMBERS
#     members ("mlistctl member import"), moderation none;
#   - smtp-sink -u nobody -M BENCH_MEMBERS on PORT, which exits after that
#     many messages;
#   - one 3 KB post over LMTP (swaks); the time runs from just before the
#     post until the sink exits, so it covers intake, fan-out rows, copy
#     building, personalization and every SMTP transaction.
# Printed: recipients/s and mlistd's peak RSS (VmHWM from /proc, after the
# sink exited).  The ceiling, in the same run: smtp-source -s 4 -m
# BENCH_MEMBERS -F post.eml (the same post, one recipient a transaction)
# against the same kind of sink, and the same with -d (smtp-source reusing
# its connections, a stricter ceiling).  mlistd's rate is printed as a share of
# the ceiling.  Each figure BENCH_RUNS times, then medians.
#
# Environment:
#   MLISTD_BIN         directory holding mlistd and mlistctl [../bin]
#   BENCH_MEMBERS      club size and messages per measurement [10000]
#   BENCH_RUNS         repetitions [3]
#   BENCH_CONCURRENCY  relay_concurrency [4]
#
# Needs: smtp-source, smtp-sink (Debian: postfix), swaks, python3.  Run as
# root (smtp-sink -u nobody; mlistd user = root).

set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
MEMBERS=${BENCH_MEMBERS:-10000}
RUNS=${BENCH_RUNS:-3}
CONC=${BENCH_CONCURRENCY:-4}
LIMIT=600 # seconds before a run is declared stuck

NAME=fanout.sh
WORK_PREFIX=mlfan
. "$(dirname "$0")/lib.sh"
need_tools smtp-source smtp-sink swaks python3

# wait_exit PID SECONDS: 0 when PID exited in time
wait_exit() {
	local i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($2 * 100)) ] && return 1
		sleep 0.01
	done
	wait "$1" 2>/dev/null
	PIDS=$(printf '%s\n' $PIDS | grep -vx "$1" | tr '\n' ' ')
}
# the post: about 3 KB of French prose, a real header
python3 - "$WORK/post.eml" <<'EOF'
import sys
para = ("Bonjour à tous, nous organisons le mois prochain une rencontre "
        "entre dirigeants de PME autour de la transmission d'entreprise. "
        "Qui serait disponible pour partager son expérience ? ")
# LF line ends: smtp-source -F appends CRLF to each line itself
body = "\n".join(para[i:i + 72] for i in range(0, len(para), 72))
text = (body + "\n\n") * 15
msg = ("From: Poster <poster@example.com>\nTo: bench@lists.example.org\n"
       "Subject: =?UTF-8?Q?Rencontre_transmission_d=27entreprise?=\n"
       "Message-ID: <fanout@example.com>\n"
       "Date: Mon, 10 Mar 2025 08:00:00 +0100\nMIME-Version: 1.0\n"
       "Content-Type: text/plain; charset=utf-8\n"
       "Content-Transfer-Encoding: 8bit\n\n" + text)
open(sys.argv[1], "wb").write(msg.encode())
EOF
python3 -c "
print('poster@example.com')
for i in range(1, $MEMBERS):
    print('Member %d <m%05d@example.org>' % (i, i))" >"$WORK/members.txt"

# start_sink PORT: smtp-sink that exits after MEMBERS messages; sets SINK
start_sink() {
	smtp-sink -u nobody -M "$MEMBERS" "127.0.0.1:$1" 1000 >"$WORK/sink.log" 2>&1 &
	SINK=$!
	PIDS="$PIDS $SINK"
	wait_port "$1" "$SINK" || { echo "fanout.sh: smtp-sink did not start" >&2; cat "$WORK/sink.log" >&2; return 1; }
}

# mlistd_run RUN: sets ELAPSED, RATE, HWM
mlistd_run() {
	local d="$WORK/m$1" port sport pid t0 t1
	mkdir -p "$d"
	port=$(free_port)
	sport=$(free_port)
	mlistd_conf "$d" "$port" "$sport" "$CONC"
	"$MLISTCTL" -c "$d/mlistd.conf" club create bench >/dev/null &&
		"$MLISTCTL" -c "$d/mlistd.conf" club set bench moderation none &&
		"$MLISTCTL" -c "$d/mlistd.conf" member import bench "$WORK/members.txt" >/dev/null ||
		return 1
	start_sink "$sport" || return 1
	"$MLISTD" -f -c "$d/mlistd.conf" 2>"$d/mlistd.log" &
	pid=$!
	PIDS="$PIDS $pid"
	wait_port "$port" "$pid" || { echo "fanout.sh: mlistd did not start" >&2; cat "$d/mlistd.log" >&2; return 1; }
	t0=$(now)
	swaks --silent 2 --protocol LMTP --server "127.0.0.1:$port" \
		--from poster@example.com --to bench@lists.example.org \
		--data "$WORK/post.eml" >"$d/swaks.out" 2>&1 ||
		{ echo "fanout.sh: the post failed:" >&2; cat "$d/swaks.out" >&2; return 1; }
	if ! wait_exit "$SINK" "$LIMIT"; then
		echo "fanout.sh: the sink did not get $MEMBERS messages in $LIMIT s" >&2
		stop_pid "$SINK"; stop_pid "$pid"; return 1
	fi
	t1=$(now)
	HWM=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
	stop_pid "$pid"
	SENT=$(grep -c 'status=sent' "$d/mlistd.log")
	ELAPSED=$(python3 -c "print('%.2f' % ($t1 - $t0))")
	RATE=$(python3 -c "print('%.1f' % ($MEMBERS / ($t1 - $t0)))")
	rm -rf "$d"
}

# ceiling_run [-d]: sets ELAPSED, RATE.  smtp-source may complain of a
# lost connection at the end: the sink quits at its count, mid-session.
ceiling_run() {
	local sport t0 t1
	sport=$(free_port)
	start_sink "$sport" || return 1
	t0=$(now)
	smtp-source "$@" -s 4 -m "$MEMBERS" -F "$WORK/post.eml" \
		-f poster@example.com -t rcpt@example.org "127.0.0.1:$sport" \
		>"$WORK/source.out" 2>&1
	wait_exit "$SINK" "$LIMIT" || { stop_pid "$SINK"; return 1; }
	t1=$(now)
	ELAPSED=$(python3 -c "print('%.2f' % ($t1 - $t0))")
	RATE=$(python3 -c "print('%.1f' % ($MEMBERS / ($t1 - $t0)))")
}

echo "# mlistd fan-out benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# binary: $MLISTD"
echo "# machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "# load: one $(wc -c <"$WORK/post.eml")-byte post to $MEMBERS members, relay_concurrency = $CONC, $RUNS run(s)"
echo

FAIL=0
mr=""; mh=""; cr=""; dr=""
for r in $(seq 1 "$RUNS"); do
	if mlistd_run "$r"; then
		printf 'mlistd   run %d: %7s s  %8s recipients/s  peak RSS %5s MB  (%s outcome lines sent)\n' \
			"$r" "$ELAPSED" "$RATE" "$HWM" "$SENT"
		mr="$mr $RATE"; mh="$mh $HWM"
	else
		FAIL=1
	fi
	if ceiling_run; then
		printf 'ceiling  run %d: %7s s  %8s msgs/s (smtp-source -s 4)\n' "$r" "$ELAPSED" "$RATE"
		cr="$cr $RATE"
	else
		FAIL=1
	fi
	# the stricter ceiling: smtp-source reusing its connections too
	if ceiling_run -d; then
		printf 'ceiling  run %d: %7s s  %8s msgs/s (smtp-source -d -s 4)\n' "$r" "$ELAPSED" "$RATE"
		dr="$dr $RATE"
	else
		FAIL=1
	fi
done
echo
m=n/a; c=n/a; k=n/a; h=n/a; ratio=n/a; ratio_d=n/a
[ -n "$mr" ] && m=$(median $mr) && h=$(median $mh)
[ -n "$cr" ] && c=$(median $cr)
[ -n "$dr" ] && k=$(median $dr)
[ "$m" != n/a ] && [ "$c" != n/a ] && ratio=$(python3 -c "print('%.2f' % ($m / $c))")
[ "$m" != n/a ] && [ "$k" != n/a ] && ratio_d=$(python3 -c "print('%.2f' % ($m / $k))")
echo "# medians over $RUNS run(s)"
printf '%16s %14s %7s %16s %7s %12s\n' "mlistd rcpts/s" "ceiling (-s 4)" ratio "ceiling (-d -s 4)" ratio "peak RSS MB"
printf '%16s %14s %7s %16s %7s %12s\n' "$m" "$c" "$ratio" "$k" "$ratio_d" "$h"
exit $FAIL
