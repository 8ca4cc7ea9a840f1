/*
 * mlistctl_queue - "mlistctl held ..." and "mlistctl queue": what waits for an
 * animator, and what waits for the relay.
 *
 * held approve/reject change the database only; a running mlistd picks
 * the approved post's copies up within a second (its relay polls the
 * queue).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "mlistctl.h"
#include "moderate.h"
#include "store.h"
#include "xalloc.h"

/* parse_id - a held post's number */
static int
parse_id(const char *s, int64_t *id_r)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0)
		return -1;
	*id_r = v;
	return 0;
}

static int
held_list(struct mlistctl *c)
{
	struct store_held *h;
	struct buf out = BUF_INIT;
	int64_t club = 0;
	size_t n;
	int rc;

	if (c->argc != 1)
		return mlistctl_usage("held list needs CLUB");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	if (store_held_list(c->store, club, &h, &n) < 0)
		return mlistctl_db_error(c, "held list");
	if (c->json)
		buf_putc(&out, '[');
	for (size_t i = 0; i < n; i++) {
		char when[21];

		clock_format(h[i].received, when);
		if (c->json) {
			buf_printf(&out,
				   "%s{\"id\":\"%lld\",\"from\":", i ? "," : "",
				   (long long)h[i].id);
			buf_json_str(&out, h[i].from);
			buf_puts(&out, ",\"subject\":");
			buf_json_str(&out, h[i].subject);
			/* reasons are stored as a JSON array already */
			buf_printf(&out, ",\"reasons\":%s,\"received\":\"%s\"}",
				   h[i].reasons, when);
		} else {
			buf_printf(&out, "%lld\t%s\t", (long long)h[i].id,
				   when);
			mlistctl_field(&out, h[i].from ? h[i].from : "<>");
			buf_putc(&out, '\t');
			mlistctl_field(&out, h[i].reasons);
			buf_putc(&out, '\t');
			mlistctl_field(&out, h[i].subject);
			buf_putc(&out, '\n');
		}
	}
	if (c->json)
		buf_puts(&out, "]\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	store_held_list_free(h, n);
	return 0;
}

/* held_decide - approve or reject held post argv[0], as the animators'
   replies do (moderate.c): the author of a rejected post is told why */
static int
held_decide(struct mlistctl *c, bool approve)
{
	const char *reason = NULL;
	struct moderate_outcome o;
	char *err = NULL;
	int64_t id;
	int rc;

	if (mlistctl_opt(c, "reason", &reason) < 0)
		return mlistctl_usage("--reason needs a text");
	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 1 || parse_id(c->argv[0], &id) < 0)
		return mlistctl_usage(
		    "held %s needs the ID that held list shows",
		    approve ? "approve" : "reject");
	if (!approve && reason && strchr(reason, '\n'))
		return mlistctl_usage("--reason: one line expected");
	if (store_begin(c->store) < 0)
		return mlistctl_db_error(c, "held");
	if (moderate_decide(c->store, c->conf, id, approve, reason, "admin",
			    clock_now(), &o, &err) < 0) {
		free(err);
		store_rollback(c->store);
		return mlistctl_db_error(c, "held");
	}
	if (o.result != MODERATE_DONE) {
		store_rollback(c->store);
		if (o.result == MODERATE_GONE)
			return mlistctl_fail(CTL_NOTFOUND,
					     "%lld: no such held post",
					     (long long)id);
		/* the first decision wins */
		rc = mlistctl_fail(
		    CTL_NOTFOUND, "%lld: no longer held (%s), decided by %s",
		    (long long)id, o.post.status,
		    o.post.decided_by ? o.post.decided_by : "nobody");
		moderate_outcome_clear(&o);
		return rc;
	}
	if (store_commit(c->store) < 0) {
		moderate_outcome_clear(&o);
		store_rollback(c->store);
		return mlistctl_db_error(c, "held");
	}
	if (approve)
		printf("%lld approved: %lld %s queued\n", (long long)id,
		       (long long)o.copies, o.copies == 1 ? "copy" : "copies");
	else
		printf("%lld rejected%s%s\n", (long long)id, reason ? ": " : "",
		       reason ? reason : "");
	moderate_outcome_clear(&o);
	return 0;
}

int
mlistctl_held_cmd(struct mlistctl *c, const char *verb)
{
	if (strcmp(verb, "list") == 0)
		return held_list(c);
	if (strcmp(verb, "approve") == 0)
		return held_decide(c, true);
	if (strcmp(verb, "reject") == 0)
		return held_decide(c, false);
	return mlistctl_usage("held: list, approve or reject");
}

/* fanout_lines - a post not yet expanded to every member: one line
   with the count of members it still has to reach */
