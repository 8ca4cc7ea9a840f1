/*
 * store_digest - what the digest selection reads (DIGEST.md), and the
 * little it writes when an issue is evaluated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "xalloc.h"

static void
dmsg_row(sqlite3_stmt *st, void *elem)
{
	struct store_dmsg *m = elem;

	m->id = sqlite3_column_int64(st, 0);
	m->thread_id = sqlite3_column_int64(st, 1);
	m->parent_id = sqlite3_column_int64(st, 2);
	m->date = (time_t)(sqlite3_column_int64(st, 3) / 1000);
	m->from = store_text(st, 4);
	m->subject = store_text(st, 5);
	m->text = store_text(st, 6);
	m->is_auto = sqlite3_column_int(st, 7);
}

static void
dthread_row(sqlite3_stmt *st, void *elem)
{
	struct store_dthread *t = elem;
	const unsigned char *key = sqlite3_column_text(st, 1);

	t->id = sqlite3_column_int64(st, 0);
	snprintf(t->key, sizeof(t->key), "%s", key ? (const char *)key : "");
	t->root_id = sqlite3_column_int64(st, 2);
	t->closed = sqlite3_column_int(st, 3);
	t->muted = sqlite3_column_int(st, 4);
	t->answered = sqlite3_column_int(st, 5);
	t->debate_approved = sqlite3_column_int(st, 6);
	t->pinned_at = sqlite3_column_int64(st, 7);
	t->pin_issues = sqlite3_column_int(st, 8);
}

static void
dpair_row(sqlite3_stmt *st, void *elem)
{
	struct store_dpair *p = elem;

	p->member = sqlite3_column_int64(st, 0);
	p->thread = sqlite3_column_int64(st, 1);
	p->count = sqlite3_column_int(st, 2);
}

/* load_states - each member's nudge and issue state, in members' order
   (both by address: a walk, not a search) */
static int
load_states(struct store *s, int64_t club, struct store_digest *d)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT m.id, coalesce(m.last_nudge_at, 0), m.ignored_nudges, "
	       "coalesce((SELECT max(attempted) FROM digests WHERE member_id "
	       "= m.id), 0), coalesce((SELECT max(sent) FROM digests WHERE "
	       "member_id = m.id), 0), coalesce(m.invite_footer_at, 0), "
	       "(SELECT count(*) FROM digests WHERE member_id = m.id AND "
	       "sent > coalesce(m.invite_footer_at, 0)), "
	       "coalesce(m.last_command_at, 0), coalesce(m.dormant_notice_at, "
	       "0) "
	       "FROM members m WHERE m.club_id = ? "
	       "ORDER BY m.address");
	size_t i = 0;
	int rc;

	if (st == NULL)
		return -1;
	d->states = xcalloc(d->nmembers ? d->nmembers : 1, sizeof(*d->states));
	sqlite3_bind_int64(st, 1, club);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		struct store_dstate *ds;

		/* same snapshot, same order: a mismatch is a member the list
		   did not see, skipped */
		while (i < d->nmembers && d->members[i].id != id)
			i++;
		if (i == d->nmembers)
			break;
		ds = &d->states[i++];
		ds->last_nudge_at = sqlite3_column_int64(st, 1);
		ds->ignored_nudges = sqlite3_column_int(st, 2);
		ds->attempted = sqlite3_column_int64(st, 3);
		ds->sent = sqlite3_column_int64(st, 4);
		ds->invite_at = sqlite3_column_int64(st, 5);
		ds->issues_since_invite = sqlite3_column_int(st, 6);
		ds->last_command_at = sqlite3_column_int64(st, 7);
		ds->dormant_notice_at = sqlite3_column_int64(st, 8);
	}
	return rc == SQLITE_DONE || rc == SQLITE_ROW
		   ? 0
		   : store_fail(s, "digest members");
}

