#!/bin/sh
# lmtp_unix.sh - the unix-socket listener (Postfix's usual path): strict
# permissions and group, LMTP over it, idle sessions closed.
. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"
need swaks
need sqlite3

write_conf "socket_mode = 0660" "socket_group = nogroup"
SOCK="$T_DIR/lmtp.sock"
sed -i "s|^listen = .*|listen = unix:$SOCK, inet:127.0.0.1:$PORT|" "$CONF"
ctl club create acme >/dev/null
MLISTD_IDLE_TIMEOUT=2 start_daemon || { ok 1 "mlistd starts"; done_testing; }
is "$(stat -c '%a' "$SOCK")" 660 "the socket has mode 0660"
if [ "$(id -u)" = 0 ]; then
	is "$(stat -c '%G' "$SOCK")" nogroup "and the configured group"
fi
out=$(swaks --protocol LMTP --socket "$SOCK" --from a@example.com \
	--to acme@lists.example.org --header "Message-Id: <u1@x>" --body hello 2>&1)
like "$out" "250 2.0.0 <acme@lists.example.org>: (accepted|held)" "LMTP over the unix socket"
is "$(sql "select count(*) from messages where message_id='<u1@x>'")" 1 "stored"
out=$(python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.connect('$SOCK'); s.settimeout(10)
f = s.makefile('rb'); f.readline()
t = time.time(); line = f.readline().decode().strip()
print(line, round(time.time() - t))
")
like "$out" "^421 4.4.2 idle timeout [2-4]$" "an idle session is closed after the timeout"
stop_daemon
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
[ ! -e "$SOCK" ]; ok $? "the socket is removed at exit"
# a stale socket from a crash does not prevent a restart
python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.bind('$SOCK')"
start_daemon; ok $? "a stale socket is replaced at start"
stop_daemon
done_testing
