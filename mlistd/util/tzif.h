/*
 * tzif - local time in a named zone, from its TZif file under
 * /usr/share/zoneinfo.
 *
 * glibc converts only in the process's TZ, and switching TZ races with
 * every other thread of mlistd that reads the environment, so the
 * scheduler reads the zone's transitions itself: a bounded reader (64 KiB
 * file, version 2+ 64-bit section, or version 1) with no global state.
 * Past the last transition the file's footer rule (a POSIX TZ string)
 * applies, so "slim" files, which stop where the rule takes over, and
 * dates after 2037 in "fat" ones are right too.
 */
#ifndef MLISTD_TZIF_H
#define MLISTD_TZIF_H

#include <stddef.h>
#include <time.h>

struct tzif;

/* tzif_load - zone ("Europe/Paris", "UTC"); NULL when unknown or bad */
struct tzif *tzif_load(const char *zone);
/* tzif_parse - a TZif file's bytes (tests, other zone directories) */
struct tzif *tzif_parse(const unsigned char *buf, size_t len);
void tzif_free(struct tzif **z);
/* tzif_offset - seconds east of UTC at instant t */
long tzif_offset(const struct tzif *z, time_t t);
/* tzif_local - t as broken-down local time in z */
void tzif_local(const struct tzif *z, time_t t, struct tm *tm);
/* tzif_utc - the instant of local date and time tm (tm_year, tm_mon,
   tm_mday, tm_hour, tm_min; normalised like timegm); a time skipped by a
   change of offset is read with the offset before the change, so it
   lands just after the change */
time_t tzif_utc(const struct tzif *z, const struct tm *tm);

#endif
