/*
 * moderate - held posts and the animators who decide them (see
 * moderate.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "guard.h"
#include "log.h"
#include "moderate.h"
#include "modreply.h"
#include "notice.h"
#include "tmpl.h"
#include "xalloc.h"

int
moderate_parse_arg(const char *arg, int64_t *msg_r, int64_t *member_r)
{
	unsigned long long g, m;

	if (token_parse_pair(arg, &g, &m) < 0 || g == 0 || m == 0)
		return -1;
	*msg_r = (int64_t)g;
	*member_r = (int64_t)m;
	return 0;
}

/* when_text - "2026-12-06 14:05 UTC" */
static void
when_text(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm);
}

/* reasons_has - the JSON array of reasons (ours) holds the word r */
static bool
reasons_has(const char *json, const char *r)
{
	size_t n = strlen(r);

	for (const char *p = json; p && (p = strchr(p, '"')) != NULL; p++)
		if ((p[-1] == '[' || p[-1] == ',') &&
		    strncmp(p + 1, r, n) == 0 && p[n + 1] == '"')
			return true;
	return false;
}

/* post_vars - what every moderation template says about the post */
static void
post_vars(struct tmpl_vars *v, const char *from, const char *subject,
	  time_t received, int64_t id)
{
	char when[32];

	when_text(received, when);
	tmpl_vars_set(v, "author_address", from);
	tmpl_vars_set(v, "post_subject", subject);
	tmpl_vars_set(v, "post_date", when);
	tmpl_vars_setf(v, "held_id", "%lld", (long long)id);
}

/* log_notice - a notice that could not be rendered is logged, and what
   caused it stands */
static int
log_notice(int rc, char *err, const char *what)
{
	if (err) {
		log_warn("moderation: %s: %s", what, err);
		free(err);
	}
	return rc < 0 ? -1 : 0;
}

void
moderate_reply_address(const struct conf *conf,
		       const unsigned char key[TOKEN_KEY_LEN],
		       const char *club_name, int64_t msg, int64_t animator,
		       time_t now, char out[400])
{
	char arg[32], *tok;

	token_pair((unsigned long long)msg, (unsigned long long)animator, arg);
	tok = token_make(key, club_name, "mod", arg, now + MODERATE_LIFE);
	snprintf(out, 400, "%s%cmod-%s@%s", club_name, conf->delimiter, tok,
		 conf->domain);
	free(tok);
}

int
moderate_notify(struct store *s, const struct conf *conf,
		const unsigned char key[TOKEN_KEY_LEN],
		const struct moderate_post *p, time_t now, char **error_r)
{
	struct store_recipient *an = NULL;
	char when[32];
	size_t n = 0;
	int rc = 0;

	for (int i = 0; i < p->nreasons; i++)
		if (strcmp(p->reasons[i], "auto") == 0)
			return 0; /* held silently (SPEC 7) */
	if (store_animators(s, p->club, &an, &n) < 0) {
		*error_r = xstrdup(store_error(s));
		return -1;
	}
	/* one rendering per animator: the body names their own address */
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct tmpl_vars *v = tmpl_vars_new();
		struct notice_to to = {an[i].member, an[i].address, NULL};
		struct notice_opts o = {NULL, NULL, 0, NULL, NULL};
		char reply[400];

		moderate_reply_address(conf, key, p->club_name, p->msg,
				       an[i].member, now, reply);
		to.reply_to = reply;
		post_vars(v, p->from, p->subject, now, p->msg);
		tmpl_vars_set(v, "author_name", p->from_name);
		for (int j = 0; j < p->nreasons; j++) {
			char name[48];

			snprintf(name, sizeof(name), "reason_%s",
				 p->reasons[j]);
			tmpl_vars_set(v, name, "yes");
		}
		when_text(now + MODERATE_LIFE, when);
		tmpl_vars_set(v, "expiry_date", when);
		tmpl_vars_set(v, "reply_address", reply);
		tmpl_vars_setf(v, "reply_url", "mailto:%s", reply);
		o.attach = p->raw;
		o.attach_len = p->len;
		rc = notice_queue_opts(s, conf, p->club, p->club_name,
				       "mod-notice", v, &to, 1, &o, now,
				       error_r);
		tmpl_vars_free(&v);
	}
	store_recipients_free(an, n);
	return rc;
}

