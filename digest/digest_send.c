/*
 * digest_send - select, render, queue and record issues (see
 * digest_send.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "club.h"
#include "conf.h"
#include "digest.h"
#include "digest_send.h"
#include "log.h"
#include "notice.h"
#include "relay.h"
#include "store.h"
#include "tmpl.h"
#include "token.h"
#include "wgate.h"
#include "xalloc.h"

/* a "keep weekly" link works for a year, like the unsubscribe one */
#define KEEP_WEEKLY_LIFE (365 * 86400)

int
digest_send_build(struct buf *m, const struct conf *conf,
		  struct tmpl_set *tmpls, const struct digest_club *dc,
		  const struct digest_issue *is, const char *club,
		  const char *title, const char *lang, const char *subject,
		  const char *headers, char **mid_r, char **error_r)
{
	struct tmpl_dirs dirs = {conf->templates_local, conf->templates};
	struct tmpl_vars *v = tmpl_vars_new();
	const struct store_member *u = &dc->d->members[is->member];
	struct notice_to to = {u->id, u->address, NULL};
	struct notice_opts o = {NULL, NULL, 0, headers, "digest"};
	struct digest_render_ctx r = {club,	    title,   lang,
				      conf->domain, subject, conf->delimiter};
	char *html = NULL, *text = NULL;
	int rc = -1, got;

	digest_render_vars(dc, is, &r, v);
	got = tmpls ? tmpl_set_render(tmpls, lang, "digest", v, &html, &text,
				      NULL, error_r)
		    : tmpl_render(&dirs, lang, "digest", v, &html, &text, NULL,
				  error_r);
	if (got == 0) {
		notice_build(m, conf, club, title, &to, subject, text, html, &o,
			     dc->now, mid_r);
		rc = 0;
	}
	free(html);
	free(text);
	tmpl_vars_free(&v);
	return rc;
}

/* one member's evaluation, ready to write */
struct pending {
	int member;
	const char *skip;
	struct buf msg; /* empty when skipped */
	char *mid, *subject;
	int64_t shown[3];
	size_t nshown;
	int64_t nudged;
	bool invite, dormant;
};

struct run {
	struct store *s;
	struct wgate *gate;
	const struct conf *conf;
	const unsigned char *key;
	int64_t club;
	const char *name, *title, *lang;
	struct digest_club dc;
	bool *pinned_out;	/* per thread: went out in an issue */
	struct tmpl_set *tmpls; /* the digest template, parsed once a run */
};

static int
begin(struct run *r)
{
	return r->gate ? wgate_begin(r->gate, r->s) : store_begin(r->s);
}

static void
end(struct run *r, bool ok)
{
	if (!ok || store_commit(r->s) < 0)
		store_rollback(r->s);
	if (r->gate)
		wgate_unlock(r->gate);
}

/* prepare - member u's evaluation, outside any transaction; 1: nothing
   to write (not this run's member) */
static int
prepare(struct run *r, const struct digest_send_opts *o, int u,
	struct pending *p, char **error_r)
{
	const struct store_member *m = &r->dc.d->members[u];
	struct digest_issue is;
	struct buf h = BUF_INIT;
	char *keep = NULL;

	if (o->member && strcmp(m->address, o->member) != 0)
		return 1;
	if (o->daily_only &&
	    (m->highlights == NULL || strcmp(m->highlights, "daily") != 0))
		return 1;
	if (o->done_since && r->dc.d->states[u].attempted >= o->done_since)
		return 1;
	memset(p, 0, sizeof(*p));
	p->member = u;
	digest_select(&r->dc, u, 0, &is);
	if ((p->skip = is.skip) != NULL)
		return 0;
	p->invite = is.invite;
	if ((p->dormant = is.dormant_notice)) {
		char id[16], *tok;

		token_b36((unsigned long long)m->id, id);
		tok = token_make(r->key, r->name, "weekly", id,
				 r->dc.now + KEEP_WEEKLY_LIFE);
		keep = xasprintf("%s%cweekly-%s@%s", r->name,
				 r->conf->delimiter, tok, r->conf->domain);
		free(tok);
		is.keep_weekly = keep;
	}
	for (size_t i = 0; i < is.nattente; i++)
		p->shown[p->nshown++] = r->dc.d->threads[is.attente[i]].id;
	for (size_t i = 0; i < is.npv; i++)
		if (is.pv[i].kind == DIGEST_NUDGE)
			p->nudged = r->dc.d->threads[is.pv[i].thread].id;
	for (size_t i = 0; i < is.nune; i++)
		if (r->dc.d->threads[is.une[i]].pin_issues > 0)
			r->pinned_out[is.une[i]] = true;
	p->subject = digest_subject(r->name, r->lang, &is);
	relay_copy_personal_headers(&h, r->conf, r->key, r->name, m->id,
				    r->dc.now);
	if (digest_send_build(&p->msg, r->conf, r->tmpls, &r->dc, &is, r->name,
			      r->title, r->lang, p->subject, buf_cstr(&h),
			      &p->mid, error_r) < 0) {
		buf_free(&h);
		free(p->subject);
		free(keep);
		return -1;
	}
	buf_free(&h);
	free(keep);
	return 0;
}

static void
pending_free(struct pending *p)
{
	buf_free(&p->msg);
	free(p->mid);
	free(p->subject);
}

/* an issue's row: arg "digest", purged 30 days after it was sent */
static const struct notice_opts stored = {NULL, NULL, 0, NULL, "digest"};

