/*
 * digest_select - one member's issue: skip rules, sections 1-6 with
 * de-duplication D1-D5, caps and subject counts (DIGEST.md 2, read as
 * 2.4 says).
 */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "xalloc.h"

#define MAX_THREADS 15 /* thread items in one issue */

/* what member u did and may see, per thread */
struct view {
	const struct digest_club *c;
	int u;
	time_t since;
	bool each, digest;
	bool *claimed;	     /* taken by a section, or hidden (D5) */
	bool *posted_period; /* a counted message in the period (D2) */
	bool *posted_ever;   /* a counted message at any time (D3) */
	bool *news;	     /* substantive by others after u's last post */
	int *activity;	     /* substantive messages in the period */
	time_t *last;	     /* latest substantive message in the period */
};

static bool
in_period(const struct view *v, int i)
{
	time_t d = v->c->d->msgs[i].date;

	return d > v->since && d <= v->c->until;
}

static int
cmp_pair(const void *a, const void *b)
{
	const struct store_dpair *x = a, *y = b;

	if (x->member != y->member)
		return x->member < y->member ? -1 : 1;
	return x->thread < y->thread ? -1 : x->thread > y->thread;
}

/* pair_find - (member, other) in pairs sorted by member, other */
static const struct store_dpair *
pair_find(const struct store_dpair *v, size_t n, int64_t member, int64_t other)
{
	struct store_dpair k = {member, other, 0};

	return n ? bsearch(&k, v, n, sizeof(k), cmp_pair) : NULL;
}

/* hidden - D5: u muted t, or ignores the member who started it */
static bool
hidden(const struct digest_club *c, int u, int t)
{
	int root = c->thr[t].root, a = root >= 0 ? c->msg[root].author : -1;
	int64_t id = c->d->members[u].id;

	return pair_find(c->d->mutes, c->d->nmutes, id, c->d->threads[t].id) ||
	       (a >= 0 && pair_find(c->d->ignores, c->d->nignores, id,
				    c->d->members[a].id));
}

static void
view_init(struct view *v, const struct digest_club *c, int u, time_t since)
{
	size_t nt = c->d->nthreads ? c->d->nthreads : 1;
	const char *delivery = c->d->members[u].delivery;

	memset(v, 0, sizeof(*v));
	v->c = c;
	v->u = u;
	v->since = since;
	v->each = strcmp(delivery, "each") == 0;
	v->digest = strcmp(delivery, "digest") == 0;
	v->claimed = xcalloc(nt, sizeof(bool));
	v->posted_period = xcalloc(nt, sizeof(bool));
	v->posted_ever = xcalloc(nt, sizeof(bool));
	v->news = xcalloc(nt, sizeof(bool));
	v->activity = xcalloc(nt, sizeof(int));
	v->last = xcalloc(nt, sizeof(time_t));
	for (size_t t = 0; t < c->d->nthreads; t++) {
		const struct digest_thread *dt = &c->thr[t];

		v->claimed[t] = hidden(c, u, (int)t);
		for (size_t k = 0; k < dt->nmsgs; k++) {
			int i = dt->msgs[k];
			const struct digest_msg *m = &c->msg[i];

			if (m->counted && m->author == u) {
				v->posted_ever[t] = true;
				v->posted_period[t] |= in_period(v, i);
				v->news[t] = false;
			} else if (m->substantive && in_period(v, i) &&
				   v->posted_ever[t])
				v->news[t] = true;
			if (m->substantive && in_period(v, i)) {
				v->activity[t]++;
				v->last[t] = c->d->msgs[i].date;
			}
		}
	}
}

static void
view_free(struct view *v)
{
	free(v->claimed);
	free(v->posted_period);
	free(v->posted_ever);
	free(v->news);
	free(v->activity);
	free(v->last);
}

/* already_seen - D2 and D3 for sections 3 and 6 */
static bool
already_seen(const struct view *v, int t)
{
	return (v->each && v->posted_period[t]) ||
	       (v->digest && v->posted_ever[t]);
}

