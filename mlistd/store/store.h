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
/* store_full - the last error was the disk (or quota) being full */
bool store_full(struct store *store);
/* store_locked - the last error was another connection's lock */
bool store_locked(struct store *store);

/* store_release - end every statement's read, so the next read sees the
   latest commit (readers outside transactions call it after use) */
void store_release(struct store *store);
int store_begin(struct store *store);
/* store_begin_try - store_begin without waiting: 1 when another
   connection holds the write lock */
int store_begin_try(struct store *store);
/* store_read_begin - a read transaction: several queries, one snapshot
   (end it with store_rollback) */
int store_read_begin(struct store *store);
int store_commit(struct store *store);
void store_rollback(struct store *store);
/* store_in_transaction - a transaction is open (SQLite rolls one back by
   itself on some errors) */
bool store_in_transaction(struct store *store);
/* savepoints let one message fail inside a shared batch transaction */
int store_savepoint(struct store *store);
void store_savepoint_rollback(struct store *store);
int store_savepoint_release(struct store *store);

/* store_autocheckpoint - pages of WAL after which a commit checkpoints
   (0: never; another connection then calls store_checkpoint) */
void store_autocheckpoint(struct store *store, int pages);
/* store_sync_lazy - this connection's commits skip the WAL fsync (WAL
   mode keeps them atomic, and a process crash loses none; a power cut
   may lose the last ones): for writes whose loss only repeats work */
void store_sync_lazy(struct store *store);
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
	char *status;	/* active | suspended */
	bool moderated; /* posts held under moderation = newcomers */
	double bounce_score;
	char *aliases; /* other addresses, comma-separated (DIGEST 1.2) */
};

/* store_member_add - STORE_EXISTS when the address is already there */
int store_member_add(struct store *s, int64_t club, const char *address,
		     const char *name, const char *role, const char *delivery,
		     time_t joined);
/* store_member_remove - address leaves club at now; how ("unsubscribe",
   "removed") is recorded in departures for the animators' report */
int store_member_remove(struct store *s, int64_t club, const char *address,
			time_t now, const char *how);
/* store_member_set - key is one of the member columns that "mlistctl
   member set" documents; value already validated and normalised */
int store_member_set(struct store *s, int64_t club, const char *address,
		     const char *key, const char *value);
/* store_member_unmoderate_posters - members of club with a threaded post
   (an imported archive) are no newcomers */
int store_member_unmoderate_posters(struct store *s, int64_t club);
int store_member_get(struct store *s, int64_t club, const char *address,
		     struct store_member *m_r);
