/*
 * digest_sched - digests' slots, nudge outcomes and newcomer alerts (see
 * digest_sched.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "club.h"
#include "conf.h"
#include "digest.h"
#include "digest_send.h"
#include "digest_sched.h"
#include "log.h"
#include "notice.h"
#include "store.h"
#include "tmpl.h"
#include "tzif.h"
#include "wgate.h"
#include "xalloc.h"

struct digest_sched {
	struct store *store;
	struct wgate *gate;
	unsigned char key[TOKEN_KEY_LEN];
	time_t last_alert; /* 0: none yet */
};

struct digest_sched *
digest_sched_new(struct store *s, struct wgate *gate,
		 const unsigned char key[TOKEN_KEY_LEN])
{
	struct digest_sched *ds = xcalloc(1, sizeof(*ds));

	ds->store = s;
	ds->gate = gate;
	memcpy(ds->key, key, TOKEN_KEY_LEN);
	return ds;
}

void
digest_sched_free(struct digest_sched **ds)
{
	free(*ds);
	*ds = NULL;
}

time_t
digest_sched_slot(const struct tzif *z, time_t now, int wday, int hh, int mm)
{
	struct tm tm;
	time_t t;

	tzif_local(z, now, &tm);
	if (wday >= 0)
		tm.tm_mday -= (tm.tm_wday - wday + 7) % 7;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	t = tzif_utc(z, &tm);
	if (t > now) {
		/* before today's slot: the previous one */
		tzif_local(z, now, &tm);
		if (wday >= 0)
			tm.tm_mday -= (tm.tm_wday - wday + 7) % 7 + 7;
		else
			tm.tm_mday -= 1;
		tm.tm_hour = hh;
		tm.tm_min = mm;
		t = tzif_utc(z, &tm);
	}
	return t;
}

static int
weekday(const char *day)
{
	static const char *const days[] = {"sun", "mon", "tue", "wed",
					   "thu", "fri", "sat"};

	for (int i = 0; i < 7; i++)
		if (day && strcmp(day, days[i]) == 0)
			return i;
	return 1; /* club.c accepts only those; the default is mon */
}

/* set_slots - a club's first slots, noted without a run */
static int
set_slots(struct digest_sched *ds, int64_t club, time_t weekly, time_t daily)
{
	if (wgate_begin(ds->gate, ds->store) < 0)
		return -1;
	if ((weekly &&
	     store_digest_slot_set(ds->store, club, "weekly", weekly) < 0) ||
	    store_digest_slot_set(ds->store, club, "daily", daily) < 0 ||
	    store_commit(ds->store) < 0) {
		store_rollback(ds->store);
		wgate_unlock(ds->gate);
		return -1;
	}
	wgate_unlock(ds->gate);
	return 0;
}

/* slots - club's due issues at now */
static void
slots(struct digest_sched *ds, const struct conf *conf,
      const struct store_club *cl, time_t now)
{
	char *day = club_get(ds->store, conf, cl->id, cl->name, "digest_day");
	char *at = club_get(ds->store, conf, cl->id, cl->name, "digest_time");
	char *tz = club_get(ds->store, conf, cl->id, cl->name, "timezone");
	struct tzif *z = tzif_load(tz);
	struct digest_send_opts o = {0};
	struct digest_send_done done;
	time_t last_w, last_d, w, d;
	int hh = 8, mm = 0;
	char *err = NULL;

	if (z == NULL) {
		log_warn("digest: %s: the time zone %s cannot be read; no "
			 "digest is scheduled",
			 cl->name, tz);
		goto out;
	}
	if (at == NULL || sscanf(at, "%d:%d", &hh, &mm) != 2)
		hh = 8, mm = 0;
	w = digest_sched_slot(z, now, weekday(day), hh, mm);
	d = digest_sched_slot(z, now, -1, hh, mm);
	if (store_digest_slot(ds->store, cl->id, "weekly", &last_w) < 0 ||
	    store_digest_slot(ds->store, cl->id, "daily", &last_d) < 0) {
		log_warn("digest: %s: %s", cl->name, store_error(ds->store));
		goto out;
	}
	if (last_w == 0 && last_d == 0) {
		/* the club's first tick: from the next slot on */
		if (set_slots(ds, cl->id, w, d) < 0)
			log_warn("digest: %s: %s", cl->name,
				 store_error(ds->store));
		goto out;
	}
	if (last_w < w) {
		o.edition = true;
		o.report = true;
		o.done_since = w;
		o.weekly_slot = w;
	} else if (last_d < d) {
		o.daily_only = true;
		o.done_since = d;
	} else
		goto out;
	o.daily_slot = d; /* a weekly run evaluates the daily members too */
	if (digest_send_club(ds->store, ds->gate, conf, ds->key, cl->id,
			     cl->name, now, &o, &done, &err) < 0) {
		log_warn("digest: %s: %s", cl->name, err);
		free(err);
		goto out;
	}
	log_info("digest: %s: %s issues=%d skipped=%d reports=%d", cl->name,
		 o.edition ? "weekly" : "daily", done.sent, done.skipped,
		 done.reports);
out:
	tzif_free(&z);
	free(day);
	free(at);
	free(tz);
}

