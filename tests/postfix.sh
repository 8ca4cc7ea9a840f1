#!/bin/bash
# postfix.sh - the whole path with a real Postfix: SMTP in, LMTP to mlistd,
# SMTP out through the same Postfix to smtp-sink.
#
# Starts a private Postfix instance (its own config_directory,
# queue_directory, data_directory and maillog_file, all under the test's
# temporary directory; the system Postfix in /etc/postfix and its queue are
# never used), routes lists.example.org to mlistd over LMTP through
# transport_maps, and sends mail to it over SMTP with swaks.  mlistd
# relays its copies back into that Postfix (relay = smtp://, as on a real
# installation), which routes the members' domain to Postfix's smtp-sink.
#
# Unknown recipients: smtpd uses reject_unverified_recipient, so Postfix
# probes mlistd (verify(8) -> lmtp, MAIL/RCPT only) and mlistd's
# "550 5.1.1" at RCPT time makes smtpd refuse the address during the SMTP
# session: the sender's client gets the 550, nothing is queued, nobody is
# bounced at.  The verify cache is in memory only (address_verify_map
# empty).  Postfix must run as root here (it starts master and drops to
# mail_owner = postfix itself).
#
# TLS: the private smtpd offers STARTTLS with a self-signed certificate
# made here by openssl (as a stock Debian Postfix offers its snakeoil
# one), and mlistd runs with the default relay_tls (try): its copies must
# go through encrypted, the certificate unverified.  relay_tls = require
# then refuses that certificate (the copy stays queued with the cause),
# until relay_ca_file names it.
#
# Without a working private Postfix the test skips, except under CI=true,
# where that is a failure.

. "$(dirname "$0")/lib.sh"

PF_PIDFILE=""
PF_UP=0

pf_fail() { # pf_fail MESSAGE: cannot run Postfix here (fails under CI=true)
	skip_all "private Postfix: $1"
}

for c in postfix postconf postqueue swaks sqlite3 python3 openssl; do
	need "$c"
done
[ "$(id -u)" -eq 0 ] || pf_fail "must run as root (postfix master starts as root)"
id postfix >/dev/null 2>&1 || pf_fail "no 'postfix' user (install Debian's postfix package)"
getent group postdrop >/dev/null 2>&1 || pf_fail "no 'postdrop' group"
PF_DAEMONS=$(postconf -dh daemon_directory 2>/dev/null)
[ -x "$PF_DAEMONS/master" ] || pf_fail "no $PF_DAEMONS/master"

PF="$T_DIR/pf"       # config_directory (and meta_directory)
PFQ="$T_DIR/pfq"     # queue_directory
PFD="$T_DIR/pfd"     # data_directory
PFLOG="$T_DIR/maillog"

pf_cleanup() {
	if [ "$PF_UP" -eq 1 ]; then
		postfix -c "$PF" stop >/dev/null 2>&1
		# master exits within a second or so; make sure, by its PID
		if [ -n "$PF_PIDFILE" ] && [ -s "$PF_PIDFILE" ]; then
			mp=$(tr -dc 0-9 <"$PF_PIDFILE")
			i=0
			while [ -n "$mp" ] && kill -0 "$mp" 2>/dev/null && [ $i -lt 100 ]; do
				sleep 0.1; i=$((i + 1))
			done
			[ -n "$mp" ] && kill -KILL "$mp" 2>/dev/null
		fi
	fi
	t_cleanup
}
trap pf_cleanup EXIT

diag_file() { [ -f "$1" ] && sed 's/^/# /' "$1" | tail -"${2:-40}"; }

# --- mlistd ----------------------------------------------------------------

SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
# relay_tls left at its default
TEMPLATES="$(cd "${MLISTD_TESTS:-$(dirname "$0")}/../templates" && pwd)"
RELAY="smtp://127.0.0.1:$SMTP_PORT" write_conf "templates = $TEMPLATES"
start_daemon || pf_fail "mlistd did not start"
ctl club create acme >/dev/null
ok $? "club acme created"
ctl member add acme alice@example.com --name Alice >/dev/null
ok $? "member alice added"
ctl member set acme alice@example.com moderated no
ctl member add acme bob@example.com --name Bob >/dev/null

# the members' mailboxes: smtp-sink, one dump file a message
SINK_DIR="$T_DIR/sink"
mkdir -p "$SINK_DIR" && chmod 777 "$SINK_DIR"
need smtp-sink
smtp-sink -u nobody -d "$SINK_DIR/m." "127.0.0.1:$SINK_PORT" 100 \
	>"$T_DIR/sink.log" 2>&1 &
