/*
 * intake - from an accepted LMTP transaction to durable rows
 * (see intake.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "clock.h"
#include "club.h"
#include "command.h"
#include "conf.h"
#include "control.h"
#include "guard.h"
#include "intake.h"
#include "log.h"
#include "member_bounce.h"
#include "moderate.h"
#include "modreply.h"
#include "msg.h"
#include "msg_hash.h"
#include "post_policy.h"
#include "spool.h"
#include "store.h"
#include "strutil.h"
#include "wgate.h"
#include "xalloc.h"

#define DELIVER_READERS 8
#define DELIVER_MAX_REFS 100 /* References kept per message */
/* A batch's messages are all parsed before its transaction opens, so a
   batch takes waiting jobs up to this many bytes (at least one job): 50
   sessions' 10 MB messages are committed a few at a time, not mapped
   and parsed all at once (README "Decisions") */
#define DELIVER_BATCH_BYTES (16 * 1024 * 1024)

struct intake_job {
	const char *raw; /* owned (fd < 0) or mapped from fd by prepare_job,
			    until the committer is done */
	size_t len;
	int fd;		       /* the spool file holding the message, or -1 */
	bool owned;	       /* raw is malloc'ed */
	struct msg *msg;       /* parsed by the committer */
	struct bounce *bounce; /* judged too, for a +bounce recipient */
	struct modreply mod;   /* read too, for a +mod recipient */
	bool mod_ignored;      /* ... from a robot: never acted on */
	const char *guard;     /* may control mail be answered (guard.h) */
	struct command *cmds;  /* parsed too, for a +request recipient */
	size_t ncmds;
	bool capped;
	char hash[65];
	struct intake_rcpt *rcpts; /* the submitter's */
	size_t n;
	int64_t arrival_ms;
	void *owner; /* handed back by intake_reap */
	struct intake_job *next;
};

struct intake {
	const struct conf *conf;
	unsigned char key[TOKEN_KEY_LEN];
	struct store *writer;
	struct store *checkpointer;
	struct wgate *gate; /* shared with the relay: intake writes first */
	pthread_t committer;
	pthread_t checkpoint_thread;
	pthread_mutex_t lock;
	pthread_cond_t work;	  /* committer waits for jobs */
	pthread_cond_t work_done; /* the checkpointer sleeps on it */
	struct intake_job *head, *tail;
	struct intake_job *done_head, *done_tail; /* for intake_reap */
	int event_fd; /* counts batches put on the done list */
	bool stopping;
	struct store *readers[DELIVER_READERS];
	size_t nreaders; /* idle, opened readers */
	size_t opened;
	pthread_cond_t reader_free;
	int64_t last_arrival_ms; /* keeps arrival dates strictly ordered */
	void (*kick)(void *);	 /* new copies are queued */
	void *kick_arg;
};

/* reader_get - a read connection from the pool, opened on demand */
static struct store *
reader_get(struct intake *d)
{
	struct store *s = NULL;
	char *err = NULL;

	pthread_mutex_lock(&d->lock);
	while (d->nreaders == 0 && d->opened >= DELIVER_READERS)
		pthread_cond_wait(&d->reader_free, &d->lock);
	if (d->nreaders > 0) {
		s = d->readers[--d->nreaders];
		pthread_mutex_unlock(&d->lock);
		return s;
	}
	d->opened++;
	pthread_mutex_unlock(&d->lock);
	if (store_open(d->conf->database, 0, &s, &err) < 0) {
		free(err);
		pthread_mutex_lock(&d->lock);
		d->opened--;
		pthread_cond_signal(&d->reader_free);
		pthread_mutex_unlock(&d->lock);
		return NULL;
	}
	return s;
}

static void
reader_put(struct intake *d, struct store *s)
{
	store_release(s);
	pthread_mutex_lock(&d->lock);
	d->readers[d->nreaders++] = s;
	pthread_cond_signal(&d->reader_free);
	pthread_mutex_unlock(&d->lock);
}

/* reply - set a recipient's answer */
static void
reply(struct intake_rcpt *r, int code, const char *enh, const char *text)
{
	r->code = code;
	snprintf(r->enh, sizeof(r->enh), "%s", enh);
	snprintf(r->text, sizeof(r->text), "%s", text);
}

