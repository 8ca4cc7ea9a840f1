/*
 * test-tzif - local time from the system's TZif files, and the
 * scheduler's slots across Europe/Paris's changes of 2025 (last Sunday
 * of March at 01:00Z, last Sunday of October at 01:00Z).
 */
#include <string.h>
#include <time.h>

#include "digest_sched.h"
#include "tap.h"
#include "tzif.h"

static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi;
	return timegm(&tm);
}

static time_t
local(const struct tzif *z, int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi;
	return tzif_utc(z, &tm);
}

/* slim - a version 2 TZif file with no transitions, one type of offset
   off, and footer tz: what "zic -b slim" writes for a zone whose rule
   holds for ever */
static struct tzif *
slim(long off, const char *tz)
{
	unsigned char b[512], *p = b;
	size_t n;

	for (int block = 0; block < 2; block++) {
		memset(p, 0, 44);
		memcpy(p, "TZif2", 5);
		p[39] = 1; /* typecnt */
		p[43] = 4; /* charcnt */
		p += 44;
		p[0] = (unsigned char)((unsigned long)off >> 24);
		p[1] = (unsigned char)((unsigned long)off >> 16);
		p[2] = (unsigned char)((unsigned long)off >> 8);
		p[3] = (unsigned char)off;
		p[4] = p[5] = 0;
		memcpy(p + 6, "XXX", 4);
		p += 10;
	}
	n = strlen(tz);
	*p++ = '\n';
	memcpy(p, tz, n);
	p += n;
	*p++ = '\n';
	return tzif_parse(b, (size_t)(p - b));
}

/* rules - the footer rule past the last transition */
static void
rules(const struct tzif *paris)
{
	struct tzif *z;

	/* the fat file lists transitions to 2037; its footer goes on */
	is_int(tzif_offset(paris, utc(2040, 7, 1, 12, 0)), 7200,
	       "Paris, fat file: summer time in July 2040, from the footer");
	is_int(tzif_offset(paris, utc(2040, 3, 25, 0, 59)), 3600,
	       "2040: winter until the last Sunday of March, 00:59Z");
	is_int(tzif_offset(paris, utc(2040, 3, 25, 1, 0)), 7200,
	       "2040: summer from 01:00Z");
	is_int(tzif_offset(paris, utc(2040, 10, 28, 1, 0)), 3600,
	       "2040: winter from the last Sunday of October, 01:00Z");

	z = slim(3600, "CET-1CEST,M3.5.0,M10.5.0/3");
	ok(z != NULL, "a slim Paris file loads");
	if (z != NULL) {
		is_int(tzif_offset(z, utc(2025, 3, 30, 0, 59)), 3600,
		       "slim Paris: winter at 00:59Z on 30 March 2025");
		is_int(tzif_offset(z, utc(2025, 3, 30, 1, 0)), 7200,
		       "slim Paris: summer from 01:00Z");
		is_int(tzif_offset(z, utc(2025, 10, 26, 0, 59)), 7200,
		       "slim Paris: still summer at 00:59Z on 26 October");
		is_int(tzif_offset(z, utc(2025, 10, 26, 1, 0)), 3600,
		       "slim Paris: winter from 01:00Z");
		is_int(local(z, 2025, 3, 31, 8, 0), utc(2025, 3, 31, 6, 0),
		       "slim Paris: Monday 08:00 after the change is 06:00Z");
		tzif_free(&z);
	}
	z = slim(-18000, "EST5EDT,M3.2.0,M11.1.0");
	ok(z != NULL, "a slim New York file loads");
	if (z != NULL) {
		is_int(tzif_offset(z, utc(2030, 3, 10, 6, 59)), -18000,
		       "New York: EST until 02:00 on the second Sunday of "
		       "March 2030");
		is_int(tzif_offset(z, utc(2030, 3, 10, 7, 0)), -14400,
		       "New York: EDT from 07:00Z");
		is_int(tzif_offset(z, utc(2030, 11, 3, 5, 59)), -14400,
		       "New York: EDT until 02:00 EDT on the first Sunday of "
		       "November");
		is_int(tzif_offset(z, utc(2030, 11, 3, 6, 0)), -18000,
		       "New York: EST from 06:00Z");
		tzif_free(&z);
	}
	z = slim(39600, "AEST-10AEDT,M10.1.0,M4.1.0/3");
	ok(z != NULL, "a slim Sydney file loads");
	if (z != NULL) {
		is_int(tzif_offset(z, utc(2030, 1, 15, 0, 0)), 39600,
		       "Sydney: daylight time in January (southern summer)");
		is_int(tzif_offset(z, utc(2030, 7, 1, 0, 0)), 36000,
		       "Sydney: standard time in July");
		is_int(tzif_offset(z, utc(2030, 4, 6, 15, 59)), 39600,
		       "Sydney: daylight until 03:00 on the first Sunday of "
		       "April");
		is_int(tzif_offset(z, utc(2030, 4, 6, 16, 0)), 36000,
		       "Sydney: standard from 16:00Z the day before");
		is_int(tzif_offset(z, utc(2030, 10, 5, 15, 59)), 36000,
		       "Sydney: standard until 02:00 on the first Sunday of "
		       "October");
		is_int(tzif_offset(z, utc(2030, 10, 5, 16, 0)), 39600,
		       "Sydney: daylight from 16:00Z the day before");
		tzif_free(&z);
	}
	z = slim(10800, "<+03>-3");
	ok(z != NULL && tzif_offset(z, utc(2030, 7, 1, 0, 0)) == 10800,
	   "a zone without daylight time (<+03>-3): +03:00");
	tzif_free(&z);
	z = slim(0, "XXX0YYY,J60/0,J300/0");
	ok(z != NULL && tzif_offset(z, utc(2028, 3, 1, 0, 0)) == 3600 &&
	       tzif_offset(z, utc(2028, 2, 29, 23, 59)) == 0,
	   "Jn days never count 29 February: J60 is 1 March in 2028");
	tzif_free(&z);
	z = slim(3600, "CET-1CEST,M3.9.0,M10.5.0");
	ok(z != NULL && tzif_offset(z, utc(2030, 7, 1, 0, 0)) == 3600,
	   "a malformed footer is ignored: the last type's offset holds");
	tzif_free(&z);
	ok(tzif_parse((const unsigned char *)"TZif2", 5) == NULL,
	   "a truncated file is refused");
}

