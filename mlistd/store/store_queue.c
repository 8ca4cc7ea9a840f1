/*
 * store_queue - the delivery queue: one row per (message, recipient).
 *
 * Rows are notices, and copies of a post taken out of its fan-out
 * (store_fanout.c) because they were deferred, or left unsent by a stop.
 * The relay worker claims due rows (status 'sending'), and reports each
 * outcome: a sent or bounced copy's row is deleted (the outcome is in the
 * log, a bounce in the bounces table), a deferred one gets its next
 * attempt.  Rows left
 * 'sending' by a stop or crash go back to 'pending' at start, so a copy
 * is sent again only if mlistd died between the relay's reply and the
 * row's update.
 */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "xalloc.h"

int
store_queue_requeue(struct store *s, const struct store_queue_item *it,
		    int attempts, time_t first_try, time_t next,
		    const char *error, bool ours)
{
	/* a member who left meanwhile gets nothing (their queued copies
	   are dropped too), nor does a message that is gone */
	sqlite3_stmt *st = store_stmt(
	    s,
	    "INSERT INTO queue(msg_id, member_id, recipient, attempts, "
	    "first_try, next_attempt, last_error, side, refused) SELECT ?1, "
	    "?2, ?3, ?4, nullif(?5, 0), ?6, ?7, iif(?4 = 0, NULL, iif(?8, "
	    "'relay', 'recipient')), ?4 > 0 AND NOT ?8 WHERE EXISTS (SELECT "
	    "1 FROM members "
	    "WHERE id = ?2) AND EXISTS (SELECT 1 FROM messages WHERE id = ?1)");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, it->msg_id);
	sqlite3_bind_int64(st, 2, it->member_id);
	sqlite3_bind_text(st, 3, it->recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, attempts);
	sqlite3_bind_int64(st, 5, first_try);
	sqlite3_bind_int64(st, 6, next);
	sqlite3_bind_text(st, 7, error, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, ours);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "queue requeue");
	return 0;
}

int
store_queue_add(struct store *s, int64_t msg, int64_t member,
		const char *recipient, time_t now)
{
	sqlite3_stmt *st = store_stmt(
	    s, "INSERT INTO queue(msg_id, member_id, recipient, next_attempt) "
	       "VALUES (?, ?, ?, ?)");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	if (member > 0)
		sqlite3_bind_int64(st, 2, member);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "queue add");
	return 0;
}

int
store_queue_reset(struct store *s)
{
	return store_exec(s, "UPDATE queue SET status = 'pending' "
			     "WHERE status = 'sending'");
}

#define QUEUE_COLS                                                             \
	"q.id, q.msg_id, ifnull(q.member_id, 0), q.recipient, q.attempts, "    \
	"ifnull(q.first_try, 0), q.next_attempt, q.last_error, m.club_id, "    \
	"c.name, m.message_id, m.role, q.side, q.refused"

static void
item_row(sqlite3_stmt *st, void *elem)
{
	struct store_queue_item *it = elem;

	it->id = sqlite3_column_int64(st, 0);
	it->msg_id = sqlite3_column_int64(st, 1);
	it->member_id = sqlite3_column_int64(st, 2);
	it->recipient = store_text(st, 3);
	it->attempts = sqlite3_column_int(st, 4);
	it->first_try = sqlite3_column_int64(st, 5);
	it->next_attempt = sqlite3_column_int64(st, 6);
	it->last_error = store_text(st, 7);
	it->club_id = sqlite3_column_int64(st, 8);
	it->club = store_text(st, 9);
	it->message_id = store_text(st, 10);
	it->role = store_text(st, 11);
	it->side = store_text(st, 12);
	it->refused = sqlite3_column_int(st, 13) != 0;
}

/* collect - every row of st into a new array */
static int
collect(struct store *s, sqlite3_stmt *st, struct store_queue_item **items_r,
	size_t *n_r, const char *what)
{
	if (store_rows(s, st, sizeof(**items_r), item_row, (void **)items_r,
		       n_r, what) < 0) {
		store_queue_items_free(*items_r, *n_r);
		*items_r = NULL;
		*n_r = 0;
		return -1;
	}
	return 0;
}

int
store_queue_due(struct store *s, time_t now)
{
	sqlite3_stmt *due =
	    store_stmt(s, "SELECT 1 FROM queue WHERE status = 'pending' AND "
			  "next_attempt <= ? LIMIT 1");
	int rc;

	if (due == NULL)
		return -1;
	sqlite3_bind_int64(due, 1, now);
	rc = sqlite3_step(due);
	sqlite3_reset(due);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_ROW ? 1 : store_fail(s, "queue due");
}

