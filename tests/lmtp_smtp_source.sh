#!/bin/sh
# lmtp_smtp_source.sh - Postfix's own LMTP load generator against mlistd:
# concurrent sessions, every message stored once.
. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"
PATH=$PATH:/usr/sbin
need smtp-source
need sqlite3

write_conf
ctl club create acme >/dev/null
# a member past moderation, so every post is threaded and relayed
ctl member add acme poster@example.com >/dev/null
ctl member set acme poster@example.com moderated no
start_daemon || { ok 1 "mlistd starts"; done_testing; }

out=$(timeout 120 smtp-source -L -s 20 -m 400 -l 2048 -f poster@example.com \
	-t acme@lists.example.org "127.0.0.1:$PORT" 2>&1); rc=$?
is "$rc" 0 "smtp-source -L: 400 messages over 20 sessions"
is "$(sql "select count(*) from messages")" 400 "all 400 stored"
is "$(sql "select count(distinct message_id) from messages")" 400 "with distinct Message-IDs"
is "$(sql "select count(*) from threads")" 400 "each its own thread (no subject, no references)"
commits=$(sed -n 's/.* commit=\([0-9]*\) .*/\1/p' "$T_DIR/mlistd.log" | sort -u | wc -l)
[ "$commits" -gt 0 ] && [ "$commits" -lt 400 ]
ok $? "concurrent sessions share commits: 400 messages in $commits transactions"

# several recipients per transaction: smtp-source numbers them
# (3acme@, 2acme@ and acme@), each gets its own reply after DATA; the
# clubs are created while mlistd runs, so this also proves it sees them
for c in 2acme 3acme; do ctl club create $c >/dev/null; done
out=$(timeout 60 smtp-source -L -s 2 -m 10 -r 3 -f poster@example.com \
	-t acme@lists.example.org "127.0.0.1:$PORT" 2>&1); rc=$?
is "$rc" 0 "smtp-source -L -r 3: three recipients per transaction"
[ "$rc" = 0 ] || printf "%s\n" "$out" | sed "s/^/# /" | tail -5
is "$(sql "select count(*) from messages")" 430 "stored once per recipient"
is "$(sql "select count(*) from messages m join clubs c on c.id = m.club_id where c.name in ('2acme','3acme')")" 20 "in each recipient's club"
is "$(grep -c 'to=<.*status=250' "$T_DIR/mlistd.log")" 430 "each delivery logged with its status"
kill -0 "$DAEMON"
ok $? "mlistd is still running"
stop_daemon
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
done_testing