void
intake_check_rcpt(struct intake *d, const char *addr, struct intake_rcpt *r)
{
	const struct conf *conf = d->conf;
	struct store *s;
	const char *why;
	char *v;
	int rc;

	memset(r, 0, sizeof(*r));
	r->addr = str_lower(xstrdup(addr));
	if (addr_parse_rcpt(r->addr, conf->domain, conf->delimiter, &r->form,
			    &why) < 0) {
		reply(r, 550, "5.1.1", "no such user here");
		return;
	}
	if ((s = reader_get(d)) == NULL) {
		reply(r, 451, "4.3.0", "database unavailable, try again");
		return;
	}
	rc = store_club_find(s, r->form.club, &r->club);
	if (rc == STORE_NOTFOUND) {
		reply(r, 550, "5.1.1", "no such club here");
		goto out;
	}
	if (rc != 0) {
		reply(r, 451, "4.3.0", "database error, try again");
		goto out;
	}
	if (r->form.role == ADDR_CONFIRM &&
	    control_is_pending_token(r->form.arg)) {
		enum token_status st;

		/* its MAC covers the address of the request it names */
		if (control_check_token(s, d->key, r->form.club, r->form.arg,
					clock_now(), &st) < 0) {
			reply(r, 451, "4.3.0", "database error, try again");
			goto out;
		}
		if (st == TOKEN_FORGED) {
			reply(r, 550, "5.1.1", "invalid token");
			goto out;
		}
	} else if (addr_role_has_token(r->form.role)) {
		char arg[65];

		if (token_check(d->key, r->form.club,
				addr_role_name(r->form.role), r->form.arg,
				clock_now(), arg,
				sizeof(arg)) == TOKEN_FORGED) {
			reply(r, 550, "5.1.1", "invalid token");
			goto out;
		}
	} else if (r->form.role == ADDR_REPLY) {
		int64_t t;

		rc = store_thread_find(s, r->club, r->form.arg, &t);
		if (rc == STORE_NOTFOUND) {
			reply(r, 550, "5.1.1", "no such thread");
			goto out;
		}
		if (rc != 0) {
			reply(r, 451, "4.3.0", "database error, try again");
			goto out;
		}
	}
	if (club_read(s, conf, r->club, r->form.club, "max_message_size", &v) <
	    0) {
		reply(r, 451, "4.3.0", "database error, try again");
		goto out;
	}
	r->max_size = strtoull(v, NULL, 10);
	free(v);
	if (club_read(s, conf, r->club, r->form.club, "subject_prefix",
		      &r->club_tag) < 0) {
		reply(r, 451, "4.3.0", "database error, try again");
		goto out;
	}
	reply(r, 250, "2.1.5", "ok");
out:
	reader_put(d, s);
}

void
intake_rcpt_clear(struct intake_rcpt *r)
{
	free(r->addr);
	free(r->club_tag);
	memset(r, 0, sizeof(*r));
}

void
intake_fill_in(struct store_msg_in *in, const struct msg *m, const char *raw,
	       size_t len, const char *body_hash, const struct intake_rcpt *r,
	       int64_t date_ms, char **problems_json_r)
{
	struct buf p = BUF_INIT;

	buf_putc(&p, '[');
	for (size_t i = 0; i < m->nproblems; i++) {
		if (i)
			buf_putc(&p, ',');
		buf_json_str(&p, m->problems[i]);
	}
	buf_putc(&p, ']');
	*problems_json_r = buf_steal(&p);
	memset(in, 0, sizeof(*in));
	in->club = r->club;
	in->club_tag = r->club_tag;
	in->rcpt = r->addr;
	in->role = addr_role_name(r->form.role);
	in->arg = r->form.arg[0] ? r->form.arg : NULL;
	in->raw = raw;
	in->raw_len = len;
	in->body_sha256 = body_hash;
	in->message_id = m->message_id;
	in->in_reply_to = m->in_reply_to;
	in->refs = (const char *const *)m->refs;
	in->nrefs = m->nrefs;
	/* threading reads References last to first and stores each one:
	   the nearest ancestors are enough, a header of thousands is not
	   stored row by row */
	if (in->nrefs > DELIVER_MAX_REFS) {
		in->refs += in->nrefs - DELIVER_MAX_REFS;
		in->nrefs = DELIVER_MAX_REFS;
	}
	in->from_addr = m->from_addr;
	in->from_name = m->from_name;
	in->subject = m->subject;
	in->text = m->text;
	in->problems = *problems_json_r;
	in->is_auto = m->is_auto;
	in->is_bounce = m->is_bounce;
	in->thread = r->form.role == ADDR_POST || r->form.role == ADDR_REPLY;
	in->date_ms = date_ms;
	in->received = clock_now();
}

