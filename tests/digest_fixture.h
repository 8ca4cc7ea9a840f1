/*
 * digest_fixture - hand-built store_digest contents for the digest unit
 * tests: members (added in address order), threads and messages.
 */
#ifndef MLISTD_DIGEST_FIXTURE_H
#define MLISTD_DIGEST_FIXTURE_H

#include <string.h>

#include "digest.h"
#include "xalloc.h"

#define H 3600
#define DAY 86400
/* 2025-03-10T07:00:00Z, Monday 08:00 in Paris */
#define NOW ((time_t)1741590000)

static inline int
fx_member(struct store_digest *d, const char *addr, const char *role,
	  const char *delivery, time_t joined, const char *tags)
{
	struct store_member *m;

	d->members =
	    xrealloc(d->members, (d->nmembers + 1) * sizeof(*d->members));
	d->states = xrealloc(d->states, (d->nmembers + 1) * sizeof(*d->states));
	memset(&d->states[d->nmembers], 0, sizeof(*d->states));
	m = &d->members[d->nmembers];
	memset(m, 0, sizeof(*m));
	m->id = (int64_t)d->nmembers + 1;
	m->address = xstrdup(addr);
	m->name = xstrdup(addr);
	m->role = xstrdup(role);
	m->delivery = xstrdup(delivery);
	m->highlights = xstrdup("weekly");
	m->joined = joined;
	m->tags = xstrdup(tags);
	m->status = xstrdup("active");
	m->featured = true;
	return (int)d->nmembers++;
}

static inline void
fx_thread(struct store_digest *d, int64_t id, const char *key, int64_t root)
{
	struct store_dthread *t;

	d->threads =
	    xrealloc(d->threads, (d->nthreads + 1) * sizeof(*d->threads));
	t = &d->threads[d->nthreads++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	snprintf(t->key, sizeof(t->key), "%s", key);
	t->root_id = root;
}

/* fx_msg - messages must come in date order */
static inline void
fx_msg(struct store_digest *d, int64_t id, int64_t thread, int64_t parent,
       time_t date, const char *from, const char *subject, const char *text)
{
	struct store_dmsg *m;

	d->msgs = xrealloc(d->msgs, (d->nmsgs + 1) * sizeof(*d->msgs));
	m = &d->msgs[d->nmsgs++];
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->thread_id = thread;
	m->parent_id = parent;
	m->date = date;
	m->from = xstrdup(from);
	m->subject = xstrdup(subject);
	m->text = xstrdup(text);
}

/* fx_find - the digest's index of thread id */
static inline int
fx_find(const struct digest_club *c, int64_t id)
{
	for (size_t i = 0; i < c->d->nthreads; i++)
		if (c->d->threads[i].id == id)
			return (int)i;
	return -1;
}

#endif
