#!/bin/sh
# lmtp_swaks.sh - a real LMTP client nobody here wrote (swaks) against a
# running mlistd: per-recipient replies and what got stored.
. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"
need swaks
need sqlite3

write_conf
ctl club create acme >/dev/null
ctl member add acme alice@example.com >/dev/null
# a known member: her posts go straight to the club
ctl member set acme alice@example.com moderated no
start_daemon || { ok 1 "mlistd starts"; done_testing; }

swaks_lmtp() {
	swaks --protocol LMTP --server "127.0.0.1:$PORT" --helo client.test \
		--from alice@example.com "$@" 2>&1
}

out=$(swaks_lmtp --to acme@lists.example.org,acme+owner@lists.example.org,nobody@lists.example.org,acme@elsewhere.org \
	--header "Subject: Bonjour à tous" --header "Message-Id: <s1@example.com>" --body "Premier message")
like "$out" "250-PIPELINING" "LHLO advertises PIPELINING"
like "$out" "250-ENHANCEDSTATUSCODES" "and ENHANCEDSTATUSCODES"
like "$out" "250-8BITMIME" "and 8BITMIME"
like "$out" "250 SIZE 10485760" "and SIZE with the limit"
like "$out" "<\*\* *550 5.1.1 <nobody@lists.example.org>" "an unknown club is refused at RCPT with 550 5.1.1"
like "$out" "<\*\* *550 5.1.1 <acme@elsewhere.org>" "another domain too"
is "$(printf '%s\n' "$out" | grep -c '250 2.0.0 <acme')" 2 "one 250 per accepted recipient after DATA"
like "$out" "250 2.0.0 <acme@lists.example.org>: accepted, copies queued" "the post is stored and its copies queued"
like "$out" "250 2.0.0 <acme\+owner@lists.example.org>: stored" "the owner copy is stored"
is "$(sql "select count(*) from messages where message_id='<s1@example.com>'")" 2 "two rows, one per recipient"
like "$(cat "$T_DIR/mlistd.log")" "M[0-9]+: club=acme role=post to=<acme@lists.example.org> msgid=<s1@example.com> size=[0-9]+ commit=[0-9]+ dsn=2.0.0 status=250 \(accepted, copies queued\)" "each outcome is logged in one format with the row id"
is "$(sql "select role from messages where rcpt='acme+owner@lists.example.org'")" owner "the owner form is stored for later"
is "$(sql "select subject from messages where rcpt='acme@lists.example.org'")" "Bonjour à tous" "the subject is decoded"

# the same delivery again (Postfix retrying after a crash): 250, stored once
out=$(swaks_lmtp --to acme@lists.example.org --header "Subject: Bonjour à tous" \
	--header "Message-Id: <s1@example.com>" --body "Premier message")
like "$out" "250 2.0.0 <acme@lists.example.org>: already stored" "a redelivery is acknowledged"
is "$(sql "select count(*) from messages where message_id='<s1@example.com>' and rcpt='acme@lists.example.org'")" 1 "and stored once"

key=$(ctl threads acme | cut -f1)
out=$(swaks_lmtp --to "acme+r-$key@lists.example.org" --header "Subject: Re: Bonjour" \
	--header "Message-Id: <s2@example.com>" --header "In-Reply-To: <s1@example.com>" --body "Réponse")
like "$out" "250 2.0.0 <acme\+r-$key@lists.example.org>: accepted" "r-KEY of a thread is accepted"
is "$(ctl threads acme | cut -f3)" 2 "and the reply joins the thread"
out=$(swaks_lmtp --to acme+r-ffffffff@lists.example.org --body x)
like "$out" "550 5.1.1 <acme\+r-ffffffff@lists.example.org>: no such thread" "r-KEY naming no thread: 550 5.1.1"
out=$(swaks_lmtp --to acme+bounce-1.2.aaaaaaaaaaaa@lists.example.org --body x)
like "$out" "550 5.1.1 <acme\+bounce-1.2.aaaaaaaaaaaa@lists.example.org>: invalid token" "a forged token: 550 5.1.1"
for form in subscribe unsubscribe help request; do
	out=$(swaks_lmtp --to "acme+$form@lists.example.org" --body "$form")
	like "$out" "250 2.0.0 <acme\+$form@lists.example.org>: stored" "acme+$form@ is accepted and stored"
done
out=$(swaks_lmtp --to acme+bogus@lists.example.org --body x)
like "$out" "550 5.1.1 <acme\+bogus@lists.example.org>" "an unknown subaddress: 550 5.1.1"
kill -0 "$DAEMON"
ok $? "mlistd is still running"
stop_daemon
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
done_testing
