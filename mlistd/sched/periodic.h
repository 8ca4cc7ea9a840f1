/*
 * periodic - the daemon's periodic jobs: due bounce probes and the
 * removal of members who never answered them (member_bounce), then
 * retention (held posts' expiry, purge of what nobody vouched for).
 * Then the digests' schedule (digest_sched.c).
 *
 * No thread of its own: the relay's dispatcher calls periodic_run() on
 * every pass, with the dispatcher's store connection, and the jobs run
 * at most once every PERIODIC_EVERY seconds.  That keeps one background
 * writer inside mlistd, and a stop needs nothing more than the
 * dispatcher's.  Every write transaction of a job takes the write gate
 * as the relay does (wgate_begin), after intake, so a purge never makes
 * intake wait on SQLite's busy handler.
 */
#ifndef MLISTD_PERIODIC_H
#define MLISTD_PERIODIC_H

#include <time.h>

#include "token.h"

#define PERIODIC_EVERY 60 /* seconds between passes */

struct conf;
struct periodic;
struct store;
struct wgate;

/* periodic_new - the jobs' state; s and gate are borrowed, and used only
   from the thread that calls periodic_run */
struct periodic *periodic_new(struct store *s, struct wgate *gate,
			      const unsigned char key[TOKEN_KEY_LEN]);
/* periodic_run - the jobs, if PERIODIC_EVERY seconds passed since the last
   pass (or none ran yet); errors are logged */
void periodic_run(struct periodic *p, const struct conf *conf, time_t now);
void periodic_free(struct periodic **p);

#endif
