/*
 * test-store_digest - what the digest reads from a real SQLite file, the
 * animator's thread controls, and what an evaluated issue records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

static struct store *s;
static int64_t club;
static char dbpath[] = "/tmp/mlt-digest-XXXXXX";

static void
insert(const char *id, const char *irt, const char *from, int64_t date)
{
	struct store_msg_in in;
	bool dup;

	memset(&in, 0, sizeof(in));
	in.club = club;
	in.club_tag = "[acme]";
	in.rcpt = "acme@lists.example.org";
	in.role = "post";
	in.raw = id;
	in.raw_len = strlen(id);
	in.body_sha256 = id;
	in.message_id = id;
	in.in_reply_to = irt;
	in.from_addr = from;
	in.subject = "Hello";
	in.text = "A body long enough to matter.";
	in.thread = true;
	in.date_ms = date * 1000;
	if (store_begin(s) < 0 || store_msg_insert(s, &in, NULL, &dup) < 0 ||
	    store_commit(s) < 0) {
		printf("Bail out! insert %s: %s\n", id, store_error(s));
		exit(1);
	}
}

int
main(void)
{
	struct store_digest d;
	struct store_digest_stats st;
	char *err = NULL, key[9];
	int64_t thread;
	int fd = mkstemp(dbpath);

	if (fd < 0 || close(fd) < 0 ||
	    store_open(dbpath, STORE_CREATE, &s, &err) < 0) {
		printf("Bail out! %s\n", err ? err : "mkstemp");
		return 1;
	}
	store_club_create(s, "acme", 1000, &club);
	store_member_add(s, club, "a@x.org", "A", "member", "each", 1000);
	store_member_add(s, club, "b@x.org", "B", "member", "digest", 1000);
	insert("<r@x>", NULL, "A@X.org", 2000);
	insert("<s@x>", "<r@x>", "b@x.org", 3000);

	ok(store_digest_load(s, club, 5000, &d) == 0, "load");
	ok(d.nmsgs == 2 && d.nthreads == 1 && d.nmembers == 2,
	   "two messages, one thread, two members");
	ok(d.msgs[1].parent_id == d.msgs[0].id &&
	       d.msgs[0].thread_id == d.threads[0].id &&
	       d.threads[0].root_id == d.msgs[0].id,
	   "parent, thread and root as threaded");
	is_str(d.msgs[0].from, "a@x.org", "From lower-cased");
	is_int(d.msgs[0].date, 2000, "dates in seconds");
	ok(d.states[0].sent == 0 && d.states[1].attempted == 0, "no issue yet");
	snprintf(key, sizeof(key), "%s", d.threads[0].key);
	store_digest_free(&d);
	ok(store_digest_load(s, club, 2500, &d) == 0 && d.nmsgs == 1,
	   "until: later messages are not read");
	store_digest_free(&d);

	/* the animator's controls */
	is_int(store_thread_control(s, club, key, "pin", 3, 4000), 0, "pin 3");
	is_int(store_thread_control(s, club, key, "close", 0, 4000), 0,
	       "close");
	is_int(store_thread_control(s, club, key, "mute", 0, 4000), 0, "mute");
	is_int(store_thread_control(s, club, key, "mark-answered", 0, 4000), 0,
	       "mark-answered");
	is_int(store_thread_control(s, club, key, "approve-debate", 0, 4000), 0,
	       "approve-debate");
	is_int(store_thread_control(s, club, "00000000", "close", 0, 4000),
	       STORE_NOTFOUND, "an unknown key: STORE_NOTFOUND");
	is_int(store_thread_control(s, club, key, "delete", 0, 4000), -1,
	       "an unknown action: -1");
	store_digest_load(s, club, 5000, &d);
	ok(d.threads[0].pin_issues == 3 && d.threads[0].pinned_at == 4000 &&
	       d.threads[0].closed && d.threads[0].muted &&
	       d.threads[0].answered && d.threads[0].debate_approved,
	   "every control stored");
	thread = d.threads[0].id;
	store_thread_control(s, club, key, "reopen", 0, 4000);
	store_digest_free(&d);
	store_digest_load(s, club, 5000, &d);
	ok(!d.threads[0].closed && d.threads[0].muted, "reopen undoes close");
	store_digest_free(&d);

	/* an issue sent with a shown item and a nudge, then a skip */
	store_digest_load(s, club, 5000, &d);
	store_begin(s);
	ok(store_digest_record(s, d.members[0].id, 6000, NULL, &thread, 1,
			       thread) == 0 &&
	       store_digest_record(s, d.members[0].id, 7000, "empty", &thread,
				   1, 0) == 0 &&
	       store_commit(s) == 0,
	   "two evaluations recorded");
	store_digest_free(&d);
	store_digest_load(s, club, 8000, &d);
	ok(d.states[0].sent == 6000 && d.states[0].attempted == 7000 &&
	       d.states[0].last_nudge_at == 6000,
	   "sent at 6000, attempted at 7000, nudged at 6000");
	ok(d.nshown == 1 && d.shown[0].count == 2 && d.nnudged == 1 &&
	       d.nudged[0].thread == thread,
	   "shown twice, nudged once");
	ok(d.states[1].sent == 0, "the other member untouched");
	store_digest_free(&d);
	ok(store_digest_stats(s, club, 5000, 8000, &st) == 0 &&
	       st.nudges_sent == 1 && st.suspended == 0,
	   "stats: one nudge in the period");
	ok(store_digest_stats(s, club, 6000, 8000, &st) == 0 &&
	       st.nudges_sent == 0,
	   "stats: the period is (since, until]");

	/* outcomes 14 days on: b, nudged at 6000, never wrote again */
	store_digest_load(s, club, 8000, &d);
	store_begin(s);
	store_digest_record(s, d.members[1].id, 6000, NULL, NULL, 0, thread);
	ok(store_digest_nudge_outcomes(s, club, 6000 + 13 * 86400,
				       14 * 86400) == 0 &&
	       store_commit(s) == 0,
	   "outcomes at 13 days");
	store_digest_free(&d);
	store_digest_load(s, club, 8000, &d);
	ok(d.states[0].ignored_nudges == 0 && d.states[1].ignored_nudges == 0,
	   "13 days: nothing decided yet");
	store_digest_free(&d);
	insert("<t@x>", "<s@x>", "a@x.org", 9000);
	store_begin(s);
	store_digest_nudge_outcomes(s, club, 6000 + 14 * 86400, 14 * 86400);
	store_commit(s);
	store_digest_load(s, club, 6000 + 14 * 86400, &d);
	ok(d.states[0].ignored_nudges == 0 && d.states[1].ignored_nudges == 1,
	   "14 days: a posted (0), b ignored it (1)");
	store_digest_free(&d);
	insert("<u@x>", "<s@x>", "b@x.org", 6000 + 20 * 86400);
	store_begin(s);
	store_digest_nudge_outcomes(s, club, 6000 + 21 * 86400, 14 * 86400);
	store_commit(s);
	store_digest_load(s, club, 6000 + 21 * 86400, &d);
	ok(d.states[1].ignored_nudges == 0, "b posts later: back to 0");
	store_digest_free(&d);
	store_close(&s);
	tap_unlink_db(dbpath);
	tap_done();
}
