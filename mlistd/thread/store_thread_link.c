/*
 * store_thread_link - threading messages as they are stored, incrementally,
 * per club (DIGEST.md 1.2 and 2.4).
 *
 * A thread is a connected set of messages: two messages share a thread
 * when one references the other or both reference the same Message-ID,
 * even one never received (JWZ's placeholder).  parent_id is the
 * In-Reply-To target when known, else the last known References entry,
 * else (no references at all) the most recent root at most 14 days
 * older with the same normalised subject.  Arrival order does not
 * matter: when a message comes, the messages that referenced it are
 * re-linked, and threads it connects are merged, old keys kept as
 * aliases.  A thread's root is its earliest message without a parent;
 * its key is subject_thread_key(root's Message-ID).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "subject.h"
#include "xalloc.h"

#define SUBJECT_WINDOW_MS (14LL * 86400 * 1000)
#define MAX_ANCESTORS 10000

/* step_id - the first column of st's row, 0 when it has none, -1 on a
   database error: threading must never take an error for "no such
   message" and file a post under the wrong thread */
static int64_t
step_id(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return sqlite3_column_int64(st, 0);
	return rc == SQLITE_DONE ? 0 : store_fail(s, what);
}

/* store_thread_link_find - the first threaded message of club with that
   Message-ID */
int64_t
store_thread_link_find(struct store *s, int64_t club, const char *mid)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT id FROM messages WHERE club_id = ? AND message_id = ? "
	       "AND thread_id IS NOT NULL ORDER BY id LIMIT 1");
	int64_t id = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, mid, -1, SQLITE_STATIC);
	id = step_id(s, st, "message by id");
	return id;
}

int
store_thread_link_by_key(struct store *s, const struct store_msg_in *in,
			 char **root_r)
{
	sqlite3_stmt *st;
	int64_t thread;
	int rc;

	*root_r = NULL;
	if (in->arg == NULL || strcmp(in->role, "r") != 0)
		return 0;
	/* header links always win (DIGEST 1.2) */
	for (size_t i = 0; i <= in->nrefs; i++) {
		const char *ref = i == 0 ? in->in_reply_to : in->refs[i - 1];
		int64_t known;

		if (ref == NULL)
			continue;
		if ((known = store_thread_link_find(s, in->club, ref)) != 0)
			return known < 0 ? -1 : 0;
	}
	rc = store_thread_find(s, in->club, in->arg, &thread);
	if (rc != 0)
		return rc == STORE_NOTFOUND ? 0 : -1;
	st = store_stmt(s, "SELECT m.message_id FROM threads t JOIN messages m "
			   "ON m.id = t.root_id WHERE t.id = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, thread);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*root_r = store_text(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, "key root");
	return 0;
}

/* is_ancestor - whether anc is msg or one of its ancestors: 1, 0, or
   -1 on a database error */
static int
is_ancestor(struct store *s, int64_t anc, int64_t msg)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT parent_id FROM messages WHERE id = ?");

	if (st == NULL)
		return -1;
	for (int i = 0; msg > 0 && i < MAX_ANCESTORS; i++) {
		if (msg == anc)
			return 1;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, msg);
		msg = step_id(s, st, "ancestor");
	}
	if (msg < 0)
		return -1;
	return msg != 0; /* too deep: treat as a cycle */
}

/* resolve_parent - the header parent of msg: In-Reply-To (pos 0) first,
   then References last to first; a candidate making a cycle is skipped */
static int64_t
resolve_parent(struct store *s, int64_t club, int64_t msg)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT ref FROM msg_refs WHERE msg_id = ? "
			  "ORDER BY pos = 0 DESC, pos DESC");
	char **refs = NULL;
	size_t n = 0;
	int64_t parent = 0;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		refs = xrealloc(refs, (n + 1) * sizeof(*refs));
		refs[n++] = store_text(st, 0);
	}
	if (rc != SQLITE_DONE)
		parent = store_fail(s, "refs read");
	for (size_t i = 0; i < n && parent == 0; i++) {
		int64_t p = store_thread_link_find(s, club, refs[i]);
		int anc = p > 0 && p != msg ? is_ancestor(s, msg, p) : 1;

		if (p < 0 || anc < 0) {
			parent = -1;
			break;
		}
		if (!anc)
			parent = p;
	}
	for (size_t i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	return parent;
}

