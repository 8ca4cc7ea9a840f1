#!/bin/bash
# ingest.sh - LMTP ingest throughput of mlistd against an smtp-sink ceiling.
#
# Not a test: builds nothing, prints figures.  For each load (20 parallel
# LMTP sessions, then 1) it sends BENCH_COUNT messages of 4 KiB with
# Postfix's smtp-source to
#   - mlistd (fresh temporary directory and database every run; capture
#     relay, user = root, log = stderr), and
#   - smtp-sink -L, which accepts and discards: the ceiling of this
#     client on this machine,
# and prints msgs/s for both, the ratio mlistd/ceiling and mlistd's peak
# RSS (VmHWM, read from /proc just before stopping it).  Every run checks
# that the number of rows stored (and of distinct Message-IDs) equals the
# number sent.
#
# Environment:
#   MLISTD_BIN   directory holding mlistd and mlistctl [../bin from here]
#   BENCH_COUNT  messages per measurement [20000]
#   BENCH_RUNS   repetitions of each measurement; every run and the
#                median are printed [3]
#   BENCH_SIZE   payload bytes per message (smtp-source -l) [4096]
#
# Needs: smtp-source and smtp-sink (Debian: postfix), sqlite3, python3.
# Run as root (smtp-sink -u nobody; mlistd user = root).

set -u
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
COUNT=${BENCH_COUNT:-20000}
RUNS=${BENCH_RUNS:-3}
SIZE=${BENCH_SIZE:-4096}
SESSIONS="20 1"

NAME=ingest.sh
WORK_PREFIX=mlbench
. "$(dirname "$0")/lib.sh"
need_tools smtp-source smtp-sink sqlite3 python3

rate() { python3 -c "import sys; print('%.1f' % ($1 / ($3 - $2)))"; }
# blast LABEL PORT SESSIONS: smtp-source into PORT; sets ELAPSED, RATE
blast() {
	local t0 t1 rc
	t0=$(now)
	smtp-source -L -s "$3" -m "$COUNT" -l "$SIZE" \
		-f poster@example.com -t bench@lists.example.org \
		"127.0.0.1:$2" >"$WORK/source.out" 2>&1
	rc=$?
	t1=$(now)
	if [ $rc -ne 0 ]; then
		echo "ingest.sh: smtp-source to $1 failed (rc $rc):" >&2
		tail -5 "$WORK/source.out" >&2
		return 1
	fi
	ELAPSED=$(python3 -c "print('%.2f' % ($t1 - $t0))")
	RATE=$(rate "$COUNT" "$t0" "$t1")
}

# one mlistd run: fresh directory and database; sets RATE, HWM, ROWS
mlistd_run() { # mlistd_run SESSIONS RUN
	local d="$WORK/m$1.$2" port pid
	mkdir -p "$d"
	port=$(free_port)
	cat >"$d/mlistd.conf" <<EOF
domain = lists.example.org
database = $d/mlistd.db
listen = inet:127.0.0.1:$port
relay = capture:$d/outbox
secret_file = $d/secret
user = root
log = stderr
EOF
	"$MLISTD" -f -c "$d/mlistd.conf" 2>"$d/mlistd.log" &
	pid=$!
	PIDS="$PIDS $pid"
	if ! wait_port "$port" "$pid"; then
		echo "ingest.sh: mlistd did not start:" >&2
		cat "$d/mlistd.log" >&2
		return 1
	fi
	"$MLISTCTL" -c "$d/mlistd.conf" club create bench >/dev/null || return 1
	blast mlistd "$port" "$1" || { tail -5 "$d/mlistd.log" >&2; return 1; }
	HWM=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
	stop_pid "$pid"
	ROWS=$(sqlite3 "$d/mlistd.db" "SELECT count(*) FROM messages")
	DISTINCT=$(sqlite3 "$d/mlistd.db" "SELECT count(DISTINCT message_id) FROM messages")
	rm -rf "$d"
}

echo "# mlistd ingest benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# binary: $MLISTD"
echo "# machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "# load: smtp-source -L -s N -m $COUNT -l $SIZE, $RUNS run(s) each"
echo

declare -A MED_M MED_S MED_H
FAIL=0

for s in $SESSIONS; do
	rates=""; hwms=""
	for r in $(seq 1 "$RUNS"); do
		if ! mlistd_run "$s" "$r"; then
			FAIL=1; continue
		fi
		check="ok"
		[ "$ROWS" = "$COUNT" ] && [ "$DISTINCT" = "$COUNT" ] || { check="MISMATCH"; FAIL=1; }
		printf 'mlistd  -s %-2s run %d: %6s s  %8s msgs/s  peak RSS %5s MB  stored %s/%s (distinct Message-IDs %s) %s\n' \
			"$s" "$r" "$ELAPSED" "$RATE" "$HWM" "$ROWS" "$COUNT" "$DISTINCT" "$check"
		rates="$rates $RATE"; hwms="$hwms $HWM"
	done
	[ -n "$rates" ] && MED_M[$s]=$(median $rates) && MED_H[$s]=$(median $hwms)
done

SINK_PORT=$(free_port)
smtp-sink -L -u nobody "127.0.0.1:$SINK_PORT" 1000 >"$WORK/sink.log" 2>&1 &
SINK=$!
PIDS="$PIDS $SINK"
if ! wait_port "$SINK_PORT" "$SINK"; then
	echo "ingest.sh: smtp-sink did not start:" >&2
	cat "$WORK/sink.log" >&2
	exit 1
fi
for s in $SESSIONS; do
	rates=""
	for r in $(seq 1 "$RUNS"); do
		blast smtp-sink "$SINK_PORT" "$s" || { FAIL=1; continue; }
		printf 'sink    -s %-2s run %d: %6s s  %8s msgs/s\n' "$s" "$r" "$ELAPSED" "$RATE"
		rates="$rates $RATE"
	done
	[ -n "$rates" ] && MED_S[$s]=$(median $rates)
done
stop_pid "$SINK"

echo
echo "# medians over $RUNS run(s), $COUNT messages of $SIZE bytes"
printf '%-9s %14s %15s %8s %14s\n' sessions "mlistd msgs/s" "ceiling msgs/s" ratio "peak RSS MB"
for s in $SESSIONS; do
	m=${MED_M[$s]:-n/a}; k=${MED_S[$s]:-n/a}
	ratio=n/a
	[ "$m" != n/a ] && [ "$k" != n/a ] &&
		ratio=$(python3 -c "print('%.2f' % ($m / $k))")
	printf '%-9s %14s %15s %8s %14s\n' "-s $s" "$m" "$k" "$ratio" "${MED_H[$s]:-n/a}"
done
exit $FAIL
