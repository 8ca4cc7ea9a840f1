/*
 * digest_params - DIGEST.md 1.1's defaults.
 */
#include "digest_params.h"

void
digest_params_default(struct digest_params *p)
{
	*p = (struct digest_params){
	    .cutoff_min = 10,
	    .since_max_d = 31,
	    .lookback_d = 14,
	    .deb_min_P = 3,
	    .deb_min_Rr = 2,
	    .deb_min_X = 3,
	    .deb_max_idle_h = 120,
	    .deb_half_life_h = 72,
	    .deb_P_cap = 8,
	    .deb_marker_w = 0.25,
	    .duel_min_M = 8,
	    .duel_share = 0.80,
	    .deb_min_score = 1.0,
	    .ack_max_chars = 20,
	    .unanswered_min_wait_h = 24,
	    .unanswered_max_age_d = 14,
	    .unanswered_max_shows = 2,
	    .newcomer_d = 30,
	    .newcomer_grace_d = 14,
	    .lurker_window_d = 84,
	    .nudge_gap_d = 28,
	    .nudge_max_ignored = 3,
	    .nudge_min_affinity = 3,
	    .active_skip_posts = 3,
	    .launched_max_idle_d = 14,
	    .returning_users_d = 120,
	    .core_min_posts = 3,
	    .invite_every = 4,
	    .dormant_d = 365,
	    .monthly_gap_d = 28,
	    .bounce_inactive = 4,
	};
}
