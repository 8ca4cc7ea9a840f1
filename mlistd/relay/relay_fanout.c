/*
 * relay_fanout - fan-outs being expanded: a post's fan-out row is
 * loaded, its members handed out a chunk at a time in id order (each a
 * slot), and once every slot up to a member has its outcome written the
 * cursor moves past it, inside the record's transaction; a fan-out
 * whose slots are all done is deleted.  The dispatcher's alone.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay_private.h"
#include "store.h"
#include "xalloc.h"

#define RELAY_WINDOW 4096 /* a fan-out's copies ahead of its cursor */

/* fan_push - hand member out: its slot's sequence number */
static int64_t
fan_push(struct relay_fanout *f, int64_t member)
{
	if (f->head > 0 && f->head == f->len) {
		f->base += (int64_t)f->len;
		f->head = f->len = 0;
	}
	if (f->len == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->slots = xrealloc(f->slots, f->cap * sizeof(*f->slots));
	}
	f->slots[f->len].member = member;
	f->slots[f->len].state = SLOT_OUT;
	return f->base + (int64_t)f->len++;
}

/* relay_fanout_load - fan-out rows written since the last look */
void
relay_fanout_load(struct relay *r)
{
	struct store_fanout *v = NULL;
	size_t n = 0;

	if (r->nfans == RELAY_FANOUTS)
		return;
	if (store_fanout_load(r->store, r->fan_last, RELAY_FANOUTS - r->nfans,
			      &v, &n) < 0) {
		log_warn("relay: fan-out: %s", store_error(r->store));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct relay_fanout *f = xcalloc(1, sizeof(*f));

		f->f = v[i]; /* the strings now belong to f */
		f->next_from = f->f.cursor;
		r->fans[r->nfans++] = f;
		r->fan_last = f->f.id;
	}
	free(v);
}

/* relay_fanout_expand - up to max more copies of f for the senders; how many */
size_t
relay_fanout_expand(struct relay *r, struct relay_fanout *f, size_t max)
{
	struct store_queue_item *q = NULL;
	size_t n = 0;

	if (f->exhausted || f->len - f->head >= RELAY_WINDOW)
		return 0;
	if (store_fanout_expand(r->store, &f->f, f->next_from, max, &q, &n) <
	    0) {
		log_warn("relay: fan-out M%lld: %s", (long long)f->f.msg_id,
			 store_error(r->store));
		return 0;
	}
	if (n > 0 && f->copy == NULL)
		f->copy = relay_copy_get(r, &q[0]);
	for (size_t i = 0; i < n; i++) {
		struct relay_item *it = xcalloc(1, sizeof(*it));

		it->q = q[i];
		it->fan = f;
		it->seq = fan_push(f, it->q.member_id);
		pthread_mutex_lock(&r->lock);
		if ((it->copy = f->copy) != NULL)
			f->copy->refs++;
		pthread_mutex_unlock(&r->lock);
		relay_enqueue(r, it);
	}
	free(q);
	if (n > 0)
		f->next_from = f->slots[f->len - 1].member;
	if (n < max) {
		/* the rest of the club joined later or gets no copy */
		f->exhausted = true;
		f->next_from = f->f.last_member;
		f->dirty = true; /* an empty one goes at the next record */
	}
	return n;
}

/* relay_fanout_mark - its slot is now in state */
void
relay_fanout_mark(struct relay_item *it, int state)
{
	it->fan->slots[it->seq - it->fan->base].state = state;
	it->fan->dirty = true;
}

/* fan_cursor - where f's cursor goes once the slots being recorded are
   done: *head_r past them, *finished_r when nothing is left */
static int64_t
fan_cursor(const struct relay_fanout *f, size_t *head_r, bool *finished_r)
{
	size_t h = f->head;

	while (h < f->len && f->slots[h].state != SLOT_OUT)
		h++;
	*head_r = h;
	*finished_r = f->exhausted && h == f->len;
	return h < f->len ? f->slots[h].member - 1 : f->next_from;
}

/* relay_fanout_write - the dirty fan-outs' cursors; inside the record's
   transaction */
int
relay_fanout_write(struct relay *r)
{
	for (size_t i = 0; i < r->nfans; i++) {
		struct relay_fanout *f = r->fans[i];
		size_t h;
		bool finished;
		int64_t c;

		if (!f->dirty)
			continue;
		c = fan_cursor(f, &h, &finished);
		if (finished && store_fanout_done(r->store, f->f.id) < 0)
			return -1;
		if (!finished && c > f->f.cursor &&
		    store_fanout_advance(r->store, f->f.id, c) < 0)
			return -1;
	}
	return 0;
}

/* relay_fanout_settle - after the record's commit (ok) or its failure: slots
   being recorded become done or out again; finished fan-outs go */
void
relay_fanout_settle(struct relay *r, bool ok)
{
	size_t i = 0;

	while (i < r->nfans) {
		struct relay_fanout *f = r->fans[i];
		size_t h;
		bool finished;
		int64_t c;

		if (!f->dirty) {
			i++;
			continue;
		}
		f->dirty = false;
		c = fan_cursor(f, &h, &finished);
		for (size_t k = f->head; k < f->len; k++)
			if (f->slots[k].state == SLOT_RECORDING)
				f->slots[k].state = ok ? SLOT_DONE : SLOT_OUT;
		if (!ok) {
			f->dirty = true; /* try the write again */
			i++;
			continue;
		}
		f->head = h;
		if (c > f->f.cursor)
			f->f.cursor = c;
		if (!finished) {
			i++;
			continue;
		}
		relay_fanout_free(r, f);
		memmove(&r->fans[i], &r->fans[i + 1],
			(r->nfans - i - 1) * sizeof(r->fans[0]));
		r->nfans--;
	}
	if (r->fan_rr >= r->nfans)
		r->fan_rr = 0;
}

/* relay_fanout_dirty - some fan-out's cursor may move */
bool
relay_fanout_dirty(const struct relay *r)
{
	for (size_t i = 0; i < r->nfans; i++)
		if (r->fans[i]->dirty)
			return true;
	return false;
}

/* relay_fanout_free - f goes, with its reference to its copy */
void
relay_fanout_free(struct relay *r, struct relay_fanout *f)
{
	pthread_mutex_lock(&r->lock);
	relay_copy_put(r, f->copy);
	pthread_mutex_unlock(&r->lock);
	free(f->f.club);
	free(f->f.message_id);
	free(f->f.role);
	free(f->f.author);
	free(f->slots);
	free(f);
}
