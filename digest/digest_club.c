/*
 * digest_club - what a club's messages and threads are at one instant:
 * authors, parents, message classes, tags and ties (DIGEST.md 1.2, 1.6),
 * then the metrics and unanswered state built on them.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "msg_text.h"
#include "xalloc.h"

/* disagreement markers of DIGEST 1.4, folded */
static const char *const markers[] = {
    "pas d'accord",    "desaccord",	  "au contraire",
    "je ne pense pas", "je ne crois pas", "pas convaincu",
    "pas convaincue",  "je conteste",	  "c'est faux",
    "a l'inverse",     "je nuancerais",	  "disagree",
    "i don't think",   "not convinced",	  "on the contrary",
    "i beg to differ", "push back",	  NULL,
};

static int
cmp_alias(const void *a, const void *b)
{
	return strcmp(((const struct digest_alias *)a)->address,
		      ((const struct digest_alias *)b)->address);
}

/* alias_find - the member whose alias address is, -1 if none */
static int
alias_find(const struct digest_club *c, const char *address)
{
	struct digest_alias k = {(char *)address, -1};
	const struct digest_alias *hit =
	    c->naliases
		? bsearch(&k, c->aliases, c->naliases, sizeof(k), cmp_alias)
		: NULL;

	return hit ? hit->member : -1;
}

/* aliases_index - every member's aliases, sorted for alias_find; an
   address that is some member's own is left to that member */
static void
aliases_index(struct digest_club *c)
{
	size_t cap = 0;

	for (size_t u = 0; u < c->d->nmembers; u++) {
		char *copy, *save = NULL, *a;

		if (c->d->members[u].aliases == NULL)
			continue;
		copy = xstrdup(c->d->members[u].aliases);
		for (a = strtok_r(copy, ",", &save); a;
		     a = strtok_r(NULL, ",", &save)) {
			if (c->naliases == cap) {
				cap = cap ? cap * 2 : 16;
				c->aliases = xrealloc(
				    c->aliases, cap * sizeof(*c->aliases));
			}
			c->aliases[c->naliases++] =
			    (struct digest_alias){xstrdup(a), (int)u};
		}
		free(copy);
	}
	if (c->naliases > 1)
		qsort(c->aliases, c->naliases, sizeof(*c->aliases), cmp_alias);
}

int
digest_member_find(const struct digest_club *c, const char *address)
{
	size_t lo = 0, hi = c->d->nmembers;

	if (address == NULL)
		return -1;
	/* store_member_list returns members by address */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(c->d->members[mid].address, address);

		if (cmp == 0)
			return (int)mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return alias_find(c, address);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
pair(int a, int b)
{
	return a < b ? (uint64_t)a << 32 | (uint32_t)b
		     : (uint64_t)b << 32 | (uint32_t)a;
}

bool
digest_tied(const struct digest_club *c, int a, int b)
{
	uint64_t k = pair(a, b);

	return a >= 0 && b >= 0 && a != b && c->nties > 0 &&
	       bsearch(&k, c->ties, c->nties, sizeof(k), cmp_u64) != NULL;
}

/* id_index - message id to index, through ids sorted with their index */
struct id_index {
	int64_t id;
	int index;
};

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = ((const struct id_index *)a)->id,
		y = ((const struct id_index *)b)->id;

	return x < y ? -1 : x > y;
}

static int
lookup(const struct id_index *v, size_t n, int64_t id)
{
	struct id_index k = {id, -1}, *hit;

	hit = bsearch(&k, v, n, sizeof(k), cmp_id);
	return hit ? hit->index : -1;
}

static bool
is_role(const struct store_member *m, const char *role)
{
	return m->role && strcmp(m->role, role) == 0;
}

/* classify - message i's class; parents and authors are known; last:
   each member's latest counted message so far (0: none) */