SINK=$!
T_PIDS="$T_PIDS $SINK"

PFOUT=$(ctl postfix)
ok $? "mlistctl postfix runs"
like "$PFOUT" "relay_domains = .*lists\.example\.org" \
	"mlistctl postfix: relay_domains names the domain"
like "$PFOUT" "(^|$(printf '\n'))transport_maps = " \
	"mlistctl postfix: transport_maps line"
like "$PFOUT" "recipient_delimiter = \+" \
	"mlistctl postfix: recipient_delimiter = +"
like "$PFOUT" "lmtp_destination_recipient_limit = " \
	"mlistctl postfix: lmtp_destination_recipient_limit"
TRANSPORT_LINE=$(printf '%s\n' "$PFOUT" |
	grep -E "^lists\.example\.org[[:space:]]+lmtp:inet:127\.0\.0\.1:$PORT\$")
ok $? "mlistctl postfix: transport map line points at mlistd's listener"

# --- the private Postfix ---------------------------------------------------

# postfix daemons drop to mail_owner: let them traverse the temp dir
chmod 755 "$T_DIR"
# postfix check creates the queue subdirectories and data_directory
mkdir -p "$PF" "$PFQ" || pf_fail "cannot create $PF"
# meta_directory is ours too, so nothing under /etc/postfix is used
for f in postfix-files dynamicmaps.cf; do
	src="/etc/postfix/$f"
	[ -f "$src" ] || src="$(postconf -dh meta_directory)/$f"
	[ -f "$src" ] && cp "$src" "$PF/$f"
done
mkdir -p "$PF/postfix-files.d" "$PF/dynamicmaps.cf.d"

# a self-signed certificate, like Debian's snakeoil one; it names
# 127.0.0.1 so that require can verify it once relay_ca_file trusts it
CERT="$T_DIR/tls/cert.pem"
mkdir -p "$T_DIR/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pf.test.invalid \
	-addext "subjectAltName=DNS:pf.test.invalid,IP:127.0.0.1" \
	-keyout "$T_DIR/tls/key.pem" -out "$CERT" >"$T_DIR/tls/log" 2>&1 ||
	{ diag_file "$T_DIR/tls/log"; pf_fail "openssl cannot make a certificate"; }
: >"$PFLOG"

# the transport map is the one mlistctl printed (texthash: needs no
# postmap), plus the members' domain routed to the sink
{
	printf '%s\n' "${TRANSPORT_LINE:-lists.example.org lmtp:inet:127.0.0.1:$PORT}"
	printf 'example.com smtp:[127.0.0.1]:%s\n' "$SINK_PORT"
} >"$PF/mlistd_transport"

cat >"$PF/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $PF
meta_directory = $PF
queue_directory = $PFQ
data_directory = $PFD
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PFLOG
maillog_file_prefixes = $T_DIR
myhostname = pf.test.invalid
mydomain = test.invalid
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relay_domains = lists.example.org
relay_recipient_maps =
transport_maps = texthash:$PF/mlistd_transport
recipient_delimiter = +
lmtp_destination_recipient_limit = 1000
lmtp_host_lookup = native
smtp_host_lookup = native
smtp_dns_support_level = disabled
# anything not for the lists goes nowhere
default_transport = error:private test instance
relay_transport = error:private test instance
smtputf8_enable = no
biff = no
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP
smtpd_relay_restrictions = permit_mynetworks, defer_unauth_destination
smtp_tls_security_level = none
smtpd_tls_security_level = may
smtpd_tls_cert_file = $CERT
smtpd_tls_key_file = $T_DIR/tls/key.pem
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
smtpd_recipient_restrictions = reject_unverified_recipient
address_verify_map =
unverified_recipient_reject_code = 550
address_verify_poll_count = 10
address_verify_poll_delay = 1s
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
delay_warning_time = 0
notify_classes =
EOF

cat >"$PF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
smtp      unix  -       -       n       -       -       smtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
EOF

