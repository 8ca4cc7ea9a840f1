/*
 * mlistctl_stats - "mlistctl stats CLUB [--at DATETIME]": the figures of
 * the animators' weekly report (DIGEST.md 2.5) for the week before
 * --at.  Passive members are a count, never names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "club.h"
#include "digest.h"
#include "mlistctl.h"
#include "store.h"

#define WEEK (7 * 86400)
#define DAY 86400

/* held_json - posts held for a decision: count, oldest, subjects */
static int
held_json(struct mlistctl *c, int64_t club, time_t now, struct buf *out)
{
	struct store_held *h;
	size_t n, count = 0;
	time_t oldest = 0;

	if (store_held_list(c->store, club, &h, &n) < 0)
		return -1;
	buf_puts(out, ",\"held\":{\"items\":[");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(h[i].status, "held") != 0)
			continue;
		if (oldest == 0 || h[i].received < oldest)
			oldest = h[i].received;
		buf_printf(out, "%s{\"id\":%lld,\"from\":", count ? "," : "",
			   (long long)h[i].id);
		buf_json_str(out, h[i].from);
		buf_puts(out, ",\"subject\":");
		buf_json_str(out, h[i].subject);
		buf_putc(out, '}');
		count++;
	}
	buf_printf(out, "],\"count\":%zu,\"oldest_days\":%lld}", count,
		   count ? (long long)((now - oldest) / DAY) : 0LL);
	store_held_list_free(h, n);
	return 0;
}

static void
unanswered_json(const struct digest_club *dc, struct buf *out)
{
	buf_puts(out, ",\"unanswered\":[");
	for (size_t i = 0; i < dc->nwaiting; i++) {
		int t = dc->waiting[i], r = dc->thr[t].root;
		const struct store_member *a =
		    &dc->d->members[dc->msg[r].author];

		buf_printf(out, "%s{\"key\":\"%s\",\"subject\":", i ? "," : "",
			   dc->d->threads[t].key);
		buf_json_str(out, dc->d->msgs[r].subject);
		buf_puts(out, ",\"author\":");
		buf_json_str(out, a->name ? a->name : a->address);
		buf_printf(out, ",\"age_days\":%lld,\"newcomer\":%s}",
			   (long long)((dc->now - dc->d->msgs[r].date) / DAY),
			   dc->thr[t].intro ? "true" : "false");
	}
	buf_putc(out, ']');
}

static void
newcomers_json(const struct digest_club *dc, const struct digest_report *r,
	       struct buf *out)
{
	buf_puts(out, ",\"newcomers\":[");
	for (size_t i = 0; i < r->nnewcomers; i++) {
		const struct digest_newcomer *n = &r->newcomers[i];
		const struct store_member *m = &dc->d->members[n->member];
		char joined[21];

		clock_format(m->joined, joined);
		buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
		buf_json_str(out, m->name ? m->name : m->address);
		buf_printf(out,
			   ",\"joined\":\"%s\",\"introduced\":%s,"
			   "\"answered\":%s}",
			   joined, n->first >= 0 ? "true" : "false",
			   n->answered ? "true" : "false");
	}
	buf_puts(out, "],\"open_debates\":[");
	for (size_t i = 0; i < dc->ndebates && i < 3; i++) {
		int t = dc->debates[i];

		buf_printf(out, "%s{\"key\":\"%s\",\"subject\":", i ? "," : "",
			   dc->d->threads[t].key);
		buf_json_str(out, dc->thr[t].root >= 0
				      ? dc->d->msgs[dc->thr[t].root].subject
				      : NULL);
		buf_printf(out, ",\"score\":%.4f}", dc->thr[t].m.score);
	}
	buf_putc(out, ']');
}

int
mlistctl_stats_cmd(struct mlistctl *c)
{
	const char *at_s;
	time_t at = 0;
	struct store_digest d;
	struct store_digest_stats st;
	struct digest_club dc;
	struct digest_report r;
	struct buf out = BUF_INIT;
	char since_s[21], until_s[21];
	int64_t club;
	int rc;

	if (mlistctl_opt(c, "at", &at_s) < 0)
		return mlistctl_usage("--at needs a DATETIME");
	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 1)
		return mlistctl_usage("stats needs CLUB");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	if ((rc = mlistctl_datetimes(c, club, NULL, NULL, at_s, &at)) != 0)
		return rc;
	if ((rc = mlistctl_digest_open(c, club, c->argv[0], at, &d, &dc)) != 0)
		return rc;
	digest_report(&dc, dc.now - WEEK, &r);
	if (store_digest_stats(c->store, club, r.since, dc.now, &st) < 0) {
		digest_report_free(&r);
		mlistctl_digest_close(&d, &dc);
		return mlistctl_db_error(c, "stats");
	}
	clock_format(r.since, since_s);
	clock_format(dc.now, until_s);
	buf_printf(&out,
		   "{\"period\":{\"since\":\"%s\",\"until\":\"%s\"},"
		   "\"figures\":{\"new_threads\":%d,\"messages\":%d,"
		   "\"posters\":%d,\"new_members\":%d,\"left\":%lld,"
		   "\"suspended\":%lld}",
		   since_s, until_s, r.new_threads, r.messages, r.posters,
		   r.new_members, (long long)st.left, (long long)st.suspended);
	if (held_json(c, club, dc.now, &out) < 0) {
		buf_free(&out);
		digest_report_free(&r);
		mlistctl_digest_close(&d, &dc);
		return mlistctl_db_error(c, "held");
	}
	unanswered_json(&dc, &out);
	newcomers_json(&dc, &r, &out);
	buf_printf(&out, ",\"passive_count\":%d,\"nudges_sent\":%lld}\n",
		   r.passive, (long long)st.nudges_sent);
	if (c->json)
		fputs(buf_cstr(&out), stdout);
	else
		printf("period %s to %s\n"
		       "new threads %d, messages %d, posters %d, new members "
		       "%d, left %lld, suspended %lld\n"
		       "waiting for a reply %zu, open debates %zu, newcomers "
		       "%zu\n"
		       "passive members %d, nudges sent %lld\n",
		       since_s, until_s, r.new_threads, r.messages, r.posters,
		       r.new_members, (long long)st.left,
		       (long long)st.suspended, dc.nwaiting, dc.ndebates,
		       r.nnewcomers, r.passive, (long long)st.nudges_sent);
	buf_free(&out);
	digest_report_free(&r);
	mlistctl_digest_close(&d, &dc);
	return 0;
}
