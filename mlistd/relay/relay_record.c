/*
 * relay_record - the outcomes of the copies: each is judged
 * (relay_policy), its delivery-outcome line made, and written in one
 * transaction per batch, each outcome in a savepoint: a sent or bounced
 * copy's queue row goes, a bounce is scored (member_bounce), a deferral
 * gets its next attempt (a fan-out's copy becomes a queue row), and the
 * fan-outs' cursors move in the same transaction (relay_fanout).  The
 * outcome lines are logged once the transaction commits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_score.h"
#include "buf.h"
#include "clock.h"
#include "log.h"
#include "member_bounce.h"
#include "relay_policy.h"
#include "relay_private.h"
#include "store.h"
#include "wgate.h"
#include "xalloc.h"

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

	/* the server's words with their codes; a transport error alone */
	if (res->code > 0)
		snprintf(reply, sizeof(reply), "%d%s%s %s", res->code,
			 res->enhanced[0] ? " " : "", res->enhanced,
			 res->reply);
	else
		snprintf(reply, sizeof(reply), "%s", res->reply);
	if (res->stopped)
		outcome_line(it, relay, "interrupted", reply);
	/* never tried (a stop), or cut short before any verdict: a queue row
	   goes back to pending at close, a fan-out's copy becomes one, due
	   at once after the restart */
	if (it->unsent || res->stopped)
		return it->fan ? store_queue_requeue(r->store, &it->q, 0, 0,
						     clock_now(), NULL, true)
			       : 0;
	relay_health_from(r, res, ours);
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
	return item_done(r, it);
}

/* relay_record_batch - write a list of outcomes, and the cursors they move, in
   one transaction, each outcome in a savepoint; returns the items that could
   not be written, to be tried again (dropping them would leave their rows
   'sending' until a restart, which then sends copies a second time) */
struct relay_item *
relay_record_batch(struct relay *r, struct relay_item *list)
{
	struct relay_item *it, *next, *keep = NULL, *done = NULL;
	char relay[sizeof(r->relay_name)];

	if (list == NULL && !relay_fanout_dirty(r))
		return NULL;
	pthread_mutex_lock(&r->lock); /* relay_set_conf may rename it */
	memcpy(relay, r->relay_name, sizeof(relay));
	pthread_mutex_unlock(&r->lock);
	if (wgate_begin(r->gate, r->store) < 0) {
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
				relay_fanout_mark(it, SLOT_RECORDING);
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
	relay_health_save(r);
	if (relay_fanout_write(r) < 0 || store_commit(r->store) < 0) {
		log_warn("relay: commit: %s (outcomes kept for the next try)",
			 store_error(r->store));
		store_rollback(r->store);
		wgate_unlock(r->gate);
		relay_health_unsaved(r);
		relay_fanout_settle(r, false);
		for (it = done; it; it = next) {
			next = it->next;
			it->next = keep;
			keep = it;
		}
		return keep;
	}
	wgate_unlock(r->gate);
	relay_fanout_settle(r, true);
	for (it = done; it; it = it->next)
		if (it->outcome)
			log_info("%s", it->outcome);
	relay_record_free(r, done);
	return keep;
}

/* relay_record_free - recorded items go; under no lock */
void
relay_record_free(struct relay *r, struct relay_item *list)
{
	struct relay_item *it, *next;
	int n = 0;

	pthread_mutex_lock(&r->lock);
	for (it = list; it; it = next) {
		next = it->next;
		relay_copy_put(r, it->copy);
		store_queue_item_clear(&it->q);
		free(it->outcome);
		free(it);
		n++;
	}
	r->inflight -= n;
	pthread_mutex_unlock(&r->lock);
}
