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