/* a list of thread indexes, before caps */
struct list {
	int *v;
	size_t n;
};

static void
list_add(struct list *l, int t)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(int));
	l->v[l->n++] = t;
}

static void
list_remove(struct list *l, int t)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == t) {
			memmove(&l->v[i], &l->v[i + 1],
				(l->n - i - 1) * sizeof(int));
			l->n--;
			return;
		}
}

static bool
list_has(const struct list *l, size_t cap, int t)
{
	for (size_t i = 0; i < l->n && i < cap; i++)
		if (l->v[i] == t)
			return true;
	return false;
}

/* by_recent - replies to u: latest activity first, then the key */
static int
by_recent(const void *a, const void *b, void *arg)
{
	const struct view *v = arg;
	int x = *(const int *)a, y = *(const int *)b;

	if (v->last[x] != v->last[y])
		return v->last[x] > v->last[y] ? -1 : 1;
	return strcmp(v->c->d->threads[x].key, v->c->d->threads[y].key);
}

/* by_activity - section 6's order */
static int
by_activity(const void *a, const void *b, void *arg)
{
	const struct view *v = arg;
	int x = *(const int *)a, y = *(const int *)b;

	if (v->activity[x] != v->activity[y])
		return v->activity[x] > v->activity[y] ? -1 : 1;
	return by_recent(a, b, arg);
}

/* pair_count - the count of (u, t) in pairs sorted by member, thread */
static int
pair_count(const struct digest_club *c, const struct store_dpair *v, size_t n,
	   int u, int t)
{
	const struct store_dpair *hit =
	    pair_find(v, n, c->d->members[u].id, c->d->threads[t].id);

	return hit ? hit->count : 0;
}

/* shows - how often waiting item t was shown to u already */
static int
shows(const struct digest_club *c, int u, int t)
{
	return pair_count(c, c->d->shown, c->d->nshown, u, t);
}

static bool
nudged_before(const struct digest_club *c, int u, int t)
{
	return pair_count(c, c->d->nudged, c->d->nnudged, u, t) > 0;
}

/* replied - t has a counted message besides its root */
static bool
replied(const struct digest_club *c, int t)
{
	const struct digest_thread *dt = &c->thr[t];

	for (size_t k = 0; k < dt->nmsgs; k++)
		if (dt->msgs[k] != dt->root && c->msg[dt->msgs[k]].counted)
			return true;
	return false;
}

/* section2 - one launched or approved debate (the newest root), then one
   pinned thread (the newest pin) */
static void
section2(const struct view *v, struct list *l)
{
	const struct digest_club *c = v->c;
	int launched = -1, pinned = -1;

	for (size_t t = 0; t < c->d->nthreads; t++) {
		const struct store_dthread *st = &c->d->threads[t];
		const struct digest_thread *dt = &c->thr[t];

		if (st->muted || v->claimed[t] || dt->root < 0)
			continue;
		/* dropped after launched_max_idle_d without replies */
		if (dt->launched &&
		    (replied(c, (int)t) ||
		     c->d->msgs[dt->root].date >
			 c->now - (time_t)c->p->launched_max_idle_d * 86400) &&
		    (launched < 0 ||
		     c->d->msgs[dt->root].date >
			 c->d->msgs[c->thr[launched].root].date))
			launched = (int)t;
		if (st->pin_issues > 0 && st->pinned_at &&
		    (pinned < 0 ||
		     st->pinned_at > c->d->threads[pinned].pinned_at))
			pinned = (int)t;
	}
	if (launched >= 0)
		list_add(l, launched);
	if (pinned >= 0 && pinned != launched)
		list_add(l, pinned);
}

