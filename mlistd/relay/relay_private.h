/*
 * relay_private - the relay worker's state, shared by its modules.
 *
 * relay.c opens and closes the worker and runs the dispatcher (claim,
 * hand to the senders, record); relay_copy.c builds each message's
 * common copy once and personalizes it; relay_sender.c is the sender
 * threads and their backend (relay_smtp or relay_capture);
 * relay_record.c judges and writes the outcomes; relay_fanout.c expands
 * fan-outs and moves their cursors; relay_health.c checks the relay and
 * keeps its state, logged once per cause.  Nothing outside relay/
 * includes this header.
 */
#ifndef MLISTD_RELAY_PRIVATE_H
#define MLISTD_RELAY_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "relay.h"
#include "relay_smtp.h"
#include "store.h"
#include "token.h"

#define RELAY_LOW 256	 /* claim more when fewer wait for a sender */
#define RELAY_FANOUTS 64 /* fan-outs expanded side by side */
/* a new post's copies start once intake has paused this long, or at the
   latest this long after its commit: a burst of posts is accepted
   before the relay takes the CPU and the disk to start their fan-outs */
#define RELAY_SETTLE_MS 20
#define RELAY_SETTLE_MAX_MS 250

/* the part of a message's copies common to every recipient */
struct relay_copy {
	int64_t msg_id;
	int refs;      /* items pointing here, under the relay's lock */
	bool personal; /* a post: List-Unsubscribe goes at personal_at */
	char *club;
	struct buf data;
	size_t personal_at;
	struct relay_copy *next;
};

/* a fan-out's member handed out to a sender, in id order */
struct fan_slot {
	int64_t member;
	enum { SLOT_OUT, SLOT_RECORDING, SLOT_DONE } state;
};

/* a fan-out being expanded; the dispatcher's alone */
struct relay_fanout {
	struct store_fanout f;	 /* f.cursor: as on disk */
	struct relay_copy *copy; /* one reference while the fan-out lives */
	int64_t next_from;	 /* expansion resumes after this member */
	bool exhausted;		 /* every member was handed out */
	bool dirty;		 /* its cursor may move at the next record */
	struct fan_slot *slots;	 /* slots[head..len) are not all done */
	int64_t base;		 /* sequence number of slots[0] */
	size_t head, len, cap;
};

struct relay_item {
	struct store_queue_item q; /* q.id 0: a fan-out's copy */
	struct relay_copy *copy;
	struct relay_fanout *fan; /* and its slot's sequence number */
	int64_t seq;
	bool unsent; /* a stop: to become a queue row */
	struct relay_result res;
	time_t tried;
	char *outcome; /* the log line, written once its record committed */
	struct relay_item *next;
};

/* the relay's state, from checks and outcomes: a change of state or of
   cause is logged once, not once per copy (SPEC 7); under the lock */
struct relay_health {
	bool known, ok;
	bool dirty;	 /* to be written for mlistctl queue */
	char key[48];	 /* the cause: transport, stage, code */
	char cause[600]; /* its words, as first seen */
	time_t since;
};

struct relay {
	const struct conf *conf;
	unsigned char key[TOKEN_KEY_LEN];
	struct store *store;
	struct wgate *gate; /* taken around every write transaction */
	/* the periodic jobs (digests, expiry, probes) run in a thread of
	   their own with their own connection: a long digest run must not
	   hold back the dispatcher's outcomes, or a kill during it would
	   send again every copy it let out */
	struct periodic *periodic;
	struct store *pstore;
	pthread_t ticker;
	pthread_cond_t tick; /* the ticker's second, cut short by a stop */
	pthread_t dispatcher;
	pthread_t *senders;
	int nsenders;
	pthread_mutex_t lock;
	pthread_cond_t work; /* senders wait for items */
	pthread_cond_t wake; /* the dispatcher waits for results or kicks */
	struct relay_item *todo, *todo_tail;
	struct relay_item *done;
	struct relay_item *unrecorded; /* the dispatcher's: to write again */
	const struct conf *dconf;      /* the dispatcher's copy of conf */
	struct relay_copy *copies;
	int inflight;	       /* claimed and not yet recorded */
	int ntodo;	       /* waiting for a sender */
	int ndone;	       /* on the done list */
	int64_t first_done_ms; /* when the done list started */
	bool hungry;	       /* ntodo fell under RELAY_LOW */
	bool kicked;
	int64_t kick_first_ms; /* the first kick not yet acted on */
	int64_t kick_last_ms;  /* the latest kick */
	bool stopping;
	/* the dispatcher's: fan-outs being expanded, oldest first */
	struct relay_fanout *fans[RELAY_FANOUTS];
	size_t nfans;
	size_t fan_rr;	  /* where the next claim starts */
	int64_t fan_last; /* highest fan-out row id loaded */
	atomic_bool stop; /* stopping, as the senders' sends read it */
	char relay_name[128];
	struct relay_health health;
	pthread_t checker;
	pthread_cond_t check; /* the checker waits for check_due */
	bool check_due;	      /* start, SIGHUP: try the relay */
};

