/*
 * ctl - mlistctl's subcommands share this context and these helpers.
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

struct ctl {
	struct conf *conf;
	struct store *store;
	bool json;
	int argc; /* arguments after the subcommand words */
	char **argv;
};

/* ctl_usage - print msg and the usage line; returns CTL_USAGE */
int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ctl_fail - print "mlistctl: ..." and return code */
int ctl_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* ctl_db_error - report a store error; 75 when retrying could help */
int ctl_db_error(struct ctl *c, const char *what);
/* ctl_club - the id of club name, or an error code (printed) */
int ctl_club(struct ctl *c, const char *name, int64_t *id_r);
/* ctl_opt - remove "--name VALUE" from argv; *value_r NULL if absent.
   Returns -1 when the option is given without a value. */
int ctl_opt(struct ctl *c, const char *name, const char **value_r);
/* ctl_flag - remove "--name" from argv; true if it was there */
bool ctl_flag(struct ctl *c, const char *name);
/* ctl_leftover - usage error when an unknown --option remains */
int ctl_leftover(struct ctl *c);
/* ctl_field - s as one field of a tab-separated line: tabs and line ends
   become spaces (NULL writes nothing) */
void ctl_field(struct buf *out, const char *s);
/* ctl_parse_datetime - RFC 3339, or YYYY-MM-DD as midnight in tz */
int ctl_parse_datetime(const char *s, const char *tz, time_t *t_r);

int ctl_club_cmd(struct ctl *c, const char *verb);
int ctl_member_cmd(struct ctl *c, const char *verb);
int ctl_threads_cmd(struct ctl *c);
int ctl_import_cmd(struct ctl *c);
int ctl_export_cmd(struct ctl *c);
int ctl_inspect_cmd(struct ctl *c, const char *what);
int ctl_postfix_cmd(struct ctl *c);
int ctl_held_cmd(struct ctl *c, const char *verb);
int ctl_queue_cmd(struct ctl *c);

#endif
