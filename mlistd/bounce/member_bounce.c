/*
 * member_bounce - what bounces do to a member (see member_bounce.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_score.h"
#include "conf.h"
#include "log.h"
#include "member_bounce.h"
#include "notice.h"
#include "store.h"
#include "tmpl.h"
#include "xalloc.h"

#define PROBE_TOKEN_LIFE (21 * 86400)

void
member_bounce_token_arg(int64_t member, int64_t msg, char out[32])
{
	token_pair((unsigned long long)member, (unsigned long long)msg, out);
}

int
member_bounce_parse_arg(const char *arg, int64_t *member_r, int64_t *msg_r)
{
	unsigned long long m, g;

	if (token_parse_pair(arg, &m, &g) < 0 || m == 0)
		return -1;
	*member_r = (int64_t)m;
	*msg_r = (int64_t)g;
	return 0;
}

void
member_bounce_probe_arg(int64_t member, char out[24])
{
	char a[14];

	token_b36((unsigned long long)member, a);
	snprintf(out, 24, "p.%s", a);
}

int64_t
member_bounce_parse_probe(const char *arg)
{
	char *end;
	unsigned long long m;

	if (strncmp(arg, "p.", 2) != 0)
		return 0;
	m = strtoull(arg + 2, &end, 36);
	return *end == '\0' && end != arg + 2 ? (int64_t)m : 0;
}

/* day_text - "2025-03-24" for a removal date */
static void
day_text(time_t t, char out[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* notify_animators - the suspension notice (bounce-suspended) */
static int
notify_animators(struct store *s, const struct conf *conf,
		 const struct store_bounce_state *b, const char *reason,
		 time_t now, char **error_r)
{
	struct store_recipient *an = NULL;
	struct notice_to *to;
	struct tmpl_vars *v;
	struct store_member m;
	char day[16], join[320];
	size_t n = 0;
	int rc;

	if (store_animators(s, b->club, &an, &n) < 0) {
		*error_r = xstrdup(store_error(s));
		return -1;
	}
	if (n == 0) {
		/* XXX: a club without animators: nobody to tell */
		free(an);
		return 0;
	}
	v = tmpl_vars_new();
	tmpl_vars_set(v, "member_address", b->address);
	if (store_member_get(s, b->club, b->address, &m) == 0) {
		tmpl_vars_set(v, "member_name", m.name);
		store_member_clear(&m);
	}
	day_text(now + BOUNCE_SCORE_PROBES * BOUNCE_SCORE_PROBE_EVERY, day);
	tmpl_vars_set(v, "removal_date", day);
	snprintf(join, sizeof(join), "%s%csubscribe@%s", b->club_name,
		 conf->delimiter, conf->domain);
	tmpl_vars_set(v, "join_address", join);
	tmpl_vars_setf(v, "join_url", "mailto:%s", join);
	if (reason) {
		struct tmpl_vars *it = tmpl_vars_list_add(v, "bounces");

		day_text(now, day);
		tmpl_vars_set(it, "date", day);
		tmpl_vars_set(it, "reason", reason);
	}
	to = xcalloc(n, sizeof(*to));
	for (size_t i = 0; i < n; i++) {
		to[i].member = an[i].member;
		to[i].address = an[i].address;
	}
	rc = notice_queue(s, conf, b->club, b->club_name, "bounce-suspended", v,
			  to, n, now, error_r);
	free(to);
	tmpl_vars_free(&v);
	store_recipients_free(an, n);
	return rc;
}

int
member_bounce(struct store *s, const struct conf *conf,
	      const struct member_bounce_in *in, time_t now, bool *counted_r,
	      bool *suspended_r, char **error_r)
{
	struct store_bounce_state b;
	struct bounce_score sc;
	char reason[400];
	const char *status;
	int rc;

	*counted_r = *suspended_r = false;
	memset(&b, 0, sizeof(b));
	if ((rc = store_bounce_get(s, in->member, &b)) != 0) {
		if (rc < 0)
			*error_r = xstrdup(store_error(s));
		return rc;
	}
	/* row ids can be reused after a member leaves: the report must
	   name a member of this club who was there when the copy went out */
	if (in->club > 0) {
		int64_t mclub = 0;
		time_t received = 0;

		rc = in->msg > 0 ? store_msg_when(s, in->msg, &mclub, &received)
				 : STORE_NOTFOUND;
		if (rc < 0) {
			*error_r = xstrdup(store_error(s));
			store_bounce_state_clear(&b);
			return -1;
		}
		if (b.club != in->club || rc != 0 || mclub != in->club ||
		    b.joined > received) {
			store_bounce_state_clear(&b);
			return STORE_NOTFOUND;
		}
	}
	sc.score = b.score;
	sc.day = b.day;
	sc.hard = b.hard;
	sc.last = b.last;
	*counted_r = bounce_score_add(&sc, in->kind, in->dmarc, now);
	b.score = sc.score;
	b.day = sc.day;
	b.hard = sc.hard;
	b.last = sc.last;
	status = b.status;
	if (strcmp(b.status, "active") == 0 &&
	    b.score >= BOUNCE_SCORE_SUSPEND) {
		status = "suspended";
		*suspended_r = true;
	}
	snprintf(reason, sizeof(reason), "%s%s%s", in->status ? in->status : "",
		 in->status && in->diagnostic ? " " : "",
		 in->diagnostic ? in->diagnostic : "");
	if (store_bounce_log(s, in->member, in->msg, now,
			     bounce_kind_name(in->kind), *counted_r, in->status,
			     in->diagnostic) < 0 ||
	    store_bounce_put(s, in->member, &b, status) < 0) {
		*error_r = xstrdup(store_error(s));
		store_bounce_state_clear(&b);
		return -1;
	}
	rc = 0;
	/* a notice that cannot be rendered is reported (*error_r) but
	   does not undo the suspension */
	if (*suspended_r &&
	    notify_animators(s, conf, &b, *reason ? reason : NULL, now,
			     error_r) < 0)
		rc = -1;
	store_bounce_state_clear(&b);
	return rc;
}

/* probe - one weekly probe to a suspended member */
static int
probe(struct store *s, const struct conf *conf,
      const unsigned char key[TOKEN_KEY_LEN], const struct store_probe *p,
      time_t now, char **error_r)
{
	struct tmpl_vars *v = tmpl_vars_new();
	struct notice_to to = {p->member, p->address, NULL};
	char arg[24], reply[400], day[16], *tok;
	int rc;

	member_bounce_probe_arg(p->member, arg);
	tok = token_make(key, p->club_name, "confirm", arg,
			 now + PROBE_TOKEN_LIFE);
	snprintf(reply, sizeof(reply), "%s%cconfirm-%s@%s", p->club_name,
		 conf->delimiter, tok, conf->domain);
	free(tok);
	to.reply_to = reply;
	tmpl_vars_set(v, "member_address", p->address);
	tmpl_vars_set(v, "member_name", p->name);
	tmpl_vars_set(v, "reply_address", reply);
	tmpl_vars_setf(v, "reply_url", "mailto:%s", reply);
	day_text(now + (BOUNCE_SCORE_PROBES - p->probes) *
			   BOUNCE_SCORE_PROBE_EVERY,
		 day);
	tmpl_vars_set(v, "removal_date", day);
	rc = notice_queue(s, conf, p->club, p->club_name, "bounce-probe", v,
			  &to, 1, now, error_r);
	tmpl_vars_free(&v);
	if (rc == 0 && store_bounce_probed(s, p->member, now) < 0) {
		*error_r = xstrdup(store_error(s));
		rc = -1;
	}
	return rc;
}

int
member_bounce_probes(struct store *s, const struct conf *conf,
		     const unsigned char key[TOKEN_KEY_LEN], time_t now,
		     int *probed_r, int *removed_r, char **error_r)
{
	struct store_probe *p = NULL;
	size_t n = 0;
	int rc = 0;

	*probed_r = *removed_r = 0;
	if (store_bounce_probes_due(s, now - BOUNCE_SCORE_PROBE_EVERY, &p, &n) <
	    0) {
		*error_r = xstrdup(store_error(s));
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (p[i].probes >= BOUNCE_SCORE_PROBES) {
			/* a week after the last probe, still no answer */
			log_info("member removed: club=%s address=<%s> "
				 "probes=%d (no answer)",
				 p[i].club_name, p[i].address, p[i].probes);
			if (store_member_delete_id(s, p[i].member, now) < 0) {
				free(*error_r);
				*error_r = xstrdup(store_error(s));
				rc = -1;
			} else
				(*removed_r)++;
			continue;
		}
		{
			char *e = NULL;

			rc = probe(s, conf, key, &p[i], now, &e);
			if (rc == 0)
				(*probed_r)++;
			if (e) { /* the last error is reported */
				free(*error_r);
				*error_r = e;
			}
			if (rc > 0)
				rc = 0; /* not probed: tried again next pass */
		}
	}
	store_probes_free(p, n);
	return rc;
}