/* outcomes - DIGEST 1.6's follow-up of club's nudges */
static void
outcomes(struct digest_sched *ds, const struct store_club *cl, time_t now)
{
	if (wgate_begin(ds->gate, ds->store) < 0) {
		log_warn("digest: %s: nudge outcomes: %s", cl->name,
			 store_error(ds->store));
		return;
	}
	if (store_digest_nudge_outcomes(ds->store, cl->id, now,
					(time_t)14 * 86400) < 0 ||
	    store_commit(ds->store) < 0) {
		log_warn("digest: %s: nudge outcomes: %s", cl->name,
			 store_error(ds->store));
		store_rollback(ds->store);
	}
	wgate_unlock(ds->gate);
}

/* alert_one - the animators' alert about newcomer thread t */
static int
alert_one(struct digest_sched *ds, const struct conf *conf,
	  const struct store_club *cl, const struct digest_club *c, int t,
	  time_t now, char **error_r)
{
	const struct store_dmsg *root = &c->d->msgs[c->thr[t].root];
	const struct store_member *u =
	    &c->d->members[c->msg[c->thr[t].root].author];
	struct store_recipient *an = NULL;
	struct notice_to *to;
	struct tmpl_vars *v;
	size_t n = 0;
	int rc;

	if ((rc = store_newcomer_alert(ds->store, root->id, now)) <= 0)
		return rc;
	if (store_animators(ds->store, cl->id, &an, &n) < 0)
		return -1;
	to = xcalloc(n + 1, sizeof(*to));
	for (size_t i = 0; i < n; i++)
		to[i] = (struct notice_to){an[i].member, an[i].address, NULL};
	v = tmpl_vars_new();
	/* the address beside a name; alone when there is no name */
	tmpl_vars_set(v, "author_address",
		      u->name && *u->name ? u->address : NULL);
	tmpl_vars_set(v, "author", u->name && *u->name ? u->name : u->address);
	tmpl_vars_set(v, "subject", root->subject);
	tmpl_vars_setf(v, "age_hours", "%lld",
		       (long long)((now - root->date) / 3600));
	tmpl_vars_setf(v, "reply_address", "%s%cr-%s@%s", cl->name,
		       conf->delimiter, c->d->threads[t].key, conf->domain);
	tmpl_vars_setf(v, "reply_url", "mailto:%s%cr-%s@%s", cl->name,
		       conf->delimiter, c->d->threads[t].key, conf->domain);
	rc = notice_queue(ds->store, conf, cl->id, cl->name, "newcomer-alert",
			  v, to, n, now, error_r);
	tmpl_vars_free(&v);
	free(to);
	store_recipients_free(an, n);
	if (rc == 1) {
		/* a broken template: logged, the post not claimed again */
		log_warn("digest: %s: newcomer-alert template: %s", cl->name,
			 *error_r);
		free(*error_r);
		*error_r = NULL;
		rc = 0;
	}
	return rc < 0 ? -1 : 1;
}

/* alerts - DIGEST 1.5's animator alert for club, in one transaction */
static void
alerts(struct digest_sched *ds, const struct conf *conf,
       const struct store_club *cl, time_t now)
{
	struct digest_params params;
	struct store_digest d;
	struct digest_club c;
	char *err = NULL;
	bool ok = true, began = false;
	int sent = 0;

	digest_params_default(&params);
	if (store_digest_load(ds->store, cl->id, now, &d) < 0) {
		log_warn("digest: %s: %s", cl->name, store_error(ds->store));
		return;
	}
	digest_club_init(&c, &d, &params, NULL, now);
	for (size_t t = 0; t < d.nthreads && ok; t++) {
		const struct digest_thread *th = &c.thr[t];
		time_t date;
		int rc;

		if (th->root < 0 || !th->intro || !th->candidate ||
		    th->answered)
			continue;
		date = d.msgs[th->root].date;
		if (now - date < DIGEST_SCHED_ALERT_H * 3600 ||
		    now - date > (time_t)params.unanswered_max_age_d * 86400)
			continue;
		if (!began && wgate_begin(ds->gate, ds->store) < 0) {
			ok = false;
			break;
		}
		began = true;
		if ((rc = alert_one(ds, conf, cl, &c, (int)t, now, &err)) < 0)
			ok = false;
		sent += rc > 0;
	}
	if (began) {
		if (!ok || store_commit(ds->store) < 0) {
			log_warn("digest: %s: newcomer alerts: %s", cl->name,
				 err ? err : store_error(ds->store));
			store_rollback(ds->store);
		} else if (sent)
			log_info("digest: %s: newcomer alerts=%d", cl->name,
				 sent);
		wgate_unlock(ds->gate);
	}
	free(err);
	digest_club_free(&c);
	store_digest_free(&d);
}

void
digest_sched_run(struct digest_sched *ds, const struct conf *conf, time_t now)
{
	struct store_club *clubs = NULL;
	size_t n = 0;
	bool alert = ds->last_alert == 0 ||
		     now - ds->last_alert >= DIGEST_SCHED_ALERT_EVERY;

	if (store_club_list(ds->store, &clubs, &n) < 0) {
		log_warn("digest: %s", store_error(ds->store));
		return;
	}
	if (alert)
		ds->last_alert = now;
	for (size_t i = 0; i < n; i++) {
		outcomes(ds, &clubs[i], now);
		if (alert)
			alerts(ds, conf, &clubs[i], now);
		slots(ds, conf, &clubs[i], now);
	}
	store_club_list_free(clubs, n);
}