int
store_queue_claim(struct store *s, time_t now, size_t max,
		  struct store_queue_item **items_r, size_t *n_r)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT " QUEUE_COLS " FROM queue q "
			  "JOIN messages m ON m.id = q.msg_id "
			  "JOIN clubs c ON c.id = m.club_id "
			  "WHERE q.status = 'pending' AND q.next_attempt <= ?1 "
			  "ORDER BY q.next_attempt, q.id LIMIT ?2");
	sqlite3_stmt *up =
	    store_stmt(s, "UPDATE queue SET status = 'sending' WHERE id = ?");

	*items_r = NULL;
	*n_r = 0;
	if (st == NULL || up == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	if (collect(s, st, items_r, n_r, "queue claim") < 0)
		goto fail;
	for (size_t i = 0; i < *n_r; i++) {
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, (*items_r)[i].id);
		if (sqlite3_step(up) != SQLITE_DONE) {
			store_fail(s, "queue claim");
			goto fail;
		}
	}
	return 0;
fail:
	store_queue_items_free(*items_r, *n_r);
	*items_r = NULL;
	*n_r = 0;
	return -1;
}

int
store_queue_done(struct store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM queue WHERE id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "queue done");
	return 0;
}

int
store_queue_defer(struct store *s, int64_t id, int attempts, time_t first_try,
		  time_t next, const char *error, bool ours)
{
	sqlite3_stmt *st =
	    store_stmt(s, "UPDATE queue SET status = 'pending', attempts = ?, "
			  "first_try = ?, next_attempt = ?, last_error = ?, "
			  "side = iif(?6, 'relay', 'recipient'), "
			  "refused = refused OR NOT ?6 WHERE id = ?5");

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, attempts);
	sqlite3_bind_int64(st, 2, first_try);
	sqlite3_bind_int64(st, 3, next);
	sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, id);
	sqlite3_bind_int(st, 6, ours);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "queue defer");
	return 0;
}

int
store_queue_list(struct store *s, struct store_queue_item **items_r,
		 size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " QUEUE_COLS " FROM queue q "
					 "JOIN messages m ON m.id = q.msg_id "
					 "JOIN clubs c ON c.id = m.club_id "
					 "ORDER BY q.next_attempt, q.id");

	if (st == NULL)
		return -1;
	return collect(s, st, items_r, n_r, "queue list");
}

int
store_queue_retry_now(struct store *s, time_t now, int64_t *n_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE queue SET next_attempt = ? WHERE status = 'pending' "
	       "AND next_attempt > ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "queue retry");
	*n_r = sqlite3_changes(s->db);
	return 0;
}

int
store_queue_pending(struct store *s, int64_t *n_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT count(*) FROM queue");

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_fail(s, "queue count");
	*n_r = sqlite3_column_int64(st, 0);
	return 0;
}

void
store_queue_item_clear(struct store_queue_item *it)
{
	free(it->recipient);
	free(it->last_error);
	free(it->club);
	free(it->message_id);
	free(it->role);
	free(it->side);
	memset(it, 0, sizeof(*it));
}

void
store_queue_items_free(struct store_queue_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_queue_item_clear(&items[i]);
	free(items);
}

int
store_relay_status_set(struct store *s, const struct store_relay_status *rs)
{
	sqlite3_stmt *st = store_stmt(
	    s, "INSERT OR REPLACE INTO relay_status(id, relay, ok, cause, "
	       "since, checked) VALUES (1, ?, ?, ?, ?, ?)");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, rs->relay, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, rs->ok);
	sqlite3_bind_text(st, 3, rs->cause, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, rs->since);
	sqlite3_bind_int64(st, 5, rs->checked);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "relay status");
	return 0;
}

int
store_relay_status_get(struct store *s, struct store_relay_status *rs)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT relay, ok, cause, since, "
					 "checked FROM relay_status");

	memset(rs, 0, sizeof(*rs));
	if (st == NULL)
		return -1;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		rs->relay = store_text(st, 0);
		rs->ok = sqlite3_column_int(st, 1) != 0;
		rs->cause = store_text(st, 2);
		rs->since = sqlite3_column_int64(st, 3);
		rs->checked = sqlite3_column_int64(st, 4);
		sqlite3_reset(st);
		return 0;
	case SQLITE_DONE:
		return STORE_NOTFOUND;
	default:
		return store_fail(s, "relay status");
	}
}

void
store_relay_status_clear(struct store_relay_status *rs)
{
	free(rs->relay);
	free(rs->cause);
	memset(rs, 0, sizeof(*rs));
}

int
store_msg_raw(struct store *s, int64_t msg, char **raw_r, size_t *len_r)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT raw FROM messages WHERE id = ?");
	size_t n;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		n = (size_t)sqlite3_column_bytes(st, 0);
		*raw_r = xmalloc(n + 1);
		memcpy(*raw_r, sqlite3_column_blob(st, 0), n);
		(*raw_r)[n] = '\0';
		*len_r = n;
		sqlite3_reset(st);
		return 0;
	case SQLITE_DONE:
		return STORE_NOTFOUND;
	default:
		return store_fail(s, "message raw");
	}
}
