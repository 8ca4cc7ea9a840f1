/*
 * relay - the relay worker (see relay.h).
 *
 * Copies come from two sources: queue rows (notices, retries) and
 * fan-out rows, one per post, expanded here in member-id order a chunk
 * at a time.  A fan-out's copies need no row of their own: its slots
 * remember, in id order, the members handed out, and once every slot up
 * to a member has its outcome written the fan-out's cursor moves past
 * it in the same transaction as those outcomes (a deferred copy becomes
 * a queue row there).  A crash resends at most the copies beyond the
 * cursor; a stop turns the copies not yet sent into queue rows first.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "club.h"
#include "conf.h"
#include "enhcode.h"
#include "log.h"
#include "member_bounce.h"
#include "msg_rewrite.h"
#include "relay.h"
#include "relay_capture.h"
#include "relay_policy.h"
#include "relay_smtp.h"
#include "retention.h"
#include "store.h"
#include "bounce_score.h"
#include "wgate.h"
#include "xalloc.h"

#define RELAY_BATCH 512	    /* copies claimed at once */
#define RELAY_LOW 256	    /* claim more when fewer wait for a sender */
#define RELAY_RECORD 512    /* outcomes written in one transaction, at most */
#define RELAY_RECORD_MS 100 /* how long an outcome waits for company */
#define RELAY_FANOUTS 64    /* fan-outs expanded side by side */
#define RELAY_CHUNK 64	    /* a fan-out's share of a claim, at least */
#define RELAY_WINDOW 4096   /* a fan-out's copies ahead of its cursor */
#define RELAY_INFLIGHT 8192 /* copies claimed and not yet recorded */
#define RELAY_MAINTAIN 60   /* seconds between probe/expiry passes */
#define RELAY_BUSY_MS 10000 /* a write waits this long for mlistctl */
#define RELAY_BUSY_STEP_MS 20
#define RELAY_BOUNCE_LIFE (30 * 86400)
#define RELAY_UNSUB_LIFE (365 * 86400)
#define RELAY_TIMEOUT 60      /* seconds for a reply, end of data aside */
#define RELAY_DOT_TIMEOUT 600 /* RFC 5321 4.5.3.2.6 */
#define RELAY_STOP_GRACE 30   /* a stop waits this long for end of data */

/* the part of a message's copies common to every recipient */
struct relay_copy {
	int64_t msg_id;
	int refs;      /* items pointing here, under the relay's lock */
	bool personal; /* a post: List-Unsubscribe goes at personal_at */
	char *club;
	struct buf data;
	size_t personal_at;
	struct relay_copy *next;
};

/* a fan-out's member handed out to a sender, in id order */
struct fan_slot {
	int64_t member;
	enum { SLOT_OUT, SLOT_RECORDING, SLOT_DONE } state;
};

/* a fan-out being expanded; the dispatcher's alone */
struct relay_fanout {
	struct store_fanout f;	 /* f.cursor: as on disk */
	struct relay_copy *copy; /* one reference while the fan-out lives */
	int64_t next_from;	 /* expansion resumes after this member */
	bool exhausted;		 /* every member was handed out */
	bool dirty;		 /* its cursor may move at the next record */
	struct fan_slot *slots;	 /* slots[head..len) are not all done */
	int64_t base;		 /* sequence number of slots[0] */
	size_t head, len, cap;
};

struct relay_item {
	struct store_queue_item q; /* q.id 0: a fan-out's copy */
	struct relay_copy *copy;
	struct relay_fanout *fan; /* and its slot's sequence number */
	int64_t seq;
	bool unsent; /* a stop: to become a queue row */
	struct relay_result res;
	time_t tried;
	char *outcome; /* the log line, written once its record committed */
	struct relay_item *next;
};

/* the relay's state, from checks and outcomes: a change of state or of
   cause is logged once, not once per copy (SPEC 7); under the lock */
struct relay_health {
	bool known, ok;
	bool dirty;	 /* to be written for mlistctl queue */
	char key[48];	 /* the cause: transport, stage, code */
	char cause[600]; /* its words, as first seen */
	time_t since;
};

struct relay {
	const struct conf *conf;
	unsigned char key[TOKEN_KEY_LEN];
	struct store *store;
	struct wgate *gate; /* taken around every write transaction */
	pthread_t dispatcher;
	pthread_t *senders;
	int nsenders;
	pthread_mutex_t lock;
	pthread_cond_t work; /* senders wait for items */
	pthread_cond_t wake; /* the dispatcher waits for results or kicks */
	struct relay_item *todo, *todo_tail;
	struct relay_item *done;
	struct relay_item *unrecorded; /* the dispatcher's: to write again */
	const struct conf *dconf;      /* the dispatcher's copy of conf */
	struct relay_copy *copies;
	int inflight;	       /* claimed and not yet recorded */
	int ntodo;	       /* waiting for a sender */
	int ndone;	       /* on the done list */
	int64_t first_done_ms; /* when the done list started */
	bool hungry;	       /* ntodo fell under RELAY_LOW */
	bool kicked;
	bool stopping;
	/* the dispatcher's: fan-outs being expanded, oldest first */
	struct relay_fanout *fans[RELAY_FANOUTS];
	size_t nfans;
	size_t fan_rr;	  /* where the next claim starts */
	int64_t fan_last; /* highest fan-out row id loaded */
	atomic_bool stop; /* stopping, as the senders' sends read it */
	char relay_name[128];
	struct relay_health health;
	pthread_t checker;
	pthread_cond_t check; /* the checker waits for check_due */
	bool check_due;	      /* start, SIGHUP: try the relay */
};

static void
relay_name(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");

	if (strncmp(url, "capture:", 8) == 0) {
		snprintf(out, size, "capture");
		return;
	}
	snprintf(out, size, "%s", p ? p + 3 : url);
	out[strcspn(out, "/")] = '\0';
}

