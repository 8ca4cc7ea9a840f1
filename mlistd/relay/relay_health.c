/*
 * relay_health - the relay's state, from the relay check and from
 * outcomes: a change of state or of cause is logged once, not once per
 * copy (SPEC 7), and saved in relay_status for mlistctl queue.  The
 * check connects as a send would, at start and after SIGHUP, in its own
 * thread, so a slow relay never holds up start-up, intake or the copies.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "relay_policy.h"
#include "relay_private.h"
#include "relay_smtp.h"
#include "store.h"

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

/* relay_health_from - what an attempt or check says of the relay: ours says
   it failed on our side, else the relay worked */
void
relay_health_from(struct relay *r, const struct relay_result *res, bool ours)
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

/* relay_health_unsaved - the state's write failed or was rolled back */
void
relay_health_unsaved(struct relay *r)
{
	pthread_mutex_lock(&r->lock);
	r->health.dirty = true;
	pthread_mutex_unlock(&r->lock);
}

/* relay_health_save - the relay's state for mlistctl queue, when it changed;
   inside relay_record_batch()'s transaction when there are outcomes, so it adds
   no wait of its own on a busy database */
void
relay_health_save(struct relay *r)
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
		relay_health_unsaved(r);
	}
}

/* check_relay - connect as a send would (SPEC 7: at start and after
   SIGHUP), so a broken relay is reported before the first copy fails */
static void
check_relay(struct relay *r, const struct conf *conf)
{
	struct relay_result res;
	struct relay_backend b;
	char *err = NULL;

	memset(&res, 0, sizeof(res));
	if (relay_sender_open(r, conf, &b, &err) < 0) {
		res.transport = RELAY_TRANSPORT_OTHER;
		snprintf(res.reply, sizeof(res.reply), "%s", err);
		free(err);
	} else if (b.smtp == NULL)
		return; /* capture: nothing to connect to */
	else {
		relay_smtp_check(b.smtp, &res);
		relay_smtp_close(&b.smtp);
	}
	relay_health_from(r, &res, res.transport != RELAY_TRANSPORT_NONE);
	relay_kick(r); /* the dispatcher saves the state */
}

/* relay_health_checker - the relay check's own thread: a slow relay never holds
   up start-up, intake or the copies */
void *
relay_health_checker(void *arg)
{
	struct relay *r = arg;

	relay_thread_nice();
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
