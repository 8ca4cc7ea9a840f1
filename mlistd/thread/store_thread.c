/*
 * store_thread - reading threads: keys, aliases and listings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "xalloc.h"

int
store_thread_find(struct store *s, int64_t club, const char *key,
		  int64_t *thread_r)
{
	sqlite3_stmt *st = store_stmt(
	    s,
	    "SELECT thread_id FROM thread_keys WHERE club_id = ? AND key = ?");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*thread_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW	   ? 0
	       : rc == SQLITE_DONE ? STORE_NOTFOUND
				   : store_fail(s, "thread find");
}

/* message_ids - the thread's Message-IDs in date order */
static int
message_ids(struct store *s, struct store_thread *t, time_t at)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT message_id FROM messages WHERE thread_id = ? "
			  "AND (? = 0 OR date <= ? * 1000) ORDER BY date, id");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, t->id);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_int64(st, 3, at);
	while (sqlite3_step(st) == SQLITE_ROW) {
		t->message_ids = xrealloc(
		    t->message_ids, (t->nmessage_ids + 1) * sizeof(char *));
		t->message_ids[t->nmessage_ids++] = store_text(st, 0);
	}
	return 0;
}

int
store_thread_list(struct store *s, int64_t club, time_t since, time_t at,
		  struct store_thread **threads_r, size_t *n_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT t.id, t.key, (SELECT subject FROM messages WHERE id = "
	       "t.root_id), count(m.id), "
	       "count(DISTINCT CASE WHEN m.is_auto = 0 THEN m.from_addr END), "
	       "min(m.date), max(m.date) FROM threads t JOIN messages m "
	       "ON m.thread_id = t.id WHERE t.club_id = ?1 "
	       "AND (?3 = 0 OR m.date <= ?3 * 1000) GROUP BY t.id "
	       "HAVING max(m.date) > ?2 * 1000 "
	       "ORDER BY max(m.date) DESC, t.key");
	struct store_thread *v = NULL;
	size_t n = 0;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, at);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_thread *t;
		const unsigned char *key = sqlite3_column_text(st, 1);

		v = xrealloc(v, (n + 1) * sizeof(*v));
		t = &v[n++];
		memset(t, 0, sizeof(*t));
		t->id = sqlite3_column_int64(st, 0);
		snprintf(t->key, sizeof(t->key), "%s",
			 key ? (const char *)key : "");
		t->subject = store_text(st, 2);
		t->messages = sqlite3_column_int(st, 3);
		t->participants = sqlite3_column_int(st, 4);
		t->first = (time_t)(sqlite3_column_int64(st, 5) / 1000);
		t->last = (time_t)(sqlite3_column_int64(st, 6) / 1000);
	}
	if (rc != SQLITE_DONE) {
		store_thread_list_free(v, n);
		return store_fail(s, "thread list");
	}
	for (size_t i = 0; i < n; i++)
		if (message_ids(s, &v[i], at) < 0) {
			store_thread_list_free(v, n);
			return -1;
		}
	*threads_r = v;
	*n_r = n;
	return 0;
}

void
store_thread_list_free(struct store_thread *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].subject);
		for (size_t j = 0; j < t[i].nmessage_ids; j++)
			free(t[i].message_ids[j]);
		free(t[i].message_ids);
	}
	free(t);
}

/* One statement per action: the SQL never comes from input. */
static const struct {
	const char *action;
	const char *sql;
} thread_controls[] = {
    {"pin", "UPDATE threads SET pinned_at = ?2, pin_issues = ?3 "
	    "WHERE id = ?1"},
    {"close", "UPDATE threads SET closed = 1 WHERE id = ?1"},
    {"reopen", "UPDATE threads SET closed = 0 WHERE id = ?1"},
    {"mute", "UPDATE threads SET muted = 1 WHERE id = ?1"},
    {"mark-answered", "UPDATE threads SET answered = 1 WHERE id = ?1"},
    {"approve-debate", "UPDATE threads SET debate_approved = 1 "
		       "WHERE id = ?1"},
};

int
store_thread_control(struct store *s, int64_t club, const char *key,
		     const char *action, int issues, time_t now)
{
	sqlite3_stmt *st = NULL;
	int64_t thread;
	int rc;

	for (size_t i = 0;
	     i < sizeof(thread_controls) / sizeof(thread_controls[0]); i++)
		if (strcmp(thread_controls[i].action, action) == 0)
			st = store_stmt(s, thread_controls[i].sql);
	if (st == NULL) {
		snprintf(s->err, sizeof(s->err), "%s: no such thread action",
			 action);
		return -1;
	}
	if ((rc = store_thread_find(s, club, key, &thread)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, thread);
	if (strcmp(action, "pin") == 0) {
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int(st, 3, issues > 0 ? issues : 1);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "thread control");
	return 0;
}
