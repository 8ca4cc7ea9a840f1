/*
 * store_fanout - one row per accepted post instead of one per member.
 *
 * Intake writes a single row whatever the club's size: the message, its
 * club, the highest member id at commit (last_member), which pins "the
 * members at that moment": member ids are never reused (AUTOINCREMENT
 * since migration 4, before this table existed), so whoever joins later
 * has a higher id.  No join time is compared: a clock stepped back would
 * silently leave members out.  since (the arrival) is for listings.
 * The relay expands it lazily in member-id order and moves the cursor once the
 * copies below it have outcomes, so a sent copy costs no row at all;
 * only deferred copies become queue rows.  A crash resumes from the
 * cursor.
 */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "xalloc.h"

/* who gets a copy, evaluated when the relay reaches the member */
#define FANOUT_MEMBERS                                                         \
	"FROM members WHERE club_id = ?1 AND id > ?2 AND id <= ?3 "            \
	"AND status = 'active' AND paused = 0 AND delivery = 'each' "          \
	"AND (own_copy = 1 OR address != ifnull(?4, ''))"

int
store_fanout_add(struct store *s, int64_t club, int64_t msg, time_t now)
{
	sqlite3_stmt *st = store_stmt(
	    s, "INSERT INTO fanout(msg_id, club_id, last_member, since) "
	       "VALUES (?1, ?2, (SELECT ifnull(max(id), 0) FROM members), ?3)");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	sqlite3_bind_int64(st, 2, club);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "fan-out add");
	return 0;
}

#define FANOUT_COLS                                                            \
	"f.id, f.msg_id, f.club_id, f.last_member, f.since, f.cursor, "        \
	"c.name, m.message_id, m.role, m.from_addr FROM fanout f "             \
	"JOIN messages m ON m.id = f.msg_id JOIN clubs c ON c.id = f.club_id "

static void
fanout_row(sqlite3_stmt *st, void *elem)
{
	struct store_fanout *f = elem;

	f->id = sqlite3_column_int64(st, 0);
	f->msg_id = sqlite3_column_int64(st, 1);
	f->club_id = sqlite3_column_int64(st, 2);
	f->last_member = sqlite3_column_int64(st, 3);
	f->since = sqlite3_column_int64(st, 4);
	f->cursor = sqlite3_column_int64(st, 5);
	f->club = store_text(st, 6);
	f->message_id = store_text(st, 7);
	f->role = store_text(st, 8);
	f->author = store_text(st, 9);
}

static int
fanout_rows(struct store *s, sqlite3_stmt *st, struct store_fanout **f_r,
	    size_t *n_r, const char *what)
{
	int rc = store_rows(s, st, sizeof(**f_r), fanout_row, (void **)f_r, n_r,
			    what);

	sqlite3_reset(st); /* no snapshot pinned while the relay sends */
	if (rc < 0) {
		store_fanout_free(*f_r, *n_r);
		*f_r = NULL;
		*n_r = 0;
	}
	return rc;
}

int
store_fanout_load(struct store *s, int64_t after, size_t max,
		  struct store_fanout **f_r, size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT " FANOUT_COLS "WHERE f.id > ? ORDER BY f.id LIMIT ?");

	*f_r = NULL;
	*n_r = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	return fanout_rows(s, st, f_r, n_r, "fan-out load");
}

int
store_fanout_list(struct store *s, struct store_fanout **f_r, size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " FANOUT_COLS "ORDER BY f.id");

	*f_r = NULL;
	*n_r = 0;
	if (st == NULL || fanout_rows(s, st, f_r, n_r, "fan-out list") < 0)
		return -1;
	for (size_t i = 0; i < *n_r; i++)
		if (store_fanout_count(s, &(*f_r)[i], &(*f_r)[i].left) < 0)
			return -1;
	return 0;
}

/* bind_members - the parameters of FANOUT_MEMBERS */
static void
bind_members(sqlite3_stmt *st, const struct store_fanout *f, int64_t from)
{
	sqlite3_bind_int64(st, 1, f->club_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, f->last_member);
	sqlite3_bind_text(st, 4, f->author, -1, SQLITE_STATIC);
}

int
store_fanout_expand(struct store *s, const struct store_fanout *f, int64_t from,
		    size_t max, struct store_queue_item **items_r, size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, address " FANOUT_MEMBERS
					 " ORDER BY id LIMIT ?6");
	struct store_queue_item *v = NULL;
	size_t n = 0;
	int rc;

	*items_r = NULL;
	*n_r = 0;
	if (st == NULL)
		return -1;
	bind_members(st, f, from);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)max);
	v = xcalloc(max ? max : 1, sizeof(*v));
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_queue_item *it = &v[n++];

		it->msg_id = f->msg_id;
		it->member_id = sqlite3_column_int64(st, 0);
		it->recipient = store_text(st, 1);
		it->club_id = f->club_id;
		it->club = xstrdup(f->club);
		it->message_id = xstrdup(f->message_id);
		it->role = xstrdup(f->role);
	}
	if (n < max && rc != SQLITE_DONE) {
		store_fail(s, "fan-out expand");
		store_queue_items_free(v, n);
		return -1;
	}
	sqlite3_reset(st);
	*items_r = v;
	*n_r = n;
	return 0;
}

int
store_fanout_count(struct store *s, const struct store_fanout *f, int64_t *n_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT count(*) " FANOUT_MEMBERS);

	if (st == NULL)
		return -1;
	bind_members(st, f, f->cursor);
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_fail(s, "fan-out count");
	*n_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
store_fanout_advance(struct store *s, int64_t id, int64_t cursor)
{
	sqlite3_stmt *st =
	    store_stmt(s, "UPDATE fanout SET cursor = ? WHERE id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, cursor);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "fan-out advance");
	return 0;
}

int
store_fanout_done(struct store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM fanout WHERE id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "fan-out done");
	return 0;
}

void
store_fanout_free(struct store_fanout *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].club);
		free(f[i].message_id);
		free(f[i].role);
		free(f[i].author);
	}
	free(f);
}
