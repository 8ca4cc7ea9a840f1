/*
 * store_club - clubs and their settings rows.
 */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "xalloc.h"

/* step_done - run a write statement; map constraint errors */
static int
step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		store_fail(s, what);
		return STORE_EXISTS;
	}
	return store_fail(s, what);
}

int
store_club_create(struct store *s, const char *name, time_t now, int64_t *id_r)
{
	sqlite3_stmt *st =
	    store_stmt(s, "INSERT INTO clubs(name, created) VALUES (?, ?)");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = step_done(s, st, "club create")) != 0)
		return rc;
	if (id_r)
		*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_club_find(struct store *s, const char *name, int64_t *id_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id FROM clubs WHERE name = ?");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(st, 0);
		return 0;
	}
	return rc == SQLITE_DONE ? STORE_NOTFOUND : store_fail(s, "club find");
}

int
store_club_delete(struct store *s, const char *name)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM clubs WHERE name = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "club delete");
	return sqlite3_changes(s->db) ? 0 : STORE_NOTFOUND;
}

static void
club_row(sqlite3_stmt *st, void *elem)
{
	struct store_club *c = elem;

	c->id = sqlite3_column_int64(st, 0);
	c->name = store_text(st, 1);
	c->created = sqlite3_column_int64(st, 2);
}

int
store_club_list(struct store *s, struct store_club **clubs_r, size_t *n_r)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT id, name, created FROM clubs ORDER BY name");

	if (st == NULL)
		return -1;
	if (store_rows(s, st, sizeof(**clubs_r), club_row, (void **)clubs_r,
		       n_r, "club list") < 0) {
		store_club_list_free(*clubs_r, *n_r);
		return -1;
	}
	return 0;
}

void
store_club_list_free(struct store_club *clubs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(clubs[i].name);
	free(clubs);
}

int
store_club_get(struct store *s, int64_t club, const char *key, char **value_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT value FROM club_settings WHERE club_id = ? AND key = ?");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value_r = store_text(st, 0);
		return 0;
	}
	return rc == SQLITE_DONE ? STORE_NOTFOUND : store_fail(s, "club get");
}

int
store_club_put(struct store *s, int64_t club, const char *key,
	       const char *value)
{
	sqlite3_stmt *st = store_stmt(
	    s,
	    "INSERT INTO club_settings(club_id, key, value) VALUES (?,?,?) "
	    "ON CONFLICT(club_id, key) DO UPDATE SET value = excluded.value");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	return step_done(s, st, "club set");
}