/* fail_pending - every recipient still due a 250 gets 451 4.3.0 instead
   (452 4.3.1 when s says the disk is full: RFC 3463's "mail system
   full"): nothing of the job is on disk, Postfix will retry */
static void
fail_pending(struct intake_job *job, struct store *s, const char *text)
{
	bool full = s != NULL && store_full(s);

	for (size_t i = 0; i < job->n; i++) {
		if (job->rcpts[i].code == 250 && full)
			reply(&job->rcpts[i], 452, "4.3.1",
			      "disk full: no room for the message, try again "
			      "later");
		else if (job->rcpts[i].code == 250)
			reply(&job->rcpts[i], 451, "4.3.0", text);
		job->rcpts[i].row = 0; /* the log must not name a row */
	}
}

/* post_facts - what post_policy needs to know about a post to club;
   -1 on a database error (a member must not be taken for a stranger,
   nor a club's settings for the defaults); the strings are the caller's
   either way */
static int
post_facts(struct intake *d, struct store *s, const struct msg *m,
	   const struct intake_rcpt *r, struct post_facts *f,
	   char **moderation_r, char **nonmember_r)
{
	struct store_member mem;
	int rc = STORE_NOTFOUND;

	*moderation_r = *nonmember_r = NULL;
	memset(f, 0, sizeof(*f));
	f->domain = d->conf->domain;
	f->list_id = m->list_id;
	f->is_auto = m->is_auto;
	f->is_bounce = m->is_bounce;
	if (m->from_addr &&
	    (rc = store_member_get(s, r->club, m->from_addr, &mem)) == 0) {
		f->is_member = true;
		f->is_animator = strcmp(mem.role, "animator") == 0;
		f->is_moderated = mem.moderated;
		store_member_clear(&mem);
	}
	if (rc < 0 ||
	    club_read(s, d->conf, r->club, r->form.club, "moderation",
		      moderation_r) < 0 ||
	    club_read(s, d->conf, r->club, r->form.club, "nonmember",
		      nonmember_r) < 0)
		return -1;
	f->moderation = *moderation_r;
	f->nonmember = *nonmember_r;
	return 0;
}

/* hold_notify - the animators' notices for post id, held as dec says */
static int
hold_notify(struct intake *d, struct intake_job *job, struct intake_rcpt *r,
	    const struct post_decision *dec, int64_t id)
{
	struct moderate_post p;
	char *err = NULL;
	int rc;

	memset(&p, 0, sizeof(p));
	p.club = r->club;
	p.club_name = r->form.club;
	p.msg = id;
	p.from = job->msg->from_addr;
	p.from_name = job->msg->from_name;
	p.subject = job->msg->subject;
	p.reasons = dec->reasons;
	p.nreasons = dec->nreasons;
	p.raw = job->raw;
	p.len = job->len;
	rc = moderate_notify(d->writer, d->conf, d->key, &p, clock_now(), &err);
	if (err) {
		/* a broken template must not lose the post */
		log_warn("M%lld: mod-notice: %s", (long long)id, err);
		free(err);
	}
	return rc < 0 ? -1 : 0;
}

/* store_post - a post to the club (acme@ or acme+r-KEY@): decide, store,
   and queue its copies; 0, or -1 on a database error */
