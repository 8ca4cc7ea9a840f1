#!/bin/bash
# readme_postfix.sh - README's "Plug it into Postfix", followed literally on
# a private Postfix (tests/pflib.sh: Debian's stock "Internet Site"
# main.cf and master.cf, already running, as after step 1).
#
# Every ```sh block of that section is extracted mechanically and run with
# sh -e, in order, after these substitutions and nothing else:
#   apt-get install ...            skipped: the stock private instance
#                                  stands in for it
#   mlistd -t, mlistctl            $MLISTD -c $CONF -t, $MLISTCTL -c $CONF
#   /root/                         $T_DIR/
#   /etc/postfix                   $PF
#   sh FILE (the recipe)           sed 's|/etc/postfix|$PF|g' FILE | sh -e
#                                  (after the line above, so the recipe's
#                                  own /etc/postfix paths become $PF too)
#   systemctl reload postfix       postfix reload
#   swaks --server 127.0.0.1       swaks --server 127.0.0.1:$SMTP_PORT
# with MAIL_CONFIG=$PF in the environment, so postconf, postmap and postfix
# work on the private instance.  mlistd runs as "Install" leaves it
# (listening inside the queue directory).  After the recipe, the test
# routes the members' domain to smtp-sink (pflib.sh: pf_route_members)
# and reloads.  Each block's stated outcome is checked.

. "${MLISTD_TESTS:-$(dirname "$0")}/pflib.sh"

README="${MLISTD_TESTS:-$(dirname "$0")}/../README.md"
[ -f "$README" ] || skip_all "no README.md next to the tests"
pf_init
pf_mlistd
pf_sink
pf_start
export MAIL_CONFIG="$PF"

# the section's sh blocks, one file each
awk -v dir="$T_DIR" '
	/^## / { insec = ($0 == "## Plug it into Postfix") }
	insec && /^```sh$/ { n++; f = dir "/block." n; inblk = 1; next }
	inblk && /^```$/ { inblk = 0; close(f); next }
	inblk { print > f }
	END { print n + 0 }' "$README" >"$T_DIR/nblocks"
NB=$(cat "$T_DIR/nblocks")
like "$NB" '^[5-9]$' "README's Postfix section has its sh blocks ($NB)"

subst() { # subst FILE: the private-instance version of a block
	sed -e "s|^apt-get install .*|: apt-get skipped, the stock private instance stands in|" \
		-e "s|^mlistd -t|$MLISTD -c $CONF -t|" \
		-e "s|^mlistctl |$MLISTCTL -c $CONF |" \
		-e "s|/root/|$T_DIR/|g" \
		-e "s|/etc/postfix|$PF|g" \
		-e "s|^sh \\([^ ]*\\)\$|sed 's,/etc/postfix,$PF,g' \\1 \| sh -e|" \
		-e "s|^systemctl reload postfix\$|postfix reload|" \
		-e "s|swaks --server 127\\.0\\.0\\.1 |swaks --server 127.0.0.1:$SMTP_PORT |g" \
		"$1"
}

for n in $(seq 1 "$NB"); do
	b="$T_DIR/block.$n"
	subst "$b" >"$b.run"
	# never the system's Postfix: no /etc/postfix left but in the recipe's sed
	if grep -v "^sed 's,/etc/postfix,$PF,g' " "$b.run" | grep -q /etc/postfix; then
		ok 1 "block $n names /etc/postfix after the substitutions: not run"
		continue
	fi
	echo "# block $n, as run:"
	sed 's/^/#   $ /' "$b.run"
	out=$(sh -e "$b.run" </dev/null 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^ \?[-<>=~*]' | sed 's/^/#   > /' | head -20
	if grep -q '^apt-get install' "$b"; then
		is "$rc" 0 "block $n (apt-get install): skipped, Postfix is running"
	elif grep -q '^mlistd -t' "$b"; then
		is "$rc" 0 "block $n: mlistd -t exits 0"
		like "$out" "^mlistd: .*: configuration is valid$" "block $n: and says the configuration is valid"
	elif grep -q '^mlistctl postfix' "$b"; then
		is "$rc" 0 "block $n: the recipe runs, postfix check and reload succeed"
		is "$(printf '%s\n' "$out" | grep -v 'refreshing the Postfix mail system')" "" \
			"block $n: postfix check printed nothing"
		like "$(postconf -h transport_maps)" "mlistd_transport" \
			"block $n: transport_maps has mlistd's map"
		pf_route_members
		postfix reload >/dev/null 2>&1
	elif grep -q 'club create' "$b"; then
		is "$rc" 0 "block $n: the club and its members are created"
		like "$($MLISTCTL -c "$CONF" member list acme)" "alice@example\.com.*animator" \
			"block $n: alice is acme's animator"
	elif grep -q 'swaks' "$b"; then
		is "$rc" 0 "block $n: the swaks commands run as written"
		like "$out" "<- +250 2\.0\.0 Ok: queued as" \
			"block $n: Postfix queued the post to acme@"
		like "$out" "<\*\* +550[ -]5\.1\.1" \
			"block $n: nosuch@ refused with 550 5.1.1"
		like "$out" "refused, as it should be" "block $n: and the README says so"
		sink_wait 2
		for who in alice bob; do
			f=$(sink_file "$who@example.com")
			ok $([ -n "$f" ]; echo $?) "block $n: $who got the post through Postfix"
			[ -n "$f" ] && like "$(cat "$f")" "Subject: \[acme\] Hello acme" \
				"block $n: $who's copy has the club's subject prefix"
		done
	else
		is "$rc" 0 "block $n runs"
	fi
done

# step 6: the log lines the README shows are there
pf_queue_empty
LOG=$(cat "$PFLOG")
like "$LOG" "postfix/mlistd_lmtp/lmtp\[[0-9]+\]: [0-9A-F]+: to=<acme@lists\.example\.org>, relay=[^ ]*\[private/mlistd\].*dsn=2\.0\.0, status=sent" \
	"Postfix log: the post delivered to mlistd over its socket"
like "$LOG" "NOQUEUE: reject: RCPT from .*: 550 5\.1\.1 <nosuch@lists\.example\.org>" \
	"Postfix log: nosuch@ refused during the SMTP session"
like "$(cat "$T_DIR/mlistd.log")" "club=acme to=<bob@example\.com> relay=127\.0\.0\.1:$SMTP_PORT dsn=2\.0\.0 status=sent" \
	"mlistd log: bob's copy handed to Postfix"
echo "# the log lines (Postfix, then mlistd):"
grep -E 'postfix/(smtpd|cleanup|qmgr|mlistd_lmtp/lmtp|smtp)\[' "$PFLOG" | sed 's/^/#   /' | tail -25
grep -E 'status=' "$T_DIR/mlistd.log" | sed 's/^/#   /' | tail -5

if [ "$T_FAIL" -ne 0 ]; then
	echo "# Postfix log:"; diag_file "$PFLOG" 60
	echo "# mlistd log:"; diag_file "$T_DIR/mlistd.log" 30
fi
done_testing
