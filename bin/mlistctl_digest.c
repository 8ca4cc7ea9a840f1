/*
 * mlistctl_digest - "mlistctl digest": the selection each member's issue
 * would hold (DIGEST.md), as JSON, or one member's issue as the complete
 * MIME message (--preview): these read and print, and record nothing
 * (no attempt, no nudge, no shows), so they can run at any time.
 * --send queues the issues due, as the scheduler does (digest_send.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "club.h"
#include "conf.h"
#include "digest.h"
#include "digest_send.h"
#include "mlistctl.h"
#include "secret.h"
#include "store.h"
#include "strutil.h"
#include "xalloc.h"

static struct digest_params params;

int
mlistctl_digest_open(struct mlistctl *c, int64_t club, const char *name,
		     time_t at, struct store_digest *d, struct digest_club *dc)
{
	char *vocabulary;

	digest_params_default(&params);
	if (at == 0)
		at = clock_now();
	if (store_digest_load(c->store, club, at, d) < 0)
		return mlistctl_db_error(c, "digest");
	vocabulary = club_get(c->store, c->conf, club, name, "vocabulary");
	digest_club_init(dc, d, &params, vocabulary, at);
	free(vocabulary);
	dc->quiet = club_quiet_now(c->store, c->conf, club, name, at);
	return 0;
}

void
mlistctl_digest_close(struct store_digest *d, struct digest_club *dc)
{
	digest_club_free(dc);
	store_digest_free(d);
}

static void
json_keys(struct buf *out, const struct digest_club *dc, const char *name,
	  const int *v, size_t n)
{
	buf_printf(out, ",\"%s\":[", name);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s\"%s\"", i ? "," : "",
			   dc->d->threads[v[i]].key);
	buf_putc(out, ']');
}

static const char *const pv_kinds[] = {"nudge", "reply", "reassurance"};

/* issue_json - one element of SPEC 2's digest --json array */
static void
issue_json(struct buf *out, const struct digest_club *dc,
	   const struct digest_issue *is, const char *subject)
{
	const struct store_member *members = dc->d->members;

	buf_puts(out, "{\"member\":");
	buf_json_str(out, members[is->member].address);
	buf_printf(
	    out, ",\"sent\":%s,\"skip_reason\":", is->skip ? "false" : "true");
	if (is->skip)
		buf_printf(out, "\"%s\"", is->skip);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"subject\":");
	if (subject)
		buf_json_str(out, subject);
	else
		buf_puts(out, "null");
	buf_printf(out,
		   ",\"header\":{\"new_threads\":%d,\"messages\":%d,"
		   "\"new_members\":%d},\"pour_vous\":[",
		   is->new_threads, is->messages, is->new_members);
	for (size_t i = 0; i < is->npv; i++) {
		const struct digest_pv_item *it = &is->pv[i];

		buf_printf(out, "%s{\"kind\":\"%s\",\"key\":\"%s\"",
			   i ? "," : "", pv_kinds[it->kind],
			   dc->d->threads[it->thread].key);
		if (it->kind == DIGEST_NUDGE) {
			buf_puts(out, ",\"names\":[");
			for (size_t j = 0; j < it->nnames; j++) {
				if (j)
					buf_putc(out, ',');
				buf_json_str(out,
					     members[it->names[j]].address);
			}
			buf_putc(out, ']');
		}
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	json_keys(out, dc, "a_la_une", is->une, is->nune);
	json_keys(out, dc, "debats", is->debats, is->ndebats);
	json_keys(out, dc, "attente", is->attente, is->nattente);
	buf_puts(out, ",\"bienvenue\":[");
	for (size_t i = 0; i < is->nbienvenue; i++) {
		if (i)
			buf_putc(out, ',');
		buf_json_str(out, members[is->bienvenue[i]].address);
	}
	buf_printf(out, "],\"bienvenue_more\":%zu", is->bienvenue_more);
	json_keys(out, dc, "autres", is->autres, is->nautres);
	buf_printf(out, ",\"invite\":%s,\"dormant_notice\":%s",
		   is->invite ? "true" : "false",
		   is->dormant_notice ? "true" : "false");
	/* DIGEST 1.7's marker on section 6's items */
	buf_puts(out, ",\"de_retour\":[");
	for (size_t i = 0, n = 0; i < is->nautres; i++) {
		if (is->autres_back[i] < 0)
			continue;
		buf_printf(out, "%s{\"key\":\"%s\",\"member\":", n++ ? "," : "",
			   dc->d->threads[is->autres[i]].key);
		buf_json_str(out, members[is->autres_back[i]].address);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	buf_putc(out, '}');
}

/* preview - member u's issue as the message it would be (without the
   List-Unsubscribe its copy gets when sent) */
static int
preview(struct mlistctl *c, const struct digest_club *dc,
	const struct digest_issue *is, int64_t id, const char *club,
	const char *lang, const char *subject)
{
	char *title = club_get(c->store, c->conf, id, club, "title");
	char *err = NULL, *mid = NULL;
	struct buf m = BUF_INIT;
	int rc = 0;

	if (title == NULL || *title == '\0') {
		free(title);
		title = xstrdup(club);
	}
	if (digest_send_build(&m, c->conf, NULL, dc, is, club, title, lang,
			      subject, NULL, &mid, &err) < 0)
		rc = mlistctl_fail(78, "digest template: %s", err);
	else
		fwrite(m.data, 1, m.len, stdout);
	buf_free(&m);
	free(mid);
	free(err);
	free(title);
	return rc;
}

/* send - the issues due at `at`, through the scheduler's path */
static int
send(struct mlistctl *c, int64_t club, const char *name, const char *member,
     time_t at)
{
	unsigned char key[TOKEN_KEY_LEN];
	struct digest_send_opts o = {0};
	struct digest_send_done done;
	char *err = NULL;
	int rc;

	if (secret_load(c->conf->secret_file, 0, key, &err) < 0) {
		rc = mlistctl_fail(78, "secret_file %s", err);
		free(err);
		return rc;
	}
	o.member = member;
	o.edition = member == NULL;
	if (digest_send_club(c->store, NULL, c->conf, key, club, name,
			     at ? at : clock_now(), &o, &done, &err) < 0) {
		rc = mlistctl_fail(75, "digest --send: %s", err);
		free(err);
		return rc;
	}
	if (member && done.sent == 0 && done.skipped == 0)
		return mlistctl_fail(CTL_NOTFOUND, "%s: not a member of %s",
				     member, name);
	printf("%s: %d issue%s queued, %d member%s skipped\n", name, done.sent,
	       done.sent == 1 ? "" : "s", done.skipped,
	       done.skipped == 1 ? "" : "s");
	return 0;
}

int
mlistctl_digest_cmd(struct mlistctl *c)
{
	const char *member_s, *at_s, *since_s;
	time_t at = 0, since = 0;
	struct store_digest d;
	struct digest_club dc;
	struct buf out = BUF_INIT;
	char *lang, *addr = NULL;
	int64_t club;
	int rc, only = -1;
	bool first = true, show, sending;

	if (mlistctl_opt(c, "member", &member_s) < 0 ||
	    mlistctl_opt(c, "at", &at_s) < 0 ||
	    mlistctl_opt(c, "since", &since_s) < 0)
		return mlistctl_usage("--member needs ADDR, --at and --since "
				      "a DATETIME");
	show = mlistctl_flag(c, "preview");
	sending = mlistctl_flag(c, "send");
	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 1)
		return mlistctl_usage("digest needs CLUB");
	if ((int)c->json + (int)show + (int)sending != 1)
		return mlistctl_usage("digest needs one of --json, --preview "
				      "and --send");
	if (sending && since_s)
		return mlistctl_usage("digest --send covers each member's own "
				      "period; --since is for --json and "
				      "--preview");
	if (show && member_s == NULL)
		return mlistctl_usage("digest --preview needs --member ADDR");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	if ((rc = mlistctl_datetimes(c, club, since_s, &since, at_s, &at)) != 0)
		return rc;
	if (sending) {
		addr = member_s ? str_lower(xstrdup(member_s)) : NULL;
		rc = send(c, club, c->argv[0], addr, at);
		free(addr);
		return rc;
	}
	if ((rc = mlistctl_digest_open(c, club, c->argv[0], at, &d, &dc)) != 0)
		return rc;
	if (member_s) {
		addr = str_lower(xstrdup(member_s));
		if ((only = digest_member_find(&dc, addr)) < 0) {
			rc = mlistctl_fail(CTL_NOTFOUND,
					   "%s: not a member of %s", member_s,
					   c->argv[0]);
			free(addr);
			mlistctl_digest_close(&d, &dc);
			return rc;
		}
	}
	lang = club_get(c->store, c->conf, club, c->argv[0], "lang");
	if (show) {
		struct digest_issue is;
		char *subject;

		digest_select(&dc, only, since, &is);
		if (is.skip)
			rc = mlistctl_fail(CTL_NOTFOUND,
					   "%s gets no issue at this time: %s",
					   member_s, is.skip);
		else {
			subject = digest_subject(c->argv[0], lang, &is);
			rc = preview(c, &dc, &is, club, c->argv[0], lang,
				     subject);
			free(subject);
		}
		free(lang);
		free(addr);
		mlistctl_digest_close(&d, &dc);
		return rc;
	}
	buf_putc(&out, '[');
	for (size_t u = 0; u < d.nmembers; u++) {
		struct digest_issue is;
		char *subject = NULL;

		if (only >= 0 && (int)u != only)
			continue;
		digest_select(&dc, (int)u, since, &is);
		if (is.skip == NULL)
			subject = digest_subject(c->argv[0], lang, &is);
		if (!first)
			buf_putc(&out, ',');
		first = false;
		issue_json(&out, &dc, &is, subject);
		free(subject);
	}
	buf_puts(&out, "]\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	free(lang);
	free(addr);
	mlistctl_digest_close(&d, &dc);
	return 0;
}