static int
store_post(struct intake *d, struct intake_job *job, struct intake_rcpt *r,
	   bool *queued_r)
{
	struct store *s = d->writer;
	struct post_facts f;
	struct post_decision dec;
	struct store_msg_in in;
	char *problems = NULL, *reasons = NULL, *moderation, *nonmember;
	const char *status = "accepted";
	bool dup;
	int64_t id;
	int rc = -1;

	rc = post_facts(d, s, job->msg, r, &f, &moderation, &nonmember);
	if (rc == 0)
		post_policy_decide(&f, &dec);
	free(moderation);
	free(nonmember);
	if (rc < 0)
		return -1;
	rc = -1;
	if (dec.verdict == POST_REJECT) {
		reply(r, 550, "5.7.1", "only members may post to this club");
		return 0;
	}
	if (dec.verdict == POST_DISCARD) {
		reply(r, 250, "2.0.0", "accepted");
		snprintf(r->text, sizeof(r->text), "discarded (nonmember)");
		return 0;
	}
	if (dec.verdict == POST_RELAY || dec.verdict == POST_HOLD) {
		/* the same post through a second address of the club
		   (acme@ and acme+r-KEY@): relayed or held once */
		int seen = store_msg_seen(s, r->club, job->msg->message_id);

		if (seen < 0)
			return -1;
		if (seen) {
			dec.verdict = POST_KEEP;
			dec.reasons[0] = "duplicate";
			dec.nreasons = 1;
		}
	}
	if (dec.verdict == POST_HOLD)
		status = "held";
	else if (dec.verdict == POST_KEEP)
		status = "kept";
	reasons = dec.nreasons ? post_policy_reasons_json(&dec) : NULL;
	intake_fill_in(&in, job->msg, job->raw, job->len, job->hash, r,
		       job->arrival_ms, &problems);
	/* held and kept posts join a thread only once approved */
	in.thread = dec.verdict == POST_RELAY;
	in.status = status;
	in.reasons = reasons;
	if (store_msg_insert(s, &in, &id, &dup) < 0)
		goto out;
	r->row = dup ? 0 : id;
	if (dup) {
		reply(r, 250, "2.0.0", "already stored");
		rc = 0;
		goto out;
	}
	rc = 0;
	if (dec.verdict == POST_HOLD && hold_notify(d, job, r, &dec, id) < 0)
		goto out;
	if (dec.verdict == POST_HOLD)
		*queued_r = true; /* the animators' notices */
	if (dec.verdict == POST_RELAY) {
		/* one row whatever the club's size: the relay expands it */
		rc = store_fanout_add(s, r->club, id, in.received);
		*queued_r = true;
	}
	if (rc == 0) {
		reply(r, 250, "2.0.0", status);
		if (dec.verdict == POST_RELAY)
			snprintf(r->text, sizeof(r->text),
				 "accepted, copies queued");
		else if (dec.nreasons)
			snprintf(r->text, sizeof(r->text), "%s (%s)", status,
				 dec.reasons[0]);
	}
out:
	free(problems);
	free(reasons);
	return rc < 0 ? -1 : 0;
}

/* bounce_in - a report to acme+bounce-TOKEN@: score it against the
   member and message the token names */
static int
bounce_in(struct intake *d, struct intake_job *job, struct intake_rcpt *r,
	  int64_t row)
{
	struct member_bounce_in in;
	struct bounce *b;
	char arg[65], *err = NULL;
	bool counted, suspended;
	int64_t member, msg;
	int rc;

	/* the token was checked at RCPT; an expired one still names its
	   member */
	if (token_check(d->key, r->form.club, "bounce", r->form.arg,
			clock_now(), arg, sizeof(arg)) == TOKEN_FORGED ||
	    member_bounce_parse_arg(arg, &member, &msg) < 0)
		return 0;
	if ((b = job->bounce) == NULL)
		return 0;
	memset(&in, 0, sizeof(in));
	in.club = r->club;
	in.member = member;
	in.msg = msg;
	in.kind = b->kind;
	in.dmarc = b->dmarc;
	if (b->nrcpts > 0) {
		in.status = b->rcpts[0].status;
		in.diagnostic = b->rcpts[0].diagnostic;
	}
	rc = member_bounce(d->writer, d->conf, &in, clock_now(), &counted,
			   &suspended, &err);
	if (err) {
		log_warn("M%lld: bounce: %s", (long long)row, err);
		free(err);
	}
	if (rc == STORE_NOTFOUND)
		snprintf(r->text, sizeof(r->text), "bounce not attributed");
	if (rc == 0)
		snprintf(r->text, sizeof(r->text), "bounce %s%s%s",
			 bounce_kind_name(b->kind),
			 counted ? " counted" : " not counted",
			 suspended ? ", member suspended" : "");
	return rc < 0 ? -1 : 0;
}

