/*
 * relay - the relay worker (see relay.h): open, close, and the
 * dispatcher, which claims copies, hands them to the senders
 * (relay_sender.c) and records their outcomes (relay_record.c).
 *
 * Copies come from two sources: queue rows (notices, retries) and
 * fan-out rows, one per post, expanded in member-id order a chunk at a
 * time (relay_fanout.c).  A fan-out's copies need no row of their own:
 * its slots remember, in id order, the members handed out, and once
 * every slot up to a member has its outcome written the fan-out's
 * cursor moves past it in the same transaction as those outcomes (a
 * deferred copy becomes a queue row there).  A crash resends at most
 * the copies beyond the cursor; a stop turns the copies not yet sent
 * into queue rows first.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "periodic.h"
#include "relay.h"
#include "relay_policy.h"
#include "relay_private.h"
#include "relay_smtp.h"
#include "store.h"
#include "wgate.h"
#include "xalloc.h"

#define RELAY_BATCH 512	    /* copies claimed at once */
#define RELAY_RECORD 512    /* outcomes written in one transaction, at most */
#define RELAY_RECORD_MS 100 /* how long an outcome waits for company */
#define RELAY_CHUNK 64	    /* a fan-out's share of a claim, at least */
#define RELAY_INFLIGHT 8192 /* copies claimed and not yet recorded */
#define RELAY_NICE 10	    /* the relay threads' nice value, above intake's */

/* relay_name - the relay as outcome lines and mlistctl queue name it */
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

/* relay_done_push - an outcome for the dispatcher, which is woken only when
   it has something to do: start its clock, write a full batch, or
   finish when nothing else is out; under the relay's lock */
void
relay_done_push(struct relay *r, struct relay_item *it)
{
	it->next = r->done;
	r->done = it;
	if (++r->ndone == 1)
		r->first_done_ms = clock_now_ms();
	if (r->ndone == 1 || r->ndone == RELAY_RECORD ||
	    r->ndone == r->inflight)
		pthread_cond_signal(&r->wake);
}

/* relay_enqueue - an item for the senders (or, without a copy, straight to
   the outcomes) */
