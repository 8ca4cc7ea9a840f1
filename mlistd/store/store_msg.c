/*
 * store_msg - storing messages (the thread they join is decided by
 * store_thread_link.c, in the same transaction).
 */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"
#include "subject.h"
#include "xalloc.h"

/* insert_refs - In-Reply-To at pos 0, References at 1.. (self skipped) */
static int
insert_refs(struct store *s, const struct store_msg_in *in, int64_t msg)
{
	sqlite3_stmt *st =
	    store_stmt(s, "INSERT INTO msg_refs(msg_id, club_id, ref, pos) "
			  "VALUES (?, ?, ?, ?)");

	if (st == NULL)
		return -1;
	for (size_t i = 0; i <= in->nrefs; i++) {
		const char *ref = i == 0 ? in->in_reply_to : in->refs[i - 1];

		if (ref == NULL || strcmp(ref, in->message_id) == 0)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, msg);
		sqlite3_bind_int64(st, 2, in->club);
		sqlite3_bind_text(st, 3, ref, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)i);
		if (sqlite3_step(st) != SQLITE_DONE)
			return store_fail(s, "refs");
	}
	return 0;
}

int
store_msg_insert(struct store *s, const struct store_msg_in *in, int64_t *id_r,
		 bool *dup_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "INSERT OR IGNORE INTO messages(club_id, rcpt, role, arg, "
	       "message_id, body_sha256, raw, from_addr, from_name, subject, "
	       "subject_norm, date, received, in_reply_to, text, problems, "
	       "is_auto, is_bounce, has_refs, status, reasons) VALUES "
	       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,ifnull(?,'new'),?)");
	char *norm = subject_normalize(in->subject, in->club_tag);
	bool thread = in->thread;
	struct store_msg_in keyed;
	const char **refs = NULL;
	char *root = NULL;
	int64_t msg;
	int rc = -1;

	*dup_r = false;
	if (st == NULL)
		goto out;
	/* a reply through acme+r-KEY@ that names nothing known: stored as a
	   reply to KEY's root, so it threads there now or once approved,
	   and its copies carry the link (relay_copy.c) */
	if (store_thread_link_by_key(s, in, &root) < 0)
		goto out;
	if (root) {
		keyed = *in;
		refs = xcalloc(in->nrefs + 1, sizeof(*refs));
		for (size_t i = 0; i < in->nrefs; i++)
			refs[i] = in->refs[i];
		refs[in->nrefs] = root;
		keyed.refs = refs;
		keyed.nrefs = in->nrefs + 1;
		keyed.in_reply_to = root;
		in = &keyed;
	}
	/* The same post reaching us twice (acme@ and acme+r-KEY@ in one
	   transaction) is threaded once. */
	if (thread) {
		int64_t seen =
		    store_thread_link_find(s, in->club, in->message_id);

		if (seen < 0)
			goto out;
		thread = seen == 0;
	}
	sqlite3_bind_int64(st, 1, in->club);
	sqlite3_bind_text(st, 2, in->rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in->arg, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, in->body_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, in->raw, (int)in->raw_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, in->from_addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, in->from_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, in->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, in->date_ms);
	sqlite3_bind_int64(st, 13, in->received);
	sqlite3_bind_text(st, 14, in->in_reply_to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, in->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, in->problems ? in->problems : "[]", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int(st, 17, in->is_auto);
	sqlite3_bind_int(st, 18, in->is_bounce);
	sqlite3_bind_int(st, 19, in->in_reply_to != NULL || in->nrefs > 0);
	sqlite3_bind_text(st, 20, in->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 21, in->reasons, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_fail(s, "message insert");
		goto out;
	}
	if (sqlite3_changes(s->db) == 0) {
		*dup_r = true;
		rc = 0;
		goto out;
	}
	msg = sqlite3_last_insert_rowid(s->db);
	if (id_r)
		*id_r = msg;
	if (insert_refs(s, in, msg) < 0)
		goto out;
	rc = thread ? store_thread_link(s, in, msg, norm) : 0;
out:
	free(norm);
	free(refs);
	free(root);
	return rc;
}

