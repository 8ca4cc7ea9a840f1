/*
 * bounce_score - what one bounce does to a member's score
 * (see bounce_score.h).
 */
#include <string.h>

#include "bounce_score.h"

bool
bounce_score_add(struct bounce_score *b, enum bounce_kind kind, bool dmarc,
		 time_t now)
{
	long day = (long)(now / 86400);
	bool hard = kind == BOUNCE_HARD;

	if ((kind != BOUNCE_HARD && kind != BOUNCE_SOFT) || dmarc)
		return false;
	if (b->last > 0 && now - b->last > BOUNCE_SCORE_STALE) {
		b->score = 0;
		b->day = -1;
	}
	if (b->day == day) {
		if (!hard || b->hard)
			return false;
		b->score += 0.5; /* the soft one becomes the hard one */
	} else
		b->score += hard ? 1.0 : 0.5;
	b->day = day;
	b->hard = hard;
	b->last = now;
	return true;
}

enum bounce_kind
bounce_score_kind_for(const char *enhanced)
{
	/* 5.1.1-5.1.6 and 5.1.10: the address; 5.1.7 and 5.1.8 are about
	   the sender, never the member's fault.  XXX bounce.c's
	   bounce_class has its own list (5.4.4; no 5.1.4, 5.1.5) */
	static const char *const hard[] = {"5.1.1",  "5.1.2", "5.1.3",
					   "5.1.4",  "5.1.5", "5.1.6",
					   "5.1.10", "5.2.1", NULL};

	if (enhanced == NULL)
		return BOUNCE_SOFT;
	for (size_t i = 0; hard[i]; i++)
		if (strcmp(enhanced, hard[i]) == 0)
			return BOUNCE_HARD;
	return BOUNCE_SOFT;
}
