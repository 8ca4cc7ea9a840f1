/*
 * clock - the programs' notion of "now".
 *
 * MLISTD_NOW (RFC 3339), when set, makes the clock start at that instant
 * and run at normal speed; tests use it to move time.
 */
#ifndef MLISTD_CLOCK_H
#define MLISTD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* clock_init - read MLISTD_NOW; returns -1 with *error_r if it is invalid */
int clock_init(const char **error_r);
time_t clock_now(void);
/* clock_now_ms - milliseconds since the epoch, for arrival ordering */
int64_t clock_now_ms(void);

/* clock_parse_rfc3339 - "2025-03-10T08:00:00Z" or "...+01:00" to UTC */
int clock_parse_rfc3339(const char *s, time_t *t_r);
/* clock_format - ISO 8601 UTC ("2025-03-10T08:00:00Z") into out[21] */
void clock_format(time_t t, char out[21]);

#endif
