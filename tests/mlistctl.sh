#!/bin/sh
# mlistctl.sh - the admin CLI: clubs, members, import/export, exit codes.
. "${MLISTD_TESTS:-$(dirname "$0")}/lib.sh"
need sqlite3

write_conf
out=$(ctl club create acme --title "Acme Club" --lang fr --policy open); rc=$?
is "$rc" 0 "club create"
out=$(ctl club create acme 2>&1); rc=$?
is "$rc" 1 "creating it twice is refused (1)"
out=$(ctl club create "Bad Name" 2>&1); rc=$?
is "$rc" 2 "a bad club name is a usage error (2)"
ctl club create beta >/dev/null
out=$(ctl club list); rc=$?
like "$out" "^acme	0	Acme Club" "club list shows name, members, title"
out=$(ctl --json club list)
like "$out" '^\[\{"name":"acme","title":"Acme Club","lang":"fr"' "club list --json"
out=$(ctl club show acme)
like "$out" "policy = open" "club show: policy"
like "$out" "subject_prefix = \[acme\]" "club show: default subject prefix"
like "$out" "moderation = newcomers" "club show: default moderation"
ctl club set acme moderation all; rc=$?
is "$rc" 0 "club set a valid value"
like "$(ctl club show acme)" "moderation = all" "and it sticks"
out=$(ctl club set acme moderation sometimes 2>&1); rc=$?
is "$rc" 2 "club set a bad value: usage error"
like "$out" "newcomers, none, all or emergency" "naming the valid values"
out=$(ctl club set acme colour blue 2>&1); rc=$?
is "$rc" 2 "club set an unknown key: usage error"
ctl club set acme vocabulary "compta: compta, factur, tva; RH: recrut" ; rc=$?
is "$rc" 0 "club set vocabulary"
out=$(ctl club show nosuch 2>&1); rc=$?
is "$rc" 1 "club show of an unknown club: 1"

ctl member add acme Alice@Example.com --name "Alice Martin" --role animator; rc=$?
is "$rc" 0 "member add"
out=$(ctl member add acme alice@example.com 2>&1); rc=$?
is "$rc" 1 "adding a member twice: 1"
out=$(ctl member add acme not-an-address 2>&1); rc=$?
is "$rc" 65 "an invalid address: 65"
out=$(ctl member add acme bob@example.com --delivery weekly 2>&1); rc=$?
is "$rc" 2 "a bad --delivery: 2"
printf 'bob@example.com\nCarol Dupont <carol@example.fr>\nnot valid\n\nalice@example.com\n# comment\n' >"$T_DIR/members.txt"
out=$(ctl member import acme "$T_DIR/members.txt" --delivery digest 2>"$T_DIR/err"); rc=$?
is "$rc" 1 "member import with an invalid line exits 1"
like "$out" "2 added, 1 already members, 1 invalid" "and counts what it did"
like "$(cat "$T_DIR/err")" "members.txt:3: not an address" "the invalid line is reported by number"
out=$(ctl --json member list acme)
like "$out" '"address":"carol@example.fr","name":"Carol Dupont","role":"member","delivery":"digest"' "member list --json"
like "$out" '"address":"alice@example.com","name":"Alice Martin","role":"animator"' "address lower-cased, role kept"
ctl member set acme bob@example.com paused yes; rc=$?
is "$rc" 0 "member set paused"
is "$(sql "select paused from members where address='bob@example.com'")" 1 "stored"
ctl member set acme bob@example.com joined 2025-01-02T03:04:05Z
like "$(ctl --json member list acme)" '"address":"bob@example.com"[^}]*"joined":"2025-01-02T03:04:05Z"' "member set joined"
ctl member set acme bob@example.com tags "Compta, RH"
is "$(sql "select tags from members where address='bob@example.com'")" "compta,rh" "tags normalised"
out=$(ctl member set acme bob@example.com paused maybe 2>&1); rc=$?
is "$rc" 2 "a bad member value: 2"
out=$(ctl member set acme nobody@example.com paused yes 2>&1); rc=$?
is "$rc" 1 "member set for a non-member: 1"
ctl member remove acme BOB@example.com; rc=$?
is "$rc" 0 "member remove (case-insensitive)"
out=$(ctl member remove acme bob@example.com 2>&1); rc=$?
is "$rc" 1 "removing again: 1"

# import an mbox: dated by Date:, threaded, not relayed
cat >"$T_DIR/archive.mbox" <<'MBOX'
From alice@example.com Mon Mar  3 08:00:00 2025
From: Alice <alice@example.com>
Subject: Qui connait un bon expert-comptable ?
Date: Mon, 03 Mar 2025 09:00:00 +0100
Message-ID: <q1@example.com>

