/*
 * store_private - what the store*.c files share; nothing above them
 * includes this header.
 */
#ifndef MLISTD_STORE_PRIVATE_H
#define MLISTD_STORE_PRIVATE_H

#include <sqlite3.h>

#include "store.h"

#define STORE_NSTMT 128
#define STORE_BUSY_MS 10000 /* how long a statement waits for a lock */

struct store {
	sqlite3 *db;
	char *path;
	char err[512];
	int last_rc;
	int last_errno; /* the OS error behind last_rc, if any */
	struct {
		const char *sql; /* static string: compared by address */
		sqlite3_stmt *stmt;
	} cache[STORE_NSTMT];
	size_t ncache;
};

/* store_stmt - the cached, reset statement for sql (a string literal) */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);
/* store_fail - record the connection's error; returns -1 */
int store_fail(struct store *s, const char *what);
/* store_exec - run one statement without results; 0 or -1 */
int store_exec(struct store *s, const char *sql);
/* store_text - column as an owned string, or NULL */
char *store_text(sqlite3_stmt *st, int col);
/* store_rows - step st to its end, row() filling one new element (of
   size bytes, zeroed) a row; *v_r and *n_r hold what was read even on
   error (-1, recorded as what), so the caller frees with its list free */
int store_rows(struct store *s, sqlite3_stmt *st, size_t size,
	       void (*row)(sqlite3_stmt *st, void *elem), void **v_r,
	       size_t *n_r, const char *what);

/* store_msg_thread_later - thread a stored, unthreaded post (a held
   post being approved) as if it had just arrived (store_msg.c) */
int store_msg_thread_later(struct store *s, int64_t msg);

/* store_thread_link - place message msg, just inserted from in, in its
   club's threads (norm: its normalised subject); store_thread_link_find -
   the club's first threaded message with that Message-ID, 0 if none
   (store_thread_link.c) */
int store_thread_link(struct store *s, const struct store_msg_in *in,
		      int64_t msg, const char *norm);
int64_t store_thread_link_find(struct store *s, int64_t club, const char *mid);
/* store_thread_link_by_key - a post through acme+r-KEY@ whose own
   headers name no threaded message of its club (a reply to a digest, or
   from a client that sets none) belongs under thread KEY's root:
   *root_r is that root's Message-ID (caller frees), NULL when the
   headers win or KEY names no thread; 0, or -1 on a database error */
int store_thread_link_by_key(struct store *s, const struct store_msg_in *in,
			     char **root_r);

/* store_schema_migrate - bring the database to target (store_schema.c) */
int store_schema_migrate(struct store *s, int target);

#endif