/* choose_nudge - DIGEST 1.6's choice among sections 2-4 as selected */
static int
choose_nudge(const struct view *v, const struct list *s2, const struct list *s3,
	     const struct list *s4)
{
	const struct digest_club *c = v->c;
	const struct list *secs[] = {s2, s3, s4};
	const size_t caps[] = {2, 3, 3};
	int best = -1, best_aff = 0;
	bool best_wait = false;

	if (!digest_passive(c, v->u))
		return -1;
	for (size_t s = 0; s < 3; s++)
		for (size_t i = 0; i < secs[s]->n && i < caps[s]; i++) {
			int t = secs[s]->v[i], aff;
			bool wait = s == 2, better;
			time_t rt, rb;

			if (v->posted_ever[t] || nudged_before(c, v->u, t) ||
			    c->d->threads[t].closed)
				continue;
			aff = digest_affinity(c, v->u, t, wait);
			if (aff < c->p->nudge_min_affinity)
				continue;
			if (best < 0 || aff != best_aff) {
				better = best < 0 || aff > best_aff;
			} else if (wait != best_wait) {
				better = wait;
			} else {
				rt = c->d->msgs[c->thr[t].root].date;
				rb = c->d->msgs[c->thr[best].root].date;
				better =
				    rt != rb
					? rt < rb
					: strcmp(c->d->threads[t].key,
						 c->d->threads[best].key) < 0;
			}
			if (better) {
				best = t;
				best_aff = aff;
				best_wait = wait;
			}
		}
	return best;
}

static void
claim(struct view *v, const struct list *l, size_t cap, int *out, size_t *n_r)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n && n < cap; i++) {
		out[n++] = l->v[i];
		v->claimed[l->v[i]] = true;
	}
	*n_r = n;
}

/* later_than - how many of the n sorted dates t are after since */
static int
later_than(const time_t *t, size_t n, time_t since)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] <= since)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)(n - lo);
}

void
digest_header(const struct digest_club *c, time_t since, int *threads_r,
	      int *messages_r, int *members_r)
{
	/* the dates were taken within until and now by digest_club_init */
	*messages_r = later_than(c->hdr_msgs, c->nhdr_msgs, since);
	*threads_r = later_than(c->hdr_roots, c->nhdr_roots, since);
	*members_r = later_than(c->hdr_joins, c->nhdr_joins, since);
}

/* section5 - members who joined in the period, by join date */
static void
section5(const struct view *v, struct digest_issue *is)
{
	const struct digest_club *c = v->c;
	int *who = xcalloc(c->d->nmembers + 1, sizeof(int));
	size_t n = 0;

	for (size_t j = 0; j < c->d->nmembers; j++) {
		const struct store_member *m = &c->d->members[j];

		if ((int)j == v->u || !m->featured || m->joined <= v->since ||
		    m->joined > c->now || strcmp(m->status, "active") != 0)
			continue;
		/* insertion by join date, then address (the array's order) */
		size_t k = n;
		while (k > 0 && c->d->members[who[k - 1]].joined > m->joined) {
			who[k] = who[k - 1];
			k--;
		}
		who[k] = (int)j;
		n++;
	}
	for (size_t k = 0; k < n && k < 5; k++)
		is->bienvenue[is->nbienvenue++] = who[k];
	is->bienvenue_more = n > 5 ? n - 5 : 0;
	free(who);
}

/* back_in - the first member back after a long silence (DIGEST 1.7)
   in thread t during the period, other than u and featured (those who
   opted out are never named), or -1 */
static int
back_in(const struct view *v, int t)
{
	const struct digest_thread *dt = &v->c->thr[t];

	for (size_t k = 0; k < dt->nmsgs; k++) {
		int i = dt->msgs[k], a = v->c->msg[i].author;

		if (v->c->msg[i].back && a != v->u && in_period(v, i) &&
		    v->c->d->members[a].featured)
			return a;
	}
	return -1;
}