Bonjour, je cherche un expert-comptable.
>From here on, a quoted From line.

From carol@example.fr Mon Mar  3 10:00:00 2025
From: Carol <carol@example.fr>
Subject: Re: Qui connait un bon expert-comptable ?
Date: Mon, 03 Mar 2025 11:00:00 +0100
Message-ID: <r1@example.fr>
In-Reply-To: <q1@example.com>
References: <q1@example.com>

Oui, le mien.

From dave@example.org Tue Mar  4 10:00:00 2025
From: dave@example.org
Subject: Autre sujet

Pas de Date ni de Message-ID ici.

MBOX
out=$(ctl import acme "$T_DIR/archive.mbox"); rc=$?
is "$rc" 0 "import an mbox"
like "$out" "3 messages imported" "all three"
out=$(ctl import acme "$T_DIR/archive.mbox"); rc=$?
like "$out" "0 messages imported, 3 already there" "importing again changes nothing"
out=$(ctl threads acme)
is "$(printf '%s\n' "$out" | wc -l)" 2 "two threads"
like "$out" "	2025-03-03T10:00:00Z	2	2	Qui connait un bon expert-comptable \?" "threads line: key, last (UTC from Date:), messages, participants, subject"
like "$out" "	2025-03-04T10:00:00Z	1	1	Autre sujet" "a message without Date: is dated by its From_ line"
first=$(printf '%s\n' "$out" | head -1 | cut -f5)
is "$first" "Autre sujet" "newest activity first"
out=$(ctl --json threads acme)
like "$out" '"subject":"Qui connait un bon expert-comptable \?","messages":2,"participants":2,"first":"2025-03-03T08:00:00Z","last":"2025-03-03T10:00:00Z","message_ids":\["<q1@example.com>","<r1@example.fr>"\]' "threads --json"
out=$(ctl threads acme --since 2025-03-04)
like "$out" "Autre sujet" "--since YYYY-MM-DD keeps later threads"
is "$(printf '%s\n' "$out" | grep -c expert)" 0 "and drops earlier ones"
out=$(ctl threads acme --at 2025-03-03T09:30:00+01:00)
like "$out" "	2025-03-03T08:00:00Z	1	1	" "--at with an offset sees the thread as it was"
out=$(ctl threads acme --since yesterday 2>&1); rc=$?
is "$rc" 2 "a bad DATETIME exits 2"
is "$(ls "$T_DIR/outbox" 2>/dev/null | wc -l)" 0 "import relays nothing"

out=$(ctl export acme); rc=$?
is "$rc" 0 "export"
is "$(printf '%s\n' "$out" | grep -c '^From ')" 3 "three mbox entries"
like "$out" ">From here on" "From-quoting survives the round trip"
out=$(ctl export acme --member carol@example.fr)
is "$(printf '%s\n' "$out" | grep -c '^From ')" 1 "export --member keeps that member's posts"
ctl export acme >"$T_DIR/re.mbox"
ctl club create gamma >/dev/null
out=$(ctl import gamma "$T_DIR/re.mbox")
like "$out" "3 messages imported" "an export imports back"
is "$(ctl threads gamma | cut -f1,3,4)" "$(ctl threads acme | cut -f1,3,4)" "with the same threads"

out=$("$MLISTCTL" -c "$CONF" inspect message "$T_DIR/archive.mbox"); rc=$?
is "$rc" 0 "inspect message"
like "$out" '"message_id":"<' "prints JSON"
out=$("$MLISTCTL" inspect message "$T_DIR/nope.eml" 2>&1); rc=$?
is "$rc" 74 "inspect of a missing file: 74"
out=$(ctl frobnicate 2>&1); rc=$?
is "$rc" 2 "an unknown command: 2"
out=$(ctl 2>&1); rc=$?
is "$rc" 2 "no command: 2"
out=$("$MLISTCTL" -c "$T_DIR/none.conf" club list 2>&1); rc=$?
is "$rc" 78 "a missing configuration: 78"
ctl club delete beta; rc=$?
is "$rc" 0 "club delete"
out=$(ctl club delete beta 2>&1); rc=$?
is "$rc" 1 "deleting again: 1"
out=$(ctl postfix)
like "$out" "transport_maps" "postfix prints transport_maps"
like "$out" "recipient_delimiter = \+" "and the delimiter"
like "$out" "lists.example.org	mlistd_lmtp:inet:127.0.0.1:$PORT" "and the transport line for this listener"
done_testing
