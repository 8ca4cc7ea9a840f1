/*
 * retention - how long what nobody vouched for is kept (SPEC.md 4), so
 * the store does not grow with unauthenticated mail.
 *
 * Mail to a control address (acme+subscribe@, +help, +request, +owner,
 * tokens...) is acted on when it arrives and its raw text kept 7 days,
 * for diagnosis.  A held post expires 14 days after it arrived
 * (moderate_expire, run just before); one rejected or expired goes 30
 * days after that decision, and so does a post kept unseen (a loop, a
 * duplicate) 30 days after it arrived, and a moderation notice (it
 * carries a copy of the held post) 30 days after it was written.
 * Relayed (approved) posts and our other notices are never purged here;
 * answers to control mail (role "answer") go with control mail.  Pending
 * confirmations go 30 days after they expired, the daily counts of
 * automatic replies the day after theirs, and the record that a member
 * left (a date and a way, no address; counted by "stats" and the weekly
 * report) after 400 days, so a report a year back still counts it.
 *
 * periodic_run() calls retention_run() once a minute; it deletes in small
 * batches, each its own transaction behind the write gate (wgate.h), so
 * intake never waits long for the write lock, and at most a bounded
 * number per pass (a backlog drains over the next passes).
 */
#ifndef MLISTD_RETENTION_H
#define MLISTD_RETENTION_H

#include <stdint.h>
#include <time.h>

struct store;
struct wgate;

#define RETENTION_CONTROL (7 * 86400)
#define RETENTION_DECIDED (30 * 86400)
#define RETENTION_PENDING (30 * 86400) /* after the confirmation expired */
#define RETENTION_DEPARTURES (400 * 86400)

struct retention_done {
	int64_t expired; /* held posts that expired (periodic.c) */
	int64_t control; /* rows deleted, by kind */
	int64_t decided;
	int64_t kept;
	int64_t copies;	 /* notices with someone's mail attached, and
			    digest issues */
	int64_t pending; /* confirmations and reply counts */
	int64_t departures;
};

/* retention_run - purge what is due at now, each
   transaction taking gate (wgate_begin); *done_r says what was done even
   on error (-1, *error_r owned) */
int retention_run(struct store *s, struct wgate *gate, time_t now,
		  struct retention_done *done_r, char **error_r);

#endif
