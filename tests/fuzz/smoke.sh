#!/bin/sh
# smoke.sh - run each libFuzzer target for a bounded time (make
# fuzz-smoke).  Usage: smoke.sh BUILD_DIR SEEDS_DIR SECONDS [TARGET...]
#
# Each target starts from the committed seeds (tests/fuzz/seeds/NAME)
# and from the shared corpus ($MLISTD_CORPUS, read in place: libFuzzer
# only writes new inputs into a fresh temporary directory); fuzz_lmtp's
# corpus seeds are corpus messages wrapped in an LMTP conversation,
# made in that directory.  Any finding (crash, sanitizer report, leak,
# timeout, memory over -rss_limit_mb) fails the run; its input is kept
# in the directory printed.
set -u
build=$1 seeds=$2 seconds=$3
shift 3
targets=${*:-lmtp msg addr command tmpl dsn}
corpus=${MLISTD_CORPUS:-}
if [ -z "$corpus" ] || [ ! -d "$corpus" ]; then
	echo "smoke: the corpus ($corpus) is missing: set MLISTD_CORPUS" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mlistd-fuzz.XXXXXX") || exit 1
# the targets' own files (fuzz_lmtp's database, fuzz_tmpl's template) in
# memory when we can: synchronous=FULL costs nothing there
scratch=$(mktemp -d /dev/shm/mlistd-fuzz.XXXXXX 2>/dev/null) ||
	scratch=$(mktemp -d "$tmp/scratch.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
failed=

# lmtp_seed FILE OUT - FILE as the DATA of one LMTP transaction
lmtp_seed() {
	{
		printf 'LHLO fuzz.example.com\r\nMAIL FROM:<alice@example.com>\r\n'
		printf 'RCPT TO:<acme@lists.example.org>\r\nDATA\r\n'
		sed -e 's/^\./../' -e 's/\r*$/\r/' "$1"
		printf '.\r\nQUIT\r\n'
	} >"$2"
}

for t in $targets; do
	new=$tmp/$t.new
	mkdir -p "$new"
	case $t in
	lmtp)
		dirs=$tmp/lmtp.corpus max=65536
		mkdir -p "$dirs"
		n=0
		for f in $(find "$corpus/mime" "$corpus/threads/notmuch" \
			-type f -size -32k | sort | head -n 60); do
			n=$((n + 1))
			lmtp_seed "$f" "$dirs/corpus-$n.lmtp"
		done
		;;
	msg) dirs="$corpus/mime $corpus/threads" max=65536 ;;
	dsn) dirs="$corpus/bounces $corpus/autoreplies" max=65536 ;;
	tmpl) dirs= max=16384 ;;
	*) dirs= max=4096 ;;
	esac
	echo "smoke: fuzz_$t for ${seconds}s (-max_len=$max) from $seeds/$t $dirs"
	# shellcheck disable=SC2086
	if TMPDIR=$scratch "$build/fuzz_$t" -max_total_time="$seconds" -max_len="$max" \
		-rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
		-artifact_prefix="$tmp/$t-" "$new" "$seeds/$t" $dirs \
		>"$tmp/$t.log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^Done' "$tmp/$t.log" |
			sed "s/^/smoke: fuzz_$t: /"
		rm -rf "$new"
	else
		echo "smoke: fuzz_$t FOUND SOMETHING: log $tmp/$t.log, input $tmp/$t-*"
		grep -E -A12 '^==[0-9]+==ERROR|runtime error|invariant broken|^SUMMARY' \
			"$tmp/$t.log" | head -n 40
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "smoke: findings in:$failed (kept in $tmp)"
	exit 1
fi
rm -rf "$tmp"
echo "smoke: every target ran ${seconds}s without a finding"
