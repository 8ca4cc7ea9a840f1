/*
 * tzif - local time from TZif files (see tzif.h; RFC 8536).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tzif.h"
#include "xalloc.h"

#define TZIF_MAX_FILE (64 * 1024)

/* one end of daylight time in a POSIX TZ rule: Jn, n or Mm.w.d, at
   secs local time */
struct tzif_date {
	char kind; /* 'J', 'n' or 'M' */
	int a, b, c;
	long secs;
};

struct tzif {
	int64_t *at; /* transition instants, ascending */
	long *off;   /* offset from at[i] on */
	size_t n;
	long off0; /* before the first transition */
	/* the footer's rule, after the last transition (RFC 8536 3.3):
	   slim files stop listing transitions where the rule takes over */
	int rule;     /* 0 none, 1 standard time only, 2 with daylight time */
	long std_off; /* seconds east of UTC */
	long dst_off;
	struct tzif_date start, end;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* block_len - the length of the data block at p with time size ts, 0
   when its header is bad or it does not fit in len */
static size_t
block_len(const unsigned char *p, size_t len, int ts)
{
	uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
	size_t need;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return 0;
	isut = be32(p + 20), isstd = be32(p + 24), leap = be32(p + 28);
	timecnt = be32(p + 32), typecnt = be32(p + 36), charcnt = be32(p + 40);
	if (typecnt > 256 || timecnt > 4096 || leap > 1024 || charcnt > 4096 ||
	    isut > typecnt || isstd > typecnt)
		return 0;
	need = 44 + (size_t)timecnt * (ts + 1) + (size_t)typecnt * 6 + charcnt +
	       (size_t)leap * (ts + 4) + isstd + isut;
	return need > len ? 0 : need;
}

/* parse - one data block at p (len bytes left) with time size ts;
 *used_r: its length */
static int
parse(struct tzif *z, const unsigned char *p, size_t len, int ts,
      size_t *used_r)
{
	uint32_t timecnt, typecnt;
	const unsigned char *times, *idx, *types;
	size_t need = block_len(p, len, ts);

	if (need == 0)
		return -1;
	timecnt = be32(p + 32), typecnt = be32(p + 36);
	if (typecnt == 0)
		return -1;
	*used_r = need;
	times = p + 44;
	idx = times + (size_t)timecnt * ts;
	types = idx + timecnt;
	z->n = timecnt;
	z->at = xcalloc(timecnt + 1, sizeof(*z->at));
	z->off = xcalloc(timecnt + 1, sizeof(*z->off));
	for (uint32_t i = 0; i < timecnt; i++) {
		if (idx[i] >= typecnt)
			return -1;
		z->at[i] = ts == 8 ? be64(times + 8 * i)
				   : (int64_t)(int32_t)be32(times + 4 * i);
		z->off[i] = (long)(int32_t)be32(types + 6 * idx[i]);
		if (i && z->at[i] <= z->at[i - 1])
			return -1;
	}
	/* RFC 8536 3.2: local time before the first transition is type 0 */
	z->off0 = (long)(int32_t)be32(types);
	return 0;
}

/* tz_name - skip a zone abbreviation: letters, or <...> */
static const char *
tz_name(const char *p)
{
	const char *q = p;

	if (*p == '<') {
		while (*++q && *q != '>')
			if (!isalnum((unsigned char)*q) && *q != '+' &&
			    *q != '-')
				return NULL;
		return *q == '>' && q - p >= 4 ? q + 1 : NULL;
	}
	while (isalpha((unsigned char)*q))
		q++;
	return q - p >= 3 ? q : NULL;
}

/* tz_num - a bounded decimal number */
static const char *
tz_num(const char *p, int max, int *v)
{
	int n = 0;

	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p)) {
		n = n * 10 + (*p++ - '0');
		if (n > max)
			return NULL;
	}
	*v = n;
	return p;
}

/* tz_time - [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 3.3.1) */
static const char *
tz_time(const char *p, long *secs)
{
	int sign = 1, h, m = 0, sec = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if ((p = tz_num(p, 167, &h)) == NULL)
		return NULL;
	if (*p == ':' && (p = tz_num(p + 1, 59, &m)) != NULL && *p == ':')
		p = tz_num(p + 1, 59, &sec);
	if (p == NULL)
		return NULL;
	*secs = sign * ((long)h * 3600 + m * 60 + sec);
	return p;
}

/* tz_date - ,Jn | ,n | ,Mm.w.d, then [/time] (default 02:00) */
static const char *
tz_date(const char *p, struct tzif_date *d)
{
	if (*p++ != ',')
		return NULL;
	d->secs = 7200;
	if (*p == 'J') {
		d->kind = 'J';
		p = tz_num(p + 1, 365, &d->a);
		if (p && d->a == 0)
			return NULL;
	} else if (*p == 'M') {
		d->kind = 'M';
		if ((p = tz_num(p + 1, 12, &d->a)) == NULL || d->a == 0 ||
		    *p != '.' || (p = tz_num(p + 1, 5, &d->b)) == NULL ||
		    d->b == 0 || *p != '.' ||
		    (p = tz_num(p + 1, 6, &d->c)) == NULL)
			return NULL;
	} else {
		d->kind = 'n';
		p = tz_num(p, 365, &d->a);
	}
	if (p != NULL && *p == '/')
		p = tz_time(p + 1, &d->secs);
	return p;
}

/* footer - the POSIX TZ string between two newlines at the end of a
   version 2+ file, e.g. "CET-1CEST,M3.5.0,M10.5.0/3" */
