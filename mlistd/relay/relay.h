/*
 * relay - the relay worker: from queue rows to copies on the wire.
 *
 * One dispatcher thread owns the queue: it claims due rows and expands
 * fan-outs (one row per post, member by member, in id order), builds
 * each message's copy once (msg_rewrite) and hands the copies to
 * relay_concurrency sender threads, each with its own connection to the
 * relay (relay_smtp, reused from copy to copy) or the capture directory
 * (relay_capture).  A sender personalizes the copy (VERP envelope
 * sender, List-Unsubscribe), sends it to one recipient and hands the
 * reply back; the dispatcher judges it (relay_policy), logs the outcome
 * line and records it, in batches (at most RELAY_RECORD outcomes, every
 * 100 ms): sent and bounced rows are deleted, a fan-out's cursor moves
 * past its copies with outcomes, a bounce is scored (member_bounce), a
 * deferral gets its next attempt (a fan-out's copy becomes a queue row).
 * On each pass it also calls periodic_run() (sched/periodic.c), which
 * once a minute sends due bounce probes and runs retention (held posts'
 * expiry, purge of control mail and decided posts).
 */
#ifndef MLISTD_RELAY_H
#define MLISTD_RELAY_H

#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "token.h"

struct conf;
struct relay;
struct wgate;

/* relay_open - start the worker threads; rows left 'sending' by an
   earlier run are due again, fan-outs resume from their cursors; every
   write transaction takes gate, after intake (see wgate.h) */
int relay_open(const struct conf *conf, const unsigned char key[TOKEN_KEY_LEN],
	       struct wgate *gate, struct relay **r_r, char **error_r);
/* relay_kick - new rows were queued (any thread; arg is the relay) */
void relay_kick(void *arg);
/* relay_set_conf - settings for copies built and connections opened
   from now on */
void relay_set_conf(struct relay *r, const struct conf *conf);
/* relay_close - stop after the copies being sent, record their
   outcomes, leave the rest queued */
void relay_close(struct relay **r);

struct buf;
/* relay_copy_personal_headers - the per-recipient header lines of a copy
   (List-Unsubscribe, and List-Unsubscribe-Post with unsubscribe_url);
   digests carry the same (digest_send.c) */
void relay_copy_personal_headers(struct buf *out, const struct conf *conf,
				 const unsigned char key[TOKEN_KEY_LEN],
				 const char *club, int64_t member, time_t now);

#endif
