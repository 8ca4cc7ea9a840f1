/*
 * digest_params - the per-club parameters of DIGEST.md 1.1, in one
 * struct with their defaults.
 */
#ifndef MLISTD_DIGEST_PARAMS_H
#define MLISTD_DIGEST_PARAMS_H

struct digest_params {
	int cutoff_min;	 /* messages younger than this: ignored */
	int since_max_d; /* the longest period an issue covers */
	int lookback_d;	 /* debate metrics window */
	int deb_min_P, deb_min_Rr, deb_min_X;
	int deb_max_idle_h;
	double deb_half_life_h;
	int deb_P_cap;
	double deb_marker_w; /* per author, at most 2 */
	int duel_min_M;
	double duel_share;
	double deb_min_score;
	int ack_max_chars;
	int unanswered_min_wait_h;
	int unanswered_max_age_d;
	int unanswered_max_shows; /* per recipient */
	int newcomer_d;
	int newcomer_grace_d; /* no nudges before */
	int lurker_window_d;
	int nudge_gap_d;
	int nudge_max_ignored;
	int nudge_min_affinity;
	int active_skip_posts;
	int launched_max_idle_d; /* a launched debate without replies */
	int returning_users_d;	 /* silence before a post is "back" */
	int core_min_posts;	 /* in lurker_window_d: a core member */
	int invite_every;	 /* issues: the invite footer at most once */
	int dormant_d;		 /* no activity: highlights become monthly */
	int monthly_gap_d; /* a dormant member's issues at most this often */
	double bounce_inactive; /* bounce score that stops issues */
};

/* digest_params_default - DIGEST.md 1.1's defaults */
void digest_params_default(struct digest_params *p);

#endif
