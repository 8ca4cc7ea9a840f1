/*
 * clock - the programs' notion of "now" (see clock.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"

static int64_t clock_offset_ms; /* added to the real clock */

/* real_ms - wall clock in milliseconds */
static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
clock_init(const char **error_r)
{
	const char *s = getenv("MLISTD_NOW");
	time_t t;

	clock_offset_ms = 0;
	if (s == NULL || *s == '\0')
		return 0;
	if (clock_parse_rfc3339(s, &t) < 0) {
		*error_r = "MLISTD_NOW is not an RFC 3339 date-time";
		return -1;
	}
	clock_offset_ms = (int64_t)t * 1000 - real_ms();
	return 0;
}

int64_t
clock_now_ms(void)
{
	return real_ms() + clock_offset_ms;
}

time_t
clock_now(void)
{
	return (time_t)(clock_now_ms() / 1000);
}

/* digits - parse exactly n decimal digits */
static int
digits(const char *s, int n, int *v_r)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*v_r = v;
	return 0;
}

int
clock_parse_rfc3339(const char *s, time_t *t_r)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh, om, sign;
	const char *p;

	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		oh = om = 0;
		sign = 1;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
		   digits(p + 1, 2, &oh) == 0 && p[3] == ':' &&
		   digits(p + 4, 2, &om) == 0) {
		sign = *p == '-' ? -1 : 1;
		if (oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t_r = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

void
clock_format(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