void
relay_enqueue(struct relay *r, struct relay_item *it)
{
	pthread_mutex_lock(&r->lock);
	r->inflight++;
	if (it->copy == NULL) {
		/* unreadable message: judged as a transport error */
		it->tried = clock_now();
		it->res.transport = RELAY_TRANSPORT_OTHER;
		snprintf(it->res.reply, sizeof(it->res.reply),
			 "message unreadable");
		relay_done_push(r, it);
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
	if (wgate_begin(r->gate, r->store) < 0) {
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
		it->copy = relay_copy_get(r, &it->q);
		relay_enqueue(r, it);
	}
	free(q); /* the strings now belong to the items */
	return n;
}

/* claim - due queue rows, then copies of the fan-outs, taking turns so
   a small club's post is not stuck behind a big one; load: look for new
   fan-outs */
static void
claim(struct relay *r, bool load)
{
	size_t budget = RELAY_BATCH;

	budget -= claim_rows(r, budget);
	if (load)
		relay_fanout_load(r);
	for (size_t k = 0; k < r->nfans && budget > 0; k++) {
		size_t i = (r->fan_rr + k) % r->nfans;
		size_t share = budget / (r->nfans - k);

		if (share < RELAY_CHUNK)
			share = RELAY_CHUNK < budget ? RELAY_CHUNK : budget;
		budget -= relay_fanout_expand(r, r->fans[i], share);
	}
	if (r->nfans > 0)
		r->fan_rr = (r->fan_rr + 1) % r->nfans;
	/* the expansion's reads must not pin a WAL snapshot */
	store_release(r->store);
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

/* kick_settled - intake's posts may start their fan-outs: it paused,
   or the first of them has waited long enough; under the lock */
static bool
kick_settled(const struct relay *r, int64_t now)
{
	return r->kicked && (now - r->kick_last_ms >= RELAY_SETTLE_MS ||
			     now - r->kick_first_ms >= RELAY_SETTLE_MAX_MS);
}

/* wake_at - the dispatcher's next timed look: in a second, when the
   oldest outcome has waited long enough, or when a kick settles */
static void
wake_at(const struct relay *r, struct timespec *until)
{
	int64_t now = clock_now_ms();
	long ms = 1000;

	if (r->ndone > 0) {
		ms = (long)(r->first_done_ms + RELAY_RECORD_MS - now);
		if (ms < 1)
			ms = 1;
	}
	if (r->kicked) {
		int64_t at = r->kick_last_ms + RELAY_SETTLE_MS;

		if (at > r->kick_first_ms + RELAY_SETTLE_MAX_MS)
			at = r->kick_first_ms + RELAY_SETTLE_MAX_MS;
		if (at - now < ms)
			ms = at - now < 1 ? 1 : (long)(at - now);
	}
	clock_gettime(CLOCK_REALTIME, until);
	until->tv_sec += ms / 1000;
	until->tv_nsec += (ms % 1000) * 1000000L;
	until->tv_sec += until->tv_nsec / 1000000000L;
	until->tv_nsec %= 1000000000L;
}

/* relay_thread_nice - on a busy machine a copy may wait, a post's 250
   should not: the relay's threads run at a lower priority than the
   committer and the event loop (Linux gives each thread its own nice
   value; failing to lower it changes nothing else) */
void
relay_thread_nice(void)
{
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RELAY_NICE);
}

/* ticker - the periodic jobs' thread: a pass a second (periodic_run
   decides what is due), with the configuration of the moment; the
   first a second after the start, as the dispatcher used to run them */
static void *
ticker(void *arg)
{
	struct relay *r = arg;

	relay_thread_nice();
	pthread_mutex_lock(&r->lock);
	for (;;) {
		const struct conf *conf;
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (!r->stopping &&
		       pthread_cond_timedwait(&r->tick, &r->lock, &until) !=
			   ETIMEDOUT)
			;
		if (r->stopping)
			break;
		conf = r->conf;
		pthread_mutex_unlock(&r->lock);
		periodic_run(r->periodic, conf, clock_now());
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* dispatcher - the dispatcher thread: record, claim */
static void *
dispatcher(void *arg)
{
	struct relay *r = arg;

	relay_thread_nice();
	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct relay_item *done = NULL;
		struct timespec until;
		bool want, load;

		wake_at(r, &until);
		while (!record_due(r) && !r->hungry &&
		       !kick_settled(r, clock_now_ms()) && !r->stopping) {
			if (pthread_cond_timedwait(&r->wake, &r->lock,
						   &until) == ETIMEDOUT)
				break;
			wake_at(r, &until);
		}
		if (r->stopping || record_due(r)) {
			done = r->done;
			r->done = NULL;
			r->ndone = 0;
		}
		/* an unsettled kick waits; the fan-outs already loaded go on */
		load = !r->kicked || kick_settled(r, clock_now_ms()) ||
		       r->stopping;
		if (load)
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
			relay_health_save(r);
		r->unrecorded = relay_record_batch(r, done);
		if (want)
			claim(r, load);
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
	if (store_open(conf->database, STORE_CREATE, &r->pstore, error_r) < 0) {
		store_close(&r->store);
		free(r);
		return -1;
	}
	/* digests and notices lost to a power cut are only made again */
	store_sync_lazy(r->pstore);
	r->periodic = periodic_new(r->pstore, gate, key);
	relay_name(conf->relay, r->relay_name, sizeof(r->relay_name));
	relay_smtp_global_init();
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->wake, NULL);
	pthread_cond_init(&r->check, NULL);
	pthread_cond_init(&r->tick, NULL);
	atomic_init(&r->stop, false);
	r->check_due = true;
	if (pthread_create(&r->checker, NULL, relay_health_checker, r) != 0)
		log_fatal(71, "relay: cannot start the relay check");
	r->nsenders = conf->relay_concurrency > 0 ? conf->relay_concurrency : 1;
	r->senders = xcalloc((size_t)r->nsenders, sizeof(*r->senders));
	for (int i = 0; i < r->nsenders; i++)
		if (pthread_create(&r->senders[i], NULL, relay_sender_main,
				   r) != 0)
			log_fatal(71, "relay: cannot start a sender thread");
	if (pthread_create(&r->dispatcher, NULL, dispatcher, r) != 0)
		log_fatal(71, "relay: cannot start the dispatcher");
	if (pthread_create(&r->ticker, NULL, ticker, r) != 0)
		log_fatal(71, "relay: cannot start the periodic jobs");
	*r_r = r;
	return 0;
}

void
relay_kick(void *arg)
{
	struct relay *r = arg;

	pthread_mutex_lock(&r->lock);
	r->kick_last_ms = clock_now_ms();
	if (!r->kicked)
		r->kick_first_ms = r->kick_last_ms;
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
	pthread_cond_signal(&r->tick);
	pthread_mutex_unlock(&r->lock);
	/* a digest run under way finishes first: its issues and their
	   queue rows are committed together */
	pthread_join(r->ticker, NULL);
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
		relay_copy_put(r, it->copy);
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
	r->unrecorded = relay_record_batch(r, r->done);
	r->done = NULL;
	relay_record_free(r, r->unrecorded);
	r->unrecorded = NULL;
	for (size_t i = 0; i < r->nfans; i++)
		relay_fanout_free(r, r->fans[i]);
	/* queue rows claimed but never sent are due again */
	if (store_queue_reset(r->store) < 0)
		log_warn("relay: %s", store_error(r->store));
	periodic_free(&r->periodic);
	store_close(&r->pstore);
	store_close(&r->store);
	free(r->senders);
	free(r);
	*rp = NULL;
}
