/*
 * store_member - club members.
 */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "xalloc.h"

int
store_member_add(struct store *s, int64_t club, const char *address,
		 const char *name, const char *role, const char *delivery,
		 time_t joined)
{
	sqlite3_stmt *st = store_stmt(
	    s, "INSERT INTO members(club_id, address, name, role, delivery, "
	       "joined) VALUES (?, ?, ?, ?, ?, ?)");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, delivery, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, joined);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return STORE_EXISTS;
	return store_fail(s, "member add");
}

int
store_member_remove(struct store *s, int64_t club, const char *address,
		    time_t now, const char *how)
{
	sqlite3_stmt *dep = store_stmt(
	    s, "INSERT INTO departures(club_id, at, how) VALUES (?,?,?)");
	sqlite3_stmt *q = store_stmt(
	    s, "DELETE FROM queue WHERE member_id = (SELECT id FROM members "
	       "WHERE club_id = ? AND address = ?)");
	sqlite3_stmt *st = store_stmt(
	    s, "DELETE FROM members WHERE club_id = ? AND address = ?");

	if (q == NULL || st == NULL || dep == NULL)
		return -1;
	/* copies still queued for a member who left are not sent */
	sqlite3_bind_int64(q, 1, club);
	sqlite3_bind_text(q, 2, address, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		return store_fail(s, "member remove");
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "member remove");
	if (sqlite3_changes(s->db) == 0)
		return STORE_NOTFOUND;
	sqlite3_bind_int64(dep, 1, club);
	sqlite3_bind_int64(dep, 2, now);
	sqlite3_bind_text(dep, 3, how, -1, SQLITE_STATIC);
	if (sqlite3_step(dep) != SQLITE_DONE)
		return store_fail(s, "member remove");
	return 0;
}

int
store_member_unmoderate_posters(struct store *s, int64_t club)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE members SET moderated = 0 WHERE club_id = ?1 AND "
	       "moderated = 1 AND EXISTS (SELECT 1 FROM messages m WHERE "
	       "m.club_id = ?1 AND m.from_addr = members.address AND "
	       "m.thread_id IS NOT NULL)");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "unmoderate");
	return 0;
}

/* One statement per settable column: column names never come from input. */
static const struct {
	const char *key;
	const char *sql;
} member_setters[] = {
#define SETTER(col)                                                            \
	{                                                                      \
#col, "UPDATE members SET " #col                               \
		      " = ? WHERE club_id = ? AND address = ?"                 \
	}
    SETTER(name),      SETTER(role),	   SETTER(delivery), SETTER(highlights),
    SETTER(joined),    SETTER(tags),	   SETTER(company),  SETTER(featured),
    SETTER(paused),    SETTER(own_copy),   SETTER(profile),  SETTER(status),
    SETTER(moderated), SETTER(invited_by), SETTER(aliases),
#undef SETTER
};

int
store_member_set(struct store *s, int64_t club, const char *address,
		 const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;

	for (size_t i = 0;
	     i < sizeof(member_setters) / sizeof(member_setters[0]); i++)
		if (strcmp(member_setters[i].key, key) == 0)
			st = store_stmt(s, member_setters[i].sql);
	if (st == NULL)
		return -1;
	if (strcmp(key, "joined") == 0 || strcmp(key, "featured") == 0 ||
	    strcmp(key, "paused") == 0 || strcmp(key, "own_copy") == 0 ||
	    strcmp(key, "moderated") == 0)
		sqlite3_bind_int64(st, 1, strtoll(value, NULL, 10));
	else
		sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, club);
	sqlite3_bind_text(st, 3, address, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "member set");
	return sqlite3_changes(s->db) ? 0 : STORE_NOTFOUND;
}

#define MEMBER_COLS                                                            \
	"id, address, name, role, delivery, highlights, joined, tags, "        \
	"company, featured, paused, own_copy, status, moderated, "             \
	"bounce_score, aliases"

/* member_row - fill m from a row of MEMBER_COLS */
static void
member_row(sqlite3_stmt *st, void *elem)
{
	struct store_member *m = elem;

	m->id = sqlite3_column_int64(st, 0);
	m->address = store_text(st, 1);
	m->name = store_text(st, 2);
	m->role = store_text(st, 3);
	m->delivery = store_text(st, 4);
	m->highlights = store_text(st, 5);
	m->joined = sqlite3_column_int64(st, 6);
	m->tags = store_text(st, 7);
	m->company = store_text(st, 8);
	m->featured = sqlite3_column_int(st, 9);
	m->paused = sqlite3_column_int(st, 10);
	m->own_copy = sqlite3_column_int(st, 11);
	m->status = store_text(st, 12);
	m->moderated = sqlite3_column_int(st, 13);
	m->bounce_score = sqlite3_column_double(st, 14);
	m->aliases = store_text(st, 15);
}

/* member_one - step st, bound to name one member, into *m_r */
static int
member_one(struct store *s, sqlite3_stmt *st, struct store_member *m_r,
	   const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		member_row(st, m_r);
		return 0;
	}
	return rc == SQLITE_DONE ? STORE_NOTFOUND : store_fail(s, what);
}

int
store_member_get(struct store *s, int64_t club, const char *address,
		 struct store_member *m_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " MEMBER_COLS " FROM members "
					 "WHERE club_id = ? AND address = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	return member_one(s, st, m_r, "member get");
}

int
store_member_get_id(struct store *s, int64_t club, int64_t id,
		    struct store_member *m_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " MEMBER_COLS " FROM members "
					 "WHERE club_id = ? AND id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_int64(st, 2, id);
	return member_one(s, st, m_r, "member get id");
}

int
store_member_list(struct store *s, int64_t club,
		  struct store_member **members_r, size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " MEMBER_COLS " FROM members "
					 "WHERE club_id = ? ORDER BY address");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	if (store_rows(s, st, sizeof(**members_r), member_row,
		       (void **)members_r, n_r, "member list") < 0) {
		store_member_list_free(*members_r, *n_r);
		return -1;
	}
	return 0;
}

void
store_member_clear(struct store_member *m)
{
	free(m->address);
	free(m->name);
	free(m->role);
	free(m->delivery);
	free(m->highlights);
	free(m->tags);
	free(m->company);
	free(m->status);
	free(m->aliases);
	memset(m, 0, sizeof(*m));
}

void
store_member_list_free(struct store_member *members, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_member_clear(&members[i]);
	free(members);
}
