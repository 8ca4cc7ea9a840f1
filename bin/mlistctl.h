/*
 * mlistctl - mlistctl's subcommands share this context and these helpers.
 *
 * Exit codes (SPEC.md section 2): 0 ok, 1 not found or refused, 2 usage,
 * 65 bad input data, 69 unavailable, 73 cannot create, 74 I/O error,
 * 75 temporary failure, 78 configuration.
 */
#ifndef MLISTD_CTL_H
#define MLISTD_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CTL_OK 0
#define CTL_NOTFOUND 1
#define CTL_USAGE 2

struct buf;
struct conf;
struct store;

struct mlistctl {
	struct conf *conf;
	struct store *store;
	bool json;
	int argc; /* arguments after the subcommand words */
	char **argv;
};

/* mlistctl_usage - print msg and the usage line; returns CTL_USAGE */
int mlistctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mlistctl_fail - print "mlistctl: ..." and return code */
int mlistctl_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* mlistctl_db_error - report a store error; 75 when retrying could help */
int mlistctl_db_error(struct mlistctl *c, const char *what);
/* mlistctl_club - the id of club name, or an error code (printed) */
int mlistctl_club(struct mlistctl *c, const char *name, int64_t *id_r);
/* mlistctl_opt - remove "--name VALUE" from argv; *value_r NULL if absent.
   Returns -1 when the option is given without a value. */
int mlistctl_opt(struct mlistctl *c, const char *name, const char **value_r);
/* mlistctl_flag - remove "--name" from argv; true if it was there */
bool mlistctl_flag(struct mlistctl *c, const char *name);
/* mlistctl_leftover - usage error when an unknown --option remains */
int mlistctl_leftover(struct mlistctl *c);
/* mlistctl_field - s as one field of a tab-separated line: tabs and line ends
   become spaces (NULL writes nothing) */
void mlistctl_field(struct buf *out, const char *s);
/* mlistctl_datetimes - --since and --at of club's command (NULL: not
   given, the time left alone): RFC 3339, or YYYY-MM-DD as midnight in the
   club's zone; 0, or EX_USAGE's code after saying why */
int mlistctl_datetimes(struct mlistctl *c, int64_t club, const char *since_s,
		       time_t *since_r, const char *at_s, time_t *at_r);

int mlistctl_club_cmd(struct mlistctl *c, const char *verb);
int mlistctl_member_cmd(struct mlistctl *c, const char *verb);
int mlistctl_threads_cmd(struct mlistctl *c);
int mlistctl_import_cmd(struct mlistctl *c);
int mlistctl_export_cmd(struct mlistctl *c);
int mlistctl_inspect_cmd(struct mlistctl *c, const char *what);
int mlistctl_postfix_cmd(struct mlistctl *c);
int mlistctl_held_cmd(struct mlistctl *c, const char *verb);
int mlistctl_queue_cmd(struct mlistctl *c);
int mlistctl_thread_cmd(struct mlistctl *c);
int mlistctl_digest_cmd(struct mlistctl *c);
int mlistctl_stats_cmd(struct mlistctl *c);

struct digest_club;
struct store_digest;
/* mlistctl_digest_open - the digest view of club at `at` (0: now), for
   digest and threads; free with mlistctl_digest_close */
int mlistctl_digest_open(struct mlistctl *c, int64_t club, const char *name,
			 time_t at, struct store_digest *d,
			 struct digest_club *dc);
void mlistctl_digest_close(struct store_digest *d, struct digest_club *dc);

#endif