static void
fanout_lines(struct mlistctl *c, struct buf *out, const struct store_fanout *f,
	     size_t n, const char *trouble)
{
	for (size_t i = 0; i < n; i++) {
		char since[21];

		clock_format(f[i].since, since);
		if (c->json) {
			buf_puts(out,
				 i ? ",{\"message_id\":" : "{\"message_id\":");
			buf_json_str(out, f[i].message_id);
			buf_printf(out,
				   ",\"recipient\":null,\"members\":%lld,"
				   "\"attempts\":0,\"next_attempt\":\"%s\","
				   "\"last_error\":null,\"side\":null,"
				   "\"refused\":false,\"relay_error\":",
				   (long long)f[i].left, since);
			buf_json_str(out, trouble);
			buf_puts(out, ",\"club\":");
			buf_json_str(out, f[i].club);
			buf_putc(out, '}');
		} else
			buf_printf(out, "%s\t%s\t(%lld members)\t0\t%s\t-\t-\n",
				   f[i].club, f[i].message_id,
				   (long long)f[i].left, since);
	}
}

/* relay_trouble - the relay's cause of failure as the daemon last saw
   it, NULL when it works (or never said) */
static char *
relay_trouble(struct mlistctl *c)
{
	struct store_relay_status st;
	char since[21];
	char *why;

	if (store_relay_status_get(c->store, &st) != 0 || st.ok) {
		store_relay_status_clear(&st);
		return NULL;
	}
	clock_format(st.since, since);
	why = xasprintf("relay %s: %s (since %s)", st.relay,
			st.cause ? st.cause : "failing", since);
	store_relay_status_clear(&st);
	return why;
}

/* queue_item - one pending copy, as a JSON object or a text line */
static void
queue_item(struct mlistctl *c, struct buf *out,
	   const struct store_queue_item *q, const char *trouble, bool first)
{
	char next[21];

	clock_format(q->next_attempt, next);
	if (!c->json) {
		buf_printf(out, "%s\t%s\t%s\t%d\t%s\t%s\t", q->club,
			   q->message_id, q->recipient, q->attempts, next,
			   q->side ? q->side : "-");
		mlistctl_field(out, q->last_error ? q->last_error : "-");
		buf_putc(out, '\n');
		return;
	}
	buf_puts(out, first ? "{\"message_id\":" : ",{\"message_id\":");
	buf_json_str(out, q->message_id);
	buf_puts(out, ",\"recipient\":");
	buf_json_str(out, q->recipient);
	buf_printf(out,
		   ",\"attempts\":%d,\"next_attempt\":\"%s\","
		   "\"last_error\":",
		   q->attempts, next);
	buf_json_str(out, q->last_error);
	buf_puts(out, ",\"side\":");
	buf_json_str(out, q->side);
	buf_printf(out, ",\"refused\":%s,\"relay_error\":",
		   q->refused ? "true" : "false");
	buf_json_str(out, trouble);
	buf_puts(out, ",\"club\":");
	buf_json_str(out, q->club);
	buf_putc(out, '}');
}

int
mlistctl_queue_cmd(struct mlistctl *c)
{
	struct store_queue_item *q;
	struct store_fanout *f;
	struct buf out = BUF_INIT;
	bool retry = mlistctl_flag(c, "retry");
	char *trouble;
	size_t n, nf;
	int rc;

	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 0)
		return mlistctl_usage("queue takes no arguments");
	if (retry) {
		int64_t moved = 0;

		if (store_begin(c->store) < 0 ||
		    store_queue_retry_now(c->store, clock_now(), &moved) < 0 ||
		    store_commit(c->store) < 0) {
			store_rollback(c->store);
			return mlistctl_db_error(c, "queue");
		}
		if (!c->json)
			printf("%lld copies due now\n", (long long)moved);
	}
	/* one snapshot for both tables: a copy moving from a fan-out to a
	   queue row is seen once */
	if (store_read_begin(c->store) < 0)
		return mlistctl_db_error(c, "queue");
	if (store_fanout_list(c->store, &f, &nf) < 0) {
		store_rollback(c->store);
		return mlistctl_db_error(c, "queue");
	}
	rc = store_queue_list(c->store, &q, &n);
	store_rollback(c->store);
	if (rc < 0) {
		store_fanout_free(f, nf);
		return mlistctl_db_error(c, "queue");
	}
	trouble = relay_trouble(c);
	if (c->json)
		buf_putc(&out, '[');
	else if (trouble)
		buf_printf(&out, "# %s\n", trouble);
	fanout_lines(c, &out, f, nf, trouble);
	for (size_t i = 0; i < n; i++)
		queue_item(c, &out, &q[i], trouble, i == 0 && nf == 0);
	if (c->json)
		buf_puts(&out, "]\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	free(trouble);
	store_queue_items_free(q, n);
	store_fanout_free(f, nf);
	return 0;
}
