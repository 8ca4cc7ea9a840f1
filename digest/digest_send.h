/*
 * digest_send - the one path that sends issues, for the scheduler
 * (mlistd/sched/digest_sched.c) and "mlistctl digest --send".
 *
 * A club's snapshot is read once (store_digest_load); each member is
 * evaluated (digest_select), and an issue rendered and built outside any
 * transaction; then a batch of members is written in one transaction:
 * each issue stored and queued as a notice, and every evaluation
 * (sent or skipped) recorded with its shows and nudge
 * (store_digest_record).  An issue and its record commit together, so a
 * crash neither sends an issue twice nor records one never queued; a
 * batch per transaction keeps intake's wait short during a big run.
 */
#ifndef MLISTD_DIGEST_SEND_H
#define MLISTD_DIGEST_SEND_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "token.h"

struct buf;
struct conf;
struct digest_club;
struct digest_issue;
struct store;
struct tmpl_set;
struct wgate;

#define DIGEST_SEND_BATCH 64 /* members per transaction */

struct digest_send_opts {
	const char *member; /* only this (lower-cased) address, or NULL */
	bool daily_only;    /* only members whose highlights are daily */
	time_t done_since;  /* members evaluated at or after this were done
			       in this slot already (a run again after a
			       crash); 0: none */
	bool edition;	    /* pins lose one issue when one went out */
	bool report;	    /* and the animators get their weekly report */
	/* the scheduler's slots, recorded in the run's last transaction
	   (with the pins and the report): 0, unchanged */
	time_t weekly_slot, daily_slot;
};

struct digest_send_done {
	int sent, skipped, reports;
};

/* digest_send_club - evaluate club (id, name) at now and send; gate may
   be NULL (mlistctl: SQLite's own lock).  -1 with *error_r (caller frees)
   on an error; the batches committed before it stay done. */
int digest_send_club(struct store *s, struct wgate *gate,
		     const struct conf *conf,
		     const unsigned char key[TOKEN_KEY_LEN], int64_t club,
		     const char *name, time_t now,
		     const struct digest_send_opts *o,
		     struct digest_send_done *done, char **error_r);

/* digest_send_build - is as the complete message in m (template
   "digest" in lang, from tmpls when not NULL, else read for this call;
   headers: more header lines or NULL); *mid_r its Message-ID; -1 with
   *error_r when the template fails */
int digest_send_build(struct buf *m, const struct conf *conf,
		      struct tmpl_set *tmpls, const struct digest_club *dc,
		      const struct digest_issue *is, const char *club,
		      const char *title, const char *lang, const char *subject,
		      const char *headers, char **mid_r, char **error_r);

/* digest_report_mail - the animators' weekly report at c->now, one mail
   per animator (none when there is nothing to report), in the caller's
   transaction; *sent_r: mails queued.  0; 1 with *error_r when the
   template cannot be rendered; -1 with *error_r on a database error */
int digest_report_mail(struct store *s, const struct conf *conf,
		       const unsigned char key[TOKEN_KEY_LEN],
		       const struct digest_club *c, int64_t club,
		       const char *name, int *sent_r, char **error_r);

#endif