/* sections - everything of a member not skipped before "empty" */
static void
sections(struct view *v, struct digest_issue *is)
{
	const struct digest_club *c = v->c;
	struct list replies = {0}, reassure = {0}, s2 = {0}, s3 = {0}, s4 = {0},
		    s6 = {0};
	size_t nd = c->d->nthreads, n14, cap6;
	int nudge;

	/* section 1 without the nudge: replies (digest members), then u's
	   own waiting roots (D4) */
	for (size_t t = 0; v->digest && t < nd; t++)
		if (v->news[t] && !c->d->threads[t].muted && !v->claimed[t])
			list_add(&replies, (int)t);
	if (replies.n > 1)
		qsort_r(replies.v, replies.n, sizeof(int), by_recent, v);
	for (size_t i = 0; i < c->nwaiting; i++)
		if (c->msg[c->thr[c->waiting[i]].root].author == v->u &&
		    !v->claimed[c->waiting[i]])
			list_add(&reassure, c->waiting[i]);
	for (size_t i = 0; i < replies.n; i++)
		v->claimed[replies.v[i]] = true;
	for (size_t i = 0; i < reassure.n; i++)
		v->claimed[reassure.v[i]] = true;
	section2(v, &s2);
	for (size_t i = 0; i < s2.n; i++)
		v->claimed[s2.v[i]] = true;
	for (size_t i = 0; i < c->ndebates; i++)
		if (!v->claimed[c->debates[i]] &&
		    !already_seen(v, c->debates[i]))
			list_add(&s3, c->debates[i]);
	for (size_t i = 0; i < c->nwaiting; i++) {
		int t = c->waiting[i];

		if (!v->claimed[t] &&
		    shows(c, v->u, t) < c->p->unanswered_max_shows)
			list_add(&s4, t);
	}
	/* the nudge leaves its section, whose next item moves up */
	nudge = choose_nudge(v, &s2, &s3, &s4);
	if (nudge >= 0) {
		struct digest_pv_item *it = &is->pv[is->npv++];

		it->kind = DIGEST_NUDGE;
		it->thread = nudge;
		it->nnames = digest_nudge_names(c, v->u, nudge, it->names);
		v->claimed[nudge] = true;
		if (c->thr[nudge].launched || c->thr[nudge].m.open)
			is->n_debates++;
		if (list_has(&s4, 3, nudge))
			is->n_waiting++;
		list_remove(&s2, nudge);
		list_remove(&s3, nudge);
		list_remove(&s4, nudge);
	}
	for (size_t i = 0; i < replies.n && is->npv < 3; i++)
		is->pv[is->npv++] =
		    (struct digest_pv_item){DIGEST_REPLY, replies.v[i], {0}, 0};
	for (size_t i = 0; i < reassure.n && is->npv < 3; i++)
		is->pv[is->npv++] = (struct digest_pv_item){
		    DIGEST_REASSURANCE, reassure.v[i], {0}, 0};
	claim(v, &s2, 2, is->une, &is->nune);
	claim(v, &s3, 3, is->debats, &is->ndebats);
	claim(v, &s4, 3, is->attente, &is->nattente);
	for (size_t i = 0; i < is->nune; i++)
		is->n_debates += c->thr[is->une[i]].launched;
	is->n_debates += (int)is->ndebats;
	is->n_waiting += (int)is->nattente;
	section5(v, is);
	is->n_new = (int)(is->nbienvenue + is->bienvenue_more);
	/* section 6: titles only, so the issue stays under 15 threads */
	for (size_t t = 0; t < nd; t++)
		if (v->activity[t] > 0 && !v->claimed[t] &&
		    !c->d->threads[t].muted && !already_seen(v, (int)t))
			list_add(&s6, (int)t);
	if (s6.n > 1)
		qsort_r(s6.v, s6.n, sizeof(int), by_activity, v);
	n14 = is->npv + is->nune + is->ndebats + is->nattente;
	cap6 = n14 >= MAX_THREADS ? 0 : MAX_THREADS - n14;
	claim(v, &s6, cap6 < 5 ? cap6 : 5, is->autres, &is->nautres);
	for (size_t i = 0; i < is->nautres; i++)
		is->autres_back[i] = back_in(v, is->autres[i]);
	free(replies.v);
	free(reassure.v);
	free(s2.v);
	free(s3.v);
	free(s4.v);
	free(s6.v);
}