/* confirm_in - acme+confirm-TOKEN@: a suspended member answering a
   probe resumes; other confirmations are kept for the control module */
static int
confirm_in(struct intake *d, struct intake_rcpt *r)
{
	char arg[65];
	int64_t member;
	int rc;

	if (token_check(d->key, r->form.club, "confirm", r->form.arg,
			clock_now(), arg, sizeof(arg)) != TOKEN_OK ||
	    (member = member_bounce_parse_probe(arg)) == 0)
		return 0;
	rc = store_bounce_resume(d->writer, r->club, member);
	if (rc == 0)
		snprintf(r->text, sizeof(r->text), "delivery resumed");
	return rc < 0 ? -1 : 0;
}

/* mod_in - acme+mod-TOKEN@: an animator's reply to a moderation notice,
   read by prepare_job; acted on and answered unless a robot sent it */
static int
mod_in(struct intake *d, struct intake_job *job, struct intake_rcpt *r)
{
	enum token_status ts;
	const char *what = "mod: ignored";
	char arg[65], *err = NULL;
	int64_t msg, member;
	int rc;

	if (job->mod_ignored) {
		snprintf(r->text, sizeof(r->text), "mod: auto-reply ignored");
		return 0;
	}
	/* checked at RCPT already; an expired token is answered */
	ts = token_check(d->key, r->form.club, "mod", r->form.arg, clock_now(),
			 arg, sizeof(arg));
	if (ts == TOKEN_FORGED || moderate_parse_arg(arg, &msg, &member) < 0)
		return 0;
	rc = moderate_by_mail(d->writer, d->conf, r->club, r->form.club, msg,
			      member, ts == TOKEN_EXPIRED, &job->mod,
			      clock_now(), &what, &err);
	if (err) {
		log_warn("mod: %s", err);
		free(err);
	}
	snprintf(r->text, sizeof(r->text), "%s", what);
	return rc;
}

/* control_in - mail to a control address: answered by control.c (no
   command mail is ever relayed: it is stored, never threaded) */
static int
control_in(struct intake *d, struct intake_job *job, struct intake_rcpt *r)
{
	struct control_in in;
	char status[96];

	memset(&in, 0, sizeof(in));
	in.club = r->club;
	in.club_name = r->form.club;
	in.role = r->form.role;
	in.arg = r->form.arg;
	in.msg = job->msg;
	in.raw = job->raw;
	in.len = job->len;
	in.null_sender = r->null_sender;
	in.guard = job->guard;
	in.cmds = job->cmds;
	in.ncmds = job->ncmds;
	in.capped = job->capped;
	status[0] = '\0';
	if (control_handle(d->writer, d->conf, d->key, &in, clock_now(), status,
			   sizeof(status)) < 0)
		return -1;
	/* the reply still starts "stored": what was done follows */
	if (status[0])
		snprintf(r->text, sizeof(r->text), "stored, %s", status);
	return 0;
}

