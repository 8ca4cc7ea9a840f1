# lib.sh - what the bench/ scripts share: the bench binaries, a work
# directory removed at exit (kept with BENCH_KEEP=1, for a profile) with
# every process the script started stopped by PID, ports, timing and
# medians.  Sourced by bash scripts
# after they set NAME (for messages) and WORK_PREFIX.

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${MLISTD_BIN:-$HERE/../bin}
BIN=$(cd "$BIN" && pwd) || { echo "no MLISTD_BIN directory" >&2; exit 2; }
MLISTD="$BIN/mlistd"
MLISTCTL="$BIN/mlistctl"
PATH="$PATH:/usr/sbin:/usr/lib/postfix/sbin"
# the clients import session.py from here: no __pycache__ in the tree
export PYTHONDONTWRITEBYTECODE=1

# need_tools CMD...: every command and both binaries, or exit 2
need_tools() {
	local c f
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "$NAME: $c not found" >&2; exit 2; }
	done
	for f in "$MLISTD" "$MLISTCTL"; do
		[ -x "$f" ] || { echo "$NAME: $f missing (build first)" >&2; exit 2; }
	done
}

WORK=$(mktemp -d "/tmp/$WORK_PREFIX.XXXXXX")
chmod 0755 "$WORK"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "$NAME: work directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() { # wait_port PORT PID
	local i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),1).close()" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$2" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
}
stop_pid() { # stop_pid PID: TERM, wait, then KILL; forget it
	local i=0
	kill -TERM "$1" 2>/dev/null
	while kill -0 "$1" 2>/dev/null && [ $i -lt 350 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PIDS=$(printf '%s\n' $PIDS | grep -vx "$1" | tr '\n' ' ')
}
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | python3 -c '
import sys
v = [float(x) for x in sys.stdin.read().split()]
n = len(v)
print("%.1f" % (v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2))'; }

# mlistd_conf DIR PORT RELAY_PORT CONCURRENCY: DIR/mlistd.conf for an
# mlistd listening on PORT and relaying to smtp-sink on RELAY_PORT
mlistd_conf() {
	cat >"$1/mlistd.conf" <<EOF
domain = lists.example.org
database = $1/mlistd.db
listen = inet:127.0.0.1:$2
relay = smtp://127.0.0.1:$3
relay_tls = off
relay_concurrency = $4
secret_file = $1/secret
user = root
log = stderr
EOF
}
