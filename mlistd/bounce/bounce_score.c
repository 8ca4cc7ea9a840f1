/*
 * bounce_score - what one bounce does to a member's score
 * (see bounce_score.h).
 */
#include "bounce_score.h"
#include "enhcode.h"

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
	/* one list for the relay and the bounce reader (enhcode.h) */
	return enhcode_is_bad_address(enhanced) ? BOUNCE_HARD : BOUNCE_SOFT;
}