static void
classify(struct digest_club *c, size_t i, time_t *last)
{
	const struct store_dmsg *sm = &c->d->msgs[i];
	struct digest_msg *m = &c->msg[i];
	const struct store_member *a;
	char *stripped, *folded;

	if (sm->is_auto || m->author < 0)
		return;
	a = &c->d->members[m->author];
	m->counted = true;
	m->first_post = last[m->author] == 0;
	m->back = !m->first_post && !is_role(a, "animator") &&
		  !is_role(a, "system") &&
		  sm->date - last[m->author] >=
		      (time_t)c->p->returning_users_d * 86400;
	last[m->author] = sm->date;
	stripped = msg_text_strip(sm->text);
	m->ack = msg_text_ack_len(stripped) <= (size_t)c->p->ack_max_chars;
	m->substantive =
	    !m->ack && !is_role(a, "animator") && !is_role(a, "system");
	folded = msg_text_fold(stripped);
	m->marker = msg_text_has_phrase(folded, markers);
	free(folded);
	free(stripped);
}

/* thread_root - the root's question, launch, tags */
static void
thread_root(struct digest_club *c, int t)
{
	const struct store_dthread *st = &c->d->threads[t];
	struct digest_thread *dt = &c->thr[t];
	const struct store_dmsg *r;
	struct buf b = BUF_INIT;
	char *stripped, *folded;
	bool debate_subject, by_animator;

	if (dt->root < 0)
		return;
	r = &c->d->msgs[dt->root];
	stripped = msg_text_strip(r->text);
	dt->question = msg_text_is_question(r->subject, stripped);
	buf_printf(&b, "%s\n%s", r->subject ? r->subject : "", stripped);
	folded = msg_text_fold(buf_cstr(&b));
	dt->tags = digest_vocab_match(&c->vocab, folded);
	free(folded);
	folded = msg_text_fold(r->subject);
	debate_subject = strncmp(folded, "[debat]", 7) == 0 ||
			 strncmp(folded, "[debate]", 8) == 0;
	by_animator =
	    c->msg[dt->root].author >= 0 &&
	    is_role(&c->d->members[c->msg[dt->root].author], "animator");
	dt->launched = !r->is_auto &&
		       ((debate_subject && by_animator) || st->debate_approved);
	dt->intro = c->msg[dt->root].first_post;
	free(folded);
	free(stripped);
	buf_free(&b);
}

/* find_ties - pairs of members with a substantive cross-author reply */
static void
find_ties(struct digest_club *c)
{
	size_t cap = 0;

	for (size_t i = 0; i < c->d->nmsgs; i++) {
		const struct digest_msg *m = &c->msg[i];
		int pa;

		if (!m->substantive || m->parent < 0)
			continue;
		pa = c->msg[m->parent].author;
		if (pa < 0 || pa == m->author || c->msg[m->parent].author < 0 ||
		    c->d->msgs[m->parent].is_auto)
			continue;
		if (c->nties == cap) {
			cap = cap ? cap * 2 : 64;
			c->ties = xrealloc(c->ties, cap * sizeof(*c->ties));
		}
		c->ties[c->nties++] = pair(m->author, pa);
	}
	if (c->nties > 1)
		qsort(c->ties, c->nties, sizeof(*c->ties), cmp_u64);
}

static int
cmp_time(const void *a, const void *b)
{
	time_t x = *(const time_t *)a, y = *(const time_t *)b;

	return (x > y) - (x < y);
}

/* header_index - the sorted dates digest_header counts from, once per
   club rather than once per member */
