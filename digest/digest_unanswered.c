/*
 * digest_unanswered - members waiting for a reply (DIGEST.md 1.5).
 */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "xalloc.h"

/* answered - a counted message by someone other than the root's author,
   dated after the root (ack-only included) */
static bool
answered(const struct digest_club *c, const struct digest_thread *t)
{
	int author = c->msg[t->root].author;
	time_t root = c->d->msgs[t->root].date;

	for (size_t k = 0; k < t->nmsgs; k++) {
		int i = t->msgs[k];

		if (c->msg[i].counted && c->msg[i].author != author &&
		    i != t->root && c->d->msgs[i].date >= root)
			return true;
	}
	return false;
}

static void
thread_state(struct digest_club *c, int ti)
{
	const struct digest_params *p = c->p;
	const struct store_dthread *st = &c->d->threads[ti];
	struct digest_thread *t = &c->thr[ti];
	const struct store_member *a;
	time_t age;

	if (t->root < 0 || !c->msg[t->root].counted)
		return;
	a = &c->d->members[c->msg[t->root].author];
	t->candidate = strcmp(a->role, "member") == 0 && !st->closed &&
		       !st->muted && !t->launched && (t->question || t->intro);
	t->answered = st->answered || answered(c, t);
	age = c->now - c->d->msgs[t->root].date;
	t->listed = t->candidate && !t->answered &&
		    age >= (time_t)p->unanswered_min_wait_h * 3600 &&
		    age <= (time_t)p->unanswered_max_age_d * 86400;
}

/* by_wait - introductions first, then the oldest root, then the key */
static int
by_wait(const void *a, const void *b, void *arg)
{
	const struct digest_club *c = arg;
	int x = *(const int *)a, y = *(const int *)b;
	time_t dx = c->d->msgs[c->thr[x].root].date,
	       dy = c->d->msgs[c->thr[y].root].date;

	if (c->thr[x].intro != c->thr[y].intro)
		return c->thr[x].intro ? -1 : 1;
	if (dx != dy)
		return dx < dy ? -1 : 1;
	return strcmp(c->d->threads[x].key, c->d->threads[y].key);
}

void
digest_unanswered(struct digest_club *c)
{
	c->waiting = xcalloc(c->d->nthreads + 1, sizeof(int));
	c->nwaiting = 0;
	for (size_t t = 0; t < c->d->nthreads; t++) {
		thread_state(c, (int)t);
		if (c->thr[t].listed)
			c->waiting[c->nwaiting++] = (int)t;
	}
	if (c->nwaiting > 1)
		qsort_r(c->waiting, c->nwaiting, sizeof(int), by_wait, c);
}
