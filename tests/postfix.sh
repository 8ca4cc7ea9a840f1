#!/bin/bash
# postfix.sh - the whole path with a real Postfix set up by `mlistctl
# postfix` (SPEC.md section 11): SMTP in, LMTP to mlistd, SMTP out through
# the same Postfix to smtp-sink.
#
# The private Postfix (tests/pflib.sh) starts from Debian's stock main.cf
# for "Internet Site" and master.cf; everything mlistd needs comes from
# what `mlistctl postfix` printed, applied line by line without a shell:
#   postconf -e "K = V"                     postconf -c $PF -e "K = V"
#   postconf -e "K = $(postconf -nh K) V"   the same, with K's value in
#                                           main.cf read by postconf -c $PF -nh K
#   postconf -M -e "S/T = ENTRY"            postconf -c $PF -M -e ...
#   cat > DIR/F <<'EOF' ... EOF             written to DIR/F
#   postmap DIR/F                           postmap -c $PF DIR/F
# (DIR is the config_directory of the Postfix mlistctl was run for, here
# $PF through MAIL_CONFIG; a stray /etc/postfix would become $PF too);
# any other line fails the test.  The one
# line added by the test routes the members' domain to smtp-sink.
#
# mlistd listens on a unix socket inside the private queue directory (the
# transport, chrooted there as Debian's lmtp is, names it private/mlistd)
# and on 127.0.0.1:$PORT: the output must name both.
#
# Unknown clubs: the recipe's restriction class makes Postfix probe mlistd
# (verify(8) -> the mlistd lmtp transport, MAIL/RCPT only) for the lists
# domain only, and mlistd's "550 5.1.1" at RCPT makes smtpd refuse the
# address during the SMTP session: nothing queued, nobody bounced at.
#
# TLS: smtpd offers STARTTLS as a stock Debian Postfix does (certificate
# made by openssl), and mlistd runs with the default relay_tls (try): its
# copies must go through encrypted, the certificate unverified.
# relay_tls = require then refuses that certificate (the copy stays queued
# with the cause), until relay_ca_file names it.
#
# Without a working private Postfix the test skips, except under CI=true,
# where that is a failure.

. "${MLISTD_TESTS:-$(dirname "$0")}/pflib.sh"

pf_init
pf_mlistd
ctl club create acme >/dev/null
ok $? "club acme created"
ctl member add acme alice@example.com --name Alice >/dev/null
ok $? "member alice added"
ctl member set acme alice@example.com moderated no
ctl member add acme bob@example.com --name Bob >/dev/null
ctl member add acme anna@example.com --name Anna --role animator >/dev/null
ok $? "animator anna added"
pf_sink

# --- mlistctl postfix ---------------------------------------------------

PFOUT=$(MAIL_CONFIG="$PF" ctl postfix 2>"$T_DIR/pfout.err")
ok $? "mlistctl postfix runs"
echo "# mlistctl postfix printed:"
printf '%s\n' "$PFOUT" | sed 's/^/#   | /'
is "$(cat "$T_DIR/pfout.err")" "" "mlistctl postfix: no warning on a stock Debian main.cf"
like "$PFOUT" "#   unix:$SOCK +<- the transport uses this one" \
	"the listeners: the unix socket inside the queue directory is used"
like "$PFOUT" "#   inet:127\.0\.0\.1:$PORT\$" "the listeners: the inet one is listed"

# another Postfix (MAIL_CONFIG): delimiter "-" and the default queue
# directory, which holds none of mlistd's sockets
mkdir -p "$T_DIR/pfalt"
echo "recipient_delimiter = -" >"$T_DIR/pfalt/main.cf"
ALT=$(MAIL_CONFIG="$T_DIR/pfalt" ctl postfix 2>"$T_DIR/pfalt.err")
echo "# with recipient_delimiter = - and queue_directory /var/spool/postfix: $(cat "$T_DIR/pfalt.err")"
like "$(cat "$T_DIR/pfalt.err")" "warning: Postfix's recipient_delimiter is \"-\" but mlistd's delimiter is \"\+\"" \
	"another delimiter in Postfix: mlistctl warns"