/* commit_job - write one job's rows inside the open batch transaction */
static void
commit_job(struct intake *d, struct intake_job *job, bool *queued_r)
{
	struct store *s = d->writer;

	if (store_savepoint(s) < 0) {
		fail_pending(job, s, "database error, try again");
		return;
	}
	for (size_t i = 0; i < job->n; i++) {
		struct intake_rcpt *r = &job->rcpts[i];
		struct store_msg_in in;
		char *problems;
		bool dup;
		int64_t id;
		int rc = 0;

		if (r->code != 250)
			continue;
		if (r->form.role == ADDR_POST || r->form.role == ADDR_REPLY) {
			if (store_post(d, job, r, queued_r) < 0)
				goto fail;
			continue;
		}
		intake_fill_in(&in, job->msg, job->raw, job->len, job->hash, r,
			       job->arrival_ms, &problems);
		rc = store_msg_insert(s, &in, &id, &dup);
		free(problems);
		if (rc < 0)
			goto fail;
		r->row = dup ? 0 : id;
		reply(r, 250, "2.0.0", dup ? "already stored" : "stored");
		if (dup)
			continue;
		if (r->form.role == ADDR_BOUNCE)
			rc = bounce_in(d, job, r, id);
		else if (r->form.role == ADDR_CONFIRM &&
			 !control_is_pending_token(r->form.arg))
			rc = confirm_in(d, r);
		else if (r->form.role == ADDR_MOD)
			rc = mod_in(d, job, r);
		else if (r->form.role != ADDR_MOD)
			rc = control_in(d, job, r);
		*queued_r = true; /* notices may have been queued */
		if (rc < 0)
			goto fail;
	}
	store_savepoint_release(s);
	return;
fail:
	log_warn("store: %s: %s", job->msg->message_id, store_error(s));
	store_savepoint_rollback(s);
	fail_pending(job, s, "database error, try again");
	store_savepoint_release(s);
}

/* prepare_bounce - parse a report once for both the store and the
   bounce reader (a mailbox "From " line, which only bounce_parse skips,
   takes the long way) */
static void
prepare_bounce(struct intake_job *job)
{
	struct msg_part *parts = NULL;
	size_t n = 0;

	if (job->len > 5 && memcmp(job->raw, "From ", 5) == 0) {
		job->msg = msg_parse(job->raw, job->len);
		bounce_parse(job->raw, job->len, &job->bounce);
		return;
	}
	job->msg = msg_parse_parts(job->raw, job->len, &parts, &n);
	bounce_parse_parsed(job->raw, job->len, job->msg, parts, n,
			    &job->bounce);
	msg_parts_free(&parts, n);
}

/* job_has_role - a recipient of job still due a 250 has that role */
static bool
job_has_role(const struct intake_job *job, enum addr_role role)
{
	for (size_t i = 0; i < job->n; i++)
		if (job->rcpts[i].code == 250 &&
		    job->rcpts[i].form.role == role)
			return true;
	return false;
}

/* prepare_control - what control.c needs of the message: may it be
   answered (the envelope sender is the transaction's: one verdict a
   job), and the commands of a +request recipient */
static void
prepare_control(struct intake_job *job)
{
	if (job->n > 0)
		job->guard = guard_why_not(job->msg, job->raw, job->len,
					   job->rcpts[0].null_sender);
	if (job_has_role(job, ADDR_REQUEST)) {
		job->cmds = xcalloc(COMMAND_MAX, sizeof(*job->cmds));
		job->ncmds =
		    command_parse(job->msg->subject, job->msg->text, job->cmds,
				  COMMAND_MAX, &job->capped);
	}
}

/* prepare_job - parse, hash and judge a report off the event loop's
   thread and before the batch's transaction opens: the loop only moves
   bytes, and work on unauthenticated input never runs while the write
   lock is held (a slow message must not delay the others' commit) */
static void
prepare_job(struct intake_job *job)
{
	if (job->fd >= 0 && (job->raw = spool_map(job->fd, job->len)) == NULL) {
		log_warn("spool: cannot map a message of %zu bytes: %s",
			 job->len, strerror(errno));
		fail_pending(job, NULL,
			     "cannot read the spooled message, try again");
		job->raw = "";
		job->len = 0;
		close(job->fd);
		job->fd = -1;
		job->msg = msg_parse(job->raw, 0);
		return;
	}
	msg_body_sha256(job->raw, job->len, job->hash);
	if (job_has_role(job, ADDR_BOUNCE))
		prepare_bounce(job);
	else
		job->msg = msg_parse(job->raw, job->len);
	prepare_control(job);
	if (job_has_role(job, ADDR_MOD)) {
		modreply_parse(job->msg->text, job->msg->subject, &job->mod);
		/* a robot's mail is never acted on nor answered */
		job->mod_ignored = job->guard != NULL;
	}
}

/* finish_job - log the intake outcome, one line per recipient in one
   format, and drop what only the committer needed */
