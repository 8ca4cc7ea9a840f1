# lib.sh - shared helpers for the shell tests (TAP output).
#
# Source it, then call the functions; every daemon started here is
# stopped by its PID when the test exits.

set -u
T_N=0
T_FAIL=0
T_PIDS=""
T_DIR=$(mktemp -d /tmp/mlt.XXXXXX)
BIN=${MLISTD_BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin}
MLISTD="$BIN/mlistd"
MLISTCTL="$BIN/mlistctl"

t_cleanup() {
	for p in $T_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $T_PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T_DIR"
}
trap t_cleanup EXIT

ok() { # ok COND-EXIT-STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAIL=$((T_FAIL + 1))
	fi
}

is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

like() { # like GOT REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got: %s\n#   want match: %s\n' "$1" "$2" | head -20
	fi
}

unlike() { # unlike GOT REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		printf '%s\n' "$1" | grep -E -- "$2" | sed 's/^/#   matched: /' | head -5
	else
		ok 0 "$3"
	fi
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
	exit $?
}

# skip_all WHY: nothing to test here; under CI=true, where every
# dependency is installed, a failure instead (SPEC.md section 1)
skip_all() {
	if [ "${CI:-}" = true ]; then
		echo "Bail out! $1 (required under CI=true)"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

# need CMD: skip without it (fail under CI=true)
need() {
	command -v "$1" >/dev/null 2>&1 || skip_all "$1 not installed"
}

# free_port: a port the kernel just gave us on 127.0.0.1
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# write_conf [EXTRA LINES...]: $T_DIR/mlistd.conf listening on $PORT,
# relaying to $RELAY (default: the capture directory $T_DIR/outbox)
write_conf() {
	PORT=$(free_port)
	CONF="$T_DIR/mlistd.conf"
	{
		echo "domain = lists.example.org"
		echo "database = $T_DIR/mlistd.db"
		echo "listen = inet:127.0.0.1:$PORT"
		echo "relay = ${RELAY:-capture:$T_DIR/outbox}"
		echo "secret_file = $T_DIR/secret"
		echo "user = root"
		echo "log = stderr"
		for l in "$@"; do echo "$l"; done
	} >"$CONF"
}

ctl() { "$MLISTCTL" -c "$CONF" "$@"; }

# start_daemon: run mlistd -f in the background, wait for its port
start_daemon() {
	"$MLISTD" -f -c "$CONF" 2>>"$T_DIR/mlistd.log" &
	DAEMON=$!
	T_PIDS="$T_PIDS $DAEMON"
	i=0
	while ! python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$PORT),1).close()" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$DAEMON" 2>/dev/null; then
			echo "# mlistd did not start:"; sed 's/^/# /' "$T_DIR/mlistd.log"
			return 1
		fi
		sleep 0.05
	done
}

stop_daemon() {
	kill -TERM "$DAEMON" 2>/dev/null
	wait "$DAEMON" 2>/dev/null
	DAEMON_RC=$?
}

# sql QUERY: read the test database
sql() { sqlite3 "$T_DIR/mlistd.db" "$@"; }