static int
load_all(struct store *s, int64_t club, time_t until, struct store_digest *d)
{
	sqlite3_stmt *msgs = store_stmt(
	    s, "SELECT id, thread_id, coalesce(parent_id, 0), date, "
	       "lower(from_addr), subject, text, is_auto FROM messages WHERE "
	       "club_id = ? AND thread_id IS NOT NULL AND date <= ? * 1000 "
	       "ORDER BY date, id");
	sqlite3_stmt *threads = store_stmt(
	    s, "SELECT id, key, coalesce(root_id, 0), closed, muted, "
	       "answered, debate_approved, coalesce(pinned_at, 0), pin_issues "
	       "FROM threads WHERE club_id = ? ORDER BY id");
	sqlite3_stmt *nudged = store_stmt(
	    s, "SELECT n.member_id, n.thread_id, count(*) FROM nudge_log n "
	       "JOIN members m ON m.id = n.member_id WHERE m.club_id = ? "
	       "GROUP BY n.member_id, n.thread_id "
	       "ORDER BY n.member_id, n.thread_id");
	sqlite3_stmt *shown = store_stmt(
	    s, "SELECT w.member_id, w.thread_id, w.shows FROM digest_shows w "
	       "JOIN members m ON m.id = w.member_id WHERE m.club_id = ? "
	       "ORDER BY w.member_id, w.thread_id");

	sqlite3_stmt *mutes = store_stmt(
	    s, "SELECT u.member_id, u.thread_id, 1 FROM member_mutes u "
	       "JOIN members m ON m.id = u.member_id WHERE m.club_id = ? "
	       "ORDER BY u.member_id, u.thread_id");
	sqlite3_stmt *ignores = store_stmt(
	    s, "SELECT i.member_id, a.id, 1 FROM member_ignores i JOIN "
	       "members m ON m.id = i.member_id JOIN members a ON a.club_id "
	       "= m.club_id AND a.address = i.address WHERE m.club_id = ? "
	       "ORDER BY i.member_id, a.id");

	if (msgs == NULL || threads == NULL || nudged == NULL ||
	    shown == NULL || mutes == NULL || ignores == NULL)
		return -1;
	sqlite3_bind_int64(mutes, 1, club);
	sqlite3_bind_int64(ignores, 1, club);
	if (store_rows(s, mutes, sizeof(*d->mutes), dpair_row,
		       (void **)&d->mutes, &d->nmutes, "member mutes") < 0 ||
	    store_rows(s, ignores, sizeof(*d->ignores), dpair_row,
		       (void **)&d->ignores, &d->nignores,
		       "member ignores") < 0)
		return -1;
	sqlite3_bind_int64(msgs, 1, club);
	sqlite3_bind_int64(msgs, 2, until);
	sqlite3_bind_int64(threads, 1, club);
	sqlite3_bind_int64(nudged, 1, club);
	sqlite3_bind_int64(shown, 1, club);
	if (store_rows(s, msgs, sizeof(*d->msgs), dmsg_row, (void **)&d->msgs,
		       &d->nmsgs, "digest messages") < 0 ||
	    store_rows(s, threads, sizeof(*d->threads), dthread_row,
		       (void **)&d->threads, &d->nthreads,
		       "digest threads") < 0 ||
	    store_rows(s, nudged, sizeof(*d->nudged), dpair_row,
		       (void **)&d->nudged, &d->nnudged, "nudge log") < 0 ||
	    store_rows(s, shown, sizeof(*d->shown), dpair_row,
		       (void **)&d->shown, &d->nshown, "digest shows") < 0)
		return -1;
	if (store_member_list(s, club, &d->members, &d->nmembers) < 0)
		return -1;
	return load_states(s, club, d);
}

int
store_digest_load(struct store *s, int64_t club, time_t until,
		  struct store_digest *d)
{
	bool own = !store_in_transaction(s);
	int rc;

	memset(d, 0, sizeof(*d));
	if (own && store_read_begin(s) < 0)
		return -1;
	rc = load_all(s, club, until, d);
	if (own)
		store_rollback(s);
	if (rc < 0)
		store_digest_free(d);
	return rc;
}

void
store_digest_free(struct store_digest *d)
{
	for (size_t i = 0; i < d->nmsgs; i++) {
		free(d->msgs[i].from);
		free(d->msgs[i].subject);
		free(d->msgs[i].text);
	}
	free(d->msgs);
	free(d->threads);
	store_member_list_free(d->members, d->nmembers);
	free(d->states);
	free(d->nudged);
	free(d->shown);
	free(d->mutes);
	free(d->ignores);
	memset(d, 0, sizeof(*d));
}

