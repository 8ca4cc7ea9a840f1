#!/bin/sh
# install.sh - make install DESTDIR=... puts every file where an admin
# expects it, with the configured paths inside and the right modes; the
# installed mlistd accepts the installed sample; a second install keeps
# an edited mlistd.conf; systemd-analyze verify accepts the unit, whose
# capabilities are enough for mlistd to bind in Postfix's private
# directory and drop to its user (as root, through setpriv);
# systemd-sysusers and systemd-tmpfiles make the user and the state
# directory; make uninstall leaves only the data; and an install with
# Debian's directories gives the tree README.md "Install" shows.
. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"

top=$(cd "$BIN/.." && pwd)
src=$(cd "${MLISTD_TESTS:-$(dirname "$0")}/.." && pwd)
dest="$T_DIR/dest"

# the nested make is serial and sees none of the outer make's flags
# (TESTS=..., its jobserver)
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -s -C "$top" "$@"
}

# the configured directories, as make expands them
cat >"$T_DIR/dirs.mk" <<'EOF'
mlistd-print-dirs:
	@echo "bindir='$(bindir)' sbindir='$(sbindir)' sysconfdir='$(sysconfdir)'"
	@echo "localstatedir='$(localstatedir)' pkgdatadir='$(pkgdatadir)'"
	@echo "docdir='$(docdir)' mandir='$(mandir)' prefix='$(prefix)'"
	@echo "unitdir='$(systemdsystemunitdir)'"
EOF
eval "$(mk -f Makefile -f "$T_DIR/dirs.mk" mlistd-print-dirs)"
echo "# configured: prefix=$prefix sysconfdir=$sysconfdir localstatedir=$localstatedir unit dir=${unitdir:-(none)}"
statedir="$localstatedir/lib/mlistd"
conf="$sysconfdir/mlistd/mlistd.conf"

# tree DIR: one line per installed file and for the state directory,
# "MODE PATH"; each language's templates are one "*.html" line
tree() {
	(cd "$1" && find . -type f -printf '%m /%P\n' &&
		find . -type d -path "./${2#/}" -printf '%m /%P/\n') |
		sed -E 's|^([0-7]+) (.*/templates/[^/]+)/[^/]+\.html$|\1 \2/*.html|' |
		LC_ALL=C sort -k2 | uniq
}

# mode FILE: its permission bits, octal
mode() { stat -c %a "$1" 2>/dev/null || echo missing; }

# run_confined CAPS: the installed mlistd in the background as the unit
# runs it: root, only CAPS in the bounding set, no new privileges, the
# unit's umask
run_confined() {
	(umask 0027 && exec setpriv --no-new-privs --bounding-set="-all,$1" \
		"$dest$sbindir/mlistd" -f -c "$cdir/mlistd.conf") \
		2>>"$cdir/mlistd.log" &
	cpid=$!
	T_PIDS="$T_PIDS $cpid"
}

