/*
 * member_bounce - what bounces do to a member (SPEC.md 8): score
 * (bounce_score.c), suspension with a notice to the animators, weekly
 * probes whose Reply-To is a confirm token, removal after
 * BOUNCE_SCORE_PROBES probes without an answer.  Every function works
 * inside the caller's open transaction, so a bounce, its effect and the
 * notices it causes are durable together.
 */
#ifndef MLISTD_MEMBER_BOUNCE_H
#define MLISTD_MEMBER_BOUNCE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bounce.h"
#include "token.h"

struct conf;
struct store;

struct member_bounce_in {
	int64_t club; /* the club the report reached (0: trust member) */
	int64_t member;
	int64_t msg; /* the message whose copy bounced, 0: unknown */
	enum bounce_kind kind;
	bool dmarc;
	const char *status;	/* "5.1.1" or NULL */
	const char *diagnostic; /* or NULL */
};

/* member_bounce - log and score one bounce; *counted_r whether it
   counted, *suspended_r whether it suspended the member now.  Returns 0
   (with *error_r set when the animators' notice could not be rendered:
   log it), or -1 with *error_r on a database error. */
int member_bounce(struct store *s, const struct conf *conf,
		  const struct member_bounce_in *in, time_t now,
		  bool *counted_r, bool *suspended_r, char **error_r);

/* member_bounce_probes - send the weekly probes that are due and remove
   the members whose last probe went unanswered for a week.  Returns 0
   (with *error_r set when a probe could not be rendered: that member is
   tried again next time), or -1 on a database error. */
int member_bounce_probes(struct store *s, const struct conf *conf,
			 const unsigned char key[TOKEN_KEY_LEN], time_t now,
			 int *probed_r, int *removed_r, char **error_r);

/* member_bounce_probe_arg - the confirm-token payload that resumes
   member ("p.ID36"); member_bounce_parse_probe reads it back (0: not
   one) */
void member_bounce_probe_arg(int64_t member, char out[24]);
int64_t member_bounce_parse_probe(const char *arg);

/* member_bounce_token_arg - the bounce-token payload of a copy:
   "MEMBER36.MSG36"; member_bounce_parse_arg reads it back (-1: bad) */
void member_bounce_token_arg(int64_t member, int64_t msg, char out[32]);
int member_bounce_parse_arg(const char *arg, int64_t *member_r, int64_t *msg_r);

#endif
