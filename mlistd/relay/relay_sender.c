/*
 * relay_sender - the sender threads: each takes copies from the
 * dispatcher's list, personalizes them (relay_copy), sends each to its
 * one recipient over its own backend (relay_smtp, reused from copy to
 * copy, or relay_capture) and hands the reply back (relay_done_push).
 * A sender opens its backend lazily and again after a reload.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "relay_capture.h"
#include "relay_policy.h"
#include "relay_private.h"
#include "relay_smtp.h"
#include "xalloc.h"

#define RELAY_TIMEOUT 60      /* seconds for a reply, end of data aside */
#define RELAY_DOT_TIMEOUT 600 /* RFC 5321 4.5.3.2.6 */
#define RELAY_STOP_GRACE 30   /* a stop waits this long for end of data */

/* backend_send - the copy of it to its recipient; the reply in it->res */
static void
backend_send(struct relay *r, struct relay_backend *b, struct relay_item *it)
{
	const struct conf *conf = b->conf;
	struct relay_copy *c = it->copy;
	struct buf msg = BUF_INIT;
	char *from, *err = NULL;
	time_t now = clock_now();

	from = relay_copy_envelope_from(conf, r->key, c->club, it->q.member_id,
					it->q.msg_id, now);
	if (c->personal) {
		buf_reserve(&msg, c->data.len + 256);
		buf_append(&msg, c->data.data, c->personal_at);
		relay_copy_personal_headers(&msg, conf, r->key, c->club,
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

/* relay_sender_open - NULL smtp with capture; on failure every send of this
   sender reports the error */
int
relay_sender_open(struct relay *r, const struct conf *conf,
		  struct relay_backend *b, char **error_r)
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

/* relay_sender_main - a sender thread: copies until the stop */
void *
relay_sender_main(void *arg)
{
	struct relay *r = arg;
	struct relay_backend b;
	char *err = NULL;
	bool usable = false;

	relay_thread_nice();
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
			usable = relay_sender_open(r, conf, &b, &err) == 0;
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
		relay_done_push(r, it);
	}
	pthread_mutex_unlock(&r->lock);
	if (b.smtp)
		relay_smtp_close(&b.smtp);
	free(err);
	return NULL;
}