int
main(void)
{
	struct tzif *z = tzif_load("Europe/Paris"), *u = tzif_load("UTC");
	struct tm tm;

	ok(z != NULL, "Europe/Paris loads");
	ok(u != NULL, "UTC loads");
	ok(tzif_load("../etc/passwd") == NULL, "a path out of the zone "
					       "directory is refused");
	ok(tzif_load("Nowhere/Atlantis") == NULL, "an unknown zone is NULL");
	if (z == NULL)
		tap_done();
	rules(z);
	is_int(tzif_offset(z, utc(2025, 3, 30, 0, 59)), 3600,
	       "winter offset just before the change");
	is_int(tzif_offset(z, utc(2025, 3, 30, 1, 0)), 7200,
	       "summer offset from 01:00Z");
	is_int(tzif_offset(z, utc(2025, 10, 26, 1, 0)), 3600,
	       "winter again from 26 October 01:00Z");
	is_int(tzif_offset(z, utc(1900, 1, 1, 0, 0)), 561,
	       "local mean time before the first transition");
	tzif_local(z, utc(2025, 3, 31, 6, 0), &tm);
	ok(tm.tm_hour == 8 && tm.tm_mday == 31 && tm.tm_wday == 1,
	   "06:00Z on 31 March is Monday 08:00 in Paris");
	is_int(local(z, 2025, 3, 24, 8, 0), utc(2025, 3, 24, 7, 0),
	       "08:00 on 24 March is 07:00Z");
	is_int(local(z, 2025, 3, 30, 8, 0), utc(2025, 3, 30, 6, 0),
	       "08:00 on the day of the change is 06:00Z");
	is_int(local(z, 2025, 3, 30, 2, 30), utc(2025, 3, 30, 1, 30),
	       "02:30, skipped, lands just after the change");
	is_int(local(z, 2025, 10, 26, 2, 30), utc(2025, 10, 26, 0, 30),
	       "02:30, twice on 26 October, is the first one");
	is_int(local(u, 2025, 3, 30, 8, 0), utc(2025, 3, 30, 8, 0),
	       "UTC is UTC");

	/* weekly on Monday (1) at 08:00, daily at 08:00 */
	is_int(digest_sched_slot(z, utc(2025, 3, 24, 6, 59), 1, 8, 0),
	       utc(2025, 3, 17, 7, 0),
	       "a minute before the slot: the previous week's");
	is_int(digest_sched_slot(z, utc(2025, 3, 24, 7, 0), 1, 8, 0),
	       utc(2025, 3, 24, 7, 0), "at the slot: this one");
	is_int(digest_sched_slot(z, utc(2025, 3, 31, 5, 59), 1, 8, 0),
	       utc(2025, 3, 24, 7, 0),
	       "the Monday after the change, 05:59Z: last week's");
	is_int(digest_sched_slot(z, utc(2025, 3, 31, 6, 0), 1, 8, 0),
	       utc(2025, 3, 31, 6, 0), "06:00Z: this week's, in summer time");
	is_int(digest_sched_slot(z, utc(2025, 4, 22, 9, 0), 1, 8, 0),
	       utc(2025, 4, 21, 6, 0), "a Tuesday: the day before's");
	is_int(digest_sched_slot(z, utc(2025, 3, 30, 5, 0), -1, 8, 0),
	       utc(2025, 3, 29, 7, 0), "daily, before the slot: yesterday's");
	is_int(digest_sched_slot(z, utc(2025, 3, 30, 6, 0), -1, 8, 0),
	       utc(2025, 3, 30, 6, 0), "daily, on the day of the change");
	tzif_free(&z);
	tzif_free(&u);
	ok(z == NULL, "tzif_free clears the pointer");
	tap_done();
}