like "$ALT" 'postconf -e "recipient_delimiter = -\+"' "and keeps both characters"
like "$ALT" "lists\.example\.org	mlistd_lmtp:inet:127\.0\.0\.1:$PORT" \
	"no socket inside the queue directory: the transport uses the inet listener"
like "$ALT" "#   inet:127\.0\.0\.1:$PORT +<- the transport uses this one" \
	"and says so"

# only a unix socket outside the queue directory: the transport runs
# without chroot and names the absolute path
sed "s|^listen = .*|listen = unix:$T_DIR/elsewhere.sock|" "$CONF" >"$T_DIR/elsewhere.conf"
ALT=$(MAIL_CONFIG="$T_DIR/pfalt" "$MLISTCTL" -c "$T_DIR/elsewhere.conf" postfix 2>/dev/null)
like "$ALT" "lists\.example\.org	mlistd_lmtp:unix:$T_DIR/elsewhere\.sock" \
	"a socket outside the queue directory: named by its absolute path"
like "$ALT" 'mlistd_lmtp unix - - n - - lmtp' "and the transport is not chrooted"

# apply_line LINE: one line of the output, as described above, to the
# Postfix configuration in $DIR
apply_line() {
	l=$1
	case "$l" in
	'' | '#'*) return 0 ;;
	esac
	if [ -n "$MAP" ]; then
		if [ "$l" = EOF ]; then
			printf '%s' "$MAPTEXT" >"$MAP"
			echo "# wrote $MAP"
			MAP=""
		else
			MAPTEXT="$MAPTEXT$l