static void
finish_job(struct intake_job *job, unsigned long long commit)
{
	for (size_t i = 0; i < job->n; i++) {
		const struct intake_rcpt *r = &job->rcpts[i];

		/* commit= names the transaction: messages sharing one
		   share its fsync (group commit) */
		log_info("%s%lld: club=%s role=%s to=<%s> msgid=%s size=%zu "
			 "commit=%llu dsn=%s status=%d (%s)",
			 r->row ? "M" : "-", (long long)r->row, r->form.club,
			 addr_role_name(r->form.role), r->addr,
			 job->msg->message_id, job->len, commit, r->enh,
			 r->code, r->text);
	}
	msg_free(&job->msg);
	bounce_free(&job->bounce);
	free(job->cmds);
	job->cmds = NULL;
	if (job->fd >= 0) {
		spool_unmap(job->raw, job->len);
		close(job->fd);
		job->fd = -1;
	} else if (job->owned) {
		free((char *)job->raw);
	}
	job->raw = NULL;
}

/* take_batch - the first waiting jobs, up to DELIVER_BATCH_BYTES in all
   but at least one; called with the lock held */
static struct intake_job *
take_batch(struct intake *d, struct intake_job **last_r)
{
	struct intake_job *first = d->head, *j = first;
	size_t bytes = j->len;

	while (j->next && bytes + j->next->len <= DELIVER_BATCH_BYTES) {
		j = j->next;
		bytes += j->len;
	}
	d->head = j->next;
	if (d->head == NULL)
		d->tail = NULL;
	j->next = NULL;
	*last_r = j;
	return first;
}

