/*
 * post_policy - may a post reach the club's members (SPEC.md 7)?
 *
 * Pure: the caller gathers the facts (the message as parsed, the club's
 * settings, the author's membership) and applies the verdict.  Checks,
 * in order, each adding its reason:
 *   loop      the post carries a List-Id of our domain: one of our own
 *             copies, notices or digests came back.  Never relayed, never
 *             held (nobody should approve it), stored for the record.
 *   bounce    a delivery report sent to the post address: stored, never
 *             relayed, never held.
 *   auto      auto-replies: held silently (no notice to anybody).
 *   nonmember the From address is no member: per the club's nonmember
 *             setting, hold, reject (550 5.7.1 after DATA) or discard.
 *   emergency moderation = emergency holds all but animators' posts.
 *   moderated moderation = all holds all but animators' posts.
 *   newcomer  moderation = newcomers holds a member still flagged
 *             moderated (new members are, until a post of theirs is
 *             approved).
 * Animators' posts pass every moderation mode; auto-replies and loops
 * are caught first whoever sends them.
 */
#ifndef MLISTD_POST_POLICY_H
#define MLISTD_POST_POLICY_H

#include <stdbool.h>

enum post_verdict {
	POST_RELAY,
	POST_HOLD,
	POST_REJECT,  /* 550 5.7.1 */
	POST_DISCARD, /* 250, nothing kept */
	POST_KEEP,    /* 250, stored, neither relayed nor held (loops) */
};

struct post_facts {
	const char *domain;  /* the clubs' mail domain */
	const char *list_id; /* id inside the post's List-Id, or NULL */
	bool is_auto;
	bool is_bounce;
	bool is_member;	   /* From matches a member, whatever its delivery */
	bool is_animator;  /* ... with role animator */
	bool is_moderated; /* ... still flagged moderated */
	const char *moderation; /* club setting: newcomers|none|all|emergency */
	const char *nonmember;	/* club setting: hold|reject|discard */
};

#define POST_MAX_REASONS 4

struct post_decision {
	enum post_verdict verdict;
	const char *reasons[POST_MAX_REASONS]; /* static strings */
	int nreasons;
};

/* post_policy_decide - the verdict for one post */
void post_policy_decide(const struct post_facts *f, struct post_decision *d);
/* post_policy_reasons_json - d's reasons as a JSON array; caller frees */
char *post_policy_reasons_json(const struct post_decision *d);
/* post_policy_is_ours - whether a List-Id names one of our clubs */
bool post_policy_is_ours(const char *list_id, const char *domain);

#endif