/* store_member_get_id - member id of club (ids are never reused) */
int store_member_get_id(struct store *s, int64_t club, int64_t id,
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
	bool thread;	     /* posts are threaded; other forms stored */
	const char *status;  /* posting verdict (NULL: 'new') */
	const char *reasons; /* JSON array of its reasons, or NULL */
	int64_t date_ms;     /* arrival (LMTP) or Date: (import) */
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

/* store_msg_status - set a message's status ('accepted', 'held',
   'rejected', 'kept', ...) and, when reasons is not NULL, its reasons
   (a JSON array) */
int store_msg_status(struct store *s, int64_t msg, const char *status,
		     const char *reasons);
/* store_msg_seen - 1 when a row of club carries message_id and was
   relayed or held, 0 if none, -1 on error */
int store_msg_seen(struct store *s, int64_t club, const char *message_id);
/* The author of a stored message, as intake parsed it. */
struct store_msg_author {
	char *addr;	   /* messages.from_addr, or NULL */
	char *name;	   /* messages.from_name, or NULL */
	char *subject;	   /* messages.subject, or NULL */
	char *member_name; /* the registered name of the member who wrote
			      it, or NULL */
};
/* store_msg_author - msg's author: 1, 0 when there is no such row (all
   NULL), -1 on error; free with store_msg_author_clear() */
int store_msg_author(struct store *s, int64_t msg,
		     struct store_msg_author *a_r);
void store_msg_author_clear(struct store_msg_author *a);
/* store_msg_links - a stored message's In-Reply-To and References as
   threading read them (a reply through acme+r-KEY@ names its thread's
   root): *irt_r NULL when it has none, *refs_r the references in order,
   space-separated, or NULL; both caller-freed */
int store_msg_links(struct store *s, int64_t msg, char **irt_r, char **refs_r);
/* store_msg_raw - the raw bytes of a message (NUL-terminated copy) */
int store_msg_raw(struct store *s, int64_t msg, char **raw_r, size_t *len_r);

/* thread controls and digest reads (DIGEST.md) ------------------------ */

/* store_thread_control - an animator's action on the thread named by key
   or one of its aliases: "pin" (for issues digests), "close", "reopen",
   "mute", "mark-answered" or "approve-debate"; STORE_NOTFOUND for an
   unknown key, -1 for an unknown action */
int store_thread_control(struct store *s, int64_t club, const char *key,
			 const char *action, int issues, time_t now);

/* one threaded message as the digest reads it */
struct store_dmsg {
	int64_t id;
	int64_t thread_id;
	int64_t parent_id; /* 0: no known parent */
	time_t date;
	char *from; /* lower-cased address, or NULL */
	char *subject;
	char *text;
	bool is_auto;
};

struct store_dthread {
	int64_t id;
	char key[9];
	int64_t root_id;
	bool closed, muted, answered, debate_approved;
	time_t pinned_at; /* 0: never pinned */
	int pin_issues;	  /* issues the pin still holds */
};

/* a member's digest state, beside its store_member */
struct store_dstate {
	time_t last_nudge_at; /* 0: never */
	int ignored_nudges;
	time_t attempted; /* last evaluation, 0: never */
	time_t sent;	  /* last issue sent, 0: never */
	time_t invite_at; /* last issue with the invite footer, 0: never */
	int issues_since_invite;  /* issues sent after invite_at */
	time_t last_command_at;	  /* a list command or keep-weekly, 0: never */
	time_t dormant_notice_at; /* told highlights became monthly */
};

/* (member, thread, count): a nudge given, or an item's shows */
struct store_dpair {
	int64_t member, thread;
	int count;
};

struct store_digest {
	struct store_dmsg *msgs; /* date order */
	size_t nmsgs;
	struct store_dthread *threads;
	size_t nthreads;
	struct store_member *members; /* address order */
	struct store_dstate *states;  /* one per member */
	size_t nmembers;
	struct store_dpair *nudged, *shown; /* by member, then thread */
	size_t nnudged, nshown;
	/* DIGEST 2.3 D5, by member then thread: threads a member muted for
	   themselves; and (member, ignored member's id in .thread) */
	struct store_dpair *mutes, *ignores;
	size_t nmutes, nignores;
};

/* store_digest_invite_shown - member's issue at now carried the "invite
   a peer" footer (DIGEST 2.2 row 7); inside a transaction */
int store_digest_invite_shown(struct store *s, int64_t member, time_t now);
/* store_member_touch - address of club sent a list command at now (an
   activity for DIGEST 2.1's dormant rule) */
int store_member_touch(struct store *s, int64_t club, const char *address,
		       time_t now);
/* store_digest_dormant_noticed - member's issue at now told them their
   highlights became monthly; inside a transaction */
int store_digest_dormant_noticed(struct store *s, int64_t member, time_t now);
/* store_member_mute - member address of club hides (on) or shows again
   the thread named by key (or an alias) in their own digest;
   STORE_NOTFOUND: no such thread */
int store_member_mute(struct store *s, int64_t club, const char *address,
		      const char *key, bool on);
/* store_member_ignore - member address of club hides (on) or shows
   again the threads that author starts (DIGEST 2.3 D5) */
int store_member_ignore(struct store *s, int64_t club, const char *address,
			const char *author, bool on);

/* store_digest_load - what the digest of club reads: its threaded
   messages dated at or before until, threads, members with their
   digest state, nudges given and shows; one read snapshot */
int store_digest_load(struct store *s, int64_t club, time_t until,
		      struct store_digest *d);
void store_digest_free(struct store_digest *d);
/* store_digest_nudge_outcomes - DIGEST 1.6's follow-up, for the
   scheduler: a nudge given success_s ago or more without its outcome is
   'posted' when the member wrote anything in the club (not auto) within
   success_s after it, else 'ignored', which adds one to the member's
   ignored_nudges; a member who posted after their last nudge is back to
   0.  Inside a transaction. */
int store_digest_nudge_outcomes(struct store *s, int64_t club, time_t now,
				time_t success_s);

/* what the animators' report counts in (since, until] besides messages */
struct store_digest_stats {
	int64_t suspended;   /* members suspended for bounces */
	int64_t nudges_sent; /* nudge_log rows */
	int64_t left;	     /* departures, whatever the way */
};

int store_digest_stats(struct store *s, int64_t club, time_t since,
		       time_t until, struct store_digest_stats *st);
/* store_digest_record - an evaluation for member at now: sent, or
   skipped for skip_reason; with thread ids shown (unanswered items) and
   the nudged thread (0: none); inside a transaction */
int store_digest_record(struct store *s, int64_t member, time_t now,
			const char *skip_reason, const int64_t *shown,
			size_t nshown, int64_t nudged);

/* store_digest_unpin - one issue of thread's pin went out */
int store_digest_unpin(struct store *s, int64_t thread);
/* store_digest_slot - the last slot of kind ("weekly", "daily") run for
   club; 0: never */
int store_digest_slot(struct store *s, int64_t club, const char *kind,
		      time_t *slot_r);
/* store_digest_slot_set - slot of kind ran; inside a transaction */
int store_digest_slot_set(struct store *s, int64_t club, const char *kind,
			  time_t slot);
/* store_newcomer_alert - claim the alert about message msg: 1 when it
   was not sent yet (now it is recorded), 0 when it was; inside a
   transaction */
int store_newcomer_alert(struct store *s, int64_t msg, time_t now);

/* held posts ------------------------------------------------------- */

struct store_held {
	int64_t id; /* the message row: "mlistctl held approve ID" */
	int64_t club_id;
	char *club;
	char *from;
	char *subject;
	char *reasons; /* JSON array */
	char *status;  /* held, or what became of it */
	time_t received;
	time_t decided;	  /* when it stopped being held, 0 while held */
	char *decided_by; /* "admin", an animator's address, or NULL */
};

/* store_held_list - the held posts of club (0: every club), oldest
   first */
int store_held_list(struct store *s, int64_t club, struct store_held **h_r,
		    size_t *n_r);
/* store_held_get - one post that is or was held; STORE_NOTFOUND when id
   names no post that went through moderation */
int store_held_get(struct store *s, int64_t id, struct store_held *h_r);
void store_held_clear(struct store_held *h);
void store_held_list_free(struct store_held *h, size_t n);
/* store_held_approve - thread the held post, queue its copies and
   unmoderate its author, recording who decided at now; inside a
   transaction.  *n_r: copies queued */
int store_held_approve(struct store *s, int64_t id, const char *who, time_t now,
		       int64_t *n_r);
/* store_held_reject - a held post is 'rejected' by who, decided at now;
   reasons (a JSON array) replace its own unless NULL.  STORE_NOTFOUND
   when it is no longer held */
int store_held_reject(struct store *s, int64_t id, const char *reasons,
		      const char *who, time_t now);
/* store_held_expiring - up to max posts still held that arrived before
   `before`, oldest first (free with store_held_list_free) */
int store_held_expiring(struct store *s, time_t before, size_t max,
			struct store_held **h_r, size_t *n_r);
/* store_held_expire - held post id is 'expired', decided at when;
   STORE_NOTFOUND when it is no longer held */
int store_held_expire(struct store *s, int64_t id, time_t when);

/* retention -------------------------------------------------------- */

/* what store_purge deletes: rows nobody refers to, never threaded
   (so no thread, parent or digest names them), never queued, and never
   the table's newest row (message ids are not reused) */
enum store_purge {
	STORE_PURGE_CONTROL, /* mail to control addresses, by arrival */
	STORE_PURGE_DECIDED, /* held posts rejected or expired, by decision */
	STORE_PURGE_KEPT,    /* posts kept unseen (loops, duplicates) */
	STORE_PURGE_COPIES,  /* notices with someone's mail attached */
	STORE_PURGE_DIGESTS, /* digest issues, by date sent */
	STORE_PURGE_PENDING, /* pending confirmations, by expiry */
	STORE_PURGE_REPLIES, /* daily automatic-reply counts, by day */
	STORE_PURGE_DEPARTURES, /* members who left, by date */
};

/* store_purge - delete at most max rows of that kind dated before
   `before`; inside a transaction.  *n_r: how many */
int store_purge(struct store *s, enum store_purge what, time_t before, int max,
		int64_t *n_r);

/* delivery queue --------------------------------------------------- */

struct store_queue_item {
	int64_t id;
	int64_t msg_id;
	int64_t member_id; /* 0: not a member (notices to addresses) */
	int64_t club_id;
	char *club;
	char *recipient;
	char *message_id;
	char *role; /* of the message: "post", "r" (through acme+r-KEY@) or
		       "notice" */
	int attempts;
	time_t first_try; /* 0: never tried */
	time_t next_attempt;
	char *last_error;
	char *side;   /* of the last failure: "relay" (ours) or "recipient"
			 (the member's address refused); NULL: none yet */
	bool refused; /* the member's address was refused at some attempt:
			 an expiry counts as a soft bounce */
};

/* the relay's state as the daemon last saw it (mlistctl queue) */
struct store_relay_status {
	char *relay; /* host:port */
	bool ok;
	char *cause;	/* why not ok, NULL when ok */
	time_t since;	/* of this state */
	time_t checked; /* last seen */
};

/* store_queue_requeue - a copy of a fan-out taken out of it: a queue
   row with its attempt so far (attempts 0: never tried; error may be
   NULL; ours as for store_queue_defer); nothing when the member has
   left */
int store_queue_requeue(struct store *s, const struct store_queue_item *it,
			int attempts, time_t first_try, time_t next,
			const char *error, bool ours);
/* store_queue_add - queue one copy of msg (a notice) for recipient */
int store_queue_add(struct store *s, int64_t msg, int64_t member,
		    const char *recipient, time_t now);
/* store_queue_reset - rows a stopped relay left 'sending' are pending */
int store_queue_reset(struct store *s);
/* store_queue_due - 1 when a row is due at now, 0 when none; a read, so
   an idle queue costs no write lock */
int store_queue_due(struct store *s, time_t now);
/* store_queue_claim - up to max rows due at now, marked 'sending';
   inside a transaction */
int store_queue_claim(struct store *s, time_t now, size_t max,
		      struct store_queue_item **items_r, size_t *n_r);
/* store_queue_done - the copy was sent or bounced: forget the row */
int store_queue_done(struct store *s, int64_t id);
/* store_queue_defer - the copy failed for now: try again at next; ours:
   the failure was on our side (else the member's address was refused,
   which the row keeps) */
int store_queue_defer(struct store *s, int64_t id, int attempts,
		      time_t first_try, time_t next, const char *error,
		      bool ours);
/* store_queue_list - every row, next attempt first */
int store_queue_list(struct store *s, struct store_queue_item **items_r,
		     size_t *n_r);
/* store_queue_retry_now - every pending row due now */
int store_queue_retry_now(struct store *s, time_t now, int64_t *n_r);
/* store_queue_pending - rows in the queue */
int store_queue_pending(struct store *s, int64_t *n_r);
void store_queue_items_free(struct store_queue_item *items, size_t n);
void store_queue_item_clear(struct store_queue_item *it);
/* store_relay_status_set - the relay's state (strings copied) */
int store_relay_status_set(struct store *s,
			   const struct store_relay_status *st);
/* store_relay_status_get - *st_r filled (free with _clear), or
   STORE_NOTFOUND before the daemon wrote one */
int store_relay_status_get(struct store *s, struct store_relay_status *st_r);
void store_relay_status_clear(struct store_relay_status *st);

/* fan-out ---------------------------------------------------------- *
 * One row per accepted post, written by intake in O(1): the members who
 * get copies are those of the club with id <= last_member and joined <=
 * since (the ones at the post's commit), active, not paused, delivery
 * each (the author only with own_copy) when the relay reaches them.  The
 * relay walks them in id order; cursor: every member up to it has an
 * outcome or a queue row of its own. */

struct store_fanout {
	int64_t id;
	int64_t msg_id;
	int64_t club_id;
	int64_t last_member;
	time_t since;
	int64_t cursor;
	char *club;
	char *message_id;
	char *role;   /* of the message: "post" or "r" */
	char *author; /* From address, or NULL */
	int64_t left; /* store_fanout_list: members still to reach */
};

/* store_fanout_add - queue msg's copies for the members of club at this
   moment; inside the transaction that accepts it */
int store_fanout_add(struct store *s, int64_t club, int64_t msg, time_t now);
/* store_fanout_load - up to max rows with id > after, oldest first */
int store_fanout_load(struct store *s, int64_t after, size_t max,
		      struct store_fanout **f_r, size_t *n_r);
/* store_fanout_expand - up to max recipients of f after member `from`,
   in id order, as queue items (id 0); a read */
int store_fanout_expand(struct store *s, const struct store_fanout *f,
			int64_t from, size_t max,
			struct store_queue_item **items_r, size_t *n_r);
/* store_fanout_advance - members up to cursor are done */
int store_fanout_advance(struct store *s, int64_t id, int64_t cursor);
/* store_fanout_done - every member is done: the row goes */
int store_fanout_done(struct store *s, int64_t id);
/* store_fanout_count - recipients of msg's fan-out still to reach, as
   store_fanout_expand would find them (O(members): for mlistctl) */
int store_fanout_count(struct store *s, const struct store_fanout *f,
		       int64_t *n_r);
/* store_fanout_list - every row with its count of members left */
int store_fanout_list(struct store *s, struct store_fanout **f_r, size_t *n_r);
void store_fanout_free(struct store_fanout *f, size_t n);

/* bounces ---------------------------------------------------------- */

struct store_bounce_state {
	double score;
	long day; /* UTC day of the last counted bounce, -1: none */
	bool hard;
	time_t last;	 /* 0: never */
	char status[16]; /* active | suspended */
	int64_t club;
	char *club_name; /* owned */
	char *address;	 /* owned */
	int probes;
	time_t joined;
};

/* store_bounce_get - a member's bounce state (store_bounce_state_clear
   frees it) */
int store_bounce_get(struct store *s, int64_t member,
		     struct store_bounce_state *b);
void store_bounce_state_clear(struct store_bounce_state *b);
/* store_bounce_put - save it with the member's status; a status change
   restarts the probes */
int store_bounce_put(struct store *s, int64_t member,
		     const struct store_bounce_state *b, const char *status);
/* store_bounce_log - one row of the bounces table */
int store_bounce_log(struct store *s, int64_t member, int64_t msg, time_t now,
		     const char *kind, bool counted, const char *status,
		     const char *diagnostic);

struct store_probe {
	int64_t member;
	int64_t club;
	char *club_name;
	char *address;
	char *name;
	int probes; /* sent so far */
	time_t bounce_last;
};

/* store_bounce_probes_due - suspended members last probed at or before
   `before` (or never) */
int store_bounce_probes_due(struct store *s, time_t before,
			    struct store_probe **p_r, size_t *n_r);
void store_probes_free(struct store_probe *p, size_t n);
/* store_bounce_probed - one more probe sent at now */
int store_bounce_probed(struct store *s, int64_t member, time_t now);
/* store_bounce_resume - a suspended member of club answered: deliver
   again */
int store_bounce_resume(struct store *s, int64_t club, int64_t member);
/* store_msg_when - a message's club and reception time */
int store_msg_when(struct store *s, int64_t msg, int64_t *club_r,
		   time_t *received_r);
/* store_member_delete_id - remove a member by row id, with the copies
   still queued for them */
int store_member_delete_id(struct store *s, int64_t member, time_t now);

struct store_recipient {
	int64_t member;
	char *address;
};

/* store_animators - the active animators of club */
int store_animators(struct store *s, int64_t club, struct store_recipient **r_r,
		    size_t *n_r);
void store_recipients_free(struct store_recipient *r, size_t n);

/* control by mail (store_control.c) ------------------------------- */

/* a request waiting for its confirmation round-trip */
struct store_pending {
	int64_t id;
	int64_t club;
	const char *address;  /* who asked (or is invited) */
	const char *kind;     /* subscribe | unsubscribe | commands | approve */
	const char *commands; /* kind commands: one command a line */
	const char *invited_by; /* subscribe through a member's invite */
	time_t created;
	time_t expires;
	time_t used; /* 0: not yet */
};

/* store_pending_add - a new row; *id_r its id (never reused) */
int store_pending_add(struct store *s, const struct store_pending *p,
		      int64_t *id_r);
/* store_pending_get - the row (strings owned: store_pending_clear) */
int store_pending_get(struct store *s, int64_t id, struct store_pending *p_r);
void store_pending_clear(struct store_pending *p);
/* store_pending_use - mark it used at now; STORE_EXISTS when it already
   was (a replay) */
int store_pending_use(struct store *s, int64_t id, time_t now);
/* store_pending_recent - 1 when address already has a row of kind in
   club created at or after since, else 0 */
int store_pending_recent(struct store *s, int64_t club, const char *address,
			 const char *kind, time_t since);
/* store_reply_count - count one automatic reply to address on day (its
   first second): 1 when it may go (counted), 0 when max were sent */
int store_reply_count(struct store *s, const char *address, time_t day,
		      int max);

#endif
