/*
 * store - the SQLite database: the only layer that includes sqlite3.h.
 *
 * One opaque handle per connection.  Writers bracket work in
 * store_begin()/store_commit(); every statement is prepared and cached
 * per handle.  Functions return 0 on success, STORE_NOTFOUND when the
 * named row does not exist, STORE_EXISTS on a uniqueness clash and -1
 * on a database error (store_error() says why).  Strings handed out are
 * owned by the caller unless a comment says otherwise.
 */
#ifndef MLISTD_STORE_H
#define MLISTD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STORE_NOTFOUND 1
#define STORE_EXISTS 2

#define STORE_CREATE 1 /* create and migrate if needed */
#define STORE_READONLY 2

struct store;

/* store_open - open path, migrating to the current schema when CREATE
   is given; a database newer than this program is refused */
int store_open(const char *path, int flags, struct store **store_r,
	       char **error_r);
void store_close(struct store **store);
const char *store_error(struct store *store);
/* store_busy - the last error was a lock or I/O condition worth retrying */
bool store_busy(struct store *store);

/* store_release - end every statement's read, so the next read sees the
   latest commit (readers outside transactions call it after use) */
void store_release(struct store *store);
int store_begin(struct store *store);
int store_commit(struct store *store);
void store_rollback(struct store *store);
/* savepoints let one message fail inside a shared batch transaction */
int store_savepoint(struct store *store);
void store_savepoint_rollback(struct store *store);
int store_savepoint_release(struct store *store);

/* store_autocheckpoint - pages of WAL after which a commit checkpoints
   (0: never; another connection then calls store_checkpoint) */
void store_autocheckpoint(struct store *store, int pages);
/* store_temp_in_memory - statement journals (savepoints) and temporary
   tables in memory: a batch of messages outgrows SQLite's 64 KiB
   in-memory journal, and spilling it costs a temporary file per commit */
void store_temp_in_memory(struct store *store);
/* store_checkpoint - copy the WAL into the database without blocking
   writers; returns the WAL frames still to copy, or -1 */
int store_checkpoint(struct store *store);

/* store_schema_version - the version this program writes */
int store_schema_version(void);
/* store_user_version - the version of the open database */
int store_user_version(struct store *store);
/* store_migrate_to - bring an open database to version (tests) */
int store_migrate_to(struct store *store, int version);

/* clubs ------------------------------------------------------------ */

struct store_club {
	int64_t id;
	char *name;
	time_t created;
};

int store_club_create(struct store *s, const char *name, time_t now,
		      int64_t *id_r);
int store_club_find(struct store *s, const char *name, int64_t *id_r);
int store_club_delete(struct store *s, const char *name);
/* store_club_list - every club by name; free with store_club_list_free */
int store_club_list(struct store *s, struct store_club **clubs_r, size_t *n_r);
void store_club_list_free(struct store_club *clubs, size_t n);
/* club settings are free-form key/value rows validated by club.c */
int store_club_get(struct store *s, int64_t club, const char *key,
		   char **value_r);
int store_club_put(struct store *s, int64_t club, const char *key,
		   const char *value);

/* members ---------------------------------------------------------- */

struct store_member {
	int64_t id;
	char *address;
	char *name;
	char *role;
	char *delivery;
	char *highlights;
	time_t joined;
	char *tags;
	char *company;
	bool featured;
	bool paused;
	bool own_copy;
	char *status;
};

/* store_member_add - STORE_EXISTS when the address is already there */
int store_member_add(struct store *s, int64_t club, const char *address,
		     const char *name, const char *role, const char *delivery,
		     time_t joined);
int store_member_remove(struct store *s, int64_t club, const char *address);
/* store_member_set - key is one of the member columns that "mlistctl
   member set" documents; value already validated and normalised */
int store_member_set(struct store *s, int64_t club, const char *address,
		     const char *key, const char *value);
int store_member_get(struct store *s, int64_t club, const char *address,
		     struct store_member *m_r);
int store_member_list(struct store *s, int64_t club,
		      struct store_member **members_r, size_t *n_r);
void store_member_clear(struct store_member *m);
void store_member_list_free(struct store_member *members, size_t n);

/* messages --------------------------------------------------------- */

struct store_msg_in {
	int64_t club;
	const char *club_tag; /* subject prefix, for subject fallback */
	const char *rcpt;     /* lower-cased recipient address */
	const char *role;     /* addr_role_name() */
	const char *arg;      /* token or key, or NULL */
	const char *raw;
	size_t raw_len;
	const char *body_sha256; /* hex, part of the duplicate key */
	const char *message_id;
	const char *in_reply_to;
	const char *const *refs;
	size_t nrefs;
	const char *from_addr;
	const char *from_name;
	const char *subject;
	const char *text;
	const char *problems; /* JSON array */
	bool is_auto;
	bool is_bounce;
	bool thread;	 /* posts are threaded; other forms stored */
	int64_t date_ms; /* arrival (LMTP) or Date: (import) */
	time_t received;
};

/* store_msg_insert - store one message and thread it; inside a
   transaction.  A duplicate (club, rcpt, Message-ID, body hash) sets
   *dup_r and changes nothing. */
int store_msg_insert(struct store *s, const struct store_msg_in *in,
		     int64_t *id_r, bool *dup_r);

/* store_thread_find - thread id for a key or an old key (alias) */
int store_thread_find(struct store *s, int64_t club, const char *key,
		      int64_t *thread_r);

struct store_thread {
	int64_t id;
	char key[9];
	char *subject;
	int messages;
	int participants;
	time_t first;
	time_t last;
	char **message_ids; /* in date order */
	size_t nmessage_ids;
};

/* store_thread_list - threads with activity after since (0: all),
   newest activity first; dates at or before at (0: no limit) */
int store_thread_list(struct store *s, int64_t club, time_t since, time_t at,
		      struct store_thread **threads_r, size_t *n_r);
void store_thread_list_free(struct store_thread *t, size_t n);

/* store_msg_foreach_raw - every stored post of a club in date order,
   optionally only those From: address; fn's non-zero return stops */
int store_msg_foreach_raw(struct store *s, int64_t club, const char *from,
			  int (*fn)(void *ctx, const char *raw, size_t len,
				    const char *from, time_t date),
			  void *ctx);

/* store_msg_parent - the Message-ID of a threaded message's parent
   (*parent_r NULL for a root); STORE_NOTFOUND for an unknown message */
int store_msg_parent(struct store *s, int64_t club, const char *message_id,
		     char **parent_r);

/* store_msg_count - stored rows for a club (tests, stats) */
int store_msg_count(struct store *s, int64_t club, int64_t *n_r);

#endif