# confined UNIT: the unit's privilege model at work.  mlistd binds in a
# directory that is another account's, mode 0700 (Postfix's private/),
# gives the socket its group, drops to nobody, and takes a post over
# LMTP; without CAP_DAC_OVERRIDE it cannot bind there.
confined() {
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$1" |
		tr 'A-Z ' 'a-z,' | sed 's/cap_/+/g')
	cdir="$T_DIR/confined"
	priv="$cdir/private"
	grp=$(id -gn nobody)
	mkdir -p "$priv" "$cdir/state"
	chmod 711 "$T_DIR" "$cdir"
	chown daemon "$priv" && chmod 700 "$priv"
	chown "nobody:$grp" "$cdir/state" && chmod 750 "$cdir/state"
	printf '%s\n' "domain = lists.example.org" \
		"database = $cdir/state/mlistd.db" \
		"secret_file = $cdir/state/secret" \
		"listen = unix:$priv/mlistd" "socket_group = $grp" \
		"relay = capture:$cdir/state/outbox" \
		"templates = $dest$pkgdatadir/templates" \
		"user = nobody" "log = stderr" >"$cdir/mlistd.conf"
	echo "# setpriv --no-new-privs --bounding-set=-all,$caps mlistd -f;" \
		"socket in $priv (daemon's, 0700), user = nobody"
	run_confined "$caps"
	i=0
	while [ ! -S "$priv/mlistd" ] && [ $i -lt 100 ] &&
		kill -0 "$cpid" 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
	done
	is "$(stat -c '%a %G' "$priv/mlistd" 2>&1)" "660 $grp" \
		"with the unit's capabilities mlistd binds there, 0660, its group"
	"$dest$bindir/mlistctl" -c "$cdir/mlistd.conf" club create acme \
		>/dev/null 2>&1
	if command -v swaks >/dev/null; then
		out=$(swaks --protocol LMTP --socket "$priv/mlistd" \
			--from stranger@example.com --to acme@lists.example.org \
			--header "Message-Id: <confined@example.com>" \
			--body hello 2>&1 | grep ' 250 2\.0\.0 <acme@')
		echo "# swaks: a stranger's post over the socket: $out"
		like "$out" "250 2\.0\.0 <acme@lists\.example\.org>: (accepted|held)" \
			"and takes a post over LMTP"
	elif [ "${CI:-}" = true ]; then
		ok 1 "swaks is there under CI=true"
	else
		echo "# no swaks: no post over the socket"
	fi
	is "$(stat -c '%U %a' "$cdir/state/mlistd.db" "$cdir/state/secret" |
		tr '\n' ' ')" "nobody 640 nobody 600 " \
		"the database and the secret are the user's, not root's"
	is "$(ps -o user= -p "$cpid")" nobody "mlistd runs as the user"
	is "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$cpid/status")" \
		0000000000000000 "with no capability left"
	kill -TERM "$cpid"
	wait "$cpid"
	is "$?" 0 "SIGTERM: exit 0"
	sed 's/^/#   /' "$cdir/mlistd.log"

	rm -f "$priv/mlistd" "$cdir/mlistd.log"
	less=$(echo "$caps" | sed 's/+dac_override,*//')
	echo "# again with the bounding set -all,$less"
	run_confined "$less"
	wait "$cpid"
	rc=$?
	sed 's/^/#   /' "$cdir/mlistd.log"
	is "$rc:$(grep -c 'bind: Permission denied' "$cdir/mlistd.log")" \
		69:1 "without CAP_DAC_OVERRIDE mlistd cannot bind there (exit 69)"
}

# verify_unit UNIT: systemd-analyze verify finds nothing to say.  It
# wants ExecStart='s program to exist: pointed into DESTDIR, like the
# man pages of Documentation=.
verify_unit() {
	sed "s|=$sbindir/|=$dest$sbindir/|" "$1" >"$T_DIR/mlistd.service"
	manopt=
	command -v man >/dev/null || manopt=--man=no
	out=$(MANPATH="$dest$mandir" systemd-analyze verify $manopt \
		"$T_DIR/mlistd.service" 2>&1)
	rc=$?
	echo "# systemd-analyze verify $manopt mlistd.service: exit $rc"
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/#   /'
	is "$rc:$out" "0:" "systemd-analyze verify: no complaint"
	echo "# systemd-analyze security: $(systemd-analyze security \
		--offline=yes "$T_DIR/mlistd.service" 2>&1 | grep 'Overall')"
}

echo "# make install DESTDIR=$dest"
mk install DESTDIR="$dest" >"$T_DIR/install.log" 2>&1
rc=$?
is "$rc" 0 "make install DESTDIR=... succeeds"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T_DIR/install.log" | tail -20
echo "# installed tree:"
tree "$dest" "$statedir" | sed 's/^/#   /'

# programs: the daemon in sbin, the admin CLI in bin
is "$(mode "$dest$sbindir/mlistd")" 755 "mlistd installed 0755 in $sbindir"
is "$(mode "$dest$bindir/mlistctl")" 755 "mlistctl installed 0755 in $bindir"

# configuration: the sample, with the configured paths in it
is "$(mode "$dest$conf")" 644 "mlistd.conf installed 0644 as $conf"
like "$(grep '^database' "$dest$conf")" "= $statedir/mlistd.db\$" \
	"its database is under the configured localstatedir"
like "$(grep '^secret_file' "$dest$conf")" "= $statedir/secret\$" \
	"so is its secret_file"
