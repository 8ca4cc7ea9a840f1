/*
 * digest_render - one member's issue as template variables for
 * templates/LANG/digest.html (templates/README.md lists them).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "digest.h"
#include "tmpl.h"
#include "xalloc.h"

/* thread_item - a thread's title, key and reply address */
static struct tmpl_vars *
thread_item(struct tmpl_vars *v, const char *list, const struct digest_club *c,
	    int t, const struct digest_render_ctx *r)
{
	struct tmpl_vars *it = tmpl_vars_list_add(v, list);
	int root = c->thr[t].root;
	const struct digest_msg *m = root >= 0 ? &c->msg[root] : NULL;

	tmpl_vars_set(it, "title", root >= 0 ? c->d->msgs[root].subject : "");
	tmpl_vars_set(it, "key", c->d->threads[t].key);
	tmpl_vars_setf(it, "reply_address", "%s%cr-%s@%s", r->club,
		       r->delimiter, c->d->threads[t].key, r->domain);
	tmpl_vars_setf(it, "reply_url", "mailto:%s%cr-%s@%s", r->club,
		       r->delimiter, c->d->threads[t].key, r->domain);
	if (m && m->author >= 0) {
		const struct store_member *a = &c->d->members[m->author];

		tmpl_vars_set(it, "author", a->name ? a->name : a->address);
	}
	return it;
}

/* names - "Bruno et Alice" / "Bruno and Alice" */
static void
names(struct tmpl_vars *it, const struct digest_club *c,
      const struct digest_pv_item *pv, bool fr)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < pv->nnames; i++) {
		const struct store_member *m = &c->d->members[pv->names[i]];

		if (i)
			buf_puts(&b, fr ? " et " : " and ");
		buf_puts(&b, m->name ? m->name : m->address);
	}
	tmpl_vars_set(it, "names", buf_cstr(&b));
	buf_free(&b);
}

/* full_text - for members in digest delivery, every message of the
   period, thread by thread (the thread of the earliest first) */
static void
full_text(struct tmpl_vars *v, const struct digest_club *c,
	  const struct digest_issue *is, const struct digest_render_ctx *r)
{
	bool *done = xcalloc(c->d->nthreads + 1, sizeof(bool));

	for (size_t i = 0; i < c->d->nmsgs; i++) {
		int t = c->msg[i].thread;
		const struct digest_thread *dt;
		struct tmpl_vars *th;

		if (t < 0 || done[t] || c->d->msgs[i].is_auto ||
		    c->d->msgs[i].date <= is->since ||
		    c->d->msgs[i].date > c->until)
			continue;
		done[t] = true;
		dt = &c->thr[t];
		th = thread_item(v, "full", c, t, r);
		for (size_t k = 0; k < dt->nmsgs; k++) {
			const struct store_dmsg *m = &c->d->msgs[dt->msgs[k]];
			int a = c->msg[dt->msgs[k]].author;
			struct tmpl_vars *it;
			char date[32];
			struct tm tm;

			if (m->is_auto || m->date <= is->since)
				continue;
			it = tmpl_vars_list_add(th, "messages");
			gmtime_r(&m->date, &tm);
			strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
			tmpl_vars_set(it, "date", date);
			tmpl_vars_set(it, "from",
				      a >= 0 && c->d->members[a].name
					  ? c->d->members[a].name
					  : m->from);
			tmpl_vars_set(it, "subject", m->subject);
			tmpl_vars_set(it, "text", m->text);
		}
	}
	free(done);
}

void
digest_render_vars(const struct digest_club *c, const struct digest_issue *is,
		   const struct digest_render_ctx *r, struct tmpl_vars *v)
{
	static const char *const kinds[] = {"nudge", "reply", "reassurance"};
	bool fr = r->lang && strcmp(r->lang, "fr") == 0;
	char *header = digest_header_line(r->lang, is);

	tmpl_vars_set(v, "club", r->club);
	tmpl_vars_set(v, "club_title", r->title);
	tmpl_vars_set(v, "subject", r->subject);
	tmpl_vars_set(v, "header", header);
	free(header);
	tmpl_vars_set(v, "member_name", c->d->members[is->member].name);
	for (size_t i = 0; i < is->npv; i++) {
		struct tmpl_vars *it =
		    thread_item(v, "pour_vous", c, is->pv[i].thread, r);

		tmpl_vars_set(it, kinds[is->pv[i].kind], "1");
		if (is->pv[i].kind == DIGEST_NUDGE) {
			names(it, c, &is->pv[i], fr);
			tmpl_vars_set(it, "debate",
				      c->thr[is->pv[i].thread].m.open ||
					      c->thr[is->pv[i].thread].launched
					  ? "1"
					  : NULL);
		}
	}
	for (size_t i = 0; i < is->nune; i++)
		thread_item(v, "a_la_une", c, is->une[i], r);
	for (size_t i = 0; i < is->ndebats; i++)
		thread_item(v, "debats", c, is->debats[i], r);
	for (size_t i = 0; i < is->nattente; i++)
		thread_item(v, "attente", c, is->attente[i], r);
	for (size_t i = 0; i < is->nbienvenue; i++) {
		const struct store_member *m = &c->d->members[is->bienvenue[i]];
		struct tmpl_vars *it = tmpl_vars_list_add(v, "bienvenue");

		tmpl_vars_set(it, "name", m->name ? m->name : m->address);
		tmpl_vars_set(it, "company", m->company);
	}
	if (is->bienvenue_more)
		tmpl_vars_setf(v, "bienvenue_more", "%zu", is->bienvenue_more);
	for (size_t i = 0; i < is->nautres; i++) {
		struct tmpl_vars *it =
		    thread_item(v, "autres", c, is->autres[i], r);
		int b = is->autres_back[i];

		if (b >= 0)
			tmpl_vars_set(it, "back",
				      c->d->members[b].name
					  ? c->d->members[b].name
					  : c->d->members[b].address);
	}
	if (is->dormant_notice) {
		tmpl_vars_set(v, "dormant", "1");
		if (is->keep_weekly) {
			tmpl_vars_set(v, "keep_weekly_address",
				      is->keep_weekly);
			tmpl_vars_setf(v, "keep_weekly_url", "mailto:%s",
				       is->keep_weekly);
		}
	}
	if (is->invite) {
		/* the invite command, its address waiting in the subject */
		tmpl_vars_setf(v, "invite_address", "%s%crequest@%s", r->club,
			       r->delimiter, r->domain);
		tmpl_vars_setf(v, "invite_url",
			       "mailto:%s%crequest@%s?subject=%s", r->club,
			       r->delimiter, r->domain,
			       fr ? "inviter%20" : "invite%20");
	}
	if (strcmp(c->d->members[is->member].delivery, "digest") == 0)
		full_text(v, c, is, r);
}