static void
header_index(struct digest_club *c)
{
	const struct store_digest *d = c->d;

	c->hdr_msgs = xcalloc(d->nmsgs + 1, sizeof(time_t));
	c->hdr_roots = xcalloc(d->nmsgs + 1, sizeof(time_t));
	c->hdr_joins = xcalloc(d->nmembers + 1, sizeof(time_t));
	for (size_t i = 0; i < d->nmsgs; i++) {
		const struct digest_msg *m = &c->msg[i];

		if (!m->counted || d->msgs[i].date > c->until)
			continue;
		c->hdr_msgs[c->nhdr_msgs++] = d->msgs[i].date;
		if (m->thread >= 0 && c->thr[m->thread].root == (int)i)
			c->hdr_roots[c->nhdr_roots++] = d->msgs[i].date;
	}
	for (size_t j = 0; j < d->nmembers; j++)
		if (d->members[j].joined <= c->now)
			c->hdr_joins[c->nhdr_joins++] = d->members[j].joined;
	qsort(c->hdr_msgs, c->nhdr_msgs, sizeof(time_t), cmp_time);
	qsort(c->hdr_roots, c->nhdr_roots, sizeof(time_t), cmp_time);
	qsort(c->hdr_joins, c->nhdr_joins, sizeof(time_t), cmp_time);
}

void
digest_club_init(struct digest_club *c, const struct store_digest *d,
		 const struct digest_params *p, const char *vocabulary,
		 time_t now)
{
	size_t n = d->nmsgs, nt = d->nthreads;
	struct id_index *ids = xcalloc(n ? n : 1, sizeof(*ids));
	struct id_index *tids = xcalloc(nt ? nt : 1, sizeof(*tids));
	time_t *last = xcalloc(d->nmembers ? d->nmembers : 1, sizeof(*last));

	memset(c, 0, sizeof(*c));
	c->d = d;
	c->p = p;
	c->now = now;
	c->until = now - (time_t)p->cutoff_min * 60;
	c->msg = xcalloc(n ? n : 1, sizeof(*c->msg));
	c->thr = xcalloc(nt ? nt : 1, sizeof(*c->thr));
	digest_vocab_parse(&c->vocab, vocabulary);
	aliases_index(c);
	for (size_t i = 0; i < n; i++)
		ids[i] = (struct id_index){d->msgs[i].id, (int)i};
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < nt; i++)
		tids[i] = (struct id_index){d->threads[i].id, (int)i};
	if (nt > 1)
		qsort(tids, nt, sizeof(*tids), cmp_id);
	for (size_t i = 0; i < nt; i++)
		c->thr[i].root = lookup(ids, n, d->threads[i].root_id);
	for (size_t i = 0; i < nt; i++)
		if (c->thr[i].root >= 0 &&
		    d->msgs[c->thr[i].root].date > c->until)
			c->thr[i].root = -1;
	for (size_t i = 0; i < n; i++) {
		struct digest_msg *m = &c->msg[i];
		struct digest_thread *t;

		m->author = digest_member_find(c, d->msgs[i].from);
		m->thread = lookup(tids, nt, d->msgs[i].thread_id);
		m->parent = d->msgs[i].parent_id
				? lookup(ids, n, d->msgs[i].parent_id)
				: -1;
		/* messages come in date order: the threads' lists too */
		if (m->thread >= 0 && d->msgs[i].date <= c->until) {
			t = &c->thr[m->thread];
			t->msgs = xrealloc(t->msgs,
					   (t->nmsgs + 1) * sizeof(*t->msgs));
			t->msgs[t->nmsgs++] = (int)i;
		}
		if (d->msgs[i].date <= c->until)
			classify(c, i, last);
	}
	for (size_t t = 0; t < nt; t++) {
		thread_root(c, (int)t);
		digest_metrics_thread(c, (int)t, &c->thr[t].m);
	}
	find_ties(c);
	digest_metrics_open_debates(c);
	digest_unanswered(c);
	header_index(c);
	free(last);
	free(tids);
	free(ids);
}

void
digest_club_free(struct digest_club *c)
{
	for (size_t i = 0; i < c->naliases; i++)
		free(c->aliases[i].address);
	free(c->aliases);
	for (size_t t = 0; c->thr && t < c->d->nthreads; t++)
		free(c->thr[t].msgs);
	free(c->thr);
	free(c->msg);
	free(c->waiting);
	free(c->debates);
	free(c->ties);
	free(c->hdr_msgs);
	free(c->hdr_roots);
	free(c->hdr_joins);
	digest_vocab_free(&c->vocab);
	memset(c, 0, sizeof(*c));
}
