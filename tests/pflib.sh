# pflib.sh - a private Postfix instance for postfix.sh and readme_postfix.sh.
#
# Its main.cf is the one Debian's postinst writes for "Internet Site"
# (/usr/share/postfix/main.cf.debian, then main.cf.tls, then the values
# postinst sets), with only these changes, all for a private instance:
#   config_directory, meta_directory  $PF    (nothing of /etc/postfix used)
#   queue_directory $PFQ, data_directory $PFD, maillog_file $PFLOG
#   inet_interfaces 127.0.0.1, inet_protocols ipv4
#   smtpd_tls_cert_file/key_file      a self-signed certificate made by
#                                     openssl here (Debian uses snakeoil)
#   myorigin                          left at its default ($myhostname):
#                                     postinst points it at /etc/mailname
#   alias_maps, alias_database        hash:$PF/aliases, made by postalias
#                                     (postinst runs newaliases)
# Its master.cf is Debian's master.cf.dist with smtpd listening on
# 127.0.0.1:$SMTP_PORT instead of port 25.  What mlistd needs is then added
# by the caller, from what `mlistctl postfix` printed.  The members' domain
# (example.com) goes to smtp-sink through one line appended to the
# transport map (pf_route_members): the only other change a test makes.
#
# Postfix must run as root here (master starts as root and drops to
# mail_owner = postfix).  Without a usable Postfix the test skips, except
# under CI=true, where that is a failure.

. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"

PF_PIDFILE=""
PF_UP=0
PF="$T_DIR/pf"   # config_directory (and meta_directory)
PFQ="$T_DIR/pfq" # queue_directory, the chroot of the mlistd transport
PFD="$T_DIR/pfd" # data_directory
PFLOG="$T_DIR/maillog"
SINK_DIR="$T_DIR/sink"

pf_fail() { # pf_fail MESSAGE: cannot run Postfix here (fails under CI=true)
	skip_all "private Postfix: $1"
}

diag_file() { [ -f "$1" ] && sed 's/^/# /' "$1" | tail -"${2:-40}"; }

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

# pf_init: the tools, the ports, the stock main.cf and master.cf, the
# queue directories (postfix check makes them)
pf_init() {
	trap pf_cleanup EXIT
	for c in postfix postconf postmap postalias postqueue smtp-sink swaks sqlite3 \
		python3 openssl; do
		need "$c"
	done
	[ "$(id -u)" -eq 0 ] || pf_fail "must run as root (postfix master starts as root)"
	id postfix >/dev/null 2>&1 || pf_fail "no 'postfix' user (install Debian's postfix package)"
	getent group postdrop >/dev/null 2>&1 || pf_fail "no 'postdrop' group"
	PF_DAEMONS=$(postconf -dh daemon_directory 2>/dev/null)
	[ -x "$PF_DAEMONS/master" ] || pf_fail "no $PF_DAEMONS/master"
	STOCK=/usr/share/postfix
	for f in main.cf.debian main.cf.tls master.cf.dist; do
		[ -f "$STOCK/$f" ] || pf_fail "no $STOCK/$f (Debian's postfix package)"
	done
	SMTP_PORT=$(free_port)
	SINK_PORT=$(free_port)

	# postfix daemons drop to mail_owner: let them traverse the temp dir
	chmod 755 "$T_DIR"
	mkdir -p "$PF" "$PFQ" "$T_DIR/tls" || pf_fail "cannot create $PF"
	for f in postfix-files dynamicmaps.cf; do
		src="/etc/postfix/$f"
		[ -f "$src" ] || src="$(postconf -dh meta_directory)/$f"
		[ -f "$src" ] && cp "$src" "$PF/$f"
	done
	mkdir -p "$PF/postfix-files.d" "$PF/dynamicmaps.cf.d"
	: >"$PFLOG"

	# a self-signed certificate, like Debian's snakeoil one; it names
	# 127.0.0.1 so that relay_tls = require can verify it with relay_ca_file
	CERT="$T_DIR/tls/cert.pem"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pf.test.invalid \
		-addext "subjectAltName=DNS:pf.test.invalid,IP:127.0.0.1" \
		-keyout "$T_DIR/tls/key.pem" -out "$CERT" >"$T_DIR/tls/log" 2>&1 ||
		{ diag_file "$T_DIR/tls/log"; pf_fail "openssl cannot make a certificate"; }

	# main.cf as postinst writes it for "Internet Site"
	cat "$STOCK/main.cf.debian" "$STOCK/main.cf.tls" >"$PF/main.cf"
	pf_conf "smtpd_relay_restrictions=permit_mynetworks permit_sasl_authenticated defer_unauth_destination" \
		"myhostname=pf.test.invalid" \
		"alias_maps=hash:/etc/aliases" \
		"alias_database=hash:/etc/aliases" \
		"mydestination=\$myhostname, pf.test.invalid, localhost.localdomain, localhost" \
		"relayhost=" \
		"mynetworks=127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128" \
		"mailbox_size_limit=0" \
		"recipient_delimiter=+" \
		"inet_interfaces=all" \
		"inet_protocols=all"
	# the private instance
	pf_conf "config_directory=$PF" "meta_directory=$PF" \
		"queue_directory=$PFQ" "data_directory=$PFD" \
		"maillog_file=$PFLOG" "maillog_file_prefixes=$T_DIR" \
		"inet_interfaces=127.0.0.1" "inet_protocols=ipv4" \
		"smtpd_tls_cert_file=$CERT" "smtpd_tls_key_file=$T_DIR/tls/key.pem" \
		"alias_maps=hash:$PF/aliases" "alias_database=hash:$PF/aliases"
	echo "postmaster: root" >"$PF/aliases"
	postalias -c "$PF" "$PF/aliases" || pf_fail "postalias failed"
	echo "# private Postfix: Debian's stock main.cf for \"Internet Site\" in $PF, smtpd on 127.0.0.1:$SMTP_PORT"

	sed "s/^smtp      inet  n       -       y/127.0.0.1:$SMTP_PORT inet n - y/" \
		"$STOCK/master.cf.dist" >"$PF/master.cf"
	grep -q "^127.0.0.1:$SMTP_PORT inet" "$PF/master.cf" ||
		pf_fail "master.cf.dist has no smtpd line to move to port $SMTP_PORT"

	# makes the queue and data directories
	out=$(postfix -c "$PF" check 2>&1) ||
		{ printf '%s\n' "$out" | sed 's/^/# /'; pf_fail "postfix check of the stock configuration failed"; }
}