char *
relay_envelope_from(const struct conf *conf,
		    const unsigned char key[TOKEN_KEY_LEN], const char *club,
		    int64_t member, int64_t msg, time_t now)
{
	char arg[32], *tok, *from;

	member_bounce_token_arg(member, msg, arg);
	tok = token_make(key, club, "bounce", arg, now + RELAY_BOUNCE_LIFE);
	from = xasprintf("%s%cbounce-%s@%s", club, conf->delimiter, tok,
			 conf->domain);
	free(tok);
	return from;
}

void
relay_personal_headers(struct buf *out, const struct conf *conf,
		       const unsigned char key[TOKEN_KEY_LEN], const char *club,
		       int64_t member, time_t now)
{
	char arg[14], *tok;

	token_b36((unsigned long long)member, arg);
	tok = token_make(key, club, "unsub", arg, now + RELAY_UNSUB_LIFE);
	buf_printf(out, "List-Unsubscribe: <mailto:%s%cunsub-%s@%s>", club,
		   conf->delimiter, tok, conf->domain);
	if (conf->unsubscribe_url && *conf->unsubscribe_url) {
		size_t n = strlen(conf->unsubscribe_url);

		buf_printf(out, ",\r\n <%s%s%s>", conf->unsubscribe_url,
			   n && conf->unsubscribe_url[n - 1] == '/' ? "" : "/",
			   tok);
		buf_puts(out, "\r\nList-Unsubscribe-Post: "
			      "List-Unsubscribe=One-Click");
	}
	buf_puts(out, "\r\n");
	free(tok);
}

/* copy_build - the common part of msg's copies */
static struct relay_copy *
copy_build(struct relay *r, const struct store_queue_item *q)
{
	struct relay_copy *c = xcalloc(1, sizeof(*c));
	/* the club settings a copy depends on, read once per message */
	enum { TITLE, PREFIX, FOOTER, REPLY_TO, DMARC, NSET };
	static const char *const keys[NSET] = {"title", "subject_prefix",
					       "footer", "reply_to", "dmarc"};
	struct msg_rewrite_opts o;
	struct store_msg_author author;
	struct msg_rewrite_author au;
	char *raw = NULL, *set[NSET], *err = NULL;
	size_t len;

	c->msg_id = q->msg_id;
	c->club = xstrdup(q->club);
	if (store_msg_raw(r->store, q->msg_id, &raw, &len) != 0) {
		log_warn("M%lld: cannot read the message: %s",
			 (long long)q->msg_id, store_error(r->store));
		free(c->club);
		free(c);
		return NULL;
	}
	if (strcmp(q->role, "notice") == 0) {
		/* our own notices go as they were written */
		buf_append(&c->data, raw, len);
		free(raw);
		return c;
	}
	c->personal = true;
	for (int i = 0; i < NSET; i++)
		set[i] =
		    club_get(r->store, r->dconf, q->club_id, q->club, keys[i]);
	memset(&o, 0, sizeof(o));
	o.club = q->club;
	o.domain = r->dconf->domain;
	o.delim = r->dconf->delimiter;
	o.title = set[TITLE] ? set[TITLE] : "";
	o.prefix = set[PREFIX] ? set[PREFIX] : "";
	o.footer = set[FOOTER];
	o.reply_to = set[REPLY_TO] && strcmp(set[REPLY_TO], "author") == 0
			 ? MSG_REWRITE_REPLY_AUTHOR
			 : MSG_REWRITE_REPLY_LIST;
	o.dmarc = !set[DMARC]			    ? MSG_REWRITE_DMARC_MUNGE
		  : strcmp(set[DMARC], "wrap") == 0 ? MSG_REWRITE_DMARC_WRAP
		  : strcmp(set[DMARC], "none") == 0 ? MSG_REWRITE_DMARC_NONE
						    : MSG_REWRITE_DMARC_MUNGE;
	/* From and Subject as intake parsed them: no second parse */
	if (store_msg_author(r->store, q->msg_id, &author) == 1) {
		au = (struct msg_rewrite_author){author.addr, author.name,
						 author.subject};
		o.author = &au;
		o.author_name = author.member_name;
	}
	if (msg_rewrite(raw, len, &o, &c->data, &c->personal_at, &err) < 0) {
		/* XXX: relay it unchanged rather than lose it */
		log_warn("M%lld: rewrite: %s; relayed as received",
			 (long long)q->msg_id, err);
		free(err);
		buf_reset(&c->data);
		buf_append(&c->data, raw, len);
		c->personal = false;
	}
	/* lookups that stopped at their row would pin a WAL snapshot (and
	   hold back checkpoints) while the senders work */
	store_release(r->store);
	for (int i = 0; i < NSET; i++)
		free(set[i]);
	store_msg_author_clear(&author);
	free(raw);
	return c;
}

/* copy_get - the copy of q's message, built once; under no lock (only
   the dispatcher builds) */
static struct relay_copy *
copy_get(struct relay *r, const struct store_queue_item *q)
{
	struct relay_copy *c;

	pthread_mutex_lock(&r->lock);
	for (c = r->copies; c; c = c->next)
		if (c->msg_id == q->msg_id) {
			c->refs++;
			pthread_mutex_unlock(&r->lock);
			return c;
		}
	pthread_mutex_unlock(&r->lock);
	if ((c = copy_build(r, q)) == NULL)
		return NULL;
	pthread_mutex_lock(&r->lock);
	c->refs = 1;
	c->next = r->copies;
	r->copies = c;
	pthread_mutex_unlock(&r->lock);
	return c;
}

