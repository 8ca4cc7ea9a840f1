/*
 * periodic - the daemon's periodic jobs (see periodic.h).
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "digest_sched.h"
#include "log.h"
#include "member_bounce.h"
#include "moderate.h"
#include "retention.h"
#include "periodic.h"
#include "store.h"
#include "wgate.h"
#include "xalloc.h"

struct periodic {
	struct store *store; /* borrowed: the relay ticker's connection */
	struct wgate *gate;
	unsigned char key[TOKEN_KEY_LEN];
	time_t last; /* the last pass; 0: none yet */
	struct digest_sched *digest;
};

struct periodic *
periodic_new(struct store *s, struct wgate *gate,
	     const unsigned char key[TOKEN_KEY_LEN])
{
	struct periodic *p = xcalloc(1, sizeof(*p));

	p->store = s;
	p->gate = gate;
	memcpy(p->key, key, TOKEN_KEY_LEN);
	p->digest = digest_sched_new(s, gate, key);
	return p;
}

void
periodic_free(struct periodic **pp)
{
	if (*pp)
		digest_sched_free(&(*pp)->digest);
	free(*pp);
	*pp = NULL;
}

#define EXPIRE_BATCH 32	  /* held posts a transaction expires */
#define EXPIRE_BATCHES 64 /* per pass: a backlog drains over passes */

/* expire - held posts past their moderation window, each batch with
   its authors' notices in one transaction (wgate_begin) */
static int
expire(struct periodic *p, const struct conf *conf, time_t now, int64_t *n_r,
       char **error_r)
{
	*n_r = 0;
	for (int i = 0; i < EXPIRE_BATCHES; i++) {
		int64_t n = 0;

		if (wgate_begin(p->gate, p->store) < 0) {
			*error_r = xstrdup(store_error(p->store));
			return -1;
		}
		if (moderate_expire(p->store, conf, now, EXPIRE_BATCH, &n,
				    error_r) < 0 ||
		    store_commit(p->store) < 0) {
			if (*error_r == NULL)
				*error_r = xstrdup(store_error(p->store));
			store_rollback(p->store);
			wgate_unlock(p->gate);
			return -1;
		}
		wgate_unlock(p->gate);
		*n_r += n;
		if (n < EXPIRE_BATCH)
			break;
	}
	return 0;
}

/* retain - held posts' expiry and the purge of what is kept only for a
   while, in transactions of their own; expiry first: what it decides
   is purged 30 days later */
static void
retain(struct periodic *p, const struct conf *conf, time_t now)
{
	struct retention_done done;
	int64_t expired = 0;
	char *err = NULL;

	if (expire(p, conf, now, &expired, &err) < 0) {
		log_warn("periodic: held expiry: %s", err);
		free(err);
		err = NULL;
	}
	if (retention_run(p->store, p->gate, now, &done, &err) < 0) {
		log_warn("periodic: retention: %s", err);
		free(err);
	}
	done.expired = expired;
	if (done.expired || done.control || done.decided || done.kept ||
	    done.copies || done.pending || done.departures)
		log_info("retention: held_expired=%lld purged control=%lld "
			 "held=%lld kept=%lld notices=%lld pending=%lld "
			 "departures=%lld",
			 (long long)done.expired, (long long)done.control,
			 (long long)done.decided, (long long)done.kept,
			 (long long)done.copies, (long long)done.pending,
			 (long long)done.departures);
}

/* probe - due bounce probes and removals, in one transaction */
static void
probe(struct periodic *p, const struct conf *conf, time_t now)
{
	int probed = 0, removed = 0;
	char *err = NULL;

	if (wgate_begin(p->gate, p->store) < 0) {
		log_warn("periodic: maintenance: %s", store_error(p->store));
		return;
	}
	if (member_bounce_probes(p->store, conf, p->key, now, &probed, &removed,
				 &err) < 0) {
		log_warn("periodic: maintenance: %s",
			 err ? err : store_error(p->store));
		free(err);
		store_rollback(p->store);
		wgate_unlock(p->gate);
		return;
	}
	if (err) {
		log_warn("periodic: maintenance: %s", err);
		free(err);
	}
	if (store_commit(p->store) < 0) {
		log_warn("periodic: maintenance: %s", store_error(p->store));
		store_rollback(p->store);
		wgate_unlock(p->gate);
		return;
	}
	wgate_unlock(p->gate);
	if (probed || removed)
		log_info("maintenance: probes=%d removed=%d", probed, removed);
}

void
periodic_run(struct periodic *p, const struct conf *conf, time_t now)
{
	if (p->last != 0 && now - p->last < PERIODIC_EVERY)
		return;
	p->last = now;
	/* retention before the probes, as the relay ran them */
	retain(p, conf, now);
	probe(p, conf, now);
	digest_sched_run(p->digest, conf, now);
}