/* tell_author - held-rejected or held-expired to the post's author */
static int
tell_author(struct store *s, const struct conf *conf,
	    const struct store_held *h, const char *name, const char *reason,
	    time_t now)
{
	struct tmpl_vars *v;
	struct notice_to to = {0, h->from, NULL};
	char *err = NULL;
	int rc;

	/* nobody to tell, or a robot (SPEC 6: never answer one) */
	if (h->from == NULL || reasons_has(h->reasons, "auto") ||
	    reasons_has(h->reasons, "bounce"))
		return 0;
	v = tmpl_vars_new();
	post_vars(v, h->from, h->subject, h->received, h->id);
	tmpl_vars_set(v, "reason", reason);
	rc = notice_queue(s, conf, h->club_id, h->club, name, v, &to, 1, now,
			  &err);
	tmpl_vars_free(&v);
	return log_notice(rc, err, name);
}

/* rejected_reasons - the post's reasons with "rejected: REASON" added */
static char *
rejected_reasons(const char *reasons, const char *reason)
{
	struct buf b = BUF_INIT;
	char *r = xasprintf("rejected: %s", reason);
	size_t len = strlen(reasons);

	buf_append(&b, reasons, len - 1); /* no "]" */
	if (len > 2)
		buf_putc(&b, ',');
	buf_json_str(&b, r);
	buf_putc(&b, ']');
	free(r);
	return buf_steal(&b);
}

int
moderate_decide(struct store *s, const struct conf *conf, int64_t msg,
		bool approve, const char *reason, const char *who, time_t now,
		struct moderate_outcome *o, char **error_r)
{
	int rc;

	memset(o, 0, sizeof(*o));
	rc = store_held_get(s, msg, &o->post);
	if (rc == STORE_NOTFOUND) {
		o->result = MODERATE_GONE;
		return 0;
	}
	if (rc < 0)
		goto dberr;
	if (strcmp(o->post.status, "held") != 0) {
		o->result = MODERATE_ALREADY; /* the first decision wins */
		return 0;
	}
	if (reason && *reason == '\0')
		reason = NULL;
	if (approve) {
		rc = store_held_approve(s, msg, who, now, &o->copies);
	} else {
		char *json =
		    reason ? rejected_reasons(o->post.reasons, reason) : NULL;

		rc = store_held_reject(s, msg, json, who, now);
		free(json);
	}
	if (rc != 0)
		goto dberr;
	if (!approve &&
	    tell_author(s, conf, &o->post, "held-rejected", reason, now) < 0)
		goto dberr;
	store_held_clear(&o->post);
	if (store_held_get(s, msg, &o->post) != 0)
		goto dberr;
	o->result = MODERATE_DONE;
	return 0;
dberr:
	*error_r = xstrdup(store_error(s));
	moderate_outcome_clear(o);
	return -1;
}

void
moderate_outcome_clear(struct moderate_outcome *o)
{
	store_held_clear(&o->post);
	memset(o, 0, sizeof(*o));
}

/* status_vars - what became of the post, for mod-reply */
static void
status_vars(struct tmpl_vars *v, const struct store_held *h)
{
	char when[32], name[32];

	snprintf(name, sizeof(name), "now_%s", h->status);
	tmpl_vars_set(v, name, "yes");
	if (h->decided) {
		when_text(h->decided, when);
		tmpl_vars_set(v, "decided_at", when);
	}
	tmpl_vars_set(v, "decided_by", h->decided_by);
}

/* answer - the one mod-reply to the animator */
static int
answer(struct store *s, const struct conf *conf, int64_t club,
       const char *club_name, const struct store_member *m, struct tmpl_vars *v,
       time_t now)
{
	struct notice_to to = {m->id, m->address, NULL};
	char *err = NULL;
	/* automatic replies to one address stay under the daily cap */
	int rc = guard_count(s, m->address, now);

	if (rc <= 0)
		return rc;
	rc = notice_queue(s, conf, club, club_name, "mod-reply", v, &to, 1, now,
			  &err);
	return log_notice(rc, err, "mod-reply");
}