/* copy_put - drop a reference; under the relay's lock */
static void
copy_put(struct relay *r, struct relay_copy *c)
{
	struct relay_copy **pp;

	if (c == NULL || --c->refs > 0)
		return;
	for (pp = &r->copies; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	buf_free(&c->data);
	free(c->club);
	free(c);
}

/* health_set - the relay works, or fails (our side) for cause under
   key; under the lock */
static void
health_set(struct relay *r, bool ok, const char *key, const char *cause)
{
	struct relay_health *h = &r->health;

	if (ok) {
		if (h->known && !h->ok)
			log_info("relay %s: working again", r->conf->relay);
		if (!h->known || !h->ok) {
			h->since = clock_now();
			h->dirty = true;
		}
		h->known = h->ok = true;
		h->key[0] = h->cause[0] = '\0';
		return;
	}
	if (h->known && !h->ok && strcmp(h->key, key) == 0)
		return;
	log_warn("relay %s: %s", r->conf->relay, cause);
	h->known = true;
	h->ok = false;
	h->dirty = true;
	h->since = clock_now();
	snprintf(h->key, sizeof(h->key), "%s", key);
	snprintf(h->cause, sizeof(h->cause), "%s", cause);
}

/* health_from - what an attempt or check says of the relay: ours says
   it failed on our side, else the relay worked */
static void
health_from(struct relay *r, const struct relay_result *res, bool ours)
{
	char key[sizeof(r->health.key)], cause[sizeof(r->health.cause)];

	if (res->stopped)
		return;
	snprintf(key, sizeof(key), "%d/%s/%d", res->transport, res->stage,
		 res->code);
	if (res->code > 0)
		snprintf(cause, sizeof(cause), "%s%s%d%s%s %s", res->stage,
			 res->stage[0] ? " refused: " : "", res->code,
			 res->enhanced[0] ? " " : "", res->enhanced,
			 res->reply);
	else
		snprintf(cause, sizeof(cause), "%s", res->reply);
	pthread_mutex_lock(&r->lock);
	health_set(r, !ours, key, cause);
	pthread_mutex_unlock(&r->lock);
}

/* health_unsaved - the state's write failed or was rolled back */
static void
health_unsaved(struct relay *r)
{
	pthread_mutex_lock(&r->lock);
	r->health.dirty = true;
	pthread_mutex_unlock(&r->lock);
}

/* health_save - the relay's state for mlistctl queue, when it changed;
   inside record()'s transaction when there are outcomes, so it adds no
   wait of its own on a busy database */
static void
health_save(struct relay *r)
{
	struct store_relay_status st;
	char relay[sizeof(r->relay_name)], cause[sizeof(r->health.cause)];

	pthread_mutex_lock(&r->lock);
	if (!r->health.dirty) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	r->health.dirty = false;
	memcpy(relay, r->relay_name, sizeof(relay));
	memcpy(cause, r->health.cause, sizeof(cause));
	st.relay = relay;
	st.ok = r->health.ok;
	st.cause = st.ok ? NULL : cause;
	st.since = r->health.since;
	st.checked = clock_now();
	pthread_mutex_unlock(&r->lock);
	if (store_relay_status_set(r->store, &st) < 0) {
		log_warn("relay: store: %s", store_error(r->store));
		health_unsaved(r);
	}
}

/* backend - a sender's connection */
struct backend {
	const struct conf *conf; /* the configuration it was opened with */
	struct relay_smtp *smtp; /* NULL with capture: */
	const char *capture_dir;
};

static void
backend_send(struct relay *r, struct backend *b, struct relay_item *it)
{
	const struct conf *conf = b->conf;
	struct relay_copy *c = it->copy;
	struct buf msg = BUF_INIT;
	char *from, *err = NULL;
	time_t now = clock_now();

	from = relay_envelope_from(conf, r->key, c->club, it->q.member_id,
				   it->q.msg_id, now);
	if (c->personal) {
		buf_reserve(&msg, c->data.len + 256);
		buf_append(&msg, c->data.data, c->personal_at);
		relay_personal_headers(&msg, conf, r->key, c->club,
				       it->q.member_id, now);
		buf_append(&msg, c->data.data + c->personal_at,
			   c->data.len - c->personal_at);
	}
	memset(&it->res, 0, sizeof(it->res));
	it->tried = now;
	if (b->smtp)
		relay_smtp_send(b->smtp, from, it->q.recipient,
				c->personal ? msg.data : c->data.data,
				c->personal ? msg.len : c->data.len, &it->res);
	else {
		const char *rcpt = it->q.recipient;

		if (relay_capture_send(b->capture_dir, from, &rcpt, 1,
				       c->personal ? msg.data : c->data.data,
				       c->personal ? msg.len : c->data.len,
				       &err) < 0) {
			it->res.transport = RELAY_TRANSPORT_OTHER;
			snprintf(it->res.reply, sizeof(it->res.reply), "%s",
				 err);
			free(err);
		} else {
			it->res.code = 250;
			snprintf(it->res.enhanced, sizeof(it->res.enhanced),
				 "2.0.0");
			snprintf(it->res.reply, sizeof(it->res.reply),
				 "captured");
		}
	}
	buf_free(&msg);
	free(from);
}

/* backend_open - NULL smtp with capture; on failure every send of this
   sender reports the error */
static int
backend_open(struct relay *r, const struct conf *conf, struct backend *b,
	     char **error_r)
{
	struct relay_smtp_opts o;
	char *password = NULL;
	int rc;

	memset(b, 0, sizeof(*b));
	b->conf = conf;
	if (strncmp(conf->relay, "capture:", 8) == 0) {
		b->capture_dir = conf->relay + 8;
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.url = conf->relay;
	o.tls = conf->relay_tls;
	o.ca_file = conf->relay_ca_file;
	o.user = conf->relay_user;
	o.helo = conf->domain;
	/* replies are bounded and a stop ends sends at once, but the
	   end-of-data reply gets 10 minutes (a stop waits for it
	   RELAY_STOP_GRACE more): giving up then sends the copy twice */
	o.connect_timeout_s = 30;
	o.timeout_s = RELAY_TIMEOUT;
	o.dot_timeout_s = RELAY_DOT_TIMEOUT;
	o.stop = &r->stop;
	o.stop_grace_s = RELAY_STOP_GRACE;
	if (conf->relay_password_file && *conf->relay_password_file) {
		FILE *f = fopen(conf->relay_password_file, "r");
		char line[512];

		if (f == NULL) {
			*error_r = xasprintf("relay_password_file %s: %s",
					     conf->relay_password_file,
					     strerror(errno));
			return -1;
		}
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		password = xstrdup(line);
	}
	o.password = password;
	rc = relay_smtp_open(&o, &b->smtp, error_r);
	free(password);
	return rc;
}

/* done_push - an outcome for the dispatcher, which is woken only when
   it has something to do: start its clock, write a full batch, or
   finish when nothing else is out; under the relay's lock */
static void
done_push(struct relay *r, struct relay_item *it)
{
	it->next = r->done;
	r->done = it;
	if (++r->ndone == 1)
		r->first_done_ms = clock_now_ms();
	if (r->ndone == 1 || r->ndone == RELAY_RECORD ||
	    r->ndone == r->inflight)
		pthread_cond_signal(&r->wake);
}

/* check_relay - connect as a send would (SPEC 7: at start and after
   SIGHUP), so a broken relay is reported before the first copy fails */
static void
check_relay(struct relay *r, const struct conf *conf)
{
	struct relay_result res;
	struct backend b;
	char *err = NULL;

	memset(&res, 0, sizeof(res));
	if (backend_open(r, conf, &b, &err) < 0) {
		res.transport = RELAY_TRANSPORT_OTHER;
		snprintf(res.reply, sizeof(res.reply), "%s", err);
		free(err);
	} else if (b.smtp == NULL)
		return; /* capture: nothing to connect to */
	else {
		relay_smtp_check(b.smtp, &res);
		relay_smtp_close(&b.smtp);
	}
	health_from(r, &res, res.transport != RELAY_TRANSPORT_NONE);
	relay_kick(r); /* the dispatcher saves the state */
}

/* checker - the relay check's own thread: a slow relay never holds up
   start-up, intake or the copies */
static void *
checker(void *arg)
{
	struct relay *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		const struct conf *conf;

		while (!r->check_due && !r->stopping)
			pthread_cond_wait(&r->check, &r->lock);
		if (r->stopping)
			break;
		r->check_due = false;
		conf = r->conf;
		pthread_mutex_unlock(&r->lock);
		check_relay(r, conf);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void *
sender(void *arg)
{
	struct relay *r = arg;
	struct backend b;
	char *err = NULL;
	bool usable = false;

	memset(&b, 0, sizeof(b));
	pthread_mutex_lock(&r->lock);
	for (;;) {
		const struct conf *conf;
		struct relay_item *it;

		while (r->todo == NULL && !r->stopping)
			pthread_cond_wait(&r->work, &r->lock);
		if (r->stopping)
			break;
		it = r->todo;
		r->todo = it->next;
		if (r->todo == NULL)
			r->todo_tail = NULL;
		if (--r->ntodo == RELAY_LOW - 1) {
			r->hungry = true;
			pthread_cond_signal(&r->wake);
		}
		conf = r->conf;
		pthread_mutex_unlock(&r->lock);
		/* (re)connect lazily: after a reload (SIGHUP) the relay may
		   have changed, and a failed setup (say, an unreadable
		   password file) is tried again with the next copy */
		if (!usable || b.conf != conf) {
			if (b.smtp)
				relay_smtp_close(&b.smtp);
			free(err);
			err = NULL;
			/* an error is logged once, by health_set */
			usable = backend_open(r, conf, &b, &err) == 0;
		}
		if (usable)
			backend_send(r, &b, it);
		else {
			memset(&it->res, 0, sizeof(it->res));
			it->tried = clock_now();
			it->res.transport = RELAY_TRANSPORT_OTHER;
			snprintf(it->res.reply, sizeof(it->res.reply), "%s",
				 err);
		}
		pthread_mutex_lock(&r->lock);
		done_push(r, it);
	}
	pthread_mutex_unlock(&r->lock);
	if (b.smtp)
		relay_smtp_close(&b.smtp);
	free(err);
	return NULL;
}

/* record_bounce - a copy refused for good, or expired */
static void
record_bounce(struct relay *r, struct relay_item *it, enum bounce_kind kind,
	      const char *status, const char *diag)
{
	/* a relay refusing the author's domain policy says so in its
	   reply; SPEC 8: never the recipient's fault */
	struct member_bounce_in in = {0,
				      it->q.member_id,
				      it->q.msg_id,
				      kind,
				      strcasestr(diag, "dmarc") != NULL,
				      status,
				      diag};
	bool counted, suspended;
	char *err = NULL;

	if (it->q.member_id == 0)
		return;
	if (member_bounce(r->store, r->dconf, &in, it->tried, &counted,
			  &suspended, &err) < 0 ||
	    err) {
		log_warn("M%lld: bounce of <%s>: %s", (long long)it->q.msg_id,
			 it->q.recipient, err);
		free(err);
	}
	if (suspended)
		log_info("M%lld: club=%s member <%s> suspended (bounces)",
			 (long long)it->q.msg_id, it->q.club, it->q.recipient);
}

/* outcome_line - the delivery-outcome line of it, kept until its record
   commits */
static void
outcome_line(struct relay_item *it, const char *relay, const char *status,
	     const char *reply)
{
	const struct relay_result *res = &it->res;
	struct buf line = BUF_INIT;
	char id[32];

	snprintf(id, sizeof(id), "M%lld", (long long)it->q.msg_id);
	relay_policy_log_line(&line, id, it->q.club, it->q.recipient, relay,
			      res->enhanced[0] ? res->enhanced : NULL, status,
			      reply);
	free(it->outcome);
	it->outcome = buf_steal(&line);
}

/* item_done - the copy has its final outcome: a queue row goes, a
   fan-out's copy needs no write (its cursor moves past it) */
static int
item_done(struct relay *r, struct relay_item *it)
{
	return it->fan ? 0 : store_queue_done(r->store, it->q.id);
}

/* record_retry - a failed attempt: the next one, or past 5 days the
   copy expires, a soft bounce only if the member's address was refused
   at some attempt (SPEC 7); inside a transaction */
static int
record_retry(struct relay *r, struct relay_item *it, bool ours,
	     const char *relay, const char *reply)
{
	time_t first = it->q.first_try ? it->q.first_try : it->tried;
	bool expired, refused = it->q.refused || !ours;
	time_t next = relay_policy_next_attempt(first, it->q.attempts + 1,
						it->tried, &expired);
	char *why;

	if (!expired) {
		/* our side's trouble is logged once per cause (health_set),
		   not once per copy */
		if (!ours)
			outcome_line(it, relay, "deferred", reply);
		if (it->fan)
			return store_queue_requeue(r->store, &it->q,
						   it->q.attempts + 1, first,
						   next, reply, ours);
		return store_queue_defer(r->store, it->q.id, it->q.attempts + 1,
					 first, next, reply, ours);
	}
	if (refused)
		record_bounce(r, it, BOUNCE_SOFT, "4.4.7", reply);
	why = xasprintf("%s%s", reply,
			refused ? ""
				: "; failed on our side only: not "
				  "counted against the member");
	outcome_line(it, relay, "expired", why);
	free(why);
	return item_done(r, it);
}

/* record_one - judge, log and write one outcome; inside a transaction */
static int
record_one(struct relay *r, struct relay_item *it, const char *relay)
{
	const struct relay_result *res = &it->res;
	enum relay_verdict v = relay_policy_classify(
	    res->code, res->enhanced[0] ? res->enhanced : NULL, res->transport);
	bool ours = v != RELAY_SENT &&
		    relay_policy_ours(res->transport, res->code, res->enhanced,
				      res->stage, res->reply);
	char reply[sizeof(res->reply) + 32];

	if (it->unsent) /* never tried: due at once after the restart */
		return store_queue_requeue(r->store, &it->q, 0, 0, clock_now(),
					   NULL, true);

	/* the server's words with their codes; a transport error alone */
	if (res->code > 0)
		snprintf(reply, sizeof(reply), "%d%s%s %s", res->code,
			 res->enhanced[0] ? " " : "", res->enhanced,
			 res->reply);
	else
		snprintf(reply, sizeof(reply), "%s", res->reply);
	if (res->stopped) {
		/* nothing decided: a queue row goes back to pending at close,
		   a fan-out's copy becomes one */
		outcome_line(it, relay, "interrupted", reply);
		return it->fan ? store_queue_requeue(r->store, &it->q, 0, 0,
						     clock_now(), NULL, true)
			       : 0;
	}
	health_from(r, res, ours);
	/* a refusal of ours is retried, never bounced: it would suspend
	   a whole club */
	if (v == RELAY_BOUNCE && ours)
		v = RELAY_RETRY;
	if (v == RELAY_RETRY)
		return record_retry(r, it, ours, relay, reply);
	if (v == RELAY_BOUNCE)
		record_bounce(r, it, bounce_score_kind_for(res->enhanced),
			      res->enhanced[0] ? res->enhanced : NULL, reply);
	outcome_line(it, relay, relay_policy_verdict_name(v), reply);
	return store_queue_done(r->store, it->q.id);
}

/* free_items - recorded items go; under no lock */
static void
free_items(struct relay *r, struct relay_item *list)
{
	struct relay_item *it, *next;
	int n = 0;

	pthread_mutex_lock(&r->lock);
	for (it = list; it; it = next) {
		next = it->next;
		copy_put(r, it->copy);
		store_queue_item_clear(&it->q);
		free(it->outcome);
		free(it);
		n++;
	}
	r->inflight -= n;
	pthread_mutex_unlock(&r->lock);
}

/* fan_push - hand member out: its slot's sequence number */
static int64_t
fan_push(struct relay_fanout *f, int64_t member)
{
	if (f->head > 0 && f->head == f->len) {
		f->base += (int64_t)f->len;
		f->head = f->len = 0;
	}
	if (f->len == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->slots = xrealloc(f->slots, f->cap * sizeof(*f->slots));
	}
	f->slots[f->len].member = member;
	f->slots[f->len].state = SLOT_OUT;
	return f->base + (int64_t)f->len++;
}

static void
fan_mark(struct relay_item *it, int state)
{
	it->fan->slots[it->seq - it->fan->base].state = state;
	it->fan->dirty = true;
}

/* fan_cursor - where f's cursor goes once the slots being recorded are
   done: *head_r past them, *finished_r when nothing is left */
static int64_t
fan_cursor(const struct relay_fanout *f, size_t *head_r, bool *finished_r)
{
	size_t h = f->head;

	while (h < f->len && f->slots[h].state != SLOT_OUT)
		h++;
	*head_r = h;
	*finished_r = f->exhausted && h == f->len;
	return h < f->len ? f->slots[h].member - 1 : f->next_from;
}

/* fan_write - the dirty fan-outs' cursors; inside the record's
   transaction */
static int
fan_write(struct relay *r)
{
	for (size_t i = 0; i < r->nfans; i++) {
		struct relay_fanout *f = r->fans[i];
		size_t h;
		bool finished;
		int64_t c;

		if (!f->dirty)
			continue;
		c = fan_cursor(f, &h, &finished);
		if (finished && store_fanout_done(r->store, f->f.id) < 0)
			return -1;
		if (!finished && c > f->f.cursor &&
		    store_fanout_advance(r->store, f->f.id, c) < 0)
			return -1;
	}
	return 0;
}

static void
fan_free(struct relay *r, struct relay_fanout *f)
{
	pthread_mutex_lock(&r->lock);
	copy_put(r, f->copy);
	pthread_mutex_unlock(&r->lock);
	free(f->f.club);
	free(f->f.message_id);
	free(f->f.role);
	free(f->f.author);
	free(f->slots);
	free(f);
}

/* fan_settle - after the record's commit (ok) or its failure: slots
   being recorded become done or out again; finished fan-outs go */
static void
fan_settle(struct relay *r, bool ok)
{
	size_t i = 0;

	while (i < r->nfans) {
		struct relay_fanout *f = r->fans[i];
		size_t h;
		bool finished;
		int64_t c;

		if (!f->dirty) {
			i++;
			continue;
		}
		f->dirty = false;
		c = fan_cursor(f, &h, &finished);
		for (size_t k = f->head; k < f->len; k++)
			if (f->slots[k].state == SLOT_RECORDING)
				f->slots[k].state = ok ? SLOT_DONE : SLOT_OUT;
		if (!ok) {
			f->dirty = true; /* try the write again */
			i++;
			continue;
		}
		f->head = h;
		if (c > f->f.cursor)
			f->f.cursor = c;
		if (!finished) {
			i++;
			continue;
		}
		fan_free(r, f);
		memmove(&r->fans[i], &r->fans[i + 1],
			(r->nfans - i - 1) * sizeof(r->fans[0]));
		r->nfans--;
	}
	if (r->fan_rr >= r->nfans)
		r->fan_rr = 0;
}

static bool
fan_dirty(const struct relay *r)
{
	for (size_t i = 0; i < r->nfans; i++)
		if (r->fans[i]->dirty)
			return true;
	return false;
}

/* relay_begin - the gate and a write transaction.  The gate is never
   held while another process (mlistctl) holds SQLite's write lock, or
   intake would wait behind that wait too: the relay lets go and tries
   again, for as long as the store's busy timeout */
static int
relay_begin(struct relay *r)
{
	int64_t until = clock_now_ms() + RELAY_BUSY_MS;
	int rc;

	for (;;) {
		wgate_lock_relay(r->gate);
		if ((rc = store_begin_try(r->store)) == 0)
			return 0;
		wgate_unlock(r->gate);
		if (rc < 0 || clock_now_ms() >= until)
			return -1;
		usleep(RELAY_BUSY_STEP_MS * 1000);
	}
}

/* record - write a list of outcomes, and the cursors they move, in one
   transaction, each outcome in a savepoint; returns the items that
   could not be written, to be tried again (dropping them would leave
   their rows 'sending' until a restart, which then sends copies a
   second time) */
static struct relay_item *
record(struct relay *r, struct relay_item *list)
{
	struct relay_item *it, *next, *keep = NULL, *done = NULL;
	char relay[sizeof(r->relay_name)];

	if (list == NULL && !fan_dirty(r))
		return NULL;
	pthread_mutex_lock(&r->lock); /* relay_set_conf may rename it */
	memcpy(relay, r->relay_name, sizeof(relay));
	pthread_mutex_unlock(&r->lock);
	if (relay_begin(r) < 0) {
		log_warn("relay: store: %s (outcomes kept for the next try)",
			 store_error(r->store));
		return list;
	}
	for (it = list; it; it = next) {
		next = it->next;
		if (store_savepoint(r->store) == 0 &&
		    record_one(r, it, relay) == 0 &&
		    store_savepoint_release(r->store) == 0) {
			if (it->fan)
				fan_mark(it, SLOT_RECORDING);
			it->next = done;
			done = it;
			continue;
		}
		log_warn("relay: store: M%lld to <%s>: %s",
			 (long long)it->q.msg_id, it->q.recipient,
			 store_error(r->store));
		store_savepoint_rollback(r->store);
		(void)store_savepoint_release(r->store);
		it->next = keep;
		keep = it;
	}
	health_save(r);
	if (fan_write(r) < 0 || store_commit(r->store) < 0) {
		log_warn("relay: commit: %s (outcomes kept for the next try)",
			 store_error(r->store));
		store_rollback(r->store);
		wgate_unlock(r->gate);
		health_unsaved(r);
		fan_settle(r, false);
		for (it = done; it; it = next) {
			next = it->next;
			it->next = keep;
			keep = it;
		}
		return keep;
	}
	wgate_unlock(r->gate);
	fan_settle(r, true);
	for (it = done; it; it = it->next)
		if (it->outcome)
			log_info("%s", it->outcome);
	free_items(r, done);
	return keep;
}

/* enqueue - an item for the senders (or, without a copy, straight to
   the outcomes) */
static void
enqueue(struct relay *r, struct relay_item *it)
{
	pthread_mutex_lock(&r->lock);
	r->inflight++;
	if (it->copy == NULL) {
		/* unreadable message: judged as a transport error */
		it->tried = clock_now();
		it->res.transport = RELAY_TRANSPORT_OTHER;
		snprintf(it->res.reply, sizeof(it->res.reply),
			 "message unreadable");
		done_push(r, it);
	} else {
		if (r->todo_tail)
			r->todo_tail->next = it;
		else
			r->todo = it;
		r->todo_tail = it;
		r->ntodo++;
		pthread_cond_signal(&r->work);
	}
	pthread_mutex_unlock(&r->lock);
}

/* claim_rows - queue rows due now; returns how many */
static size_t
claim_rows(struct relay *r, size_t max)
{
	struct store_queue_item *q = NULL;
	size_t n = 0;
	int due = store_queue_due(r->store, clock_now());

	if (due <= 0) {
		if (due < 0)
			log_warn("relay: claim: %s", store_error(r->store));
		return 0;
	}
	if (relay_begin(r) < 0) {
		log_warn("relay: claim: %s", store_error(r->store));
		return 0;
	}
	if (store_queue_claim(r->store, clock_now(), max, &q, &n) < 0 ||
	    store_commit(r->store) < 0) {
		log_warn("relay: claim: %s", store_error(r->store));
		store_rollback(r->store);
		wgate_unlock(r->gate);
		store_queue_items_free(q, n);
		return 0;
	}
	wgate_unlock(r->gate);
	for (size_t i = 0; i < n; i++) {
		struct relay_item *it = xcalloc(1, sizeof(*it));

		it->q = q[i];
		it->copy = copy_get(r, &it->q);
		enqueue(r, it);
	}
	free(q); /* the strings now belong to the items */
	return n;
}

/* fan_load - fan-out rows written since the last look */
static void
fan_load(struct relay *r)
{
	struct store_fanout *v = NULL;
	size_t n = 0;

	if (r->nfans == RELAY_FANOUTS)
		return;
	if (store_fanout_load(r->store, r->fan_last, RELAY_FANOUTS - r->nfans,
			      &v, &n) < 0) {
		log_warn("relay: fan-out: %s", store_error(r->store));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct relay_fanout *f = xcalloc(1, sizeof(*f));

		f->f = v[i]; /* the strings now belong to f */
		f->next_from = f->f.cursor;
		r->fans[r->nfans++] = f;
		r->fan_last = f->f.id;
	}
	free(v);
}

/* fan_expand - up to max more copies of f for the senders; how many */
static size_t
fan_expand(struct relay *r, struct relay_fanout *f, size_t max)
{
	struct store_queue_item *q = NULL;
	size_t n = 0;

	if (f->exhausted || f->len - f->head >= RELAY_WINDOW)
		return 0;
	if (store_fanout_expand(r->store, &f->f, f->next_from, max, &q, &n) <
	    0) {
		log_warn("relay: fan-out M%lld: %s", (long long)f->f.msg_id,
			 store_error(r->store));
		return 0;
	}
	if (n > 0 && f->copy == NULL)
		f->copy = copy_get(r, &q[0]);
	for (size_t i = 0; i < n; i++) {
		struct relay_item *it = xcalloc(1, sizeof(*it));

		it->q = q[i];
		it->fan = f;
		it->seq = fan_push(f, it->q.member_id);
		pthread_mutex_lock(&r->lock);
		if ((it->copy = f->copy) != NULL)
			f->copy->refs++;
		pthread_mutex_unlock(&r->lock);
		enqueue(r, it);
	}
	free(q);
	if (n > 0)
		f->next_from = f->slots[f->len - 1].member;
	if (n < max) {
		/* the rest of the club joined later or gets no copy */
		f->exhausted = true;
		f->next_from = f->f.last_member;
		f->dirty = true; /* an empty one goes at the next record */
	}
	return n;
}

/* claim - due queue rows, then copies of the fan-outs, taking turns so
   a small club's post is not stuck behind a big one */
static void
claim(struct relay *r)
{
	size_t budget = RELAY_BATCH;

	budget -= claim_rows(r, budget);
	fan_load(r);
	for (size_t k = 0; k < r->nfans && budget > 0; k++) {
		size_t i = (r->fan_rr + k) % r->nfans;
		size_t share = budget / (r->nfans - k);

		if (share < RELAY_CHUNK)
			share = RELAY_CHUNK < budget ? RELAY_CHUNK : budget;
		budget -= fan_expand(r, r->fans[i], share);
	}
	if (r->nfans > 0)
		r->fan_rr = (r->fan_rr + 1) % r->nfans;
	/* the expansion's reads must not pin a WAL snapshot */
	store_release(r->store);
}

/* retain - held posts' expiry and the purge of what is kept only for a
   while, in transactions of its own */
static void
retain(struct relay *r, time_t now)
{
	struct retention_done done;
	char *err = NULL;

	if (retention_run(r->store, now, &done, &err) < 0) {
		log_warn("relay: retention: %s", err);
		free(err);
	}
	if (done.expired || done.control || done.decided || done.kept)
		log_info("retention: held_expired=%lld purged control=%lld "
			 "held=%lld kept=%lld",
			 (long long)done.expired, (long long)done.control,
			 (long long)done.decided, (long long)done.kept);
}

/* maintain - probes, removals, retention */
static void
maintain(struct relay *r)
{
	time_t now = clock_now();
	int probed = 0, removed = 0;
	char *err = NULL;

	retain(r, now);
	if (relay_begin(r) < 0) {
		log_warn("relay: maintenance: %s", store_error(r->store));
		return;
	}
	if (member_bounce_probes(r->store, r->dconf, r->key, now, &probed,
				 &removed, &err) < 0) {
		log_warn("relay: maintenance: %s",
			 err ? err : store_error(r->store));
		free(err);
		store_rollback(r->store);
		wgate_unlock(r->gate);
		return;
	}
	if (err) {
		log_warn("relay: maintenance: %s", err);
		free(err);
	}
	if (store_commit(r->store) < 0) {
		log_warn("relay: maintenance: %s", store_error(r->store));
		store_rollback(r->store);
		wgate_unlock(r->gate);
		return;
	}
	wgate_unlock(r->gate);
	if (probed || removed)
		log_info("maintenance: probes=%d removed=%d", probed, removed);
}

/* record_due - the done list is worth a transaction; under the lock */
static bool
record_due(const struct relay *r)
{
	return r->ndone >= RELAY_RECORD ||
	       (r->ndone > 0 &&
		(r->ndone == r->inflight ||
		 clock_now_ms() - r->first_done_ms >= RELAY_RECORD_MS));
}

/* wake_at - the dispatcher's next timed look: in a second, or when the
   oldest outcome has waited long enough */
static void
wake_at(const struct relay *r, struct timespec *until)
{
	long ms = 1000;

	if (r->ndone > 0) {
		ms =
		    (long)(r->first_done_ms + RELAY_RECORD_MS - clock_now_ms());
		if (ms < 1)
			ms = 1;
	}
	clock_gettime(CLOCK_REALTIME, until);
	until->tv_sec += ms / 1000;
	until->tv_nsec += (ms % 1000) * 1000000L;
	until->tv_sec += until->tv_nsec / 1000000000L;
	until->tv_nsec %= 1000000000L;
}

static void *
dispatcher(void *arg)
{
	struct relay *r = arg;
	time_t last_maintain = 0;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct relay_item *done = NULL;
		struct timespec until;
		bool want;

		wake_at(r, &until);
		while (!record_due(r) && !r->hungry && !r->kicked &&
		       !r->stopping)
			if (pthread_cond_timedwait(&r->wake, &r->lock,
						   &until) == ETIMEDOUT)
				break;
		if (r->stopping || record_due(r)) {
			done = r->done;
			r->done = NULL;
			r->ndone = 0;
		}
		r->kicked = false;
		r->hungry = false;
		r->dconf = r->conf;
		/* outcomes that cannot be written (a database locked by
		   another process) stop the claims, not just the sends */
		want = !r->stopping && r->ntodo < RELAY_LOW &&
		       r->inflight < RELAY_INFLIGHT;
		pthread_mutex_unlock(&r->lock);
		if (r->unrecorded) {
			struct relay_item *t = r->unrecorded;

			while (t->next)
				t = t->next;
			t->next = done;
			done = r->unrecorded;
		}
		/* outcomes save the relay's state with them; a check's
		   result alone is saved here */
		if (done == NULL)
			health_save(r);
		r->unrecorded = record(r, done);
		if (want)
			claim(r);
		if (!r->stopping &&
		    clock_now() - last_maintain >= RELAY_MAINTAIN) {
			last_maintain = clock_now();
			maintain(r);
		}
		pthread_mutex_lock(&r->lock);
		if (r->stopping && r->done == NULL)
			break;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int
relay_open(const struct conf *conf, const unsigned char key[TOKEN_KEY_LEN],
	   struct wgate *gate, struct relay **r_r, char **error_r)
{
	struct relay *r = xcalloc(1, sizeof(*r));

	r->conf = conf;
	r->gate = gate;
	r->dconf = conf;
	memcpy(r->key, key, TOKEN_KEY_LEN);
	if (store_open(conf->database, STORE_CREATE, &r->store, error_r) < 0) {
		free(r);
		return -1;
	}
	/* outcomes lost to a power cut only send copies again (the cursor
	   and the deferred copies' rows go together): no fsync of its own
	   for the relay, so intake never waits behind one */
	store_sync_lazy(r->store);
	if (store_queue_reset(r->store) < 0) {
		*error_r = xasprintf("queue: %s", store_error(r->store));
		store_close(&r->store);
		free(r);
		return -1;
	}
	relay_name(conf->relay, r->relay_name, sizeof(r->relay_name));
	relay_smtp_global_init();
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->wake, NULL);
	pthread_cond_init(&r->check, NULL);
	atomic_init(&r->stop, false);
	r->check_due = true;
	if (pthread_create(&r->checker, NULL, checker, r) != 0)
		log_fatal(71, "relay: cannot start the relay check");
	r->nsenders = conf->relay_concurrency > 0 ? conf->relay_concurrency : 1;
	r->senders = xcalloc((size_t)r->nsenders, sizeof(*r->senders));
	for (int i = 0; i < r->nsenders; i++)
		if (pthread_create(&r->senders[i], NULL, sender, r) != 0)
			log_fatal(71, "relay: cannot start a sender thread");
	if (pthread_create(&r->dispatcher, NULL, dispatcher, r) != 0)
		log_fatal(71, "relay: cannot start the dispatcher");
	*r_r = r;
	return 0;
}

void
relay_kick(void *arg)
{
	struct relay *r = arg;

	pthread_mutex_lock(&r->lock);
	r->kicked = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void
relay_set_conf(struct relay *r, const struct conf *conf)
{
	pthread_mutex_lock(&r->lock);
	r->conf = conf;
	relay_name(conf->relay, r->relay_name, sizeof(r->relay_name));
	/* the relay or how we reach it may have changed: check it again;
	   a failure is logged afresh, even for the same cause */
	r->check_due = true;
	r->health.key[0] = '\0';
	pthread_cond_signal(&r->check);
	pthread_mutex_unlock(&r->lock);
}

void
relay_close(struct relay **rp)
{
	struct relay *r = *rp;
	struct relay_item *it, *next;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	atomic_store(&r->stop, true);
	pthread_cond_broadcast(&r->work);
	pthread_cond_signal(&r->check);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->checker, NULL);
	for (int i = 0; i < r->nsenders; i++)
		pthread_join(r->senders[i], NULL);
	/* the senders' last outcomes are in r->done: the dispatcher
	   records them before it returns */
	relay_kick(r);
	pthread_join(r->dispatcher, NULL);
	/* fan-out copies never sent become queue rows, so the cursors move
	   past them and no copy already sent goes twice after a restart */
	for (it = r->todo; it; it = next) {
		next = it->next;
		if (it->fan) {
			it->unsent = true;
			it->next = r->done;
			r->done = it;
			continue;
		}
		pthread_mutex_lock(&r->lock);
		copy_put(r, it->copy);
		pthread_mutex_unlock(&r->lock);
		store_queue_item_clear(&it->q);
		free(it);
	}
	r->todo = NULL;
	if (r->unrecorded) {
		struct relay_item *t = r->unrecorded;

		while (t->next)
			t = t->next;
		t->next = r->done;
		r->done = r->unrecorded;
	}
	/* a last try; what still cannot be written is reset to pending
	   below, and sent again after the restart */
	r->unrecorded = record(r, r->done);
	r->done = NULL;
	free_items(r, r->unrecorded);
	r->unrecorded = NULL;
	for (size_t i = 0; i < r->nfans; i++)
		fan_free(r, r->fans[i]);
	/* queue rows claimed but never sent are due again */
	if (store_queue_reset(r->store) < 0)
		log_warn("relay: %s", store_error(r->store));
	store_close(&r->store);
	free(r->senders);
	free(r);
	*rp = NULL;
}
