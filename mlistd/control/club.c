/*
 * club - per-club settings (see club.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "club.h"
#include "conf.h"
#include "store.h"
#include "tzif.h"
#include "xalloc.h"

static const char *const keys[] = {
    "title",
    "lang",
    "policy",
    "moderation",
    "nonmember",
    "subject_prefix",
    "reply_to",
    "dmarc",
    "digest_day",
    "digest_time",
    "timezone",
    "footer",
    "max_message_size",
    "vocabulary",
    "quiet",
    NULL,
};

const char *const *
club_keys(void)
{
	return keys;
}

/* one_of - v is one of the space-separated words */
static int
one_of(const char *v, const char *words)
{
	size_t n = strlen(v);
	const char *p = words;

	while (n && (p = strstr(p, v)) != NULL) {
		if ((p == words || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* valid_vocabulary - "TAG: kw, kw; TAG: kw" */
static int
valid_vocabulary(const char *v)
{
	char *copy = xstrdup(v), *save = NULL, *grp;
	int ok = 1;

	for (grp = strtok_r(copy, ";", &save); grp && ok;
	     grp = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(grp, ':');

		while (isspace((unsigned char)*grp))
			grp++;
		if (*grp == '\0')
			continue;
		if (colon == NULL || colon == grp)
			ok = 0;
		else {
			char *kw = colon + 1;

			while (isspace((unsigned char)*kw))
				kw++;
			ok = *kw != '\0';
		}
	}
	free(copy);
	return ok;
}

/* quiet_date - "MM-DD" (every year: *y_r 0) or "YYYY-MM-DD" of n bytes */
static bool
quiet_date(const char *s, size_t n, int *y_r, int *m_r, int *d_r)
{
	char buf[11], extra;

	if (n != 5 && n != 10)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*y_r = 0;
	if (n == 5 ? sscanf(buf, "%2d-%2d%c", m_r, d_r, &extra) != 2
		   : sscanf(buf, "%4d-%2d-%2d%c", y_r, m_r, d_r, &extra) != 3)
		return false;
	return *m_r >= 1 && *m_r <= 12 && *d_r >= 1 && *d_r <= 31 &&
	       strspn(buf, "0123456789-") == n;
}

/* quiet_next - the next "FROM..TO" of list p as day numbers (year *
   10000 + month * 100 + day, year 0 every year); p moves past it.  1, 0
   at the end, -1 when malformed */
static int
quiet_next(const char **p, long *from_r, long *to_r)
{
	const char *s = *p + strspn(*p, " ,"), *dots, *end;
	int y1, m1, d1, y2, m2, d2;

	if (*s == '\0')
		return 0;
	end = s + strcspn(s, ",");
	dots = strstr(s, "..");
	if (dots == NULL || dots > end)
		return -1;
	while (end > dots && end[-1] == ' ')
		end--;
	if (!quiet_date(s, (size_t)(dots - s), &y1, &m1, &d1) ||
	    !quiet_date(dots + 2, (size_t)(end - dots - 2), &y2, &m2, &d2) ||
	    (y1 == 0) != (y2 == 0))
		return -1;
	*from_r = y1 * 10000L + m1 * 100 + d1;
	*to_r = y2 * 10000L + m2 * 100 + d2;
	if (y1 && *to_r < *from_r)
		return -1;
	*p = end + strcspn(end, ",");
	return 1;
}

bool
club_quiet_on(const char *quiet, int year, int month, int day)
{
	const char *p = quiet ? quiet : "";
	long from, to;

	while (quiet_next(&p, &from, &to) == 1) {
		long md = month * 100L + day;

		if (from >= 10000 ? (year * 10000L + md >= from &&
				     year * 10000L + md <= to)
		    : from <= to  ? (md >= from && md <= to)
				  : (md >= from || md <= to)) /* 12-20..01-02 */
			return true;
	}
	return false;
}

char *
club_check(const char *key, const char *value, const char **why_r)
{
	if (strcmp(key, "title") == 0 || strcmp(key, "footer") == 0 ||
	    strcmp(key, "subject_prefix") == 0) {
		if (strchr(value, '\n') || strchr(value, '\r')) {
			*why_r = "must be one line (write \\n for a new line "
				 "in the footer)";
			return NULL;
		}
		if (strcmp(key, "title") == 0 && strchr(value, '"')) {
			*why_r = "a title cannot contain '\"' (it goes into "
				 "List-Id)";
			return NULL;
		}
		return xstrdup(value);
	}
	if (strcmp(key, "lang") == 0 && one_of(value, "en fr"))
		return xstrdup(value);
	if (strcmp(key, "policy") == 0 &&
	    one_of(value, "open confirm approve invite closed"))
		return xstrdup(value);
	if (strcmp(key, "moderation") == 0 &&
	    one_of(value, "newcomers none all emergency"))
		return xstrdup(value);
	if (strcmp(key, "nonmember") == 0 &&
	    one_of(value, "hold reject discard"))
		return xstrdup(value);
	if (strcmp(key, "reply_to") == 0 && one_of(value, "list author"))
		return xstrdup(value);
	if (strcmp(key, "dmarc") == 0 && one_of(value, "munge wrap none"))
		return xstrdup(value);
	if (strcmp(key, "digest_day") == 0 &&
	    one_of(value, "mon tue wed thu fri sat sun"))
		return xstrdup(value);
	if (strcmp(key, "digest_time") == 0) {
		int h, m;
		char extra;

		if (strlen(value) == 5 &&
		    sscanf(value, "%2d:%2d%c", &h, &m, &extra) == 2 && h >= 0 &&
		    h < 24 && m >= 0 && m < 60)
			return xstrdup(value);
		*why_r = "HH:MM expected";
		return NULL;
	}
	if (strcmp(key, "timezone") == 0) {
		if (conf_valid_timezone(value))
			return xstrdup(value);
		*why_r = "unknown time zone";
		return NULL;
	}
	if (strcmp(key, "max_message_size") == 0) {
		size_t sz;

		if (conf_parse_size(value, &sz) == 0)
			return xasprintf("%zu", sz);
		*why_r = "a size such as 10M expected";
		return NULL;
	}
	if (strcmp(key, "quiet") == 0) {
		const char *p = value;
		long from, to;
		int rc;

		while ((rc = quiet_next(&p, &from, &to)) == 1)
			;
		if (rc == 0)
			return xstrdup(value);
		*why_r =
		    "periods such as \"08-01..08-31, 2025-12-20..2026-01-02\" "
		    "expected";
		return NULL;
	}
	if (strcmp(key, "vocabulary") == 0) {
		if (valid_vocabulary(value))
			return xstrdup(value);
		*why_r = "\"TAG: kw, kw; TAG: kw\" expected";
		return NULL;
	}
	for (size_t i = 0; keys[i]; i++)
		if (strcmp(keys[i], key) == 0) {
			static const struct {
				const char *key, *words;
			} w[] = {
			    {"lang", "en or fr expected"},
			    {"policy",
			     "open, confirm, approve, invite or closed "
			     "expected"},
			    {"moderation", "newcomers, none, all or emergency "
					   "expected"},
			    {"nonmember", "hold, reject or discard expected"},
			    {"reply_to", "list or author expected"},
			    {"dmarc", "munge, wrap or none expected"},
			    {"digest_day", "mon, tue, wed, thu, fri, sat or "
					   "sun expected"},
			};
			*why_r = "invalid value";
			for (size_t j = 0; j < sizeof(w) / sizeof(w[0]); j++)
				if (strcmp(w[j].key, key) == 0)
					*why_r = w[j].words;
			return NULL;
		}
	*why_r = "unknown club setting";
	return NULL;
}

/* club_default - the built-in value of key for club name */
static char *
club_default(const struct conf *conf, const char *name, const char *key)
{
	if (strcmp(key, "title") == 0)
		return xstrdup(name);
	if (strcmp(key, "lang") == 0)
		return xstrdup(conf->language);
	if (strcmp(key, "policy") == 0)
		return xstrdup("confirm");
	if (strcmp(key, "moderation") == 0)
		return xstrdup("newcomers");
	if (strcmp(key, "nonmember") == 0)
		return xstrdup("hold");
	if (strcmp(key, "subject_prefix") == 0)
		return xasprintf("[%s]", name);
	if (strcmp(key, "reply_to") == 0)
		return xstrdup("list");
	if (strcmp(key, "dmarc") == 0)
		return xstrdup("munge");
	if (strcmp(key, "digest_day") == 0)
		return xstrdup("mon");
	if (strcmp(key, "digest_time") == 0)
		return xstrdup("08:00");
	if (strcmp(key, "timezone") == 0)
		return xstrdup(conf->timezone);
	if (strcmp(key, "max_message_size") == 0)
		return xasprintf("%zu", conf->max_message_size);
	return xstrdup("");
}

int
club_read(struct store *store, const struct conf *conf, int64_t club,
	  const char *name, const char *key, char **value_r)
{
	char *v = NULL;
	int rc = store_club_get(store, club, key, &v);

	if (rc == STORE_NOTFOUND)
		v = club_default(conf, name, key);
	else if (rc < 0)
		return -1;
	*value_r = v;
	return 0;
}

char *
club_get(struct store *store, const struct conf *conf, int64_t club,
	 const char *name, const char *key)
{
	char *v = NULL;

	if (store_club_get(store, club, key, &v) == 0)
		return v;
	return club_default(conf, name, key);
}

bool
club_quiet_now(struct store *store, const struct conf *conf, int64_t club,
	       const char *name, time_t now)
{
	char *quiet = club_get(store, conf, club, name, "quiet");
	char *tz = club_get(store, conf, club, name, "timezone");
	struct tzif *z = *quiet ? tzif_load(tz) : NULL;
	bool on = false;
	struct tm tm;

	if (z) {
		tzif_local(z, now, &tm);
		on = club_quiet_on(quiet, tm.tm_year + 1900, tm.tm_mon + 1,
				   tm.tm_mday);
	}
	tzif_free(&z);
	free(quiet);
	free(tz);
	return on;
}