CHECK=$(postfix -c "$PF" check 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
	echo "# postfix -c $PF check failed:"
	printf '%s\n' "$CHECK" | sed 's/^/# /'
	diag_file "$PFLOG"
	pf_fail "postfix check failed"
fi
ok 0 "postfix check passes on the private instance"
[ -n "$CHECK" ] && printf '%s\n' "$CHECK" | sed 's/^/# postfix check: /'
grep -E 'warning|fatal|error' "$PFLOG" | sed 's/^/# postfix check: /'

START=$(postfix -c "$PF" start 2>&1)
rc=$?
PF_PIDFILE="$PFQ/pid/master.pid"
PF_UP=1
if [ $rc -ne 0 ]; then
	printf '%s\n' "$START" | sed 's/^/# /'
	diag_file "$PFLOG"
	pf_fail "postfix start failed"
fi
i=0
while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$SMTP_PORT),1).close()" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		diag_file "$PFLOG"
		pf_fail "private smtpd is not listening on 127.0.0.1:$SMTP_PORT"
	fi
	sleep 0.1
done
ok 0 "private Postfix listens on 127.0.0.1:$SMTP_PORT"

# --- SMTP in ---------------------------------------------------------------

send() { # send TO MESSAGE-ID SUBJECT: swaks to the private smtpd
	swaks --server "127.0.0.1:$SMTP_PORT" --helo client.test.invalid \
		--from alice@example.com --to "$1" \
		--header "Message-Id: $2" --header "Subject: $3" \
		--body "Hello from the postfix test ($2)." 2>&1
}

OUT=$(send acme@lists.example.org '<pf-post-1@example.com>' 'First post')
rc=$?
is "$rc" 0 "swaks: post to acme@ accepted by Postfix"
[ $rc -eq 0 ] || printf '%s\n' "$OUT" | sed 's/^/# /' | tail -20

OUT=$(send acme+owner@lists.example.org '<pf-owner-1@example.com>' 'To the animators')
rc=$?
is "$rc" 0 "swaks: mail to acme+owner@ accepted by Postfix"
[ $rc -eq 0 ] || printf '%s\n' "$OUT" | sed 's/^/# /' | tail -20

# unknown@ is refused at RCPT: 550 once verify has mlistd's answer (a 450
# "probe pending" can only come if the probe is slower than the poll
# window; retry a few times then)
n=0
while :; do
	OUT=$(send unknown@lists.example.org '<pf-unknown-1@example.com>' 'Nobody')
	rc=$?
	printf '%s\n' "$OUT" | grep -q '^<\*\* *4[0-9][0-9]' || break
	n=$((n + 1)); [ $n -ge 5 ] && break
	sleep 2
done
[ $rc -ne 0 ]
ok $? "swaks: unknown@ refused during the SMTP session"
like "$OUT" '<\*\* +550[ -]5\.1\.1' "unknown@ gets 550 5.1.1 at RCPT"

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
is "$(count '<pf-unknown-1@example.com>')" 0 "mail to unknown@ not stored"
is "$(sql "SELECT count(*) FROM messages")" 2 "nothing else stored"

# --- SMTP out: mlistd's copies, through Postfix, in the sink ---------------