/* committer - the single writer: one transaction per batch of jobs */
static void *
committer(void *arg)
{
	struct intake *d = arg;
	unsigned long long commits = 0;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		struct intake_job *batch, *last, *j;
		bool wake, queued = false;
		int njobs = 0;

		while (d->head == NULL && !d->stopping)
			pthread_cond_wait(&d->work, &d->lock);
		if (d->head == NULL && d->stopping)
			break;
		batch = take_batch(d, &last);
		pthread_mutex_unlock(&d->lock);

		for (j = batch; j; j = j->next, njobs++)
			prepare_job(j);
		wgate_lock_intake(d->gate);
		if (store_begin(d->writer) < 0) {
			log_warn("store: begin: %s", store_error(d->writer));
			for (j = batch; j; j = j->next)
				fail_pending(j, d->writer,
					     "database busy, try again");
		} else {
			for (j = batch; j; j = j->next) {
				commit_job(d, j, &queued);
				/* an error SQLite answers with a rollback of
				   the whole transaction (disk full, I/O) takes
				   the batch's earlier jobs with it */
				if (!store_in_transaction(d->writer))
					break;
			}
			if (j != NULL || store_commit(d->writer) < 0) {
				queued = false;
				log_warn("store: commit: %s",
					 store_error(d->writer));
				store_rollback(d->writer);
				for (j = batch; j; j = j->next)
					fail_pending(
					    j, d->writer,
					    "commit failed, try again");
			}
		}
		wgate_unlock(d->gate);
		wgate_want(d->gate, -njobs);
		commits++;
		if (queued && d->kick)
			d->kick(d->kick_arg);
		for (j = batch; j; j = j->next)
			finish_job(j, commits);
		pthread_mutex_lock(&d->lock);
		/* one eventfd write per batch, and none while the loop has
		   not yet reaped the previous one */
		wake = d->done_head == NULL;
		if (d->done_tail)
			d->done_tail->next = batch;
		else
			d->done_head = batch;
		d->done_tail = last;
		if (wake) {
			uint64_t one = 1;

			pthread_mutex_unlock(&d->lock);
			(void)!write(d->event_fd, &one, sizeof(one));
			pthread_mutex_lock(&d->lock);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* checkpoint_loop - move the WAL into the database off the commit path,
   so a commit never waits for a checkpoint's writes and fsync */
static void *
checkpoint_loop(void *arg)
{
	struct intake *d = arg;
	struct timespec until;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->work_done, &d->lock, &until);
		if (d->stopping)
			break;
		pthread_mutex_unlock(&d->lock);
		if (store_checkpoint(d->checkpointer) < 0)
			log_warn("store: %s", store_error(d->checkpointer));
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

void
intake_submit(struct intake *d, struct buf *msg, int fd, size_t len,
	      struct intake_rcpt *rcpts, size_t n, void *owner)
{
	struct intake_job *job = xcalloc(1, sizeof(*job));

	job->fd = fd;
	job->len = len;
	if (fd < 0) {
		job->len = msg->len;
		job->raw = buf_steal(msg);
		job->owned = job->raw != NULL;
		if (job->raw == NULL)
			job->raw = "";
	}
	job->rcpts = rcpts;
	job->n = n;
	job->owner = owner;
	/* counted before the committer can see it, so never below zero */
	wgate_want(d->gate, 1);
	pthread_mutex_lock(&d->lock);
	/* arrival dates are unique so "earlier" is never a tie */
	job->arrival_ms = clock_now_ms();
	if (job->arrival_ms <= d->last_arrival_ms)
		job->arrival_ms = d->last_arrival_ms + 1;
	d->last_arrival_ms = job->arrival_ms;
	if (d->tail)
		d->tail->next = job;
	else
		d->head = job;
	d->tail = job;
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->lock);
}

int
intake_event_fd(const struct intake *d)
{
	return d->event_fd;
}

void
intake_reap(struct intake *d, void (*done)(void *owner))
{
	struct intake_job *j;
	uint64_t v;

	/* drain the counter before taking the list: a batch published
	   after this read writes the eventfd again, so none is missed */
	while (read(d->event_fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&d->lock);
	j = d->done_head;
	d->done_head = d->done_tail = NULL;
	pthread_mutex_unlock(&d->lock);
	while (j) {
		struct intake_job *next = j->next;

		done(j->owner);
		free(j);
		j = next;
	}
}

int
intake_open(const struct conf *conf, const unsigned char key[TOKEN_KEY_LEN],
	    struct wgate *gate, struct intake **d_r, char **error_r)
{
	struct intake *d = xcalloc(1, sizeof(*d));

	d->conf = conf;
	d->gate = gate;
	memcpy(d->key, key, TOKEN_KEY_LEN);
	if (store_open(conf->database, STORE_CREATE, &d->writer, error_r) < 0) {
		free(d);
		return -1;
	}
	if (store_open(conf->database, 0, &d->checkpointer, error_r) < 0) {
		store_close(&d->writer);
		free(d);
		return -1;
	}
	store_autocheckpoint(d->writer, 0);
	store_temp_in_memory(d->writer);
	if ((d->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		*error_r = xasprintf("eventfd: %s", strerror(errno));
		store_close(&d->checkpointer);
		store_close(&d->writer);
		free(d);
		return -1;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->work_done, NULL);
	pthread_cond_init(&d->reader_free, NULL);
	if (pthread_create(&d->committer, NULL, committer, d) != 0 ||
	    pthread_create(&d->checkpoint_thread, NULL, checkpoint_loop, d) !=
		0) {
		/* XXX: threads cannot fail to start here short of resource
		   exhaustion at startup, which is fatal for the caller */
		*error_r = xstrdup("cannot start the store threads");
		return -1;
	}
	*d_r = d;
	return 0;
}

void
intake_set_kick(struct intake *d, void (*kick)(void *), void *arg)
{
	pthread_mutex_lock(&d->lock);
	d->kick = kick;
	d->kick_arg = arg;
	pthread_mutex_unlock(&d->lock);
}

void
intake_set_conf(struct intake *d, const struct conf *conf)
{
	pthread_mutex_lock(&d->lock);
	d->conf = conf;
	pthread_mutex_unlock(&d->lock);
}

void
intake_close(struct intake **dp)
{
	struct intake *d = *dp;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_signal(&d->work);
	pthread_cond_signal(&d->work_done);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->committer, NULL);
	pthread_join(d->checkpoint_thread, NULL);
	(void)store_checkpoint(d->checkpointer);
	store_close(&d->checkpointer);
	for (size_t i = 0; i < d->nreaders; i++)
		store_close(&d->readers[i]);
	store_close(&d->writer);
	/* jobs finished after the loop's last reap: their owners are gone */
	while (d->done_head) {
		struct intake_job *next = d->done_head->next;

		free(d->done_head);
		d->done_head = next;
	}
	close(d->event_fd);
	free(d);
	*dp = NULL;
}