int
store_digest_record(struct store *s, int64_t member, time_t now,
		    const char *skip_reason, const int64_t *shown,
		    size_t nshown, int64_t nudged)
{
	sqlite3_stmt *ins = store_stmt(
	    s, "INSERT INTO digests(member_id, attempted, sent, skip_reason) "
	       "VALUES (?1, ?2, CASE WHEN ?3 IS NULL THEN ?2 END, ?3)");
	sqlite3_stmt *show = store_stmt(
	    s, "INSERT INTO digest_shows(member_id, thread_id, shows) VALUES "
	       "(?, ?, 1) ON CONFLICT DO UPDATE SET shows = shows + 1");
	sqlite3_stmt *log = store_stmt(
	    s, "INSERT INTO nudge_log(member_id, thread_id, at) VALUES (?, ?, "
	       "?)");
	sqlite3_stmt *mem =
	    store_stmt(s, "UPDATE members SET last_nudge_at = ? WHERE id = ?");

	if (ins == NULL || show == NULL || log == NULL || mem == NULL)
		return -1;
	sqlite3_bind_int64(ins, 1, member);
	sqlite3_bind_int64(ins, 2, now);
	sqlite3_bind_text(ins, 3, skip_reason, -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		return store_fail(s, "digest record");
	for (size_t i = 0; i < nshown; i++) {
		sqlite3_reset(show);
		sqlite3_bind_int64(show, 1, member);
		sqlite3_bind_int64(show, 2, shown[i]);
		if (sqlite3_step(show) != SQLITE_DONE)
			return store_fail(s, "digest shows");
	}
	if (nudged == 0)
		return 0;
	sqlite3_bind_int64(log, 1, member);
	sqlite3_bind_int64(log, 2, nudged);
	sqlite3_bind_int64(log, 3, now);
	sqlite3_bind_int64(mem, 1, now);
	sqlite3_bind_int64(mem, 2, member);
	if (sqlite3_step(log) != SQLITE_DONE ||
	    sqlite3_step(mem) != SQLITE_DONE)
		return store_fail(s, "nudge log");
	return 0;
}

int
store_digest_stats(struct store *s, int64_t club, time_t since, time_t until,
		   struct store_digest_stats *out)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT (SELECT count(DISTINCT b.member_id) FROM bounces b "
	       "JOIN members m ON m.id = b.member_id WHERE m.club_id = ?1 AND "
	       "b.status = 'suspended' AND b.received > ?2 AND b.received <= "
	       "?3), (SELECT count(*) FROM nudge_log n JOIN members m ON m.id "
	       "= n.member_id WHERE m.club_id = ?1 AND n.at > ?2 AND n.at <= "
	       "?3), (SELECT count(*) FROM departures WHERE club_id = ?1 AND "
	       "at > ?2 AND at <= ?3)");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, until);
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_fail(s, "digest stats");
	out->suspended = sqlite3_column_int64(st, 0);
	out->nudges_sent = sqlite3_column_int64(st, 1);
	out->left = sqlite3_column_int64(st, 2);
	store_release(s);
	return 0;
}

/* POSTED - member u wrote a counted message in (from, to] (seconds) */
#define POSTED(u, from, to)                                                    \
	"EXISTS (SELECT 1 FROM messages m WHERE m.club_id = " u ".club_id "    \
	"AND lower(m.from_addr) = " u ".address AND m.thread_id IS NOT NULL "  \
	"AND m.is_auto = 0 AND m.date > (" from ") * 1000 AND m.date <= (" to  \
	") * 1000)"

int
store_digest_nudge_outcomes(struct store *s, int64_t club, time_t now,
			    time_t success_s)
{
	/* ?1 now, ?2 success_s, ?3 club */
	sqlite3_stmt *ignored = store_stmt(
	    s, "UPDATE members SET ignored_nudges = ignored_nudges + (SELECT "
	       "count(*) FROM nudge_log n WHERE n.member_id = members.id AND "
	       "n.outcome IS NULL AND n.at <= ?1 - ?2 AND NOT " POSTED(
		   "members", "n.at",
		   "n.at + ?2") ") WHERE club_id = ?3 AND "
				"EXISTS (SELECT 1 FROM nudge_log n WHERE "
				"n.member_id = "
				"members.id AND n.outcome IS NULL AND n.at <= "
				"?1 - ?2)");
	sqlite3_stmt *back = store_stmt(
	    s, "UPDATE members SET ignored_nudges = 0 WHERE club_id = ?3 AND "
	       "ignored_nudges > 0 AND last_nudge_at IS NOT NULL AND " POSTED(
		   "members", "members.last_nudge_at", "?1"));
	sqlite3_stmt *mark = store_stmt(
	    s, "UPDATE nudge_log SET outcome = CASE WHEN EXISTS (SELECT 1 FROM "
	       "members u WHERE u.id = nudge_log.member_id AND " POSTED(
		   "u", "nudge_log.at",
		   "nudge_log.at + ?2") ") THEN 'posted' "
					"ELSE 'ignored' END WHERE outcome IS "
					"NULL AND at <= ?1 - ?2 AND "
					"member_id IN (SELECT id FROM members "
					"WHERE club_id = ?3)");
	sqlite3_stmt *v[] = {ignored, back, mark};

	for (size_t i = 0; i < 3; i++) {
		if (v[i] == NULL)
			return -1;
		sqlite3_bind_int64(v[i], 1, now);
		sqlite3_bind_int64(v[i], 2, success_s);
		sqlite3_bind_int64(v[i], 3, club);
		if (sqlite3_step(v[i]) != SQLITE_DONE)
			return store_fail(s, "nudge outcomes");
	}
	return 0;
}