static void
footer(struct tzif *z, const unsigned char *p, size_t len)
{
	char s[128];
	const char *q;
	char *nl;
	long off;

	if (len < 3 || p[0] != '\n' || len - 1 > sizeof(s) - 1)
		return;
	memcpy(s, p + 1, len - 1);
	s[len - 1] = '\0';
	if ((nl = strchr(s, '\n')) == NULL)
		return;
	*nl = '\0';
	/* POSIX offsets count west of UTC */
	if ((q = tz_name(s)) == NULL || (q = tz_time(q, &off)) == NULL)
		return;
	z->std_off = -off;
	if (*q == '\0') {
		z->rule = 1;
		return;
	}
	if ((q = tz_name(q)) == NULL)
		return;
	z->dst_off = z->std_off + 3600;
	if (*q != ',' && *q != '\0') {
		if ((q = tz_time(q, &off)) == NULL)
			return;
		z->dst_off = -off;
	}
	/* a daylight name without a rule: nothing reliable to apply */
	if (*q == '\0' || (q = tz_date(q, &z->start)) == NULL ||
	    (q = tz_date(q, &z->end)) == NULL || *q != '\0')
		return;
	z->rule = 2;
}

/* rule_day - the midnight (UTC-based day count) of d in year y */
static time_t
rule_day(const struct tzif_date *d, int y)
{
	struct tm tm = {0};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	tm.tm_year = y - 1900;
	if (d->kind == 'J') {
		tm.tm_mday = d->a + (leap && d->a >= 60);
	} else if (d->kind == 'n') {
		tm.tm_mday = d->a + 1;
	} else {
		time_t first;
		int mday, mlen;
		struct tm f;

		tm.tm_mon = d->a - 1;
		tm.tm_mday = 1;
		first = timegm(&tm);
		gmtime_r(&first, &f);
		mday = 1 + (d->c - f.tm_wday + 7) % 7 + (d->b - 1) * 7;
		tm.tm_mon = d->a; /* day 0 of the next month: this one's last */
		tm.tm_mday = 0;
		{
			time_t last = timegm(&tm);
			struct tm l;

			gmtime_r(&last, &l);
			mlen = l.tm_mday;
		}
		while (mday > mlen)
			mday -= 7;
		tm.tm_mon = d->a - 1;
		tm.tm_mday = mday;
	}
	return timegm(&tm);
}

/* rule_offset - the footer rule's offset at t */
static long
rule_offset(const struct tzif *z, time_t t)
{
	time_t l = t + z->std_off, on, off;
	struct tm tm;

	if (z->rule == 1)
		return z->std_off;
	gmtime_r(&l, &tm);
	/* a change's time is read in the local time it interrupts */
	on =
	    rule_day(&z->start, tm.tm_year + 1900) + z->start.secs - z->std_off;
	off = rule_day(&z->end, tm.tm_year + 1900) + z->end.secs - z->dst_off;
	if (on < off)
		return t >= on && t < off ? z->dst_off : z->std_off;
	/* southern hemisphere: daylight time spans the new year */
	return t >= off && t < on ? z->std_off : z->dst_off;
}

struct tzif *
tzif_parse(const unsigned char *buf, size_t len)
{
	struct tzif *z = xcalloc(1, sizeof(*z));
	size_t v1, used;

	if (len < 5 || buf[4] < '2') {
		if (parse(z, buf, len, 4, &used) < 0)
			goto bad;
		return z;
	}
	/* version 2+: skip the 32-bit block (slim files leave it empty),
	   read the 64-bit one and the footer */
	if ((v1 = block_len(buf, len, 4)) == 0 ||
	    parse(z, buf + v1, len - v1, 8, &used) < 0)
		goto bad;
	footer(z, buf + v1 + used, len - v1 - used);
	return z;
bad:
	tzif_free(&z);
	return NULL;
}

struct tzif *
tzif_load(const char *zone)
{
	char path[512];
	unsigned char *buf;
	struct tzif *z;
	size_t len;
	FILE *f;

	if (zone == NULL || strcmp(zone, "UTC") == 0)
		return xcalloc(1, sizeof(struct tzif));
	if (!conf_valid_timezone(zone))
		return NULL;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf = xmalloc(TZIF_MAX_FILE);
	len = fread(buf, 1, TZIF_MAX_FILE, f);
	fclose(f);
	z = tzif_parse(buf, len);
	free(buf);
	return z;
}

void
tzif_free(struct tzif **zp)
{
	if (*zp == NULL)
		return;
	free((*zp)->at);
	free((*zp)->off);
	free(*zp);
	*zp = NULL;
}

long
tzif_offset(const struct tzif *z, time_t t)
{
	size_t lo = 0, hi = z->n;

	if (z->rule && (z->n == 0 || (int64_t)t >= z->at[z->n - 1]))
		return rule_offset(z, t);
	if (z->n == 0 || (int64_t)t < z->at[0])
		return z->off0;
	/* the last transition at or before t */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (z->at[mid] <= (int64_t)t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

void
tzif_local(const struct tzif *z, time_t t, struct tm *tm)
{
	time_t l = t + tzif_offset(z, t);

	gmtime_r(&l, tm);
}

time_t
tzif_utc(const struct tzif *z, const struct tm *tm)
{
	struct tm c = *tm;
	time_t l, t;
	long before;

	c.tm_sec = 0;
	c.tm_isdst = 0;
	l = timegm(&c);
	/* the offset a day earlier, then the one it leads to: correct on
	   both sides of a change; in a gap, the earlier offset */
	before = tzif_offset(z, l - 86400);
	t = l - before;
	if (tzif_offset(z, t) != before) {
		long after = tzif_offset(z, t);

		if (tzif_offset(z, l - after) == after)
			t = l - after;
	}
	return t;
}
