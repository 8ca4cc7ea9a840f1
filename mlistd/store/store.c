/*
 * store - connection, statements and transactions (see store.h).
 *
 * Durability: WAL with synchronous=FULL, so a commit returns only after
 * the WAL is on disk; the LMTP layer answers 250 after that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_private.h"
#include "xalloc.h"

int
store_fail(struct store *s, const char *what)
{
	s->last_rc = sqlite3_extended_errcode(s->db);
	s->last_errno = sqlite3_system_errno(s->db);
	snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

const char *
store_error(struct store *s)
{
	return s->err;
}

bool
store_busy(struct store *s)
{
	int rc = s->last_rc & 0xff;

	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_IOERR ||
	       rc == SQLITE_FULL || rc == SQLITE_CANTOPEN;
}

bool
store_full(struct store *s)
{
	int rc = s->last_rc & 0xff;

	return rc == SQLITE_FULL ||
	       (rc == SQLITE_IOERR &&
		(s->last_errno == ENOSPC || s->last_errno == EDQUOT));
}

bool
store_locked(struct store *s)
{
	int rc = s->last_rc & 0xff;

	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

sqlite3_stmt *
store_stmt(struct store *s, const char *sql)
{
	sqlite3_stmt *st;

	for (size_t i = 0; i < s->ncache; i++)
		if (s->cache[i].sql == sql) {
			st = s->cache[i].stmt;
			goto found;
		}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK) {
		store_fail(s, "prepare");
		return NULL;
	}
	/* XXX: a full cache would leak; the statement set is fixed and small */
	if (s->ncache == STORE_NSTMT)
		abort();
	s->cache[s->ncache].sql = sql;
	s->cache[s->ncache].stmt = st;
	s->ncache++;
found:
	/* a write outside a transaction must not run on the snapshot of a
	   read left unfinished (a lookup that stopped at its row): WAL would
	   refuse it at once (SQLITE_BUSY_SNAPSHOT) if another connection
	   committed since */
	if (!sqlite3_stmt_readonly(st) && sqlite3_get_autocommit(s->db))
		store_release(s);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int
store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		s->last_rc = sqlite3_extended_errcode(s->db);
		s->last_errno = sqlite3_system_errno(s->db);
		snprintf(s->err, sizeof(s->err), "%s",
			 msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

char *
store_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? xstrdup((const char *)t) : NULL;
}

int
store_rows(struct store *s, sqlite3_stmt *st, size_t size,
	   void (*row)(sqlite3_stmt *st, void *elem), void **v_r, size_t *n_r,
	   const char *what)
{
	char *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * size);
		}
		memset(v + n * size, 0, size);
		row(st, v + n * size);
		n++;
	}
	*v_r = v;
	*n_r = n;
	return rc == SQLITE_DONE ? 0 : store_fail(s, what);
}

int
store_open(const char *path, int flags, struct store **store_r, char **error_r)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int oflags = SQLITE_OPEN_FULLMUTEX;

	*store_r = NULL;
	*error_r = NULL;
	oflags |= flags & STORE_READONLY ? SQLITE_OPEN_READONLY
					 : SQLITE_OPEN_READWRITE;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	s->path = xstrdup(path);
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		*error_r =
		    xasprintf("%s: %s", path,
			      s->db ? sqlite3_errmsg(s->db) : "cannot open");
		store_close(&s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if (store_exec(s, "PRAGMA foreign_keys=ON") < 0 ||
	    (!(flags & STORE_READONLY) &&
	     (store_exec(s, "PRAGMA journal_mode=WAL") < 0 ||
	      store_exec(s, "PRAGMA synchronous=FULL") < 0))) {
		*error_r = xasprintf("%s: %s", path, s->err);
		store_close(&s);
		return -1;
	}
	if (store_user_version(s) > store_schema_version()) {
		*error_r = xasprintf("%s: database schema version %d is newer "
				     "than this program's (%d); upgrade mlistd",
				     path, store_user_version(s),
				     store_schema_version());
		store_close(&s);
		return -1;
	}
	if ((flags & STORE_CREATE) &&
	    store_schema_migrate(s, store_schema_version()) < 0) {
		*error_r = xasprintf("%s: migration failed: %s", path, s->err);
		store_close(&s);
		return -1;
	}
	*store_r = s;
	return 0;
}

void
store_close(struct store **sp)
{
	struct store *s = *sp;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].stmt);
	if (s->db)
		sqlite3_close(s->db);
	free(s->path);
	free(s);
	*sp = NULL;
}

/* store_run - step a cached statement without results: BEGIN, COMMIT
   and savepoints are prepared once, not parsed at every transaction */
static int
store_run(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		/* the caller names the step ("begin: database is locked") */
		s->last_rc = sqlite3_extended_errcode(s->db);
		s->last_errno = sqlite3_system_errno(s->db);
		snprintf(s->err, sizeof(s->err), "%s", sqlite3_errmsg(s->db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

void
store_release(struct store *s)
{
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_reset(s->cache[i].stmt);
}

int
store_begin(struct store *s)
{
	/* a statement left stepping pins an old snapshot, and BEGIN
	   IMMEDIATE on an old snapshot fails at once (SQLITE_BUSY_SNAPSHOT) */
	store_release(s);
	return store_run(s, "BEGIN IMMEDIATE");
}

int
store_read_begin(struct store *s)
{
	store_release(s);
	return store_run(s, "BEGIN");
}

int
store_begin_try(struct store *s)
{
	int rc;

	sqlite3_busy_timeout(s->db, 0);
	rc = store_begin(s);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if (rc < 0 && (s->last_rc & 0xff) == SQLITE_BUSY)
		return 1;
	return rc;
}

int
store_commit(struct store *s)
{
	store_release(s);
	return store_run(s, "COMMIT");
}

bool
store_in_transaction(struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

void
store_rollback(struct store *s)
{
	store_release(s);
	if (!sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_savepoint(struct store *s)
{
	return store_run(s, "SAVEPOINT msg");
}

void
store_savepoint_rollback(struct store *s)
{
	(void)store_run(s, "ROLLBACK TO msg");
}

int
store_savepoint_release(struct store *s)
{
	return store_run(s, "RELEASE msg");
}

int
store_user_version(struct store *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
store_migrate_to(struct store *s, int version)
{
	return store_schema_migrate(s, version);
}

void
store_autocheckpoint(struct store *s, int pages)
{
	sqlite3_wal_autocheckpoint(s->db, pages);
}

void
store_sync_lazy(struct store *s)
{
	(void)store_exec(s, "PRAGMA synchronous=NORMAL");
}

void
store_temp_in_memory(struct store *s)
{
	(void)store_exec(s, "PRAGMA temp_store=MEMORY");
}

int
store_checkpoint(struct store *s)
{
	int log = 0, done = 0;

	if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
				      &log, &done) != SQLITE_OK)
		return store_fail(s, "checkpoint");
	return log - done;
}