/* relay_backend - a sender's connection */
struct relay_backend {
	const struct conf *conf; /* the configuration it was opened with */
	struct relay_smtp *smtp; /* NULL with capture: */
	const char *capture_dir;
};

/* relay.c: the dispatcher */

/* relay_done_push - an outcome for the dispatcher; under the lock */
void relay_done_push(struct relay *r, struct relay_item *it);
/* relay_enqueue - an item for the senders (or, without a copy, straight
   to the outcomes) */
void relay_enqueue(struct relay *r, struct relay_item *it);

/* relay_copy.c: the common part of a message's copies */

/* relay_copy_get - the copy of q's message, built once (NULL: the
   message is unreadable); the dispatcher's */
struct relay_copy *relay_copy_get(struct relay *r,
				  const struct store_queue_item *q);
/* relay_copy_put - drop a reference; under the relay's lock */
void relay_copy_put(struct relay *r, struct relay_copy *c);
/* relay_copy_envelope_from - club+bounce-TOKEN@domain for a copy of msg
   to member; the caller frees it */
char *relay_copy_envelope_from(const struct conf *conf,
			       const unsigned char key[TOKEN_KEY_LEN],
			       const char *club, int64_t member, int64_t msg,
			       time_t now);

/* relay_sender.c: the sender threads */

/* relay_sender_open - b for conf: NULL smtp with capture */
int relay_sender_open(struct relay *r, const struct conf *conf,
		      struct relay_backend *b, char **error_r);
/* relay_thread_nice - the calling relay thread yields the CPU to intake
   (relay.c) */
void relay_thread_nice(void);

/* relay_sender_main - a sender thread (arg is the relay) */
void *relay_sender_main(void *arg);

/* relay_record.c: outcomes */

/* relay_record_batch - write list's outcomes; returns those that could
   not be written */
struct relay_item *relay_record_batch(struct relay *r, struct relay_item *list);
/* relay_record_free - recorded items go; under no lock */
void relay_record_free(struct relay *r, struct relay_item *list);

/* relay_fanout.c: fan-outs, their expansion and cursors */

/* relay_fanout_load - fan-out rows written since the last look */
void relay_fanout_load(struct relay *r);
/* relay_fanout_expand - up to max more copies of f for the senders */
size_t relay_fanout_expand(struct relay *r, struct relay_fanout *f, size_t max);
/* relay_fanout_mark - its slot is in state (SLOT_*) */
void relay_fanout_mark(struct relay_item *it, int state);
/* relay_fanout_dirty - some fan-out's cursor may move */
bool relay_fanout_dirty(const struct relay *r);
/* relay_fanout_write - the dirty cursors; inside the record's
   transaction */
int relay_fanout_write(struct relay *r);
/* relay_fanout_settle - after the record's commit (ok) or failure */
void relay_fanout_settle(struct relay *r, bool ok);
/* relay_fanout_free - f and its reference to its copy */
void relay_fanout_free(struct relay *r, struct relay_fanout *f);

/* relay_health.c: the relay's state */

/* relay_health_from - what an attempt or check says of the relay */
void relay_health_from(struct relay *r, const struct relay_result *res,
		       bool ours);
/* relay_health_unsaved - the state's write failed or was rolled back */
void relay_health_unsaved(struct relay *r);
/* relay_health_save - the state for mlistctl queue, when it changed */
void relay_health_save(struct relay *r);
/* relay_health_checker - the relay check's thread (arg is the relay) */
void *relay_health_checker(void *arg);

#endif