/* substantive_posts - u's substantive messages in the period */
static int
substantive_posts(const struct view *v)
{
	int n = 0;

	for (size_t i = 0; i < v->c->d->nmsgs; i++)
		n += v->c->msg[i].author == v->u && v->c->msg[i].substantive &&
		     in_period(v, (int)i);
	return n;
}

/* dormant - no activity for dormant_d: highlights become monthly */
static bool
dormant(const struct digest_club *c, int u)
{
	return digest_last_active(c, u) <=
	       c->now - (time_t)c->p->dormant_d * 86400;
}

/* skip_before - DIGEST 2.4's reasons up to "too soon", or NULL */
static const char *
skip_before(const struct digest_club *c, int u)
{
	const struct store_member *m = &c->d->members[u];
	const struct store_dstate *st = &c->d->states[u];
	bool daily = m->highlights && strcmp(m->highlights, "daily") == 0;

	if (strcmp(m->role, "system") == 0)
		return "system";
	if (strcmp(m->status, "active") != 0 ||
	    m->bounce_score >= c->p->bounce_inactive)
		return "inactive";
	if (m->highlights && strcmp(m->highlights, "off") == 0)
		return "highlights_off";
	if (m->paused || strcmp(m->delivery, "none") == 0)
		return "paused";
	if (c->quiet)
		return "quiet";
	if (st->sent && c->now - st->sent < (daily ? 20 * 3600 : 6 * 86400))
		return "too_soon";
	/* a dormant member's month is not over */
	if (st->sent &&
	    c->now - st->sent < (time_t)c->p->monthly_gap_d * 86400 &&
	    dormant(c, u))
		return "too_soon";
	return NULL;
}

/* invite_due - the "invite a peer" footer: core members only, at most
   once every invite_every issues (DIGEST 2.2 row 7) */
static bool
invite_due(const struct digest_club *c, int u)
{
	const struct store_dstate *st = &c->d->states[u];

	return digest_recent_posts(c, u) >= c->p->core_min_posts &&
	       (st->invite_at == 0 ||
		st->issues_since_invite >= c->p->invite_every - 1);
}

void
digest_select(const struct digest_club *c, int u, time_t since,
	      struct digest_issue *is)
{
	const struct store_dstate *st = &c->d->states[u];
	time_t floor = c->now - (time_t)c->p->since_max_d * 86400;
	struct view v;

	memset(is, 0, sizeof(*is));
	is->member = u;
	/* a monthly issue covers the month since the last one sent */
	if (since == 0 && dormant(c, u))
		since = st->sent > floor ? st->sent : floor;
	if (since == 0)
		since = st->attempted > floor ? st->attempted : floor;
	is->since = since;
	view_init(&v, c, u, since);
	digest_header(c, since, &is->new_threads, &is->messages,
		      &is->new_members);
	if ((is->skip = skip_before(c, u)) == NULL) {
		if (v.each && substantive_posts(&v) >= c->p->active_skip_posts)
			is->skip = "active";
	}
	if (is->skip == NULL) {
		sections(&v, is);
		is->invite = invite_due(c, u);
		/* told once, in the first monthly issue after the member's
		   last activity */
		is->dormant_notice =
		    dormant(c, u) &&
		    st->dormant_notice_at <= digest_last_active(c, u);
		if (is->npv + is->nune + is->ndebats + is->nattente +
			is->nbienvenue ==
		    0)
			is->skip = "empty";
	}
	if (is->skip) {
		struct digest_issue keep = *is;

		memset(is, 0, sizeof(*is));
		is->member = keep.member;
		is->skip = keep.skip;
		is->since = keep.since;
		is->new_threads = keep.new_threads;
		is->messages = keep.messages;
		is->new_members = keep.new_members;
	}
	view_free(&v);
}
