#!/bin/sh
# valgrind_lmtp - the LMTP scenario tests (lmtp_scenarios.py) and the
# hand-made malformed messages (malformed.py --no-corpus) against mlistd
# running under valgrind (MLISTD_WRAPPER, read by lmtplib): every daemon
# they start must exit on SIGTERM with no invalid access, no use of
# uninitialised memory and no definitely or indirectly lost block.  Each
# daemon writes its own valgrind log; every log must end in an error
# summary of 0 errors.  Waits are stretched (MLISTD_TIME_FACTOR).
. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"

if [ "${MLISTD_SANITIZERS:-no}" = yes ]; then
	# not a missing tool: ASan's shadow memory and valgrind exclude each
	# other; the plain build's make check runs this test
	echo "1..0 # SKIP built with --enable-sanitizers: valgrind cannot run an ASan binary"
	exit 0
fi
need valgrind
tests=${MLISTD_TESTS:-$(dirname "$0")}
logs=$T_DIR/vg
mkdir -p "$logs"
MLISTD_WRAPPER="valgrind --error-exitcode=99 --leak-check=full \
--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
--track-fds=no --num-callers=30 --log-file=$logs/vg.%p.log"
MLISTD_TIME_FACTOR=20
export MLISTD_WRAPPER MLISTD_TIME_FACTOR
echo "# wrapper: $MLISTD_WRAPPER"

for t in "lmtp_scenarios.py" "malformed.py --no-corpus"; do
	before=$(ls "$logs" | wc -l)
	# shellcheck disable=SC2086
	python3 "$tests"/$t >"$T_DIR/out" 2>&1
	rc=$?
	n=$(grep -c '^ok ' "$T_DIR/out")
	bad=$(grep -c '^not ok ' "$T_DIR/out")
	echo "# $t: $n passed, $bad failed under valgrind"
	grep -E '^not ok|^#' "$T_DIR/out" | head -n 40
	is "$rc" 0 "$t passes with mlistd under valgrind"
	after=$(ls "$logs" | wc -l)
	ok "$([ "$after" -gt "$before" ] && echo 0 || echo 1)" \
		"$t started mlistd under valgrind ($((after - before)) daemons)"
done

# every daemon's log: a clean exit leaves the leak summary and 0 errors
nlogs=0
dirty=
for f in "$logs"/vg.*.log; do
	[ -e "$f" ] || continue
	nlogs=$((nlogs + 1))
	if ! grep -q 'ERROR SUMMARY: 0 errors' "$f" ||
		! grep -q 'LEAK SUMMARY\|All heap blocks were freed' "$f"; then
		dirty="$dirty $f"
	fi
done
echo "# $nlogs valgrind logs read"
ok "$([ "$nlogs" -gt 0 ] && [ -z "$dirty" ] && echo 0 || echo 1)" \
	"every mlistd exited with 0 valgrind errors and its leak check done"
for f in $dirty; do
	echo "# $f:"
	grep -E -B2 -A25 'Invalid|uninitialised|definitely lost in|indirectly lost in|ERROR SUMMARY' "$f" |
		head -n 80 | sed 's/^/#   /'
done
done_testing