cmp -s "$dest$conf" "$dest$docdir/examples/mlistd.conf"
ok $? "the same sample is kept for diffing as $docdir/examples/mlistd.conf"
is "$(mode "$dest$docdir/README.md")" 644 "README.md in $docdir"

# state directory: created 0750 and empty
is "$(mode "$dest$statedir")" 750 "the state directory $statedir is 0750"
is "$(ls -A "$dest$statedir" | wc -l)" 0 "and empty"

# templates: every shipped one, under pkgdatadir (SPEC.md section 3)
want=$(cd "$src/templates" && find . -name '*.html' | sort)
got=$(cd "$dest$pkgdatadir/templates" 2>/dev/null && find . -name '*.html' | sort)
is "$got" "$want" "all $(echo "$want" | wc -l) templates under $pkgdatadir/templates"

# man pages: installed in their sections, the configured paths written in
for m in man1/mlistctl.1 man5/mlistd.conf.5 man8/mlistd.8; do
	is "$(mode "$dest$mandir/$m")" 644 "man page $m installed"
done
grep -q "$statedir/mlistd.db" "$dest$mandir/man5/mlistd.conf.5"
ok $? "mlistd.conf(5) names the configured database path"
grep -q "$conf" "$dest$mandir/man8/mlistd.8"
ok $? "mlistd(8) names the configured mlistd.conf in FILES"
# the directories config/subst.am fills in (a shell's $(...) in an
# example, as mlistctl(1)'s POSTFIX section has, is not one of them)
! grep -Eq '\$\((bindir|sbindir|sysconfdir|localstatedir|pkgdatadir|docdir)\)|@[a-z]*dir@' \
	"$dest$mandir/man5/mlistd.conf.5" "$dest$mandir/man8/mlistd.8" \
	"$dest$mandir/man1/mlistctl.1"
ok $? "no \$(DIR) or @DIR@ left in the man pages"

# the installed daemon: its compiled-in default is the installed file,
# and it accepts the installed sample
like "$("$dest$sbindir/mlistd" -h)" "default $conf\)" \
	"installed mlistd -h names $conf as its default"
out=$("$dest$sbindir/mlistd" -t -c "$dest$conf" 2>&1); rc=$?
echo "# mlistd -t -c <installed mlistd.conf>: exit $rc: $out"
if getent passwd mlistd >/dev/null; then
	is "$rc" 0 "the sample passes mlistd -t as shipped (user mlistd exists)"
else
	# README: the one documented step before start is creating the user
	is "$rc" 78 "without the mlistd account the sample fails mlistd -t"
	like "$out" "^mlistd: $dest$conf:[0-9]+: user: no such user\$" \
		"and only because of user = mlistd"
	me=$(id -un)
	sed "s/^user *=.*/user = $me/" "$dest$conf" >"$T_DIR/user.conf"
	echo "# with user = $me instead (this machine has no mlistd account)"
	out=$("$dest$sbindir/mlistd" -t -c "$T_DIR/user.conf" 2>&1); rc=$?
	is "$rc" 0 "with an existing user the sample passes mlistd -t"
fi

# a second install keeps an edited mlistd.conf
sed 's/^domain .*/domain = lists.acme.test/' "$dest$conf" >"$T_DIR/edited"
cp "$T_DIR/edited" "$dest$conf"
echo "# edited $conf: domain = lists.acme.test; make install again"
mk install DESTDIR="$dest" >"$T_DIR/install2.log" 2>&1
is "$?" 0 "a second make install succeeds"
cmp -s "$T_DIR/edited" "$dest$conf"
ok $? "and keeps the edited mlistd.conf"
like "$(cat "$T_DIR/install2.log")" "mlistd.conf exists: kept" "saying so"

# systemd files
if [ -z "$unitdir" ]; then
	echo "# configured --without-systemdsystemunitdir: no systemd files"
	for f in "$prefix/lib/sysusers.d/mlistd.conf" \
		"$prefix/lib/tmpfiles.d/mlistd.conf"; do
		[ ! -e "$dest$f" ]
		ok $? "no $f installed"
	done
