/*
 * mlistctl_threads - "mlistctl threads".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "club.h"
#include "conf.h"
#include "digest.h"
#include "mlistctl.h"
#include "store.h"
#include "xalloc.h"

/* digest_index - the digest's index of thread id, -1 if none */
static int
digest_index(const struct digest_club *dc, int64_t id)
{
	for (size_t i = 0; i < dc->d->nthreads; i++)
		if (dc->d->threads[i].id == id)
			return (int)i;
	return -1;
}

/* metrics_json - DIGEST 1.4's figures for one thread */
static void
metrics_json(struct buf *out, const struct digest_club *dc, int t)
{
	const struct digest_metrics *m = &dc->thr[t].m;

	buf_printf(out,
		   ",\"open_debate\":%s,\"debate_score\":%.4f,"
		   "\"unanswered\":%s,\"metrics\":{\"M\":%d,\"P\":%d,"
		   "\"X\":%d,\"Rr\":%d,\"m_max\":%d,\"beta\":%.6f,"
		   "\"mu\":%.0f,\"pi\":%.0f,\"age_h\":%.2f,\"phi\":%.6f,"
		   "\"D\":%d,\"delta\":%.4f,\"duel\":%s}",
		   m->open ? "true" : "false", m->score,
		   dc->thr[t].listed ? "true" : "false", m->M, m->P, m->X,
		   m->Rr, m->m_max, m->beta, m->mu, m->pi, m->age_h, m->phi,
		   m->D, m->delta, m->duel ? "true" : "false");
}

/* selected_order - with --open-debates or --unanswered, the listed
   threads in the digest's order (score, or waiting order) */
static void
selected_order(const struct digest_club *dc, const struct store_thread *t,
	       size_t n, bool debates, size_t **order_r, size_t *n_r)
{
	const int *sel = debates ? dc->debates : dc->waiting;
	size_t nsel = debates ? dc->ndebates : dc->nwaiting, k = 0;
	size_t *order = xcalloc(n + 1, sizeof(*order));

	for (size_t i = 0; i < nsel; i++)
		for (size_t j = 0; j < n; j++)
			if (t[j].id == dc->d->threads[sel[i]].id)
				order[k++] = j;
	*order_r = order;
	*n_r = k;
}

int
mlistctl_threads_cmd(struct mlistctl *c)
{
	const char *since_s, *at_s;
	time_t since = 0, at = 0;
	struct store_thread *t;
	struct store_digest d;
	struct digest_club dc;
	struct buf out = BUF_INIT;
	bool debates, unanswered;
	size_t *order = NULL;
	int64_t club;
	size_t n, nshow;
	int rc;

	if (mlistctl_opt(c, "since", &since_s) < 0 ||
	    mlistctl_opt(c, "at", &at_s) < 0)
		return mlistctl_usage("--since and --at need a DATETIME");
	debates = mlistctl_flag(c, "open-debates");
	unanswered = mlistctl_flag(c, "unanswered");
	if (debates && unanswered)
		return mlistctl_usage("--open-debates or --unanswered, not "
				      "both");
	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 1)
		return mlistctl_usage("threads needs CLUB");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	if ((rc = mlistctl_datetimes(c, club, since_s, &since, at_s, &at)) != 0)
		return rc;
	if (store_thread_list(c->store, club, since, at, &t, &n) < 0)
		return mlistctl_db_error(c, "threads");
	if ((rc = mlistctl_digest_open(c, club, c->argv[0], at, &d, &dc)) !=
	    0) {
		store_thread_list_free(t, n);
		return rc;
	}
	nshow = n;
	if (debates || unanswered)
		selected_order(&dc, t, n, debates, &order, &nshow);
	if (c->json)
		buf_putc(&out, '[');
	for (size_t k = 0; k < nshow; k++) {
		size_t i = order ? order[k] : k;
		char first[21], last[21];
		int di = digest_index(&dc, t[i].id);

		clock_format(t[i].first, first);
		clock_format(t[i].last, last);
		if (!c->json) {
			buf_printf(&out, "%s\t%s\t%d\t%d\t", t[i].key, last,
				   t[i].messages, t[i].participants);
			mlistctl_field(&out, t[i].subject);
			buf_putc(&out, '\n');
			continue;
		}
		buf_printf(&out, "%s{\"key\":\"%s\",\"subject\":", k ? "," : "",
			   t[i].key);
		buf_json_str(&out, t[i].subject);
		buf_printf(
		    &out,
		    ",\"messages\":%d,\"participants\":%d,\"first\":\"%s\","
		    "\"last\":\"%s\",\"message_ids\":[",
		    t[i].messages, t[i].participants, first, last);
		for (size_t j = 0; j < t[i].nmessage_ids; j++) {
			if (j)
				buf_putc(&out, ',');
			buf_json_str(&out, t[i].message_ids[j]);
		}
		buf_putc(&out, ']');
		if (di >= 0)
			metrics_json(&out, &dc, di);
		buf_putc(&out, '}');
	}
	if (c->json)
		buf_puts(&out, "]\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	free(order);
	mlistctl_digest_close(&d, &dc);
	store_thread_list_free(t, n);
	return 0;
}
