/*
 * moderate - held posts and the animators who decide them (SPEC.md 6, 7).
 *
 * When intake holds a post (not one held silently as `auto`), every
 * active animator gets one mod-notice: the reasons in words, the post
 * attached as message/rfc822, and Reply-To acme+mod-TOKEN@, the token
 * (action "mod", MODERATE_LIFE) naming the post and that animator.  A
 * reply there is read by modreply.c and acted on by moderate_by_mail in
 * intake's transaction; mlistctl held approve/reject use the same
 * moderate_decide.  The first decision wins and records who made it;
 * a rejection tells the author why (held-rejected) unless the post was
 * held as auto or bounce; posts nobody decided expire (held-expired to
 * their author, member authors only).  Every function runs inside the
 * caller's write transaction and queues its notices there.
 */
#ifndef MLISTD_MODERATE_H
#define MLISTD_MODERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store.h"
#include "token.h"

struct conf;
struct modreply;

#define MODERATE_LIFE (14 * 86400) /* tokens and held posts */

/* moderate_parse_arg - the mod token's payload "MSG.MEMBER" (token_pair);
   -1 when malformed */
int moderate_parse_arg(const char *arg, int64_t *msg_r, int64_t *member_r);

/* the held post intake just stored */
struct moderate_post {
	int64_t club;
	const char *club_name;
	int64_t msg;
	const char *from; /* may be NULL */
	const char *from_name;
	const char *subject;
	const char *const *reasons; /* post_policy's words */
	int nreasons;
	const char *raw;
	size_t len;
};

/* moderate_reply_address - club+mod-TOKEN@domain: animator's decision
   on held post msg by reply (the weekly report lists it too) */
void moderate_reply_address(const struct conf *conf,
			    const unsigned char key[TOKEN_KEY_LEN],
			    const char *club_name, int64_t msg,
			    int64_t animator, time_t now, char out[400]);

/* moderate_notify - one mod-notice per active animator; nothing for a
   post held as auto.  0; 1 with *error_r when the template cannot be
   rendered (nothing queued); -1 with *error_r on a database error */
int moderate_notify(struct store *s, const struct conf *conf,
		    const unsigned char key[TOKEN_KEY_LEN],
		    const struct moderate_post *p, time_t now, char **error_r);

enum moderate_result {
	MODERATE_DONE,	  /* decided now */
	MODERATE_ALREADY, /* decided before (o->post says by whom) */
	MODERATE_GONE,	  /* no such held post (any more) */
};

struct moderate_outcome {
	enum moderate_result result;
	struct store_held post; /* as it is after the call (GONE: empty) */
	int64_t copies;		/* approved: copies queued */
};

/* moderate_decide - approve or reject held post msg as who ("admin" or
   an animator's address), reason (one line, may be NULL) kept in the
   reasons and sent to the author; free o with moderate_outcome_clear.
   0, or -1 with *error_r on a database error (a notice that cannot be
   rendered is only logged) */
int moderate_decide(struct store *s, const struct conf *conf, int64_t msg,
		    bool approve, const char *reason, const char *who,
		    time_t now, struct moderate_outcome *o, char **error_r);
void moderate_outcome_clear(struct moderate_outcome *o);

/* moderate_by_mail - a reply to acme+mod-TOKEN@ naming held post msg
   and member (the animator it was sent to), already parsed into r; the
   token had expired when expired.  Acts if the member is still an
   animator of club and answers them with one mod-reply.  *what_r: a
   short static description for the log.  0, or -1 with *error_r on a
   database error */
int moderate_by_mail(struct store *s, const struct conf *conf, int64_t club,
		     const char *club_name, int64_t msg, int64_t member,
		     bool expired, const struct modreply *r, time_t now,
		     const char **what_r, char **error_r);

/* moderate_expire - up to max posts held longer than MODERATE_LIFE at
   now become expired, their member authors told (held-expired); *n_r:
   how many expired */
int moderate_expire(struct store *s, const struct conf *conf, time_t now,
		    size_t max, int64_t *n_r, char **error_r);

#endif