else
	unit="$dest$unitdir/mlistd.service"
	is "$(mode "$unit")" 644 "mlistd.service installed in $unitdir"
	like "$(grep '^ExecStart=' "$unit")" \
		"^ExecStart=$sbindir/mlistd -f -c $conf\$" \
		"it runs the installed mlistd in the foreground on $conf"
	like "$(grep '^ReadWritePaths=' "$unit")" "=$statedir " \
		"and may write only the state directory and Postfix's"
	if command -v systemd-analyze >/dev/null; then
		verify_unit "$unit"
	elif [ "${CI:-}" = true ]; then
		ok 1 "systemd-analyze (package systemd) is there under CI=true"
	else
		echo "# systemd-analyze not installed: the unit is not verified"
	fi

	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		confined "$unit"
	else
		echo "# not root or no setpriv: the unit's privileges not tried"
	fi

	users="$dest$prefix/lib/sysusers.d/mlistd.conf"
	tmpfiles="$dest$prefix/lib/tmpfiles.d/mlistd.conf"
	is "$(mode "$users"):$(mode "$tmpfiles")" 644:644 \
		"sysusers.d/mlistd.conf and tmpfiles.d/mlistd.conf installed"
	if [ "$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then
		root="$T_DIR/root"
		mkdir -p "$root/etc"
		echo "# systemd-sysusers and systemd-tmpfiles --create in $root"
		systemd-sysusers --root="$root" "$users" 2>&1 | sed 's/^/#   /'
		like "$(grep '^mlistd:' "$root/etc/passwd")" \
			"^mlistd:x:[0-9]+:[0-9]+:[^:]*:$statedir:" \
			"systemd-sysusers creates user mlistd, home $statedir"
		systemd-tmpfiles --root="$root" --create "$tmpfiles" 2>&1 |
			sed 's/^/#   /'
		uid=$(grep '^mlistd:' "$root/etc/passwd" | cut -d: -f3)
		is "$(stat -c '%a %u' "$root$statedir" 2>&1)" "750 $uid" \
			"systemd-tmpfiles makes $statedir 0750 and mlistd's"
	else
		echo "# not root or no systemd-sysusers: sysusers.d and tmpfiles.d not tried"
	fi
fi

# uninstall: only the data (the state directory, the edited conf) stay
echo "# make uninstall DESTDIR=$dest"
mk uninstall DESTDIR="$dest" >"$T_DIR/uninstall.log" 2>&1
is "$?" 0 "make uninstall succeeds"
echo "# left after make uninstall:"
tree "$dest" "$statedir" | sed 's/^/#   /'
is "$(tree "$dest" "$statedir" | tr '\n' ' ')" \
	"644 $conf 750 $statedir/ " \
	"make uninstall leaves only the edited mlistd.conf and $statedir"
is "$(cd "$dest" && find . -type d -name mlistd | sort | tr '\n' ' ')" \
	".$sysconfdir/mlistd .$statedir " \
	"and removes mlistd's other directories"

# Debian's directories: the tree README.md shows, and an uninstall that
# removes the unedited mlistd.conf too
deb="$T_DIR/deb"
set -- prefix=/usr sysconfdir=/etc localstatedir=/var
[ -n "$unitdir" ] && set -- "$@" systemdsystemunitdir=/lib/systemd/system
echo "# make install DESTDIR=$deb $*"
mk install DESTDIR="$deb" "$@" >"$T_DIR/deb.log" 2>&1
is "$?" 0 "make install with Debian's directories succeeds"
tree "$deb" /var/lib/mlistd >"$T_DIR/deb.tree"
sed -n '/^```install-tree$/,/^```$/p' "$src/README.md" | sed '1d;$d' \
	>"$T_DIR/readme.tree"
if [ -n "$unitdir" ]; then
	diff "$T_DIR/readme.tree" "$T_DIR/deb.tree" >"$T_DIR/tree.diff"
	ok $? "the tree is the one README.md \"Install\" shows"
	sed 's/^/#   /' "$T_DIR/tree.diff"
else
	echo "# no systemd files configured: README's tree not compared"
fi
mk uninstall DESTDIR="$deb" "$@" >"$T_DIR/deb-un.log" 2>&1
is "$?" 0 "and make uninstall too"
is "$(cd "$deb" && find . -type f | wc -l)" 0 \
	"which removes every file, the unedited mlistd.conf included"
[ -d "$deb/var/lib/mlistd" ]
ok $? "and keeps /var/lib/mlistd"

done_testing