/* set_parent - record msg's parent (0: none) */
static int
set_parent(struct store *s, int64_t msg, int64_t parent, bool by_subject)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE messages SET parent_id = ?, parent_by_subject = ? "
	       "WHERE id = ?");

	if (st == NULL)
		return -1;
	if (parent)
		sqlite3_bind_int64(st, 1, parent);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int(st, 2, by_subject);
	sqlite3_bind_int64(st, 3, msg);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, "parent");
}

/* thread_of - thread id of a message */
static int64_t
thread_of(struct store *s, int64_t msg)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT thread_id FROM messages WHERE id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	return step_id(s, st, "thread of");
}

/* merge_into - move every message and key of thread from into thread to */
static int
merge_into(struct store *s, int64_t to, int64_t from)
{
	static const char *const sql[] = {
	    "UPDATE messages SET thread_id = ?1 WHERE thread_id = ?2",
	    "UPDATE thread_keys SET thread_id = ?1 WHERE thread_id = ?2",
	    "UPDATE threads SET closed = max(closed, (SELECT closed FROM "
	    "threads WHERE id = ?2)), muted = max(muted, (SELECT muted FROM "
	    "threads WHERE id = ?2)), answered = max(answered, (SELECT "
	    "answered FROM threads WHERE id = ?2)) WHERE id = ?1",
	    "DELETE FROM threads WHERE id = ?2",
	};

	if (to == from)
		return 0;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st = store_stmt(s, sql[i]);

		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, to);
		sqlite3_bind_int64(st, 2, from);
		if (sqlite3_step(st) != SQLITE_DONE)
			return store_fail(s, "thread merge");
	}
	return 0;
}

/* move_subtree - msg and its descendants join thread to */
static int
move_subtree(struct store *s, int64_t msg, int64_t to)
{
	sqlite3_stmt *st = store_stmt(
	    s, "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION "
	       "SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id) "
	       "UPDATE messages SET thread_id = ?2 WHERE id IN sub");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	sqlite3_bind_int64(st, 2, to);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, "move");
}

/* fix_root - recompute a thread's root and key after a change; the old
   key stays valid as an alias.  An emptied thread is deleted. */
static int
fix_root(struct store *s, int64_t club, int64_t thread)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT id, message_id FROM messages WHERE thread_id = ? "
	       "ORDER BY parent_id IS NOT NULL, date, id LIMIT 1");
	int64_t root;
	char key[9], *mid;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, thread);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		st = store_stmt(s, "DELETE FROM threads WHERE id = ?");
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, thread);
		return sqlite3_step(st) == SQLITE_DONE
			   ? 0
			   : store_fail(s, "thread delete");
	}
	if (rc != SQLITE_ROW)
		return store_fail(s, "thread root");
	root = sqlite3_column_int64(st, 0);
	mid = store_text(st, 1);
	subject_thread_key(mid, key);
	free(mid);
	st = store_stmt(s,
			"UPDATE threads SET root_id = ?, key = ? WHERE id = ?");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, root);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, thread);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "thread key");
	/* XXX: an 8-hex key clash with another thread keeps the first owner
	   of the alias; the thread stays reachable by its other keys. */
	st = store_stmt(s, "INSERT OR IGNORE INTO thread_keys(club_id, key, "
			   "thread_id) VALUES (?, ?, ?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, thread);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, "alias");
}

/* new_thread - an empty thread row */
static int64_t
new_thread(struct store *s, int64_t club)
{
	sqlite3_stmt *st =
	    store_stmt(s, "INSERT INTO threads(club_id, key) VALUES (?, '')");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "thread create");
	return sqlite3_last_insert_rowid(s->db);
}

/* linked_threads - threads of messages M references and of messages
   sharing a reference with M or referencing M; appended to *v */
static int
linked_threads(struct store *s, int64_t club, int64_t msg, int64_t **v,
	       size_t *n)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT DISTINCT thread_id FROM ("
	       " SELECT m.thread_id FROM msg_refs r JOIN messages m "
	       "  ON m.club_id = r.club_id AND m.message_id = r.ref "
	       "  WHERE r.msg_id = ?1 "
	       " UNION SELECT m.thread_id FROM msg_refs r JOIN msg_refs o "
	       "  ON o.club_id = r.club_id AND o.ref = r.ref "
	       "  JOIN messages m ON m.id = o.msg_id WHERE r.msg_id = ?1 "
	       " UNION SELECT m.thread_id FROM messages me JOIN msg_refs o "
	       "  ON o.club_id = me.club_id AND o.ref = me.message_id "
	       "  JOIN messages m ON m.id = o.msg_id WHERE me.id = ?1"
	       ") WHERE thread_id IS NOT NULL ORDER BY thread_id");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	(void)club;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, "linked threads");
}

