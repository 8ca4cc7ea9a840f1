/*
 * digest - the engagement digest's selection (DIGEST.md), as pure
 * functions over what store_digest_load() read.
 *
 * digest_club_init() derives, once per club and instant, each message's
 * class (ack-only, substantive, disagreement marker, first post), each
 * thread's tags, debate metrics (digest_metrics.c) and unanswered state
 * (digest_unanswered.c); digest_select() then picks one member's issue
 * (digest_select.c, with the nudge of digest_nudge.c).  Members, threads
 * and messages are named by their index in the store_digest arrays.
 */
#ifndef MLISTD_DIGEST_H
#define MLISTD_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "digest_params.h"
#include "digest_tags.h"
#include "store.h"

/* what one message is, for the digest */
struct digest_msg {
	int author;	  /* member index, -1: not a member */
	int thread;	  /* thread index, -1: unknown */
	int parent;	  /* message index, -1: no known parent */
	bool counted;	  /* not auto, by a member of any role */
	bool ack;	  /* ack-only (DIGEST 1.2) */
	bool substantive; /* counted, not ack-only, not by an animator */
	bool marker;	  /* a disagreement marker (DIGEST 1.4) */
	bool first_post;  /* the author's first counted message */
	bool back;	  /* a member's (not an animator's) first counted
			     message after returning_users_d of silence
			     (DIGEST 1.7's "de retour") */
};

/* DIGEST.md 1.4 for one thread */
struct digest_metrics {
	int M, P, X, Rr, m_max, D;
	double beta, mu, pi, age_h, phi, delta, score;
	bool duel, open;
};

struct digest_thread {
	int root;  /* message index, -1 when not read */
	int *msgs; /* message indexes in date order */
	size_t nmsgs;
	uint64_t tags;
	bool question;	/* the root asks (DIGEST 1.3) */
	bool launched;	/* an animator's [Débat] root, or approved */
	bool intro;	/* the root is its author's first post */
	bool candidate; /* an unanswered candidate (DIGEST 1.5) */
	bool answered;
	bool listed; /* unanswered and old enough, not too old */
	struct digest_metrics m;
};

struct digest_alias {
	char *address;
	int member;
};

struct digest_club {
	const struct store_digest *d;
	const struct digest_params *p;
	time_t now;
	time_t until; /* now - cutoff_min: nothing later counts */
	bool quiet;   /* now is in a club quiet period (the caller sets it:
			 club_quiet_on in the club's zone) */
	struct digest_msg *msg;
	struct digest_thread *thr;
	struct digest_vocab vocab;
	int *waiting; /* listed unanswered threads, in section 4's order */
	size_t nwaiting;
	int *debates; /* open debates, score desc */
	size_t ndebates;
	uint64_t *ties; /* member pairs (lo << 32 | hi) with a substantive
			   cross-author reply, sorted */
	size_t nties;
	/* what digest_header counts, dates sorted: counted messages and
	   thread roots up to until, joins up to now; a member's counts
	   are then binary searches, not passes over the whole club */
	time_t *hdr_msgs, *hdr_roots, *hdr_joins;
	size_t nhdr_msgs, nhdr_roots, nhdr_joins;
	struct digest_alias *aliases; /* members' other addresses, sorted */
	size_t naliases;
};

/* digest_club_init - derive everything per club at now; vocabulary is
   the club setting (NULL: none) */
void digest_club_init(struct digest_club *c, const struct store_digest *d,
		      const struct digest_params *p, const char *vocabulary,
		      time_t now);
void digest_club_free(struct digest_club *c);
/* digest_member_find - index of address, or of the member it is an
   alias of (DIGEST 1.2), -1 if not a member */
int digest_member_find(const struct digest_club *c, const char *address);
/* digest_tied - a and b exchanged a substantive cross-author reply */
bool digest_tied(const struct digest_club *c, int a, int b);

/* digest_metrics.c */
void digest_metrics_thread(const struct digest_club *c, int t,
			   struct digest_metrics *m);
/* digest_score - DIGEST 1.4's score from the counts */
double digest_score(const struct digest_params *p, int X, int Rr, int P,
		    int m_max, int M, double age_h, int D,
		    struct digest_metrics *m);