/* write - one batch's issues and records in one transaction */
static int
write_batch(struct run *r, struct pending *p, size_t n,
	    struct digest_send_done *done)
{
	bool ok = true;

	if (begin(r) < 0)
		return -1;
	for (size_t i = 0; i < n && ok; i++) {
		const struct store_member *m = &r->dc.d->members[p[i].member];
		struct notice_to to = {m->id, m->address, NULL};

		if (p[i].skip == NULL &&
		    notice_store(r->s, r->club, &to, &p[i].msg, p[i].mid,
				 p[i].subject, &stored, r->dc.now) < 0)
			ok = false;
		else if (store_digest_record(r->s, m->id, r->dc.now, p[i].skip,
					     p[i].shown, p[i].nshown,
					     p[i].nudged) < 0)
			ok = false;
		else if (p[i].skip == NULL && p[i].invite &&
			 store_digest_invite_shown(r->s, m->id, r->dc.now) < 0)
			ok = false;
		else if (p[i].skip == NULL && p[i].dormant &&
			 store_digest_dormant_noticed(r->s, m->id, r->dc.now) <
			     0)
			ok = false;
	}
	end(r, ok);
	if (!ok)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (p[i].skip)
			done->skipped++;
		else
			done->sent++;
	return 0;
}

/* finish - the run's last transaction: an edition went out, so each
   pin shown loses one issue; the animators' report when asked; the
   slots run.  One transaction: a run cut before it is run again, whole
   (its members already evaluated are skipped) */
static int
finish(struct run *r, const struct digest_send_opts *o,
       struct digest_send_done *done, char **error_r)
{
	bool ok = true;
	int rc = 0;

	if (begin(r) < 0) {
		*error_r = xasprintf("%s", store_error(r->s));
		return -1;
	}
	for (size_t t = 0; t < r->dc.d->nthreads && ok && o->edition; t++)
		if (r->pinned_out[t] &&
		    store_digest_unpin(r->s, r->dc.d->threads[t].id) < 0)
			ok = false;
	if (ok && o->weekly_slot &&
	    store_digest_slot_set(r->s, r->club, "weekly", o->weekly_slot) < 0)
		ok = false;
	if (ok && o->daily_slot &&
	    store_digest_slot_set(r->s, r->club, "daily", o->daily_slot) < 0)
		ok = false;
	if (!ok)
		*error_r = xasprintf("%s", store_error(r->s));
	else if (o->report)
		rc = digest_report_mail(r->s, r->conf, r->key, &r->dc, r->club,
					r->name, &done->reports, error_r);
	if (rc < 0)
		ok = false;
	end(r, ok);
	if (ok && rc == 1) {
		/* a broken report template stops neither the issues nor
		   the next slots */
		log_warn("digest: %s: report template: %s", r->name, *error_r);
		free(*error_r);
		*error_r = NULL;
	}
	return ok ? 0 : -1;
}

int
digest_send_club(struct store *s, struct wgate *gate, const struct conf *conf,
		 const unsigned char key[TOKEN_KEY_LEN], int64_t club,
		 const char *name, time_t now, const struct digest_send_opts *o,
		 struct digest_send_done *done, char **error_r)
{
	struct run r;
	struct digest_params params;
	struct store_digest d;
	struct pending batch[DIGEST_SEND_BATCH];
	char *vocabulary, *title, *lang;
	size_t n = 0;
	int rc = 0;

	memset(done, 0, sizeof(*done));
	memset(&r, 0, sizeof(r));
	r.s = s, r.gate = gate, r.conf = conf, r.key = key;
	r.club = club, r.name = name;
	digest_params_default(&params);
	if (store_digest_load(s, club, now, &d) < 0) {
		*error_r = xasprintf("%s", store_error(s));
		return -1;
	}
	vocabulary = club_get(s, conf, club, name, "vocabulary");
	title = club_get(s, conf, club, name, "title");
	lang = club_get(s, conf, club, name, "lang");
	if (title == NULL || *title == '\0') {
		free(title);
		title = xstrdup(name);
	}
	r.title = title;
	r.lang = lang;
	digest_club_init(&r.dc, &d, &params, vocabulary, now);
	r.dc.quiet = club_quiet_now(s, conf, club, name, now);
	r.pinned_out = xcalloc(d.nthreads + 1, sizeof(*r.pinned_out));
	r.tmpls = tmpl_set_new(
	    &(struct tmpl_dirs){conf->templates_local, conf->templates});
	for (size_t u = 0; u <= d.nmembers && rc == 0; u++) {
		int got = 1;

		if (u < d.nmembers &&
		    (got = prepare(&r, o, (int)u, &batch[n], error_r)) < 0)
			rc = -1;
		if (got == 0)
			n++;
		if (rc == 0 && n > 0 &&
		    (n == DIGEST_SEND_BATCH || u == d.nmembers) &&
		    write_batch(&r, batch, n, done) < 0) {
			*error_r = xasprintf("%s", store_error(s));
			rc = -1;
		}
		if (rc < 0 || n == DIGEST_SEND_BATCH || u == d.nmembers) {
			for (size_t i = 0; i < n; i++)
				pending_free(&batch[i]);
			n = 0;
		}
	}
	if (rc == 0 &&
	    (o->edition || o->report || o->weekly_slot || o->daily_slot) &&
	    finish(&r, o, done, error_r) < 0)
		rc = -1;
	free(r.pinned_out);
	tmpl_set_free(&r.tmpls);
	digest_club_free(&r.dc);
	store_digest_free(&d);
	free(vocabulary);
	free(title);
	free(lang);
	return rc;
}
