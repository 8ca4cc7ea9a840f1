/*
 * bounce_score - what one bounce does to a member's score (SPEC.md 8).
 *
 * Pure arithmetic over a member's bounce state:
 *   - a hard bounce scores 1, a soft one 0.5; delayed notices, non-bounces
 *     and bounces caused by the author's DMARC policy never count;
 *   - at most one event per member per UTC day: a hard bounce after a
 *     soft one the same day upgrades it (0.5 more), anything else that
 *     day is not counted;
 *   - the score restarts from 0 when the last counted bounce is more than
 *     7 days old;
 *   - at BOUNCE_SCORE_SUSPEND the member's delivery is suspended, then
 *     probed weekly, and removed after BOUNCE_SCORE_PROBES probes without
 *     an answer.
 */
#ifndef MLISTD_BOUNCE_SCORE_H
#define MLISTD_BOUNCE_SCORE_H

#include <stdbool.h>
#include <time.h>

#include "bounce.h"

#define BOUNCE_SCORE_SUSPEND 5.0
#define BOUNCE_SCORE_STALE (7 * 86400)
#define BOUNCE_SCORE_PROBE_EVERY (7 * 86400)
#define BOUNCE_SCORE_PROBES 3

struct bounce_score {
	double score;
	long day;    /* UTC day number of the last counted event, -1: none */
	bool hard;   /* that event was hard */
	time_t last; /* when it was counted, 0: never */
};

/* bounce_score_add - count one bounce of kind at now; returns whether it
   changed the score */
bool bounce_score_add(struct bounce_score *b, enum bounce_kind kind, bool dmarc,
		      time_t now);
/* bounce_score_kind_for - the kind of a relay's own refusal: hard when
   enhcode_is_bad_address() says the address is dead, anything else
   soft */
enum bounce_kind bounce_score_kind_for(const char *enhanced);

#endif