/* digest_metrics_open_debates - fill c->debates */
void digest_metrics_open_debates(struct digest_club *c);

/* digest_unanswered.c: each thread's state and c->waiting */
void digest_unanswered(struct digest_club *c);

enum digest_pv { DIGEST_NUDGE, DIGEST_REPLY, DIGEST_REASSURANCE };

struct digest_pv_item {
	enum digest_pv kind;
	int thread;
	int names[2]; /* nudge: participants named, member indexes */
	size_t nnames;
};

/* one member's issue */
struct digest_issue {
	int member;
	const char *skip; /* SPEC 2's skip_reason, NULL when sent */
	time_t since;
	int new_threads, messages, new_members; /* header */
	struct digest_pv_item pv[3];
	size_t npv;
	int une[2];
	size_t nune;
	int debats[3];
	size_t ndebats;
	int attente[3];
	size_t nattente;
	int bienvenue[5];
	size_t nbienvenue, bienvenue_more;
	int autres[5];
	int autres_back[5]; /* per item: a member back in that thread in
			       the period (member index), -1: none */
	size_t nautres;
	int n_debates, n_waiting, n_new; /* subject counts (DIGEST 2.3) */
	bool invite;	     /* the "invite a peer" footer (DIGEST 2.2 row 7) */
	bool dormant_notice; /* first monthly issue: say so (DIGEST 2.1) */
	const char *keep_weekly; /* its one-click address (the sender's) */
};

/* digest_select - member's issue for the period starting at since
   (0: from the member's last evaluation, at most since_max_d) */
void digest_select(const struct digest_club *c, int member, time_t since,
		   struct digest_issue *is);

/* digest_nudge.c */
/* digest_affinity - DIGEST 1.6 affinity of member u for thread t;
   waiting: t is in u's section 4 */
int digest_affinity(const struct digest_club *c, int u, int t, bool waiting);
/* digest_lurker - u is a passive member (DIGEST 1.6's definition) */
bool digest_lurker(const struct digest_club *c, int u);
/* digest_recent_posts - u's substantive messages in the last
   lurker_window_d (0: passive; core_min_posts or more: a core member) */
int digest_recent_posts(const struct digest_club *c, int u);
/* digest_last_active - u's latest activity: a counted message, a list
   command, a "keep weekly" click, else the join */
time_t digest_last_active(const struct digest_club *c, int u);
/* digest_passive - u is passive and may be nudged now */
bool digest_passive(const struct digest_club *c, int u);
/* digest_nudge_names - up to two participants of t to name for u */
size_t digest_nudge_names(const struct digest_club *c, int u, int t,
			  int names[2]);

/* digest_report.c: the figures of the animators' report (DIGEST 2.5) */
struct digest_newcomer {
	int member;
	int first;     /* thread of the first post, -1: none yet */
	bool answered; /* that thread got a reply */
};

struct digest_report {
	time_t since, until;
	int new_threads, messages, posters, new_members;
	struct digest_newcomer *newcomers; /* joined in the last 28 days */
	size_t nnewcomers;
	int passive; /* a count, never names */
};

void digest_report(const struct digest_club *c, time_t since,
		   struct digest_report *r);
void digest_report_free(struct digest_report *r);
/* digest_header - the header counts of the period (since, until] */
void digest_header(const struct digest_club *c, time_t since, int *threads_r,
		   int *messages_r, int *members_r);

/* digest_subject.c: "[club] 1 débat · ..." in lang (en or fr); caller
   frees */
char *digest_subject(const char *club, const char *lang,
		     const struct digest_issue *is);
/* digest_header_line - "4 nouveaux fils · 12 messages · 1 nouveau
   membre", zero counts omitted; caller frees */
char *digest_header_line(const char *lang, const struct digest_issue *is);

/* digest_render.c: the template variables of one issue */
struct tmpl_vars;
struct digest_render_ctx {
	const char *club, *title, *lang, *domain, *subject;
	char delimiter;
};
void digest_render_vars(const struct digest_club *c,
			const struct digest_issue *is,
			const struct digest_render_ctx *r, struct tmpl_vars *v);

#endif