int
store_msg_thread_later(struct store *s, int64_t msg)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT club_id, message_id, in_reply_to, subject_norm, date, "
	       "(SELECT count(*) FROM msg_refs r WHERE r.msg_id = m.id "
	       "AND r.pos > 0), thread_id FROM messages m WHERE id = ?");
	struct store_msg_in in;
	char *mid, *irt, *norm;
	int64_t seen;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? STORE_NOTFOUND
					 : store_fail(s, "thread later");
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		sqlite3_reset(st);
		return 0;
	}
	memset(&in, 0, sizeof(in));
	in.club = sqlite3_column_int64(st, 0);
	in.message_id = mid = store_text(st, 1);
	in.in_reply_to = irt = store_text(st, 2);
	norm = store_text(st, 3);
	in.date_ms = sqlite3_column_int64(st, 4);
	/* only the count matters to store_thread_link: refs are read back
	   from msg_refs */
	in.nrefs = (size_t)sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	/* the same Message-ID threaded meanwhile (a copy through r-KEY) */
	seen = store_thread_link_find(s, in.club, mid);
	rc = seen < 0	? -1
	     : seen > 0 ? 0
			: store_thread_link(s, &in, msg, norm ? norm : "");
	free(mid);
	free(irt);
	free(norm);
	return rc;
}

int
store_msg_links(struct store *s, int64_t msg, char **irt_r, char **refs_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT (SELECT in_reply_to FROM messages WHERE id = ?1), "
	       "(SELECT group_concat(ref, ' ') FROM (SELECT ref FROM msg_refs "
	       "WHERE msg_id = ?1 AND pos > 0 ORDER BY pos))");
	int rc;

	*irt_r = *refs_r = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*irt_r = store_text(st, 0);
		*refs_r = store_text(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, "links");
}

int
store_msg_seen(struct store *s, int64_t club, const char *message_id)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT 1 FROM messages WHERE club_id = ? AND message_id = ? "
	       "AND status IN ('accepted', 'held') LIMIT 1");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, message_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : store_fail(s, "seen");
}

int
store_msg_author(struct store *s, int64_t msg, struct store_msg_author *a_r)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT m.from_addr, m.from_name, m.subject, mb.name "
			  "FROM messages m LEFT JOIN members mb ON "
			  "mb.club_id = m.club_id AND mb.address = m.from_addr "
			  "WHERE m.id = ?");
	int rc;

	memset(a_r, 0, sizeof(*a_r));
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, msg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a_r->addr = store_text(st, 0);
		a_r->name = store_text(st, 1);
		a_r->subject = store_text(st, 2);
		a_r->member_name = store_text(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW	   ? 1
	       : rc == SQLITE_DONE ? 0
				   : store_fail(s, "author");
}

void
store_msg_author_clear(struct store_msg_author *a)
{
	free(a->addr);
	free(a->name);
	free(a->subject);
	free(a->member_name);
	memset(a, 0, sizeof(*a));
}

int
store_msg_status(struct store *s, int64_t msg, const char *status,
		 const char *reasons)
{
	sqlite3_stmt *st = store_stmt(
	    s, "UPDATE messages SET status = ?, reasons = ifnull(?, reasons) "
	       "WHERE id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reasons, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, msg);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, "message status");
	return sqlite3_changes(s->db) ? 0 : STORE_NOTFOUND;
}

int
store_msg_count(struct store *s, int64_t club, int64_t *n_r)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT count(*) FROM messages WHERE club_id = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_fail(s, "count");
	*n_r = sqlite3_column_int64(st, 0);
	return 0;
}

int
store_msg_foreach_raw(struct store *s, int64_t club, const char *from,
		      int (*fn)(void *ctx, const char *raw, size_t len,
				const char *from, time_t date),
		      void *ctx)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT raw, from_addr, date FROM messages WHERE club_id = ?1 "
	       "AND thread_id IS NOT NULL AND (?2 IS NULL OR from_addr = ?2) "
	       "ORDER BY date, id");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = fn(ctx, sqlite3_column_blob(st, 0),
			   (size_t)sqlite3_column_bytes(st, 0),
			   (const char *)sqlite3_column_text(st, 1),
			   (time_t)(sqlite3_column_int64(st, 2) / 1000));

		if (r != 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, "export");
}

int
store_msg_parent(struct store *s, int64_t club, const char *message_id,
		 char **parent_r)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT p.message_id FROM messages m LEFT JOIN messages p "
	       "ON p.id = m.parent_id WHERE m.club_id = ? AND m.message_id = ? "
	       "AND m.thread_id IS NOT NULL ORDER BY m.id LIMIT 1");
	int rc;

	*parent_r = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, club);
	sqlite3_bind_text(st, 2, message_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*parent_r = store_text(st, 0);
		return 0;
	}
	return rc == SQLITE_DONE ? STORE_NOTFOUND : store_fail(s, "parent");
}
