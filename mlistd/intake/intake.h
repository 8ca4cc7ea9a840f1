/*
 * intake - from an accepted LMTP transaction to durable rows.
 *
 * RCPT decisions are made with a pooled read connection.  A message is
 * handed over whole (intake_submit: in memory, or a spool file when it
 * is large) to one committer thread, which parses it and then writes the
 * waiting messages, up to a bounded number of bytes, in one transaction
 * (group commit): a recipient's reply is known only after that COMMIT
 * returned, and the store runs with synchronous=FULL, so "250" means on
 * disk.  Finished jobs come back through an eventfd the LMTP event loop
 * watches (intake_event_fd, intake_reap), so the loop never blocks on
 * the database's writes.
 */
#ifndef MLISTD_DELIVER_H
#define MLISTD_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "token.h"

struct buf;
struct conf;
struct msg;
struct store;
struct store_msg_in;

struct intake_rcpt {
	char *addr; /* as given in RCPT TO, lower-cased, owned */
	struct addr_rcpt form;
	int64_t club;
	size_t max_size; /* the club's max_message_size */
	char *club_tag;	 /* subject prefix, owned */
	int64_t row;	 /* messages row once stored (0: none) */
	int code;	 /* reply: 250, 550, 451, ... */
	char enh[8];	 /* "2.0.0" */
	char text[96];
	bool null_sender; /* the transaction's MAIL FROM was <> */
};

struct intake;
struct wgate;

/* intake_open - the committer takes gate around its transactions and
   counts the jobs waiting for it there (see wgate.h) */
int intake_open(const struct conf *conf, const unsigned char key[TOKEN_KEY_LEN],
		struct wgate *gate, struct intake **d_r, char **error_r);
/* intake_close - stop the committer after the jobs it holds */
void intake_close(struct intake **d);
/* intake_set_conf - use a reloaded configuration from now on */
void intake_set_conf(struct intake *d, const struct conf *conf);

/* intake_set_kick - call kick(arg) from the committer after a commit
   that queued copies (wakes the relay) */
void intake_set_kick(struct intake *d, void (*kick)(void *), void *arg);

/* intake_check_rcpt - the RCPT TO decision for addr (SPEC.md 4, 5) */
void intake_check_rcpt(struct intake *d, const char *addr,
		       struct intake_rcpt *r);
/* intake_submit - store the message once per recipient whose code is
   250: the one in *msg (taken, msg left empty) when fd is -1, else the
   len bytes of spool file fd, followed by a NUL (taken: the committer
   maps it while it works on it, then closes it); rcpts stay the
   caller's but must not be touched until intake_reap hands owner back:
   each then carries its final code */
void intake_submit(struct intake *d, struct buf *msg, int fd, size_t len,
		   struct intake_rcpt *rcpts, size_t n, void *owner);
/* intake_event_fd - readable when finished jobs wait for intake_reap */
int intake_event_fd(const struct intake *d);
/* intake_reap - call done(owner) for every finished job, in the thread
   that submitted them */
void intake_reap(struct intake *d, void (*done)(void *owner));
void intake_rcpt_clear(struct intake_rcpt *r);

/* intake_fill_in - the store row for msg as received by r; strings
   borrowed from msg, r and hash until the row is written */
void intake_fill_in(struct store_msg_in *in, const struct msg *m,
		    const char *raw, size_t len, const char *body_hash,
		    const struct intake_rcpt *r, int64_t date_ms,
		    char **problems_json_r);

#endif
