#!/bin/sh
# config.sh - mlistd -t: exit 0 for a valid file, 78 with file, line and
# key for a bad one; the daemon refuses to start on a bad file.
. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"

write_conf
out=$("$MLISTD" -t -c "$CONF" 2>&1); rc=$?
is "$rc" 0 "mlistd -t accepts a valid file"
like "$out" "valid" "and says so"

printf 'domain = lists.example.org\nlisten = inet:127.0.0.1:1\nbogus_key = 1\n' >"$T_DIR/bad.conf"
out=$("$MLISTD" -t -c "$T_DIR/bad.conf" 2>&1); rc=$?
is "$rc" 78 "an unknown key exits 78 (EX_CONFIG)"
like "$out" "$T_DIR/bad.conf:3: bogus_key: unknown key" "the message names file, line and key"

printf 'domain = lists.example.org\nmax_message_size = lots\n' >"$T_DIR/bad2.conf"
out=$("$MLISTD" -t -c "$T_DIR/bad2.conf" 2>&1); rc=$?
is "$rc" 78 "a bad value exits 78"
like "$out" "bad2.conf:2: max_message_size: " "naming the key"

out=$("$MLISTD" -t -c "$T_DIR/missing.conf" 2>&1); rc=$?
is "$rc" 78 "a missing file exits 78"

out=$("$MLISTD" -f -c "$T_DIR/bad.conf" 2>&1); rc=$?
is "$rc" 78 "the daemon refuses to start with a bad file"

out=$("$MLISTD" -V); rc=$?
like "$out" "^mlistd [0-9]" "-V prints the version"
"$MLISTD" -Z >/dev/null 2>&1; rc=$?
is "$rc" 64 "an unknown flag is a usage error (EX_USAGE)"
out=$("$MLISTD" -h); rc=$?
like "$out" "usage: mlistd" "-h prints the usage"

# running as root without "user =" is refused: root must be explicit
if [ "$(id -u)" = 0 ]; then
	grep -v '^user' "$CONF" >"$T_DIR/noroot.conf"
	out=$("$MLISTD" -f -c "$T_DIR/noroot.conf" 2>&1); rc=$?
	is "$rc" 78 "as root without user = the daemon refuses to start"
	like "$out" "user =" "and says how to fix it"
	# privilege drop: files created after binding belong to the user
	sed 's/^user = root/user = nobody/' "$CONF" >"$T_DIR/nobody.conf"
	mkdir "$T_DIR/nb" && chown nobody "$T_DIR/nb" && chmod 755 "$T_DIR"
	sed -i "s|^database = .*|database = $T_DIR/nb/db|; s|^secret_file = .*|secret_file = $T_DIR/nb/secret|" "$T_DIR/nobody.conf"
	PORT=$(sed -n 's/^listen = inet:127.0.0.1://p' "$T_DIR/nobody.conf")
	CONF="$T_DIR/nobody.conf" start_daemon
	is "$(stat -c %U "$T_DIR/nb/db")" nobody "the database is created by the unprivileged user"
	is "$(stat -c '%U %a' "$T_DIR/nb/secret")" "nobody 600" "the secret is created 0600 by that user"
	is "$(ps -o user= -p "$DAEMON" | tr -d ' ')" nobody "the daemon runs as that user"
	stop_daemon
	is "$DAEMON_RC" 0 "and stops with 0 on SIGTERM"
	# mlistctl run as root switches to that user before opening the database
	sed -i "s|^database = .*|database = $T_DIR/nb/ctl.db|" "$T_DIR/nobody.conf"
	"$MLISTCTL" -c "$T_DIR/nobody.conf" club create viaroot >/dev/null
	is "$(stat -c %U "$T_DIR/nb/ctl.db")" nobody "mlistctl as root creates the database as the configured user"
fi

# without -f mlistd detaches and keeps serving (threads start after the fork)
need swaks
write_conf
ctl club create acme >/dev/null
"$MLISTD" -c "$CONF"; rc=$?
is "$rc" 0 "without -f the parent returns 0"
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null || [ $i -gt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
BG=$(pgrep -f -- "-c $CONF" | head -1)
T_PIDS="$T_PIDS $BG"
out=$(swaks --protocol LMTP --server "127.0.0.1:$PORT" --from a@example.com \
	--to acme@lists.example.org --header "Message-Id: <bg@x>" --body hi 2>&1)
like "$out" "250 2.0.0 <acme@lists.example.org>: (accepted|held)" "the detached daemon stores mail"
kill -TERM "$BG"
i=0
while kill -0 "$BG" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -0 "$BG" 2>/dev/null; is "$?" 1 "and stops on SIGTERM"
done_testing