"
		fi
		return 0
	fi
	l=${l//\/etc\/postfix/$DIR}
	if [[ "$l" =~ ^cat\ \>\ ([^ ]+)\ \<\<\'EOF\'$ ]]; then
		MAP=${BASH_REMATCH[1]}
		MAPTEXT=""
	elif [[ "$l" =~ ^postmap\ ([^ ]+)$ ]]; then
		postmap -c "$DIR" "${BASH_REMATCH[1]}"
	elif [[ "$l" =~ ^postconf\ -M\ -e\ \"([^\"\$\`\\]+)\"$ ]]; then
		postconf -c "$DIR" -M -e "${BASH_REMATCH[1]}"
	elif [[ "$l" =~ ^postconf\ -e\ \"([a-z_]+)\ =\ \$\(postconf\ -nh\ ([a-z_]+)\)\ ([^\"\$\`\\]+)\"$ ]] &&
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
		k=${BASH_REMATCH[1]}
		v=${BASH_REMATCH[3]}
		cur=$(postconf -c "$DIR" -nh "$k") &&
			postconf -c "$DIR" -e "$k = $cur $v"
	elif [[ "$l" =~ ^postconf\ -e\ \"([a-z_]+\ =\ [^\"\$\`\\]*)\"$ ]]; then
		postconf -c "$DIR" -e "${BASH_REMATCH[1]}"
	else
		echo "# not a line form of mlistctl(1): $l"
		return 1
	fi
}
# apply DIR OUTPUT: every line; 0 when all applied and every map closed
apply() {
	DIR=$1
	MAP=""
	bad=0
	while IFS= read -r line; do
		apply_line "$line" || { bad=1; echo "# failed: $line"; }
	done <<<"$2"
	[ -z "$MAP" ] || { echo "# a map was not closed by EOF: $MAP"; bad=1; }
	return $bad
}

# a main.cf that already has values: the recipe adds to them.  (A copy
# of the private one: same meta_directory, so postconf -M works.)
mkdir -p "$T_DIR/pfhad"
cp "$PF/main.cf" "$PF/master.cf" "$T_DIR/pfhad/"
postconf -c "$T_DIR/pfhad" -e "config_directory = $T_DIR/pfhad" \
	"relay_domains = other.example.net" \
	"transport_maps = hash:$T_DIR/pfhad/theirs" \
	"smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination, check_policy_service unix:private/policy"
HAD=$(MAIL_CONFIG="$T_DIR/pfhad" ctl postfix 2>/dev/null)
like "$HAD" "cat > $T_DIR/pfhad/mlistd_transport <<'EOF'" \
	"the maps go to that Postfix's config_directory"
apply "$T_DIR/pfhad" "$HAD" >/dev/null
ok $? "the recipe applies to a main.cf with values of its own"
is "$(postconf -c "$T_DIR/pfhad" -h relay_domains)" "other.example.net lists.example.org" \
	"relay_domains: added to, not replaced"
is "$(postconf -c "$T_DIR/pfhad" -h transport_maps)" \
	"hash:$T_DIR/pfhad/theirs hash:$T_DIR/pfhad/mlistd_transport" \
	"transport_maps: added to, not replaced"
is "$(postconf -c "$T_DIR/pfhad" -h smtpd_recipient_restrictions)" \
	"permit_mynetworks, reject_unauth_destination, check_policy_service unix:private/policy check_recipient_access hash:$T_DIR/pfhad/mlistd_recipient_access" \
	"smtpd_recipient_restrictions: the check comes after reject_unauth_destination, the rest kept"

apply "$PF" "$PFOUT"
ok $? "every line of mlistctl postfix applied to the private main.cf"
echo "# what the recipe changed in main.cf (postconf -n):"
postconf -c "$PF" -n | grep -E 'mlistd|relay_domains|transport_maps|restriction|verif|delimiter' | sed 's/^/#   /'
like "$(postconf -c "$PF" -M mlistd_lmtp/unix)" "^mlistd_lmtp +unix +- +- +y +- +- +lmtp -o syslog_name=postfix/mlistd_lmtp" \
	"master.cf: the mlistd transport, chrooted like Debian's lmtp"
is "$(postconf -c "$PF" -h smtpd_relay_restrictions)" \
	"permit_mynetworks permit_sasl_authenticated defer_unauth_destination" \
	"smtpd_relay_restrictions left as Debian set it"
is "$(postmap -c "$PF" -q lists.example.org "hash:$PF/mlistd_transport")" \
	"mlistd_lmtp:unix:private/mlistd" "the transport map sends the lists domain to the socket, relative to the chroot"
is "$(postmap -c "$PF" -q example.net "hash:$PF/mlistd_recipient_access")" "" \
	"the recipient access map names no other domain (never probed)"

# the recipe printed and run a second time adds nothing twice
BEFORE=$(postconf -c "$PF" -n)
AGAIN=$(MAIL_CONFIG="$PF" ctl postfix 2>/dev/null)
like "$AGAIN" "# relay_domains already has lists\.example\.org: left as it is\." \
	"printed again: the lists it appended to already have their values, and it says so"
unlike "$AGAIN" 'postconf -e "relay_domains = ' "printed again: no second append to relay_domains"
apply "$PF" "$AGAIN" >/dev/null
ok $? "the recipe printed again applies"
is "$(postconf -c "$PF" -n)" "$BEFORE" "and main.cf is exactly as after the first run"

pf_route_members
CHECK=$(postfix -c "$PF" check 2>&1)
is "$?:$CHECK" "0:" "postfix check is silent after the recipe"
pf_start
ok 0 "private Postfix listens on 127.0.0.1:$SMTP_PORT"

# --- SMTP in ---------------------------------------------------------------

# send TO MESSAGE-ID SUBJECT: swaks to the private smtpd; a 4xx "address
# verification in progress" (mlistd's answer to the probe slower than
# smtpd's poll) is tried again, as a sending MTA would, 5 times at most
send() {
	n=0
	while :; do
		out=$(swaks --server "127.0.0.1:$SMTP_PORT" --helo client.test.invalid \
			--from alice@example.com --to "$1" \
			--header "Message-Id: $2" --header "Subject: $3" \
			--body "Hello from the postfix test ($2)." </dev/null 2>&1)
		rc=$?
		printf '%s\n' "$out" | grep -q '^<\*\* *4[0-9][0-9]' || break
		n=$((n + 1)); [ $n -ge 5 ] && break
		sleep 2
	done
	echo "# swaks to $1 ($n retries after 4xx): $(printf '%s\n' "$out" | grep -E '^<[-*]+ +[0-9]{3}' | tail -2 | head -1)" >&2
	printf '%s\n' "$out"
	return $rc
}

OUT=$(send acme@lists.example.org '<pf-post-1@example.com>' 'First post')
rc=$?
is "$rc" 0 "swaks: post to acme@ accepted by Postfix"
[ $rc -eq 0 ] || printf '%s\n' "$OUT" | sed 's/^/# /' | tail -20

OUT=$(send acme+owner@lists.example.org '<pf-owner-1@example.com>' 'To the animators')
rc=$?
is "$rc" 0 "swaks: mail to acme+owner@ accepted by Postfix"
[ $rc -eq 0 ] || printf '%s\n' "$OUT" | sed 's/^/# /' | tail -20

# nosuch@ (no such club) is refused at RCPT: 550 once verify has mlistd's
# answer
OUT=$(send nosuch@lists.example.org '<pf-unknown-1@example.com>' 'Nobody')
rc=$?
[ $rc -ne 0 ]
ok $? "swaks: nosuch@ (unknown club) refused during the SMTP session"
like "$OUT" '<\*\* +550[ -]5\.1\.1' "nosuch@ gets 550 5.1.1 at RCPT"

# --- LMTP out: wait until both are stored ----------------------------------

count() { sql "SELECT count(*) FROM messages WHERE message_id = '$1'" 2>/dev/null; }
i=0
while :; do
	a=$(count '<pf-post-1@example.com>')
	b=$(count '<pf-owner-1@example.com>')
	[ "${a:-0}" -ge 1 ] && [ "${b:-0}" -ge 1 ] && break
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "# waited 30 s; Postfix log:"
		diag_file "$PFLOG"
		break
	fi
	sleep 0.1
done
# give a duplicate delivery (if any) a moment to show up
sleep 1
is "$(count '<pf-post-1@example.com>')" 1 "post stored exactly once"
is "$(count '<pf-owner-1@example.com>')" 1 "owner mail stored exactly once"
is "$(sql "SELECT rcpt || ' ' || role FROM messages WHERE message_id = '<pf-post-1@example.com>'")" \
	"acme@lists.example.org post" "post stored as a post to acme@"
like "$(sql "SELECT rcpt || ' ' || role FROM messages WHERE message_id = '<pf-owner-1@example.com>'")" \
	"^acme\+owner@lists\.example\.org owner" "owner mail stored with role owner"
is "$(count '<pf-unknown-1@example.com>')" 0 "mail to nosuch@ not stored"
is "$(sql "SELECT count(*) FROM messages WHERE rcpt LIKE 'nosuch%'")" 0 "nothing stored for nosuch@"

# --- SMTP out: mlistd's copies, through Postfix, in the sink ---------------

# copy_of ADDR SUBJECT-REGEX: the dump in the sink to ADDR with that subject
copy_of() {
	for f in $(grep -l "^X-Rcpt-Args: <$1>" "$SINK_DIR"/m.* 2>/dev/null); do
		grep -Eq "^Subject: $2" "$f" && { echo "$f"; return; }
	done
}
sink_wait 4
is "$(ls "$SINK_DIR" | wc -l)" 4 \
	"four messages reached the sink (the post to alice, bob, anna; the owner mail to anna)"
for who in alice bob anna; do
	f=$(copy_of "$who@example.com" '\[acme\] First post')
	ok $([ -n "$f" ]; echo $?) "$who's copy of the post arrived"
	[ -n "$f" ] || continue
	echo "# $who's copy: $(head -c 60 "$f" | tr '\r\n' '  ')... in $f"
	like "$(grep -m1 '^X-Mail-Args:' "$f")" "<acme\+bounce-[a-z0-9.]+@lists\.example\.org>" \
		"$who's copy: VERP envelope sender"
	like "$(cat "$f")" "List-Id: .*<acme\.lists\.example\.org>" "$who's copy: List-Id"
	like "$(cat "$f")" "From: \"Alice via acme\" <acme@lists\.example\.org>" \
		"$who's copy: From munged with the member's registered name"
	like "$(cat "$f")" "Received: from lists\.example\.org \(unknown \[127\.0\.0\.1\]\)" \
		"$who's copy went through the private Postfix"
	like "$(cat "$f")" "with ESMTPS id" \
		"$who's copy: relay_tls = try used STARTTLS (stock smtpd TLS, self-signed certificate)"
done
f=$(copy_of anna@example.com '.*To the animators')
ok $([ -n "$f" ]; echo $?) "acme+owner@ reached the animator anna through Postfix"
[ -n "$f" ] && like "$(cat "$f")" "Content-Type: message/rfc822" \
	"the forward carries the original mail"
[ -n "$f" ] && like "$(cat "$f")" "Message-Id: <pf-owner-1@example\.com>" \
	"the forward holds the owner mail itself"
is "$(grep -l '^X-Rcpt-Args: <alice@example.com>' "$SINK_DIR"/m.* | xargs grep -l 'To the animators' | wc -l)" 0 \
	"acme+owner@ reached no member who is not an animator"
like "$(sql "SELECT raw FROM messages WHERE message_id = '<pf-post-1@example.com>'")" \
	"Received: from client\.test\.invalid" "stored copy went through Postfix"

# the queue drains: all delivered, nothing deferred, no bounce
pf_queue_empty
like "$Q" "Mail queue is empty" "private Postfix queue is empty"
LOG=$(cat "$PFLOG")
is "$(printf '%s\n' "$LOG" | grep -c 'postfix/mlistd_lmtp.*to=<acme@lists.example.org>, relay=[^ ]*\[private/mlistd\].*status=sent')" 1 \
	"Postfix log: acme@ delivered once over LMTP"
is "$(printf '%s\n' "$LOG" | grep -c 'postfix/mlistd_lmtp.*to=<acme+owner@lists.example.org>, relay=[^ ]*\[private/mlistd\].*status=sent')" 1 \
	"Postfix log: acme+owner@ delivered once over LMTP"
is "$(printf '%s\n' "$LOG" | grep -c 'postfix/smtp\[.*to=<alice@example.com>.*status=sent')" 1 \
	"Postfix log: alice's copy relayed once to the sink"
like "$(cat "$T_DIR/mlistd.log")" "club=acme to=<bob@example\.com> relay=127\.0\.0\.1:$SMTP_PORT dsn=2\.0\.0 status=sent" \
	"mlistd log: bob's copy accepted by Postfix"
is "$(printf '%s\n' "$LOG" | grep -E 'status=(deliverable|undeliverable)' | grep -vc 'to=<[^>]*@lists\.example\.org>')" 0 \
	"Postfix log: only lists.example.org addresses were probed (the copies to example.com were not)"
like "$(printf '%s\n' "$LOG" | grep -E 'status=(deliverable|undeliverable)' | head -3)" "status=deliverable" \
	"(and probes did happen for the lists domain)"
like "$(printf '%s\n' "$LOG" | grep 'nosuch@lists.example.org' | head -5)" \
	"reject: RCPT from .*550 5\.1\.1 <nosuch@lists\.example\.org>" \
	"Postfix log: nosuch@ rejected at RCPT"
is "$(printf '%s\n' "$LOG" | grep -Ec 'to=<nosuch@lists.example.org>.*status=(sent|deferred|bounced)')" 0 \
	"Postfix log: nothing to nosuch@ was queued (only the probe's verdict)"
is "$(printf '%s\n' "$LOG" | grep -c 'postfix/bounce\[')" 0 \
	"Postfix log: no bounce was made (no backscatter)"
is "$(grep -l '^X-Mail-Args: <>' "$SINK_DIR"/m.* 2>/dev/null | wc -l)" 0 \
	"the sink got no bounce"

# --- relay_tls = require: the self-signed certificate is refused ----------

# reconf LINES...: the relay_tls/relay_ca_file lines replaced by LINES,
# then SIGHUP, and wait until mlistd has reloaded
reconf() {
	n=$(grep -c 'configuration reloaded' "$T_DIR/mlistd.log")
	sed -i '/^relay_tls\|^relay_ca_file/d' "$CONF"
	for l in "$@"; do echo "$l"; done >>"$CONF"
	kill -HUP "$DAEMON"
	i=0
	while [ "$(grep -c 'configuration reloaded' "$T_DIR/mlistd.log")" -le "$n" ] &&
		[ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
reconf "relay_tls = require"
OUT=$(send acme@lists.example.org '<pf-post-2@example.com>' 'Second post')
is "$?" 0 "swaks: a second post accepted by Postfix"
i=0
while :; do
	Q=$(ctl queue)
	[ "$(printf '%s\n' "$Q" | grep -c "<pf-post-2@example.com>.*$(printf '\t')[1-9][0-9]*$(printf '\t')")" -ge 3 ] && break
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.1
done
is "$(printf '%s\n' "$Q" | grep -c '<pf-post-2@example.com>')" 3 \
	"relay_tls = require: the three copies stay queued"
like "$Q" "certificate|issuer|verif" \
	"relay_tls = require: mlistctl queue shows the certificate problem"
is "$(ls "$SINK_DIR" | wc -l)" 4 "relay_tls = require: nothing more reached the sink"

reconf "relay_tls = require" "relay_ca_file = $CERT"
ctl queue --retry >/dev/null
sink_wait 7
is "$(ls "$SINK_DIR" | wc -l)" 7 \
	"relay_tls = require with relay_ca_file naming the certificate: delivered"
is "$(ctl queue | wc -l)" 0 "and the queue is empty"

# --- the subscription round trip, all through Postfix ----------------------

OUT=$(swaks --server "127.0.0.1:$SMTP_PORT" --helo client.test.invalid \
	--from carol@example.com --to acme+subscribe@lists.example.org \
	--header "Subject: join" --body "Hello" </dev/null 2>&1)
is "$?" 0 "swaks: acme+subscribe@ accepted by Postfix"
sink_wait 8
f=$(grep -l "^X-Rcpt-Args: <carol@example.com>" "$SINK_DIR"/m.* 2>/dev/null | head -1)
ok $([ -n "$f" ]; echo $?) "the confirmation came back out through Postfix"
CONFIRM=$(sed -n 's/^Reply-To: <\(acme+confirm-[^>]*\)>.*/\1/p' "$f" 2>/dev/null | tr -d '\r' | head -1)
like "$CONFIRM" "^acme\+confirm-q\.[0-9a-z.]+@lists\.example\.org$" \
	"its Reply-To is the confirmation address"
# (swaks with an empty --to would wait for one on stdin)
OUT=$(swaks --server "127.0.0.1:$SMTP_PORT" --helo client.test.invalid \
	--from carol@example.com --to "${CONFIRM:-confirm-missing@lists.example.org}" \
	--header "Subject: Re: confirm" --body "Yes" </dev/null 2>&1)
is "$?" 0 "swaks: the reply to the confirmation accepted by Postfix"
i=0
while ! ctl member list acme | grep -q carol@example.com && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
like "$(ctl member list acme)" "carol@example\.com" "the reply subscribed carol"
sink_wait 9
is "$(grep -l "^X-Rcpt-Args: <carol@example.com>" "$SINK_DIR"/m.* | wc -l)" 2 \
	"and her welcome went out through Postfix"

if [ "$T_FAIL" -ne 0 ]; then
	echo "# Postfix log:"; diag_file "$PFLOG" 60
	echo "# mlistd log:"; diag_file "$T_DIR/mlistd.log" 30
fi

done_testing
