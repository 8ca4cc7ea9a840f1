/*
 * digest_report - the figures of the animators' weekly report
 * (DIGEST.md 2.5) that the digest's own data gives.
 */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "xalloc.h"

#define NEWCOMER_REPORT_D 28

/* first_post - the thread of member u's first counted message, or -1 */
static int
first_post(const struct digest_club *c, int u)
{
	for (size_t i = 0; i < c->d->nmsgs; i++)
		if (c->msg[i].author == u && c->msg[i].first_post)
			return c->msg[i].thread;
	return -1;
}

void
digest_report(const struct digest_club *c, time_t since,
	      struct digest_report *r)
{
	bool *posted = xcalloc(c->d->nmembers + 1, sizeof(bool));

	memset(r, 0, sizeof(*r));
	r->since = since;
	r->until = c->until;
	digest_header(c, since, &r->new_threads, &r->messages, &r->new_members);
	for (size_t i = 0; i < c->d->nmsgs; i++) {
		time_t d = c->d->msgs[i].date;

		if (c->msg[i].counted && d > since && d <= c->until &&
		    !posted[c->msg[i].author]) {
			posted[c->msg[i].author] = true;
			r->posters++;
		}
	}
	r->newcomers = xcalloc(c->d->nmembers + 1, sizeof(*r->newcomers));
	for (size_t u = 0; u < c->d->nmembers; u++) {
		const struct store_member *m = &c->d->members[u];

		r->passive += digest_lurker(c, (int)u);
		if (m->joined > c->now - NEWCOMER_REPORT_D * 86400 &&
		    m->joined <= c->now) {
			struct digest_newcomer *n =
			    &r->newcomers[r->nnewcomers++];

			n->member = (int)u;
			n->first = first_post(c, (int)u);
			n->answered =
			    n->first >= 0 && c->thr[n->first].answered;
		}
	}
	free(posted);
}

void
digest_report_free(struct digest_report *r)
{
	free(r->newcomers);
	memset(r, 0, sizeof(*r));
}
