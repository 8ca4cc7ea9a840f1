#!/bin/sh
# demo.sh - "make demo": a throw-away mlistd in a fresh temporary
# directory (SPEC.md section 1).  Usage: demo.sh BUILDDIR SRCDIR
set -eu
build=$1
src=$2
bin="$build/bin"
dir=$(mktemp -d /tmp/mlistd-demo.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=
[ "$(id -u)" = 0 ] && user=root
# the shipped templates, from the source tree: nothing is installed
srcabs=$(cd "$src" && pwd)
sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@USER@|$user|g" \
	-e "s|@SRC@|$srcabs|g" \
	"$src/config/demo.conf.in" >"$dir/mlistd.conf"
mkdir -p "$dir/outbox"
ctl() { "$bin/mlistctl" -c "$dir/mlistd.conf" "$@"; }

"$bin/mlistd" -f -c "$dir/mlistd.conf" 2>"$dir/mlistd.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "mlistd did not start:"; cat "$dir/mlistd.log"; exit 1; }
	sleep 0.05
done
echo "== mlistd is listening on 127.0.0.1:$port (LMTP)"

ctl club create demo --title "Club Démo" --lang fr
ctl member add demo alice@example.com --name "Alice Martin" --role animator
ctl member add demo bruno@example.fr --name "Bruno Petit"
ctl member add demo chloe@example.org --name "Chloé Durand" --delivery digest

post() { # post FROM MSGID IN-REPLY-TO SUBJECT BODY
	if [ -n "$3" ]; then
		set -- "$1" "$2" "$3" "$4" "$5" --header "In-Reply-To: $3" --header "References: $3"
	fi
	from=$1 id=$2 subject=$4 body=$5
	shift 5
	swaks --silent 2 --protocol LMTP --server "127.0.0.1:$port" \
		--from "$from" --to demo@lists.example.org \
		--header "From: $from" --header "Message-Id: $id" \
		--header "Subject: $subject" "$@" --body "$body"
}
echo "== posting a short thread over LMTP (swaks)"
post bruno@example.fr "<q1@demo.example>" "" \
	"Qui connaît un bon expert-comptable à Lyon ?" \
	"Bonjour à tous, je cherche un expert-comptable pour une PME de 12 personnes. Des recommandations ?"
post chloe@example.org "<r1@demo.example>" "<q1@demo.example>" \
	"Re: Qui connaît un bon expert-comptable à Lyon ?" \
	"Oui : le cabinet Martin, rue de la République. Très réactifs."
post alice@example.com "<r2@demo.example>" "<r1@demo.example>" \
	"Re: Qui connaît un bon expert-comptable à Lyon ?" \
	"Merci Chloé ! Bruno, tu nous diras ?"

echo "== mlistctl held list demo (first posts of new members wait for an animator)"
ctl held list demo
for id in $(ctl held list demo | cut -f1); do ctl held approve "$id"; done
echo "== mlistctl threads demo"
ctl threads demo
# the relay polls its queue: wait until it is empty (10 s at most)
i=0
while [ -n "$(ctl queue)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo "== outbox ($dir/outbox): one personalized copy per member in 'each' delivery"
for j in "$dir"/outbox/*.json; do
	[ -e "$j" ] || continue
	rcpt=$(sed 's/.*"rcpt_to":\["\([^"]*\)".*/\1/' "$j")
	subj=$(ctl inspect message "${j%.json}.eml" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["subject"])')
	echo "   $(basename "${j%.json}") to $rcpt: $subj"
done
echo "== one copy as it went out: ${j%.json}.eml"
sed -n '1,/^\r*$/p' "${j%.json}.eml" | tr -d '\r' | grep -E '^(From|Reply-To|Cc|Subject|List-Id|List-Unsubscribe|Precedence):'
tomorrow=$(python3 -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) + d.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
echo "== the digest Chloé (digest delivery) would get tomorrow: mlistctl digest demo --member chloe@example.org --at $tomorrow --preview"
ctl digest demo --member chloe@example.org --at "$tomorrow" --preview |
	python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
print("Subject:", m["Subject"])
print(m.get_body(("plain",)).get_content())'
kill -TERM $pid
wait $pid || true
trap - EXIT
echo "== mlistd stopped; everything is in $dir"