/* subject_root - most recent root strictly earlier than date, at most
   14 days older, with the same normalised subject */
static int64_t
subject_root(struct store *s, int64_t club, const char *norm, int64_t date,
	     int64_t self)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT id FROM messages WHERE club_id = ? AND subject_norm = ? "
	       "AND subject_norm != '' AND date < ? AND date >= ? "
	       "AND parent_id IS NULL "
	       "AND thread_id IS NOT NULL AND id != ? "
	       "ORDER BY date DESC, id DESC LIMIT 1");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, date);
	sqlite3_bind_int64(st, 4, date - SUBJECT_WINDOW_MS);
	sqlite3_bind_int64(st, 5, self);
	return step_id(s, st, "subject root");
}

/* threads_linked - whether a message of one thread references a message
   of the other, or both reference the same Message-ID; 1, 0 or -1 */
static int
threads_linked(struct store *s, int64_t t1, int64_t t2)
{
	sqlite3_stmt *st = store_stmt(
	    s,
	    "SELECT 1 FROM messages a JOIN msg_refs r ON r.msg_id = a.id "
	    "JOIN messages b ON b.club_id = a.club_id "
	    "AND b.message_id = r.ref "
	    "WHERE a.thread_id IN (?1, ?2) AND b.thread_id IN (?1, ?2) "
	    "AND a.thread_id != b.thread_id "
	    "UNION ALL SELECT 1 FROM messages a "
	    "JOIN msg_refs r1 ON r1.msg_id = a.id "
	    "JOIN msg_refs r2 ON r2.club_id = r1.club_id AND r2.ref = r1.ref "
	    "JOIN messages b ON b.id = r2.msg_id "
	    "WHERE a.thread_id = ?1 AND b.thread_id = ?2 LIMIT 1");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, t1);
	sqlite3_bind_int64(st, 2, t2);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : store_fail(s, "threads linked");
}

/* relink - give msg a new parent, moving its subtree to the parent's
   thread; the thread it left gets a new root if needed */
static int
relink(struct store *s, int64_t club, int64_t msg, int64_t parent,
       bool by_subject)
{
	int64_t from = thread_of(s, msg), to = thread_of(s, parent);

	if (from < 0 || to < 0 || set_parent(s, msg, parent, by_subject) < 0)
		return -1;
	if (from == to)
		return fix_root(s, club, to);
	if (move_subtree(s, msg, to) < 0)
		return -1;
	{
		sqlite3_stmt *st = store_stmt(
		    s, "SELECT count(*) FROM messages WHERE thread_id = ?");
		int64_t left = 0;
		bool merge;

		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, from);
		if ((left = step_id(s, st, "thread size")) < 0)
			return -1;
		/* an emptied thread is merged, not dropped, so its keys stay
		   valid as aliases; one still linked to the moved messages
		   by a reference is merged too.  XXX: threads are merged,
		   never split, so a message left behind that was linked only
		   through the moved ones comes along. */
		merge = left == 0;
		if (!merge) {
			int linked = threads_linked(s, from, to);

			if (linked < 0)
				return -1;
			merge = linked;
		}
		if (merge ? merge_into(s, to, from) < 0
			  : fix_root(s, club, from) < 0)
			return -1;
	}
	return fix_root(s, club, to);
}

/* at most this many earlier messages are relinked under one that
   arrives late: each costs a few queries over its thread, so a hostile
   sender's thousands of references to one Message-ID cannot make a
   commit quadratic (the rest keep their placeholder's thread) */
#define RELINK_MAX_STR "1000"

/* relink_children - messages that reference msg may now have it as
   their header parent (it arrived after them); not when an earlier copy
   of msg exists: parents resolve to the first copy, so nothing moves */
