/*
 * tzif - local time from TZif files (see tzif.h; RFC 8536).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tzif.h"
#include "xalloc.h"

#define TZIF_MAX_FILE (64 * 1024)

struct tzif {
	int64_t *at; /* transition instants, ascending */
	long *off;   /* offset from at[i] on */
	size_t n;
	long off0; /* before the first transition */
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

/* parse - one data block at p (len bytes left) with time size ts;
 *used_r: its length */
static int
parse(struct tzif *z, const unsigned char *p, size_t len, int ts,
      size_t *used_r)
{
	uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
	const unsigned char *times, *idx, *types;
	size_t need;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	isut = be32(p + 20), isstd = be32(p + 24), leap = be32(p + 28);
	timecnt = be32(p + 32), typecnt = be32(p + 36), charcnt = be32(p + 40);
	if (typecnt == 0 || typecnt > 256 || timecnt > 4096 || leap > 1024 ||
	    charcnt > 4096 || isut > typecnt || isstd > typecnt)
		return -1;
	need = 44 + (size_t)timecnt * (ts + 1) + (size_t)typecnt * 6 + charcnt +
	       (size_t)leap * (ts + 4) + isstd + isut;
	if (need > len)
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

struct tzif *
tzif_load(const char *zone)
{
	char path[512];
	unsigned char *buf;
	size_t len, used;
	struct tzif *z;
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
	z = xcalloc(1, sizeof(*z));
	if (parse(z, buf, len, 4, &used) < 0)
		goto bad;
	if (buf[4] >= '2') {
		/* the 64-bit block follows the version 1 block */
		free(z->at);
		free(z->off);
		memset(z, 0, sizeof(*z));
		if (parse(z, buf + used, len - used, 8, &used) < 0)
			goto bad;
	}
	free(buf);
	return z;
bad:
	free(buf);
	tzif_free(&z);
	return NULL;
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