pf_conf() { # pf_conf KEY=VALUE...: postconf -e on the private main.cf (argv)
	postconf -c "$PF" -e "$@" || pf_fail "postconf -e $* failed"
}

# pf_mlistd: mlistd listening inside the private queue directory (as
# Debian's default listener is inside /var/spool/postfix) and on
# 127.0.0.1:$PORT, relaying through the private Postfix; club acme
pf_mlistd() {
	TEMPLATES="$(cd "${MLISTD_TESTS:-$(dirname "$0")}/../templates" && pwd)"
	RELAY="smtp://127.0.0.1:$SMTP_PORT" write_conf "templates = $TEMPLATES" \
		"socket_group = postfix"
	SOCK="$PFQ/private/mlistd"
	sed -i "s|^listen = .*|listen = unix:$SOCK, inet:127.0.0.1:$PORT|" "$CONF"
	start_daemon || pf_fail "mlistd did not start"
	echo "# mlistd listens on unix:$SOCK and inet:127.0.0.1:$PORT, relays to smtp://127.0.0.1:$SMTP_PORT"
}

# pf_sink: smtp-sink as the members' MTA, one dump file a message
pf_sink() {
	mkdir -p "$SINK_DIR" && chmod 777 "$SINK_DIR"
	smtp-sink -u nobody -d "$SINK_DIR/m." "127.0.0.1:$SINK_PORT" 100 \
		>"$T_DIR/sink.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
}

# pf_route_members: the one line a test adds to what mlistctl printed:
# the members' domain, example.com, goes to smtp-sink
pf_route_members() {
	printf 'example.com\tsmtp:[127.0.0.1]:%s\n' "$SINK_PORT" >>"$PF/mlistd_transport"
	postmap -c "$PF" "$PF/mlistd_transport" || pf_fail "postmap of the transport map failed"
	echo "# test only: example.com -> smtp:[127.0.0.1]:$SINK_PORT (smtp-sink) appended to $PF/mlistd_transport"
}

# pf_start: start the private Postfix and wait for its smtpd
pf_start() {
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
}

# sink_wait N: until N messages are in the sink (30 s at most)
sink_wait() {
	i=0
	while [ "$(ls "$SINK_DIR" | wc -l)" -lt "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# sink_file ADDR: the first dump in the sink addressed to ADDR
sink_file() {
	grep -l "^X-Rcpt-Args: <$1>" "$SINK_DIR"/m.* 2>/dev/null | head -1
}

# pf_queue_empty: wait until the private queue is empty; $Q is the listing
pf_queue_empty() {
	i=0
	while :; do
		Q=$(postqueue -c "$PF" -p 2>&1)
		printf '%s\n' "$Q" | grep -q 'Mail queue is empty' && return 0
		i=$((i + 1)); [ $i -gt 100 ] && return 1
		sleep 0.1
	done
}
