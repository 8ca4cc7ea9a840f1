/*
 * store_retention - deleting what is kept only for a while (SPEC.md 4;
 * the schedule is retention.c's).
 *
 * Each kind is one statement over a partial index (migration 5), so a
 * purge reads the candidate rows only, never the raw mail of the rest.
 * A row goes only when nothing can refer to it: never threaded (no
 * thread, parent, digest or archive names it), no queue or fan-out row
 * (copies still to send would be dropped with it by the cascade), and
 * never the newest message: without AUTOINCREMENT, SQLite gives max(id) + 1 to
 * the next row, so keeping the newest keeps ids from being reused (held ids are
 * what "held approve ID" and moderation tokens name).
 */
#include "store_private.h"

/* the unary + keeps the planner on the kind's index (without it,
   "thread_id IS NULL" looks like a lookup in messages_thread, which
   holds every unthreaded row) */
#define PURGE_GUARDS                                                           \
	" AND +m.thread_id IS NULL AND m.id < (SELECT max(id) FROM messages)"  \
	" AND NOT EXISTS (SELECT 1 FROM queue q WHERE q.msg_id = m.id)"        \
	" AND NOT EXISTS (SELECT 1 FROM fanout f WHERE f.msg_id = m.id)"

/* the WHERE of each kind repeats its index's WHERE word for word, as
   SQLite needs to use a partial index */
static const char *const purge_sql[] = {
    [STORE_PURGE_CONTROL] =
	"DELETE FROM messages WHERE id IN (SELECT m.id FROM messages m "
	"WHERE role NOT IN ('post', 'reply', 'notice') AND m.received < "
	"?1" PURGE_GUARDS " ORDER BY m.received LIMIT ?2)",
    [STORE_PURGE_DECIDED] =
	"DELETE FROM messages WHERE id IN (SELECT m.id FROM messages m "
	"WHERE decided IS NOT NULL AND m.decided < ?1 "
	"AND m.status IN ('rejected', 'expired')" PURGE_GUARDS
	" ORDER BY m.decided LIMIT ?2)",
    [STORE_PURGE_KEPT] =
	"DELETE FROM messages WHERE id IN (SELECT m.id FROM messages m "
	"WHERE status = 'kept' AND m.received < ?1 "
	"AND m.role IN ('post', 'reply')" PURGE_GUARDS
	" ORDER BY m.received LIMIT ?2)",
    [STORE_PURGE_COPIES] =
	"DELETE FROM messages WHERE id IN (SELECT m.id FROM messages m "
	"WHERE role = 'notice' AND arg = 'original' AND m.received < "
	"?1" PURGE_GUARDS " ORDER BY m.received LIMIT ?2)",
    [STORE_PURGE_DIGESTS] =
	"DELETE FROM messages WHERE id IN (SELECT m.id FROM messages m "
	"WHERE role = 'notice' AND arg = 'digest' AND m.received < "
	"?1" PURGE_GUARDS " ORDER BY m.received LIMIT ?2)",
    [STORE_PURGE_PENDING] =
	"DELETE FROM pending WHERE id IN (SELECT id FROM pending "
	"WHERE expires < ?1 ORDER BY expires LIMIT ?2)",
    [STORE_PURGE_REPLIES] =
	"DELETE FROM auto_replies WHERE rowid IN (SELECT rowid FROM "
	"auto_replies WHERE day < ?1 ORDER BY day LIMIT ?2)",
    /* a few rows a club a week: no index of its own */
    [STORE_PURGE_DEPARTURES] =
	"DELETE FROM departures WHERE rowid IN (SELECT rowid FROM "
	"departures WHERE at < ?1 ORDER BY at LIMIT ?2)",
};

int
store_purge(struct store *s, enum store_purge what, time_t before, int max,
	    int64_t *n_r)
{
	sqlite3_stmt *st = store_stmt(s, purge_sql[what]);

	*n_r = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int(st, 2, max);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "purge");
	*n_r = sqlite3_changes(s->db);
	return 0;
}
