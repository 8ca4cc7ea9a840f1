/*
 * store_held - posts waiting for an animator (SPEC.md 7, section 6).
 *
 * A held post is a messages row with status 'held', its reasons in
 * `reasons`, and no thread: it joins its thread only when approved, so
 * listings and digests never show what the club has not seen.
 */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "xalloc.h"

#define HELD_COLS                                                              \
	"m.id, m.club_id, c.name, m.from_addr, m.subject, "                    \
	"ifnull(m.reasons, '[]'), m.status, m.received, m.decided, "           \
	"m.decided_by"

static void
held_row(sqlite3_stmt *st, void *elem)
{
	struct store_held *h = elem;

	h->id = sqlite3_column_int64(st, 0);
	h->club_id = sqlite3_column_int64(st, 1);
	h->club = store_text(st, 2);
	h->from = store_text(st, 3);
	h->subject = store_text(st, 4);
	h->reasons = store_text(st, 5);
	h->status = store_text(st, 6);
	h->received = sqlite3_column_int64(st, 7);
	h->decided = sqlite3_column_int64(st, 8);
	h->decided_by = store_text(st, 9);
}

int
store_held_list(struct store *s, int64_t club, struct store_held **h_r,
		size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT " HELD_COLS " FROM messages m JOIN clubs c ON "
	       "c.id = m.club_id WHERE m.status = 'held' AND "
	       "(?1 = 0 OR m.club_id = ?1) ORDER BY m.id");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	if (store_rows(s, st, sizeof(**h_r), held_row, (void **)h_r, n_r,
		       "held list") < 0) {
		store_held_list_free(*h_r, *n_r);
		return -1;
	}
	return 0;
}

int
store_held_get(struct store *s, int64_t id, struct store_held *h_r)
{
	/* reasons are set only on posts that went through moderation */
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT " HELD_COLS " FROM messages m JOIN clubs c ON "
	       "c.id = m.club_id WHERE m.id = ? AND m.reasons IS NOT NULL "
	       "AND m.status IN ('held', 'accepted', 'rejected', 'expired')");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		held_row(st, h_r);
		sqlite3_reset(st);
		return 0;
	}
	return rc == SQLITE_DONE ? STORE_NOTFOUND : store_fail(s, "held get");
}

/* fanout_size - how many copies the fan-out of msg will make now */
static int
fanout_size(struct store *s, int64_t club, int64_t msg, const char *author,
	    time_t now, int64_t *n_r)
{
	struct store_fanout f;
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT ifnull(max(id), 0) FROM members");

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_fail(s, "fan-out size");
	memset(&f, 0, sizeof(f));
	f.msg_id = msg;
	f.club_id = club;
	f.last_member = sqlite3_column_int64(st, 0);
	f.since = now;
	f.author = (char *)author;
	sqlite3_reset(st);
	return store_fanout_count(s, &f, n_r);
}

int
store_held_approve(struct store *s, int64_t id, const char *who, time_t now,
		   int64_t *n_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE members SET moderated = 0 WHERE club_id = "
	       "(SELECT club_id FROM messages WHERE id = ?1) AND address = "
	       "(SELECT from_addr FROM messages WHERE id = ?1)");
	sqlite3_stmt *by = store_stmt(
	    s, "UPDATE messages SET decided = ?, decided_by = ? WHERE id = ?");
	struct store_held h;
	int rc;

	if ((rc = store_held_get(s, id, &h)) != 0)
		return rc;
	if (strcmp(h.status, "held") != 0) {
		store_held_clear(&h);
		return STORE_NOTFOUND;
	}
	rc = -1;
	if (st == NULL || by == NULL || store_msg_thread_later(s, id) != 0 ||
	    store_msg_status(s, id, "accepted", NULL) != 0 ||
	    store_fanout_add(s, h.club_id, id, now) < 0 ||
	    fanout_size(s, h.club_id, id, h.from, now, n_r) < 0)
		goto out;
	/* SPEC 6: approving a newcomer's first post unmoderates them */
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_fail(s, "unmoderate");
		goto out;
	}
	sqlite3_bind_int64(by, 1, now);
	sqlite3_bind_text(by, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(by, 3, id);
	if (sqlite3_step(by) != SQLITE_DONE) {
		store_fail(s, "decided by");
		goto out;
	}
	rc = 0;
out:
	store_held_clear(&h);
	return rc;
}

/* held_end - a held post's fate other than approval (status
   'rejected' or 'expired'), decided by who at when */
static int
held_end(struct store *s, int64_t id, const char *status, const char *reasons,
	 const char *who, time_t when)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE messages SET status = ?, decided = ?, decided_by = ?, "
	       "reasons = ifnull(?, reasons) WHERE id = ? AND status = 'held'");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, when);
	sqlite3_bind_text(st, 3, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reasons, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "held decision");
	return sqlite3_changes(s->db) ? 0 : STORE_NOTFOUND;
}

int
store_held_reject(struct store *s, int64_t id, const char *reasons,
		  const char *who, time_t now)
{
	return held_end(s, id, "rejected", reasons, who, now);
}

int
store_held_expiring(struct store *s, time_t before, size_t max,
		    struct store_held **h_r, size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT " HELD_COLS " FROM messages m JOIN clubs c ON "
	       "c.id = m.club_id WHERE m.status = 'held' AND m.received < ? "
	       "ORDER BY m.id LIMIT ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	if (store_rows(s, st, sizeof(**h_r), held_row, (void **)h_r, n_r,
		       "held expiring") < 0) {
		store_held_list_free(*h_r, *n_r);
		return -1;
	}
	return 0;
}

int
store_held_expire(struct store *s, int64_t id, time_t when)
{
	/* decided at the instant it expired, even when the daemon was not
	   running then: retention counts from there */
	return held_end(s, id, "expired", NULL, NULL, when);
}

void
store_held_clear(struct store_held *h)
{
	free(h->club);
	free(h->from);
	free(h->subject);
	free(h->reasons);
	free(h->status);
	free(h->decided_by);
	memset(h, 0, sizeof(*h));
}

void
store_held_list_free(struct store_held *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_held_clear(&h[i]);
	free(h);
}