i=0
while [ "$(ls "$SINK_DIR" | wc -l)" -lt 2 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
is "$(ls "$SINK_DIR" | wc -l)" 2 "two copies reached the sink (alice and bob)"
for who in alice bob; do
	f=$(grep -l "^X-Rcpt-Args: <$who@example.com>" "$SINK_DIR"/m.* 2>/dev/null | head -1)
	ok $([ -n "$f" ]; echo $?) "$who's copy arrived"
	[ -n "$f" ] || continue
	like "$(grep -m1 '^X-Mail-Args:' "$f")" "<acme\+bounce-[a-z0-9.]+@lists\.example\.org>" \
		"$who's copy: VERP envelope sender"
	like "$(cat "$f")" "List-Id: .*<acme\.lists\.example\.org>" "$who's copy: List-Id"
	like "$(cat "$f")" "Subject: \[acme\] First post" "$who's copy: subject prefix"
	like "$(cat "$f")" "From: \"Alice via acme\" <acme@lists\.example\.org>" \
		"$who's copy: From munged with the member's registered name"
	like "$(cat "$f")" "Received: from lists\.example\.org \(unknown \[127\.0\.0\.1\]\)" \
		"$who's copy went through the private Postfix"
	like "$(cat "$f")" "using TLSv" \
		"$who's copy: relay_tls = try used STARTTLS (self-signed certificate)"
done
like "$(sql "SELECT raw FROM messages WHERE message_id = '<pf-post-1@example.com>'")" \
	"Received: from client\.test\.invalid" "stored copy went through Postfix"

# the queue drains: both delivered, nothing deferred
i=0
while :; do
	Q=$(postqueue -c "$PF" -p 2>&1)
	printf '%s\n' "$Q" | grep -q 'Mail queue is empty' && break
	i=$((i + 1)); [ $i -gt 100 ] && break
	sleep 0.1
done
like "$Q" "Mail queue is empty" "private Postfix queue is empty"
LOG=$(cat "$PFLOG")
is "$(printf '%s\n' "$LOG" | grep -c 'postfix/lmtp.*to=<acme@lists.example.org>.*status=sent')" 1 \
	"Postfix log: acme@ delivered once over LMTP"
is "$(printf '%s\n' "$LOG" | grep -c 'postfix/lmtp.*to=<acme+owner@lists.example.org>.*status=sent')" 1 \
	"Postfix log: acme+owner@ delivered once over LMTP"
is "$(printf '%s\n' "$LOG" | grep -c 'postfix/smtp\[.*to=<alice@example.com>.*status=sent')" 1 \
	"Postfix log: alice's copy relayed once to the sink"
like "$(cat "$T_DIR/mlistd.log")" "club=acme to=<bob@example\.com> relay=127\.0\.0\.1:$SMTP_PORT dsn=2\.0\.0 status=sent" \
	"mlistd log: bob's copy accepted by Postfix"
like "$(printf '%s\n' "$LOG" | grep 'unknown@lists.example.org' | head -5)" \
	"reject: RCPT from .*550 5\.1\.1 <unknown@lists\.example\.org>" \
	"Postfix log: unknown@ rejected at RCPT"

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
	[ "$(printf '%s\n' "$Q" | grep -c "<pf-post-2@example.com>.*$(printf '\t')[1-9][0-9]*$(printf '\t')")" -ge 2 ] && break
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.1
done
is "$(printf '%s\n' "$Q" | grep -c '<pf-post-2@example.com>')" 2 \
	"relay_tls = require: both copies stay queued"
like "$Q" "certificate|issuer|verif" \
	"relay_tls = require: mlistctl queue shows the certificate problem"
is "$(ls "$SINK_DIR" | wc -l)" 2 "relay_tls = require: nothing more reached the sink"

reconf "relay_tls = require" "relay_ca_file = $CERT"
ctl queue --retry >/dev/null
i=0
while [ "$(ls "$SINK_DIR" | wc -l)" -lt 4 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
is "$(ls "$SINK_DIR" | wc -l)" 4 \
	"relay_tls = require with relay_ca_file naming the certificate: delivered"
is "$(ctl queue | wc -l)" 0 "and the queue is empty"

# --- the subscription round trip, all through Postfix ----------------------

# sink_wait N: until N messages are in the sink
sink_wait() {
	i=0
	while [ "$(ls "$SINK_DIR" | wc -l)" -lt "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
OUT=$(swaks --server "127.0.0.1:$SMTP_PORT" --helo client.test.invalid \
	--from carol@example.com --to acme+subscribe@lists.example.org \
	--header "Subject: join" --body "Hello" 2>&1)
is "$?" 0 "swaks: acme+subscribe@ accepted by Postfix"
sink_wait 5
f=$(grep -l "^X-Rcpt-Args: <carol@example.com>" "$SINK_DIR"/m.* 2>/dev/null | head -1)
ok $([ -n "$f" ]; echo $?) "the confirmation came back out through Postfix"
CONFIRM=$(sed -n 's/^Reply-To: <\(acme+confirm-[^>]*\)>.*/\1/p' "$f" 2>/dev/null | tr -d '\r' | head -1)
like "$CONFIRM" "^acme\+confirm-q\.[0-9a-z.]+@lists\.example\.org$" \
	"its Reply-To is the confirmation address"
OUT=$(swaks --server "127.0.0.1:$SMTP_PORT" --helo client.test.invalid \
	--from carol@example.com --to "$CONFIRM" \
	--header "Subject: Re: confirm" --body "Yes" 2>&1)
is "$?" 0 "swaks: the reply to the confirmation accepted by Postfix"
i=0
while ! ctl member list acme | grep -q carol@example.com && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
like "$(ctl member list acme)" "carol@example\.com" "the reply subscribed carol"
sink_wait 6
is "$(grep -l "^X-Rcpt-Args: <carol@example.com>" "$SINK_DIR"/m.* | wc -l)" 2 \
	"and her welcome went out through Postfix"

if [ "$T_FAIL" -ne 0 ]; then
	echo "# Postfix log:"; diag_file "$PFLOG" 60
	echo "# mlistd log:"; diag_file "$T_DIR/mlistd.log" 30
fi

done_testing
