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
