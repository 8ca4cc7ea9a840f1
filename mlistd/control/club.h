/*
 * club - per-club settings: the keys of SPEC.md section 3, their
 * defaults and validation.  Values live in the store as text rows;
 * a key without a row takes its default.
 */
#ifndef MLISTD_CLUB_H
#define MLISTD_CLUB_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct conf;
struct store;

/* club_keys - NULL-terminated list of settable keys, in display order */
const char *const *club_keys(void);

/* club_check - validate value for key; returns a normalised copy (caller
   frees) or NULL with *why_r set (also for an unknown key) */
char *club_check(const char *key, const char *value, const char **why_r);

/* club_read - the effective value of key for club name/id (the stored
   one, else the default) in *value_r, caller frees; -1 on a database
   error, which a policy decision must never read as the default */
int club_read(struct store *store, const struct conf *conf, int64_t club,
	      const char *name, const char *key, char **value_r);
/* club_get - the same where a default is an acceptable answer to a
   database error (displays, templates); caller frees */
char *club_get(struct store *store, const struct conf *conf, int64_t club,
	       const char *name, const char *key);

/* club_quiet_on - the local date year-month-day falls in one of the
   club's quiet periods (the "quiet" setting: "MM-DD..MM-DD" every year,
   across the new year too, or "YYYY-MM-DD..YYYY-MM-DD", comma-separated;
   both ends included); no digest goes out then (DIGEST.md 2.1) */
bool club_quiet_on(const char *quiet, int year, int month, int day);
/* club_quiet_now - club_quiet_on for the club's setting at now, in the
   club's time zone */
bool club_quiet_now(struct store *store, const struct conf *conf, int64_t club,
		    const char *name, time_t now);

#endif