static int
relink_children(struct store *s, int64_t club, int64_t msg, const char *mid)
{
	int64_t first = store_thread_link_find(s, club, mid);

	if (first < 0)
		return -1;
	if (first > 0 && first != msg)
		return 0;
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT DISTINCT r.msg_id FROM msg_refs r JOIN messages m "
	       "ON m.id = r.msg_id WHERE r.club_id = ? AND r.ref = ? "
	       "AND m.thread_id IS NOT NULL AND r.msg_id != ? "
	       "ORDER BY r.msg_id LIMIT " RELINK_MAX_STR);
	int64_t *kids = NULL;
	size_t n = 0;
	int rc = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, mid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, msg);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		kids = xrealloc(kids, (n + 1) * sizeof(*kids));
		kids[n++] = sqlite3_column_int64(st, 0);
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(s, "children");
	for (size_t i = 0; i < n && rc == 0; i++) {
		int64_t p = resolve_parent(s, club, kids[i]);

		if (p < 0)
			rc = -1;
		else if (p > 0)
			rc = relink(s, club, kids[i], p, false);
	}
	free(kids);
	return rc;
}

/* relink_by_subject - a new root may be the better subject parent of
   later messages that have no references at all */
static int
relink_by_subject(struct store *s, int64_t club, int64_t msg, const char *norm,
		  int64_t date)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT id FROM messages WHERE club_id = ? AND subject_norm = ? "
	       "AND subject_norm != '' AND date > ? AND date <= ? "
	       "AND has_refs = 0 AND id != ? "
	       "AND thread_id IS NOT NULL ORDER BY date, id LIMIT 1000");
	int64_t *later = NULL;
	size_t n = 0;
	int rc = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, date);
	sqlite3_bind_int64(st, 4, date + SUBJECT_WINDOW_MS);
	sqlite3_bind_int64(st, 5, msg);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		later = xrealloc(later, (n + 1) * sizeof(*later));
		later[n++] = sqlite3_column_int64(st, 0);
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(s, "later by subject");
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_stmt *q = store_stmt(
		    s, "SELECT date, parent_id FROM messages WHERE id = ?");
		int64_t d, cur, best;
		int anc;

		if (q == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(q, 1, later[i]);
		if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
			rc = rc == SQLITE_DONE ? 0 : store_fail(s, "later");
			continue;
		}
		d = sqlite3_column_int64(q, 0);
		cur = sqlite3_column_int64(q, 1);
		rc = 0;
		best = subject_root(s, club, norm, d, later[i]);
		anc = best > 0 && best != cur ? is_ancestor(s, later[i], best)
					      : 1;
		if (best < 0 || anc < 0)
			rc = -1;
		else if (!anc)
			rc = relink(s, club, later[i], best, true);
	}
	free(later);
	return rc;
}

/* store_thread_link - place a freshly inserted message */
int
store_thread_link(struct store *s, const struct store_msg_in *in, int64_t msg,
		  const char *norm)
{
	int64_t parent, thread = 0, *v = NULL;
	size_t n = 0;
	bool by_subject = false;
	int rc = -1;

	parent = resolve_parent(s, in->club, msg);
	if (parent < 0 || linked_threads(s, in->club, msg, &v, &n) < 0)
		goto out;
	if (parent == 0 && n == 0 && in->nrefs == 0 &&
	    in->in_reply_to == NULL && *norm) {
		parent = subject_root(s, in->club, norm, in->date_ms, msg);
		if (parent < 0)
			goto out;
		by_subject = parent > 0;
	}
	if (parent > 0)
		thread = thread_of(s, parent);
	else if (n > 0)
		thread = v[0];
	else
		thread = new_thread(s, in->club);
	if (thread <= 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (merge_into(s, thread, v[i]) < 0)
			goto out;
	{
		sqlite3_stmt *st = store_stmt(
		    s, "UPDATE messages SET thread_id = ? WHERE id = ?");

		if (st == NULL)
			goto out;
		sqlite3_bind_int64(st, 1, thread);
		sqlite3_bind_int64(st, 2, msg);
		if (sqlite3_step(st) != SQLITE_DONE) {
			store_fail(s, "thread set");
			goto out;
		}
	}
	if (set_parent(s, msg, parent, by_subject) < 0 ||
	    relink_children(s, in->club, msg, in->message_id) < 0)
		goto out;
	if (parent == 0 && *norm &&
	    relink_by_subject(s, in->club, msg, norm, in->date_ms) < 0)
		goto out;
	thread = thread_of(s, msg);
	rc = thread < 0 ? -1 : fix_root(s, in->club, thread);
out:
	free(v);
	return rc;
}
