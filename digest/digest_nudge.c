/*
 * digest_nudge - passive members and the one personal nudge
 * (DIGEST.md 1.6).
 */
#include <stdlib.h>
#include <string.h>

#include "digest.h"

static bool
is_role(const struct store_member *m, const char *role)
{
	return m->role && strcmp(m->role, role) == 0;
}

bool
digest_lurker(const struct digest_club *c, int u)
{
	const struct digest_params *p = c->p;
	const struct store_member *m = &c->d->members[u];

	if (is_role(m, "animator") || is_role(m, "system") || m->paused ||
	    strcmp(m->status, "active") != 0 ||
	    m->bounce_score >= p->bounce_inactive ||
	    (m->highlights && strcmp(m->highlights, "off") == 0) ||
	    m->joined > c->now - (time_t)p->newcomer_grace_d * 86400)
		return false;
	return digest_recent_posts(c, u) == 0;
}

time_t
digest_last_active(const struct digest_club *c, int u)
{
	time_t last = c->d->members[u].joined;

	if (c->d->states[u].last_command_at > last)
		last = c->d->states[u].last_command_at;
	for (size_t i = 0; i < c->d->nmsgs; i++)
		if (c->msg[i].author == u && c->msg[i].counted &&
		    c->d->msgs[i].date <= c->until && c->d->msgs[i].date > last)
			last = c->d->msgs[i].date;
	return last;
}

int
digest_recent_posts(const struct digest_club *c, int u)
{
	time_t from = c->now - (time_t)c->p->lurker_window_d * 86400;
	int n = 0;

	for (size_t i = 0; i < c->d->nmsgs; i++)
		n += c->msg[i].author == u && c->msg[i].substantive &&
		     c->d->msgs[i].date > from &&
		     c->d->msgs[i].date <= c->until;
	return n;
}

bool
digest_passive(const struct digest_club *c, int u)
{
	const struct digest_params *p = c->p;
	const struct store_dstate *st = &c->d->states[u];

	/* a nudge at most every nudge_gap_d, none after too many ignored */
	if ((st->last_nudge_at &&
	     st->last_nudge_at > c->now - (time_t)p->nudge_gap_d * 86400) ||
	    st->ignored_nudges >= p->nudge_max_ignored)
		return false;
	return digest_lurker(c, u);
}

/* participant - a member, not the animator, with a counted message in t */
static bool
participant(const struct digest_club *c, int t, int a)
{
	const struct digest_thread *dt = &c->thr[t];

	if (a < 0 || is_role(&c->d->members[a], "animator") ||
	    is_role(&c->d->members[a], "system"))
		return false;
	for (size_t k = 0; k < dt->nmsgs; k++)
		if (c->msg[dt->msgs[k]].counted &&
		    c->msg[dt->msgs[k]].author == a)
			return true;
	return false;
}

int
digest_affinity(const struct digest_club *c, int u, int t, bool waiting)
{
	const struct digest_thread *dt = &c->thr[t];
	uint64_t tags = digest_vocab_member(&c->vocab, c->d->members[u].tags);
	int score = 0;

	for (size_t k = 0; k < dt->nmsgs; k++) {
		int a = c->msg[dt->msgs[k]].author;

		if (a != u && participant(c, t, a) && digest_tied(c, u, a)) {
			score += 3;
			break;
		}
	}
	if (tags & dt->tags)
		score += 2;
	if (waiting)
		score += 2;
	if (dt->intro)
		score += 1;
	if (dt->launched)
		score += 1;
	return score;
}

struct name_rank {
	int member;
	bool tied;
	int substantive;
	int first; /* position of the first message */
};

static int
by_rank(const void *a, const void *b)
{
	const struct name_rank *x = a, *y = b;

	if (x->tied != y->tied)
		return x->tied ? -1 : 1;
	if (x->substantive != y->substantive)
		return x->substantive > y->substantive ? -1 : 1;
	return x->first - y->first;
}

size_t
digest_nudge_names(const struct digest_club *c, int u, int t, int names[2])
{
	const struct digest_thread *dt = &c->thr[t];
	struct name_rank r[64];
	size_t n = 0;

	for (size_t k = 0; k < dt->nmsgs; k++) {
		int i = dt->msgs[k], a = c->msg[i].author;
		size_t j;

		if (a == u || !c->msg[i].counted || !participant(c, t, a))
			continue;
		for (j = 0; j < n && r[j].member != a; j++)
			;
		if (j == n) {
			if (n == sizeof(r) / sizeof(r[0]))
				continue;
			r[n++] = (struct name_rank){a, digest_tied(c, u, a), 0,
						    (int)k};
		}
		r[j].substantive += c->msg[i].substantive;
	}
	if (n > 1)
		qsort(r, n, sizeof(r[0]), by_rank);
	for (size_t j = 0; j < n && j < 2; j++)
		names[j] = r[j].member;
	return n < 2 ? n : 2;
}
