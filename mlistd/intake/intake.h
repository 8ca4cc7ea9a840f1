/*
 * deliver - from an accepted LMTP transaction to durable rows.
 *
 * RCPT decisions are made with a pooled read connection.  A message is
 * handed over whole (deliver_submit: in memory, or a spool file when it
 * is large) to one committer thread, which parses it and then writes the
 * waiting messages, up to a bounded number of bytes, in one transaction
 * (group commit): a recipient's reply is known only after that COMMIT
 * returned, and the store runs with synchronous=FULL, so "250" means on
 * disk.  Finished jobs come back through an eventfd the LMTP event loop
 * watches (deliver_event_fd, deliver_reap), so the loop never blocks on
 * the database's writes.
 */
#ifndef MLISTD_DELIVER_H
#define MLISTD_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "token.h"

struct buf;
struct conf;
struct msg;
struct store;
struct store_msg_in;

struct deliver_rcpt {
	char *addr; /* as given in RCPT TO, lower-cased, owned */
	struct addr_rcpt form;
	int64_t club;
	size_t max_size; /* the club's max_message_size */
	char *club_tag;	 /* subject prefix, owned */
	int64_t row;	 /* messages row once stored (0: none) */
	int code;	 /* reply: 250, 550, 451, ... */
	char enh[8];	 /* "2.0.0" */
	char text[96];
};

struct deliver;
struct wgate;

/* deliver_open - the committer takes gate around its transactions and
   counts the jobs waiting for it there (see wgate.h) */
int deliver_open(const struct conf *conf,
		 const unsigned char key[TOKEN_KEY_LEN], struct wgate *gate,
		 struct deliver **d_r, char **error_r);
/* deliver_close - stop the committer after the jobs it holds */
void deliver_close(struct deliver **d);
/* deliver_set_conf - use a reloaded configuration from now on */
void deliver_set_conf(struct deliver *d, const struct conf *conf);

/* deliver_set_kick - call kick(arg) from the committer after a commit
   that queued copies (wakes the relay) */
void deliver_set_kick(struct deliver *d, void (*kick)(void *), void *arg);

/* deliver_check_rcpt - the RCPT TO decision for addr (SPEC.md 4, 5) */
void deliver_check_rcpt(struct deliver *d, const char *addr,
			struct deliver_rcpt *r);
/* deliver_submit - store the message once per recipient whose code is
   250: the one in *msg (taken, msg left empty) when fd is -1, else the
   len bytes of spool file fd, followed by a NUL (taken: the committer
   maps it while it works on it, then closes it); rcpts stay the
   caller's but must not be touched until deliver_reap hands owner back:
   each then carries its final code */
void deliver_submit(struct deliver *d, struct buf *msg, int fd, size_t len,
		    struct deliver_rcpt *rcpts, size_t n, void *owner);
/* deliver_event_fd - readable when finished jobs wait for deliver_reap */
int deliver_event_fd(const struct deliver *d);
/* deliver_reap - call done(owner) for every finished job, in the thread
   that submitted them */
void deliver_reap(struct deliver *d, void (*done)(void *owner));
void deliver_rcpt_clear(struct deliver_rcpt *r);

/* deliver_fill_in - the store row for msg as received by r; strings
   borrowed from msg, r and hash until the row is written */
void deliver_fill_in(struct store_msg_in *in, const struct msg *m,
		     const char *raw, size_t len, const char *body_hash,
		     const struct deliver_rcpt *r, int64_t date_ms,
		     char **problems_json_r);
/* deliver_body_hash - SHA-256 hex (65 bytes) of the body after the
   header block */
void deliver_body_hash(const char *raw, size_t len, char out[65]);

#endif