int
moderate_by_mail(struct store *s, const struct conf *conf, int64_t club,
		 const char *club_name, int64_t msg, int64_t member,
		 bool expired, const struct modreply *r, time_t now,
		 const char **what_r, char **error_r)
{
	struct moderate_outcome o;
	struct store_member m;
	struct tmpl_vars *v;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = store_member_get_id(s, club, member, &m);
	if (rc == STORE_NOTFOUND) {
		*what_r = "mod: the animator has left";
		return 0;
	}
	if (rc < 0) {
		*error_r = xstrdup(store_error(s));
		return -1;
	}
	v = tmpl_vars_new();
	tmpl_vars_set(v, "animator_address", m.address);
	rc = store_held_get(s, msg, &o.post);
	if (rc < 0)
		goto dberr;
	/* the token's MAC binds its post to the club; checked anyway, as
	   a post of another club is none of this animator's business */
	if (rc == 0 && o.post.club_id != club) {
		moderate_outcome_clear(&o);
		rc = STORE_NOTFOUND;
	}
	if (rc == 0)
		post_vars(v, o.post.from, o.post.subject, o.post.received,
			  o.post.id);
	if (strcmp(m.role, "animator") != 0) {
		*what_r = "mod: refused, not an animator";
		tmpl_vars_set(v, "refused", "yes");
	} else if (expired) {
		*what_r = "mod: token expired";
		tmpl_vars_set(v, "expired", "yes");
		if (rc == 0)
			status_vars(v, &o.post);
	} else if (r->verdict == MODREPLY_NONE) {
		*what_r = "mod: no decision";
		tmpl_vars_set(v, "unknown", "yes");
		tmpl_vars_set(v, "word", r->word);
	} else if (rc == STORE_NOTFOUND) {
		*what_r = "mod: no such held post";
		tmpl_vars_set(v, "gone", "yes");
	} else {
		bool approve = r->verdict == MODREPLY_APPROVE;

		moderate_outcome_clear(&o);
		if (moderate_decide(s, conf, msg, approve, r->reason, m.address,
				    now, &o, error_r) < 0)
			goto fail;
		/* not GONE: read above, in this transaction */
		status_vars(v, &o.post);
		if (o.result == MODERATE_ALREADY) {
			*what_r = "mod: already decided";
			tmpl_vars_set(v, "already", "yes");
		} else if (o.result == MODERATE_DONE) {
			*what_r = approve ? "mod: approved" : "mod: rejected";
			tmpl_vars_set(v, approve ? "approved" : "rejected",
				      "yes");
			tmpl_vars_set(v, "reason", r->reason);
			tmpl_vars_setf(v, "copies", "%lld",
				       (long long)o.copies);
		}
	}
	if (answer(s, conf, club, club_name, &m, v, now) < 0)
		goto dberr;
	rc = 0;
	goto out;
dberr:
	*error_r = xstrdup(store_error(s));
fail:
	rc = -1;
out:
	tmpl_vars_free(&v);
	store_member_clear(&m);
	moderate_outcome_clear(&o);
	return rc;
}

int
moderate_expire(struct store *s, const struct conf *conf, time_t now,
		size_t max, int64_t *n_r, char **error_r)
{
	struct store_held *h = NULL;
	size_t n = 0;
	int rc = 0;

	*n_r = 0;
	if (store_held_expiring(s, now - MODERATE_LIFE, max, &h, &n) < 0) {
		*error_r = xstrdup(store_error(s));
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_member m;
		int is_member;

		/* decided at the instant it expired, even when the daemon
		   was not running then: retention counts from there */
		rc = store_held_expire(s, h[i].id,
				       h[i].received + MODERATE_LIFE);
		if (rc == STORE_NOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		(*n_r)++;
		/* a stranger's post is mostly spam with a forged From:
		   telling "them" would be backscatter */
		is_member =
		    h[i].from ? store_member_get(s, h[i].club_id, h[i].from, &m)
			      : STORE_NOTFOUND;
		if (is_member < 0) {
			rc = -1;
			break;
		}
		if (is_member == 0) {
			store_member_clear(&m);
			rc = tell_author(s, conf, &h[i], "held-expired", NULL,
					 now);
		}
	}
	if (rc < 0)
		*error_r = xstrdup(store_error(s));
	store_held_list_free(h, n);
	return rc < 0 ? -1 : 0;
}
