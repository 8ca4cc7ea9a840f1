/*
 * store_bounce - members' bounce state and the bounces log (SPEC.md 8).
 * The arithmetic is bounce_score.c's; this file only reads and writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "xalloc.h"

int
store_bounce_get(struct store *s, int64_t member, struct store_bounce_state *b)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT m.bounce_score, ifnull(m.bounce_day, -1), "
	       "m.bounce_hard, ifnull(m.bounce_last, 0), m.status, m.club_id, "
	       "m.address, m.probes, m.joined, c.name FROM members m "
	       "JOIN clubs c ON c.id = m.club_id WHERE m.id = ?");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, member);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? STORE_NOTFOUND
					 : store_fail(s, "bounce state");
	b->score = sqlite3_column_double(st, 0);
	b->day = (long)sqlite3_column_int64(st, 1);
	b->hard = sqlite3_column_int(st, 2);
	b->last = sqlite3_column_int64(st, 3);
	snprintf(b->status, sizeof(b->status), "%s",
		 (const char *)sqlite3_column_text(st, 4));
	b->club = sqlite3_column_int64(st, 5);
	b->address = store_text(st, 6);
	b->probes = sqlite3_column_int(st, 7);
	b->joined = sqlite3_column_int64(st, 8);
	b->club_name = store_text(st, 9);
	sqlite3_reset(st);
	return 0;
}

void
store_bounce_state_clear(struct store_bounce_state *b)
{
	free(b->address);
	free(b->club_name);
	memset(b, 0, sizeof(*b));
}

int
store_bounce_put(struct store *s, int64_t member,
		 const struct store_bounce_state *b, const char *status)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE members SET bounce_score = ?, bounce_day = ?, "
	       "bounce_hard = ?, bounce_last = ?, status = ?, "
	       "probes = CASE WHEN ?5 = status THEN probes ELSE 0 END, "
	       "probe_last = CASE WHEN ?5 = status THEN probe_last END "
	       "WHERE id = ?6");

	if (st == NULL)
		return -1;
	sqlite3_bind_double(st, 1, b->score);
	if (b->day >= 0)
		sqlite3_bind_int64(st, 2, b->day);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int(st, 3, b->hard);
	if (b->last > 0)
		sqlite3_bind_int64(st, 4, b->last);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, member);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "bounce put");
	return 0;
}

int
store_bounce_log(struct store *s, int64_t member, int64_t msg, time_t now,
		 const char *kind, bool counted, const char *status,
		 const char *diagnostic)
{
	sqlite3_stmt *st = store_stmt(
	    s, "INSERT INTO bounces(member_id, msg_id, received, kind, "
	       "counted, status, diagnostic) VALUES (?, ?, ?, ?, ?, ?, ?)");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, member);
	if (msg > 0)
		sqlite3_bind_int64(st, 2, msg);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, counted);
	sqlite3_bind_text(st, 6, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, diagnostic, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "bounce log");
	return 0;
}

static void
probe_row(sqlite3_stmt *st, void *elem)
{
	struct store_probe *p = elem;

	p->member = sqlite3_column_int64(st, 0);
	p->club = sqlite3_column_int64(st, 1);
	p->club_name = store_text(st, 2);
	p->address = store_text(st, 3);
	p->name = store_text(st, 4);
	p->probes = sqlite3_column_int(st, 5);
	p->bounce_last = sqlite3_column_int64(st, 6);
}

int
store_bounce_probes_due(struct store *s, time_t before,
			struct store_probe **p_r, size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT m.id, m.club_id, c.name, m.address, m.name, m.probes, "
	       "ifnull(m.bounce_last, 0) FROM members m JOIN clubs c ON "
	       "c.id = m.club_id WHERE m.status = 'suspended' AND "
	       "ifnull(m.probe_last, 0) <= ? ORDER BY m.id LIMIT 1000");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	if (store_rows(s, st, sizeof(**p_r), probe_row, (void **)p_r, n_r,
		       "probes due") < 0) {
		store_probes_free(*p_r, *n_r);
		return -1;
	}
	return 0;
}

int
store_bounce_probed(struct store *s, int64_t member, time_t now)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE members SET probes = probes + 1, probe_last = ? "
	       "WHERE id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, member);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "probed");
	return 0;
}

int
store_bounce_resume(struct store *s, int64_t club, int64_t member)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE members SET status = 'active', bounce_score = 0, "
	       "bounce_day = NULL, bounce_hard = 0, probes = 0, "
	       "probe_last = NULL WHERE id = ? AND club_id = ? AND "
	       "status = 'suspended'");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, member);
	sqlite3_bind_int64(st, 2, club);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "resume");
	return sqlite3_changes(s->db) ? 0 : STORE_NOTFOUND;
}

int
store_member_delete_id(struct store *s, int64_t member, time_t now)
{
	sqlite3_stmt *dep = store_stmt(
	    s, "INSERT INTO departures(club_id, at, how) SELECT club_id, ?, "
	       "'bounce' FROM members WHERE id = ?");
	sqlite3_stmt *q =
	    store_stmt(s, "DELETE FROM queue WHERE member_id = ?");
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM members WHERE id = ?");

	if (q == NULL || st == NULL || dep == NULL)
		return -1;
	sqlite3_bind_int64(dep, 1, now);
	sqlite3_bind_int64(dep, 2, member);
	if (sqlite3_step(dep) != SQLITE_DONE)
		return store_fail(s, "member delete");
	/* copies still queued for a member who left are not sent */
	sqlite3_bind_int64(q, 1, member);
	if (sqlite3_step(q) != SQLITE_DONE)
		return store_fail(s, "member delete");
	sqlite3_bind_int64(st, 1, member);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "member delete");
	return 0;
}

int
store_msg_when(struct store *s, int64_t msg, int64_t *club_r,
	       time_t *received_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT club_id, received FROM messages WHERE id = ?");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*club_r = sqlite3_column_int64(st, 0);
		*received_r = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? STORE_NOTFOUND : store_fail(s, "msg when");
}

static void
recipient_row(sqlite3_stmt *st, void *elem)
{
	struct store_recipient *r = elem;

	r->member = sqlite3_column_int64(st, 0);
	r->address = store_text(st, 1);
}

int
store_animators(struct store *s, int64_t club, struct store_recipient **r_r,
		size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT id, address FROM members WHERE club_id = ? AND "
	       "role = 'animator' AND status = 'active' ORDER BY id");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	if (store_rows(s, st, sizeof(**r_r), recipient_row, (void **)r_r, n_r,
		       "animators") < 0) {
		store_recipients_free(*r_r, *n_r);
		return -1;
	}
	return 0;
}

void
store_recipients_free(struct store_recipient *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].address);
	free(r);
}

void
store_probes_free(struct store_probe *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].club_name);
		free(p[i].address);
		free(p[i].name);
	}
	free(p);
}
