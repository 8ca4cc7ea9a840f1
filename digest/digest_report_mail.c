/*
 * digest_report_mail - the animators' weekly report (DIGEST.md 2.5) as
 * mail: template "report", one rendering per animator (each held post's
 * reply address names the animator who reads it), sent at the club's
 * weekly slot whatever the animators' highlights.  The figures are
 * digest_report()'s and store_digest_stats()'s, as "mlistctl stats"
 * prints them.  Passive members are a count, never names.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "digest.h"
#include "digest_send.h"
#include "moderate.h"
#include "notice.h"
#include "store.h"
#include "tmpl.h"
#include "xalloc.h"

#define WEEK (7 * 86400)
#define DAY 86400

static void
set_date(struct tmpl_vars *v, const char *name, time_t t)
{
	char s[21];

	clock_format(t, s);
	s[10] = '\0';
	tmpl_vars_set(v, name, s);
}

/* common_vars - everything but the held posts' reply addresses */
static void
common_vars(const struct digest_club *c, const struct digest_report *r,
	    const struct store_digest_stats *st, struct tmpl_vars *v)
{
	set_date(v, "since_date", r->since);
	set_date(v, "until_date", c->now);
	tmpl_vars_setf(v, "new_threads", "%d", r->new_threads);
	tmpl_vars_setf(v, "messages", "%d", r->messages);
	tmpl_vars_setf(v, "posters", "%d", r->posters);
	tmpl_vars_setf(v, "new_members", "%d", r->new_members);
	tmpl_vars_setf(v, "left", "%lld", (long long)st->left);
	tmpl_vars_setf(v, "suspended", "%lld", (long long)st->suspended);
	tmpl_vars_setf(v, "passive_count", "%d", r->passive);
	tmpl_vars_setf(v, "nudges_sent", "%lld", (long long)st->nudges_sent);
	for (size_t i = 0; i < c->nwaiting; i++) {
		int t = c->waiting[i], root = c->thr[t].root;
		const struct store_member *a =
		    &c->d->members[c->msg[root].author];
		struct tmpl_vars *it = tmpl_vars_list_add(v, "unanswered");

		tmpl_vars_set(it, "subject", c->d->msgs[root].subject);
		tmpl_vars_set(it, "author",
			      a->name && *a->name ? a->name : a->address);
		tmpl_vars_setf(
		    it, "age_days", "%lld",
		    (long long)((c->now - c->d->msgs[root].date) / DAY));
		tmpl_vars_set(it, "newcomer", c->thr[t].intro ? "yes" : NULL);
	}
	for (size_t i = 0; i < r->nnewcomers; i++) {
		const struct digest_newcomer *n = &r->newcomers[i];
		const struct store_member *m = &c->d->members[n->member];
		struct tmpl_vars *it = tmpl_vars_list_add(v, "newcomers");

		tmpl_vars_set(it, "name",
			      m->name && *m->name ? m->name : m->address);
		set_date(it, "joined", m->joined);
		tmpl_vars_set(it, "introduced", n->first >= 0 ? "yes" : NULL);
		tmpl_vars_set(it, "not_introduced",
			      n->first < 0 ? "yes" : NULL);
		tmpl_vars_set(it, "answered", n->answered ? "yes" : NULL);
	}
	for (size_t i = 0; i < c->ndebates && i < 3; i++) {
		int t = c->debates[i];
		struct tmpl_vars *it = tmpl_vars_list_add(v, "debates");

		tmpl_vars_set(it, "subject",
			      c->thr[t].root >= 0
				  ? c->d->msgs[c->thr[t].root].subject
				  : c->d->threads[t].key);
		tmpl_vars_setf(it, "score", "%.1f", c->thr[t].m.score);
	}
}

/* held_vars - held posts, with the reply address for animator */
static size_t
held_vars(const struct conf *conf, const unsigned char *key, const char *name,
	  const struct store_held *h, size_t n, int64_t animator, time_t now,
	  struct tmpl_vars *v)
{
	size_t count = 0;
	time_t oldest = 0;

	for (size_t i = 0; i < n; i++) {
		struct tmpl_vars *it;
		char reply[400];

		if (strcmp(h[i].status, "held") != 0)
			continue;
		if (oldest == 0 || h[i].received < oldest)
			oldest = h[i].received;
		it = tmpl_vars_list_add(v, "held");
		tmpl_vars_set(it, "subject", h[i].subject);
		tmpl_vars_set(it, "from", h[i].from);
		moderate_reply_address(conf, key, name, h[i].id, animator, now,
				       reply);
		tmpl_vars_set(it, "reply_address", reply);
		tmpl_vars_setf(it, "reply_url", "mailto:%s", reply);
		count++;
	}
	tmpl_vars_setf(v, "held_count", "%zu", count);
	tmpl_vars_setf(v, "held_oldest_days", "%lld",
		       count ? (long long)((now - oldest) / DAY) : 0LL);
	return count;
}

int
digest_report_mail(struct store *s, const struct conf *conf,
		   const unsigned char key[TOKEN_KEY_LEN],
		   const struct digest_club *c, int64_t club, const char *name,
		   int *sent_r, char **error_r)
{
	struct digest_report r;
	struct store_digest_stats st;
	struct store_recipient *an = NULL;
	struct store_held *h = NULL;
	size_t nan = 0, nh = 0;
	bool empty;
	int rc = 0;

	*sent_r = 0;
	digest_report(c, c->now - WEEK, &r);
	if (store_digest_stats(s, club, r.since, c->now, &st) < 0 ||
	    store_held_list(s, club, &h, &nh) < 0 ||
	    store_animators(s, club, &an, &nan) < 0) {
		*error_r = xasprintf("%s", store_error(s));
		rc = -1;
		goto out;
	}
	empty = r.new_threads == 0 && r.messages == 0 && r.posters == 0 &&
		r.new_members == 0 && st.suspended == 0 && st.left == 0 &&
		c->nwaiting == 0 && r.nnewcomers == 0 && c->ndebates == 0 &&
		r.passive == 0 && st.nudges_sent == 0;
	for (size_t i = 0; i < nan && rc == 0; i++) {
		struct tmpl_vars *v = tmpl_vars_new();
		struct notice_to to = {an[i].member, an[i].address, NULL};

		common_vars(c, &r, &st, v);
		if (held_vars(conf, key, name, h, nh, an[i].member, c->now,
			      v) == 0 &&
		    empty) {
			tmpl_vars_free(&v);
			break; /* no content, no mail */
		}
		rc = notice_queue(s, conf, club, name, "report", v, &to, 1,
				  c->now, error_r);
		*sent_r += rc == 0;
		tmpl_vars_free(&v);
	}
out:
	store_recipients_free(an, nan);
	store_held_list_free(h, nh);
	digest_report_free(&r);
	return rc;
}
