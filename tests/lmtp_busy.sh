#!/bin/sh
# lmtp_busy.sh - when the database cannot commit (another process holds
# the write lock past the busy timeout), every recipient gets 451 4.3.0,
# nothing is half-stored, and the retry is accepted once.
. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"
need swaks
need sqlite3

write_conf
ctl club create acme >/dev/null
start_daemon || { ok 1 "mlistd starts"; done_testing; }
# hold the write lock for longer than mlistd's 10 s busy timeout
(echo "BEGIN IMMEDIATE;"; sleep 13; echo "COMMIT;") | sqlite3 "$T_DIR/mlistd.db" &
LOCKER=$!
T_PIDS="$T_PIDS $LOCKER"
sleep 0.5
send() {
	swaks --protocol LMTP --server "127.0.0.1:$PORT" --from a@example.com \
		--to acme@lists.example.org,acme+owner@lists.example.org \
		--header "Message-Id: <busy@x>" --body "locked out" 2>&1
}
out=$(send)
is "$(printf '%s\n' "$out" | grep -c '451 4.3.0')" 2 "a commit that cannot happen answers 451 4.3.0 to each recipient"
like "$(cat "$T_DIR/mlistd.log")" "warning: store: begin: database is locked" "and the reason is logged"
wait "$LOCKER"
is "$(sql "select count(*) from messages")" 0 "nothing was stored"
out=$(send)
is "$(printf '%s\n' "$out" | grep -Ec '250 2.0.0 <acme.*(stored|accepted|held)')" 2 "Postfix's retry is accepted"
is "$(sql "select count(*) from messages where message_id='<busy@x>'")" 2 "and stored once per recipient"
kill -0 "$DAEMON"; ok $? "mlistd kept running"
done_testing
