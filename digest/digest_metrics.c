/*
 * digest_metrics - the open-debate metrics and score of DIGEST.md 1.4.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "xalloc.h"

double
digest_score(const struct digest_params *p, int X, int Rr, int P, int m_max,
	     int M, double age_h, int D, struct digest_metrics *m)
{
	m->X = X;
	m->Rr = Rr;
	m->P = P;
	m->m_max = m_max;
	m->M = M;
	m->D = D;
	m->age_h = age_h;
	m->beta = 0;
	if (P >= 2 && M > 0) {
		m->beta = (1.0 - (double)m_max / M) / (1.0 - 1.0 / P);
		m->beta = m->beta < 0 ? 0 : m->beta > 1 ? 1 : m->beta;
	}
	m->mu = X + Rr;
	m->pi = (P < p->deb_P_cap ? P : p->deb_P_cap) - 1;
	m->pi = m->pi < 0 ? 0 : m->pi;
	m->phi = M > 0 ? pow(0.5, age_h / p->deb_half_life_h) : 0;
	m->delta = 1 + p->deb_marker_w * (D < 2 ? D : 2);
	/* pow(0, 0) would be 1 */
	m->score = m->mu == 0 || P < 2
		       ? 0
		       : pow(m->mu, m->beta) * m->pi * m->phi * m->delta;
	return m->score;
}

/* duel - the two most active authors wrote more than duel_share of M */
static bool
duel(const struct digest_params *p, const int *counts, size_t n, int M)
{
	int first = 0, second = 0;

	if (M < p->duel_min_M)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (counts[i] > first) {
			second = first;
			first = counts[i];
		} else if (counts[i] > second)
			second = counts[i];
	}
	return (double)(first + second) > p->duel_share * M;
}

/* earlier_by - the author of message k has a counted message before k in
   thread t, at any time */
static bool
earlier_by(const struct digest_club *c, const struct digest_thread *t,
	   size_t pos)
{
	int author = c->msg[t->msgs[pos]].author;

	for (size_t j = 0; j < pos; j++)
		if (c->msg[t->msgs[j]].counted &&
		    c->msg[t->msgs[j]].author == author)
			return true;
	return false;
}

void
digest_metrics_thread(const struct digest_club *c, int ti,
		      struct digest_metrics *m)
{
	const struct digest_params *p = c->p;
	const struct store_dthread *st = &c->d->threads[ti];
	const struct digest_thread *t = &c->thr[ti];
	time_t from = c->now - (time_t)p->lookback_d * 86400, last = 0;
	int *authors = xcalloc(t->nmsgs + 1, sizeof(int));
	int *counts = xcalloc(t->nmsgs + 1, sizeof(int));
	bool *marked = xcalloc(t->nmsgs + 1, sizeof(bool));
	int M = 0, X = 0, Rr = 0, D = 0, m_max = 0;
	size_t P = 0;

	for (size_t k = 0; k < t->nmsgs; k++) {
		int i = t->msgs[k], a = c->msg[i].author, par;
		size_t j;

		if (!c->msg[i].substantive || c->d->msgs[i].date < from)
			continue;
		M++;
		last = c->d->msgs[i].date;
		for (j = 0; j < P && authors[j] != a; j++)
			;
		if (j == P)
			authors[P++] = a;
		counts[j]++;
		if (c->msg[i].marker && !marked[j]) {
			marked[j] = true;
			D++;
		}
		par = c->msg[i].parent;
		if (par >= 0 && c->msg[par].author != a) {
			X++;
			if (earlier_by(c, t, k))
				Rr++;
		}
	}
	for (size_t j = 0; j < P; j++)
		m_max = counts[j] > m_max ? counts[j] : m_max;
	memset(m, 0, sizeof(*m));
	digest_score(p, X, Rr, (int)P, m_max, M,
		     M ? (double)(c->now - last) / 3600.0 : 0, D, m);
	m->duel = duel(p, counts, P, M);
	m->open = (int)P >= p->deb_min_P && Rr >= p->deb_min_Rr &&
		  X >= p->deb_min_X && m->age_h <= p->deb_max_idle_h &&
		  !st->closed && !st->muted && m->score >= p->deb_min_score &&
		  !m->duel;
	free(marked);
	free(counts);
	free(authors);
}

static int
by_score(const void *a, const void *b, void *arg)
{
	const struct digest_club *c = arg;
	int x = *(const int *)a, y = *(const int *)b;
	double sx = c->thr[x].m.score, sy = c->thr[y].m.score;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return strcmp(c->d->threads[x].key, c->d->threads[y].key);
}

void
digest_metrics_open_debates(struct digest_club *c)
{
	c->debates = xcalloc(c->d->nthreads + 1, sizeof(int));
	c->ndebates = 0;
	for (size_t t = 0; t < c->d->nthreads; t++)
		if (c->thr[t].m.open)
			c->debates[c->ndebates++] = (int)t;
	if (c->ndebates > 1)
		qsort_r(c->debates, c->ndebates, sizeof(int), by_score, c);
}
