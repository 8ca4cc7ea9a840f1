/*
 * store_control - pending confirmations and the daily count of automatic
 * replies (control by mail, SPEC.md 4 and 6).
 *
 * A pending row is what answering an unauthenticated request needs: the
 * address that asked, what it asked, and until when.  Confirmation
 * tokens name a row by id (AUTOINCREMENT: never reused) and their MAC
 * covers its address.  Rows go 30 days after they expire (store_purge),
 * so a late click still hears "expired" and a flood stays bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

int
store_pending_add(struct store *s, const struct store_pending *p, int64_t *id_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "INSERT INTO pending (club_id, address, kind, commands, "
	       "invited_by, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, p->club);
	sqlite3_bind_text(st, 2, p->address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->commands, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, p->invited_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, p->created);
	sqlite3_bind_int64(st, 7, p->expires);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "pending add");
	*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_pending_get(struct store *s, int64_t id, struct store_pending *p_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT id, club_id, address, kind, commands, invited_by, "
	       "created, expires, used FROM pending WHERE id = ?");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (rc != SQLITE_ROW)
		return store_fail(s, "pending get");
	memset(p_r, 0, sizeof(*p_r));
	p_r->id = sqlite3_column_int64(st, 0);
	p_r->club = sqlite3_column_int64(st, 1);
	p_r->address = store_text(st, 2);
	p_r->kind = store_text(st, 3);
	p_r->commands = store_text(st, 4);
	p_r->invited_by = store_text(st, 5);
	p_r->created = sqlite3_column_int64(st, 6);
	p_r->expires = sqlite3_column_int64(st, 7);
	p_r->used = sqlite3_column_int64(st, 8);
	return 0;
}

void
store_pending_clear(struct store_pending *p)
{
	free((char *)p->address);
	free((char *)p->kind);
	free((char *)p->commands);
	free((char *)p->invited_by);
	memset(p, 0, sizeof(*p));
}

int
store_pending_use(struct store *s, int64_t id, time_t now)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE pending SET used = ? WHERE id = ? AND used IS NULL");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "pending use");
	return sqlite3_changes(s->db) ? 0 : STORE_EXISTS;
}

int
store_pending_recent(struct store *s, int64_t club, const char *address,
		     const char *kind, time_t since)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT 1 FROM pending WHERE address = ? AND created >= ? AND "
	       "club_id = ? AND kind = ? LIMIT 1");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, club);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : store_fail(s, "pending recent");
}

int
store_reply_count(struct store *s, const char *address, time_t day, int max)
{
	sqlite3_stmt *get = store_stmt(
	    s, "SELECT n FROM auto_replies WHERE address = ? AND day = ?");
	sqlite3_stmt *put = store_stmt(
	    s, "INSERT INTO auto_replies (address, day, n) VALUES (?1, ?2, 1) "
	       "ON CONFLICT (address, day) DO UPDATE SET n = n + 1");
	int rc, n = 0;

	if (get == NULL || put == NULL)
		return -1;
	sqlite3_bind_text(get, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(get, 2, day);
	rc = sqlite3_step(get);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(get, 0);
	else if (rc != SQLITE_DONE)
		return store_fail(s, "reply count");
	sqlite3_reset(get);
	if (n >= max)
		return 0;
	sqlite3_bind_text(put, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(put, 2, day);
	if (sqlite3_step(put) != SQLITE_DONE)
		return store_fail(s, "reply count");
	return 1;
}