int
store_digest_unpin(struct store *s, int64_t thread)
{
	sqlite3_stmt *st =
	    store_stmt(s, "UPDATE threads SET pin_issues = pin_issues - 1 "
			  "WHERE id = ? AND pin_issues > 0");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, thread);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "digest pin");
	return 0;
}

int
store_digest_slot(struct store *s, int64_t club, const char *kind,
		  time_t *slot_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT slot FROM digest_slots WHERE club_id = ? AND kind = ?");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	*slot_r = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*slot_r = (time_t)sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		return store_fail(s, "digest slot");
	store_release(s);
	return 0;
}

int
store_digest_slot_set(struct store *s, int64_t club, const char *kind,
		      time_t slot)
{
	sqlite3_stmt *st = store_stmt(
	    s, "INSERT INTO digest_slots(club_id, kind, slot) VALUES (?, ?, ?) "
	       "ON CONFLICT DO UPDATE SET slot = excluded.slot");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, slot);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "digest slot");
	return 0;
}

int
store_newcomer_alert(struct store *s, int64_t msg, time_t now)
{
	sqlite3_stmt *st = store_stmt(
	    s, "INSERT INTO newcomer_alerts(message_id, at) VALUES (?, ?) "
	       "ON CONFLICT DO NOTHING");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "newcomer alert");
	return sqlite3_changes(s->db) > 0;
}

/* member_run - a member preference statement, ?1 already bound: ?2
   the club, ?3 the member's address */
static int
member_run(struct store *s, sqlite3_stmt *st, int64_t club, const char *address,
	   const char *what)
{
	sqlite3_bind_int64(st, 2, club);
	sqlite3_bind_text(st, 3, address, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, what);
	return 0;
}

int
store_member_mute(struct store *s, int64_t club, const char *address,
		  const char *key, bool on)
{
	sqlite3_stmt *st = store_stmt(
	    s, on ? "INSERT OR IGNORE INTO member_mutes(member_id, thread_id) "
		    "SELECT id, ?1 FROM members WHERE club_id = ?2 AND "
		    "address = ?3"
		  : "DELETE FROM member_mutes WHERE thread_id = ?1 AND "
		    "member_id = (SELECT id FROM members WHERE club_id = ?2 "
		    "AND address = ?3)");
	int64_t thread;
	int rc;

	if (st == NULL)
		return -1;
	if ((rc = store_thread_find(s, club, key, &thread)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, thread);
	return member_run(s, st, club, address, "member mute");
}

int
store_member_ignore(struct store *s, int64_t club, const char *address,
		    const char *author, bool on)
{
	sqlite3_stmt *st = store_stmt(
	    s, on ? "INSERT OR IGNORE INTO member_ignores(member_id, address) "
		    "SELECT id, ?1 FROM members WHERE club_id = ?2 AND "
		    "address = ?3"
		  : "DELETE FROM member_ignores WHERE address = ?1 AND "
		    "member_id = (SELECT id FROM members WHERE club_id = ?2 "
		    "AND address = ?3)");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, author, -1, SQLITE_STATIC);
	return member_run(s, st, club, address, "member ignore");
}

int
store_member_touch(struct store *s, int64_t club, const char *address,
		   time_t now)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE members SET last_command_at = ?1 WHERE club_id = ?2 "
	       "AND address = ?3");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	return member_run(s, st, club, address, "member touch");
}

/* stamp - one of the fixed statements below, ?1 now, ?2 the member */
static int
stamp(struct store *s, const char *sql, int64_t member, time_t now,
      const char *what)
{
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, member);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, what);
	return 0;
}

int
store_digest_invite_shown(struct store *s, int64_t member, time_t now)
{
	return stamp(s,
		     "UPDATE members SET invite_footer_at = ?1 WHERE id = ?2",
		     member, now, "invite footer");
}

int
store_digest_dormant_noticed(struct store *s, int64_t member, time_t now)
{
	return stamp(s,
		     "UPDATE members SET dormant_notice_at = ?1 WHERE id = ?2",
		     member, now, "dormant notice");
}
