/*
 * digest_sched - when digests go out (SPEC.md 9, DIGEST.md 2.1), on the
 * periodic tick (periodic.c).
 *
 * Per club, the weekly slot is digest_day at digest_time and the daily
 * slot every day at digest_time, both local times in the club's
 * timezone (tzif.c: no TZ switching in a threaded daemon).  The last slot
 * run of each kind is stored (digest_slots): at a tick, the latest slot
 * at or before now runs if it did not yet, once however many were
 * missed.  A weekly slot evaluates every member; a daily slot only the
 * members whose highlights are daily.  A slot's run skips members
 * evaluated since the slot began, so a run cut by a crash resumes
 * without a second issue.  A club's first tick only notes the slots (a
 * new installation does not send at once).
 *
 * Each tick also settles the nudges' outcomes (DIGEST 1.6), and every
 * DIGEST_SCHED_ALERT_EVERY seconds alerts the animators about a
 * newcomer's first post left unanswered newcomer_alert_h (24 h) after
 * it was sent (DIGEST 1.5), once per post.
 */
#ifndef MLISTD_DIGEST_SCHED_H
#define MLISTD_DIGEST_SCHED_H

#include <time.h>

#include "token.h"

#define DIGEST_SCHED_ALERT_EVERY 1800
#define DIGEST_SCHED_ALERT_H 24

struct conf;
struct digest_sched;
struct store;
struct tm;
struct tzif;
struct wgate;

struct digest_sched *digest_sched_new(struct store *s, struct wgate *gate,
				      const unsigned char key[TOKEN_KEY_LEN]);
void digest_sched_free(struct digest_sched **ds);
/* digest_sched_run - every club's due work at now; errors are logged */
void digest_sched_run(struct digest_sched *ds, const struct conf *conf,
		      time_t now);

/* digest_sched_slot - the latest instant at or before now that is hh:mm
   local in z on a day of week wday (0 Sunday; -1: any day) */
time_t digest_sched_slot(const struct tzif *z, time_t now, int wday, int hh,
			 int mm);

#endif
