/*
 * test-bounce_score - SPEC.md 8's arithmetic: 1 hard, 0.5 soft, one event
 * a UTC day (hard wins), delayed/none/DMARC never count, reset after 7
 * days without bounces, the relay's own 5xx kinds.
 */
#include "bounce_score.h"
#include "tap.h"

#define DAY 86400
#define T0 ((time_t)1741600800) /* 2025-03-10T10:00:00Z */

int
main(void)
{
	struct bounce_score b = {0, -1, false, 0};
	double want;

	tap_init();
	ok(bounce_score_add(&b, BOUNCE_SOFT, false, T0),
	   "a soft bounce counts");
	ok(b.score == 0.5, "0.5");
	ok(!bounce_score_add(&b, BOUNCE_SOFT, false, T0 + 3600),
	   "a second soft one the same day does not");
	ok(bounce_score_add(&b, BOUNCE_HARD, false, T0 + 7200),
	   "a hard one the same day replaces it");
	ok(b.score == 1.0, "the day scores 1");
	ok(!bounce_score_add(&b, BOUNCE_HARD, false, T0 + 7300),
	   "and nothing more that day");
	ok(!bounce_score_add(&b, BOUNCE_DELAYED, false, T0 + DAY),
	   "a delayed notice never counts");
	ok(!bounce_score_add(&b, BOUNCE_NONE, false, T0 + DAY),
	   "nor a non-bounce");
	ok(!bounce_score_add(&b, BOUNCE_HARD, true, T0 + DAY),
	   "nor a bounce caused by the author's DMARC policy");
	ok(b.score == 1.0, "still 1");
	/* 14 hours later is the next UTC day */
	ok(bounce_score_add(&b, BOUNCE_HARD, false, T0 + 14 * 3600),
	   "the next UTC day counts again");
	want = 2.0;
	for (int i = 2; i <= 4; i++) {
		bounce_score_add(&b, BOUNCE_HARD, false, T0 + i * DAY);
		want += 1;
	}
	ok(b.score == want && b.score >= BOUNCE_SCORE_SUSPEND,
	   "five hard days reach the suspension threshold (%g)", b.score);
	ok(bounce_score_add(&b, BOUNCE_SOFT, false, T0 + 12 * DAY),
	   "after more than 7 quiet days");
	ok(b.score == 0.5, "the score restarts (%g)", b.score);
	ok(bounce_score_add(&b, BOUNCE_SOFT, false, T0 + 19 * DAY),
	   "exactly 7 days later");
	ok(b.score == 1.0, "it does not restart yet (%g)", b.score);
	is_int(bounce_score_kind_for("5.1.1"), BOUNCE_HARD, "5.1.1 is hard");
	is_int(bounce_score_kind_for("5.1.10"), BOUNCE_HARD, "5.1.10 is hard");
	is_int(bounce_score_kind_for("5.2.1"), BOUNCE_HARD, "5.2.1 is hard");
	is_int(bounce_score_kind_for("5.1.4"), BOUNCE_HARD,
	       "5.1.4 (ambiguous address) is hard");
	is_int(bounce_score_kind_for("5.4.4"), BOUNCE_HARD,
	       "5.4.4 (no route to the domain) is hard");
	is_int(bounce_score_kind_for("5.1.5"), BOUNCE_SOFT,
	       "5.1.5 (address valid) is not hard");
	is_int(bounce_score_kind_for("5.2.2"), BOUNCE_SOFT,
	       "5.2.2 (full) soft");
	is_int(bounce_score_kind_for("5.1.8"), BOUNCE_SOFT,
	       "5.1.8 (our sender refused) is not hard");
	is_int(bounce_score_kind_for("5.1.7"), BOUNCE_SOFT, "nor 5.1.7");
	is_int(bounce_score_kind_for("5.7.1"), BOUNCE_SOFT, "5.7.1 soft");
	is_int(bounce_score_kind_for(NULL), BOUNCE_SOFT, "no code: soft");
	tap_done();
}
