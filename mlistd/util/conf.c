/*
 * conf - the mlistd.conf file (see conf.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "strutil.h"
#include "xalloc.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/mlistd"
#endif

/* A validator returns NULL when value is fine, else a reason. */
typedef const char *(*conf_check_fn)(struct conf *conf, const char *value);

struct conf_key {
	const char *name;
	const char *def;     /* NULL: required */
	conf_check_fn check; /* validates and stores */
};

#define STR_SETTER(field)                                                      \
	static const char *set_##field(struct conf *conf, const char *v)       \
	{                                                                      \
		free(conf->field);                                             \
		conf->field = xstrdup(v);                                      \
		return NULL;                                                   \
	}

STR_SETTER(database)
STR_SETTER(relay_ca_file)
STR_SETTER(relay_user)
STR_SETTER(relay_password_file)
STR_SETTER(templates)
STR_SETTER(templates_local)
STR_SETTER(secret_file)

/* valid_domain - letters, digits, hyphens and dots; no empty label */
static int
valid_domain(const char *d)
{
	size_t label = 0;

	if (*d == '\0' || strlen(d) > 253)
		return 0;
	for (; *d; d++) {
		if (*d == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*d) || *d == '-') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0;
}

static const char *
set_domain(struct conf *conf, const char *v)
{
	if (!valid_domain(v))
		return "not a valid domain name";
	free(conf->domain);
	conf->domain = str_lower(xstrdup(v));
	return NULL;
}

static const char *
set_listen(struct conf *conf, const char *v)
{
	char *copy = xstrdup(v), *save = NULL, *tok;
	const char *err = NULL;

	for (size_t i = 0; i < conf->nlisten; i++) {
		free(conf->listen[i].unix_path);
		free(conf->listen[i].host);
		free(conf->listen[i].port);
	}
	memset(conf->listen, 0, sizeof(conf->listen));
	conf->nlisten = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		struct conf_listen *l;
		char *t = str_trim(tok), *colon;

		if (conf->nlisten == CONF_MAX_LISTEN) {
			err = "too many listeners (at most 8)";
			break;
		}
		l = &conf->listen[conf->nlisten];
		if (strncmp(t, "unix:", 5) == 0) {
			if (t[5] != '/') {
				err = "unix: needs an absolute path";
				break;
			}
			if (strlen(t + 5) >= 108) {
				err = "unix socket path longer than 107 bytes";
				break;
			}
			l->unix_path = xstrdup(t + 5);
		} else if (strncmp(t, "inet:", 5) == 0 &&
			   (colon = strrchr(t + 5, ':')) != NULL &&
			   colon > t + 5) {
			long port;
			char *end;

			errno = 0;
			port = strtol(colon + 1, &end, 10);
			if (*end || errno || port < 0 || port > 65535 ||
			    colon[1] == '\0') {
				err = "inet: port must be 0-65535";
				break;
			}
			l->host = xstrndup(t + 5, (size_t)(colon - t - 5));
			if (l->host[0] == '[') { /* [::1] */
				size_t n = strlen(l->host);
				if (l->host[n - 1] != ']') {
					err = "inet: bad IPv6 literal";
					break;
				}
				memmove(l->host, l->host + 1, n - 2);
				l->host[n - 2] = '\0';
			}
			l->port = xstrdup(colon + 1);
		} else {
			err = "each listener is unix:/PATH or inet:HOST:PORT";
			break;
		}
		conf->nlisten++;
	}
	if (!err && conf->nlisten == 0)
		err = "at least one listener is needed";
	free(copy);
	return err;
}

static const char *
set_socket_mode(struct conf *conf, const char *v)
{
	char *end;
	unsigned long m;

	errno = 0;
	m = strtoul(v, &end, 8);
	if (*v == '\0' || *end || errno || m > 0777)
		return "an octal mode such as 0660 is expected";
	conf->socket_mode = (unsigned)m;
	return NULL;
}

static const char *
set_socket_group(struct conf *conf, const char *v)
{
	if (*v == '\0')
		return "a group name is expected";
	free(conf->socket_group);
	conf->socket_group = xstrdup(v);
	return NULL;
}

static const char *
set_relay(struct conf *conf, const char *v)
{
	if (strncmp(v, "capture:", 8) == 0) {
		if (v[8] == '\0')
			return "capture: needs a directory";
	} else if (strncmp(v, "smtp://", 7) != 0 &&
		   strncmp(v, "smtps://", 8) != 0)
		return "smtp://HOST[:PORT], smtps://HOST[:PORT] or capture:DIR "
		       "expected";
	else if (strchr(v, '/') && strlen(strchr(v, '/') + 2) == 0)
		return "the relay URL has no host";
	free(conf->relay);
	conf->relay = xstrdup(v);
	return NULL;
}

/* set_enum - store v if it is one of the NULL-terminated words */
static const char *
set_enum(char **field, const char *v, const char *const *words,
	 const char *reason)
{
	for (; *words; words++)
		if (strcmp(v, *words) == 0) {
			free(*field);
			*field = xstrdup(v);
			return NULL;
		}
	return reason;
}

static const char *
set_relay_tls(struct conf *conf, const char *v)
{
	static const char *const w[] = {"off", "try", "require", NULL};

	return set_enum(&conf->relay_tls, v, w, "off, try or require expected");
}

static const char *
set_language(struct conf *conf, const char *v)
{
	static const char *const w[] = {"en", "fr", NULL};

	return set_enum(&conf->language, v, w, "en or fr expected");
}

static const char *
set_log(struct conf *conf, const char *v)
{
	static const char *const w[] = {"syslog", "stderr", NULL};

	return set_enum(&conf->log, v, w, "syslog or stderr expected");
}

static const char *
set_unsubscribe_url(struct conf *conf, const char *v)
{
	if (*v && strncmp(v, "https://", 8) != 0)
		return "an https:// URL expected";
	free(conf->unsubscribe_url);
	conf->unsubscribe_url = xstrdup(v);
	return NULL;
}

static const char *
set_relay_concurrency(struct conf *conf, const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end || errno || n < 1 || n > 64)
		return "a number from 1 to 64 expected";
	conf->relay_concurrency = (int)n;
	return NULL;
}

static const char *
set_delimiter(struct conf *conf, const char *v)
{
	if (strlen(v) != 1 || strchr("+-=", v[0]) == NULL)
		return "one of + - = expected (it must match Postfix's "
		       "recipient_delimiter)";
	conf->delimiter = v[0];
	return NULL;
}

int
conf_valid_timezone(const char *tz)
{
	char path[PATH_MAX];
	struct stat st;

	if (strcmp(tz, "UTC") == 0)
		return 1;
	if (*tz == '\0' || tz[0] == '/' || strstr(tz, "..") ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		       "0123456789/_+-") != strlen(tz))
		return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *
set_timezone(struct conf *conf, const char *v)
{
	if (!conf_valid_timezone(v))
		return "unknown time zone (see /usr/share/zoneinfo)";
	free(conf->timezone);
	conf->timezone = xstrdup(v);
	return NULL;
}

int
conf_parse_size(const char *s, size_t *size_r)
{
	char *end;
	unsigned long long n;
	unsigned long long mul = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		switch (tolower((unsigned char)*end)) {
		case 'k':
			mul = 1024;
			break;
		case 'm':
			mul = 1024 * 1024;
			break;
		case 'g':
			mul = 1024ULL * 1024 * 1024;
			break;
		default:
			return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (n == 0 || n > (1ULL << 40) / mul)
		return -1;
	*size_r = (size_t)(n * mul);
	return 0;
}

static const char *
set_max_message_size(struct conf *conf, const char *v)
{
	if (conf_parse_size(v, &conf->max_message_size) < 0)
		return "a size such as 10M, 512K or 1048576 expected";
	return NULL;
}

static const char *
set_user(struct conf *conf, const char *v)
{
	if (*v && getpwnam(v) == NULL)
		return "no such user";
	free(conf->user);
	conf->user = xstrdup(v);
	return NULL;
}

static const struct conf_key conf_keys[] = {
    {"domain", NULL, set_domain},
    {"database", LOCALSTATEDIR "/lib/mlistd/mlistd.db", set_database},
    {"listen", "unix:/var/spool/postfix/private/mlistd", set_listen},
    {"socket_mode", "0660", set_socket_mode},
    {"socket_group", "postfix", set_socket_group},
    {"relay", "smtp://127.0.0.1:25", set_relay},
    {"relay_tls", "try", set_relay_tls},
    {"relay_ca_file", "", set_relay_ca_file},
    {"relay_user", "", set_relay_user},
    {"relay_password_file", "", set_relay_password_file},
    {"unsubscribe_url", "", set_unsubscribe_url},
    {"relay_concurrency", "4", set_relay_concurrency},
    {"templates", PKGDATADIR "/templates", set_templates},
    {"templates_local", SYSCONFDIR "/mlistd/templates", set_templates_local},
    {"secret_file", LOCALSTATEDIR "/lib/mlistd/secret", set_secret_file},
    {"delimiter", "+", set_delimiter},
    {"language", "en", set_language},
    {"timezone", "Europe/Paris", set_timezone},
    {"max_message_size", "10M", set_max_message_size},
    {"user", "", set_user},
    {"log", "syslog", set_log},
};
#define CONF_NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

const char *
conf_default_path(void)
{
	return SYSCONFDIR "/mlistd/mlistd.conf";
}

int
conf_load(const char *path, struct conf **conf_r, char **error_r)
{
	struct conf *conf = xcalloc(1, sizeof(*conf));
	int seen[CONF_NKEYS] = {0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	FILE *fp;

	*conf_r = NULL;
	*error_r = NULL;
	conf->path = xstrdup(path);
	if ((fp = fopen(path, "r")) == NULL) {
		*error_r =
		    xasprintf("%s: cannot open: %s", path, strerror(errno));
		conf_free(&conf);
		return -1;
	}
	while (*error_r == NULL && (n = getline(&line, &cap, fp)) >= 0) {
		char *key, *val, *eq;
		size_t i;
		const char *why;

		lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			*error_r =
			    xasprintf("%s:%u: NUL byte in line", path, lineno);
			break;
		}
		key = str_trim(line);
		if (*key == '#' || *key == '\0')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			*error_r =
			    xasprintf("%s:%u: %s: expected \"key = value\"",
				      path, lineno, key);
			break;
		}
		*eq = '\0';
		key = str_trim(key);
		val = str_trim(eq + 1);
		/* A "#" after the value starts a comment, as in the sample. */
		if ((eq = strstr(val, " #")) != NULL ||
		    (eq = strstr(val, "\t#")) != NULL) {
			*eq = '\0';
			val = str_trim(val);
		}
		for (i = 0; i < CONF_NKEYS; i++)
			if (strcmp(conf_keys[i].name, key) == 0)
				break;
		if (i == CONF_NKEYS) {
			*error_r = xasprintf("%s:%u: %s: unknown key", path,
					     lineno, key);
			break;
		}
		if (seen[i]) {
			*error_r = xasprintf("%s:%u: %s: set twice (first on "
					     "line %d)",
					     path, lineno, key, seen[i]);
			break;
		}
		seen[i] = (int)lineno;
		if ((why = conf_keys[i].check(conf, val)) != NULL)
			*error_r =
			    xasprintf("%s:%u: %s: %s", path, lineno, key, why);
	}
	if (*error_r == NULL && ferror(fp))
		*error_r =
		    xasprintf("%s: read error: %s", path, strerror(errno));
	fclose(fp);
	free(line);
	for (size_t i = 0; *error_r == NULL && i < CONF_NKEYS; i++) {
		if (seen[i])
			continue;
		if (conf_keys[i].def == NULL)
			*error_r =
			    xasprintf("%s:%u: %s: required key is missing",
				      path, lineno, conf_keys[i].name);
		else
			(void)conf_keys[i].check(conf, conf_keys[i].def);
	}
	if (*error_r) {
		conf_free(&conf);
		return -1;
	}
	*conf_r = conf;
	return 0;
}

/* same_str - equal strings, NULL meaning "" */
static int
same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

const char *
conf_restart_key(const struct conf *a, const struct conf *b)
{
	if (a->nlisten != b->nlisten)
		return "listen";
	for (size_t i = 0; i < a->nlisten; i++)
		if (!same_str(a->listen[i].unix_path, b->listen[i].unix_path) ||
		    !same_str(a->listen[i].host, b->listen[i].host) ||
		    !same_str(a->listen[i].port, b->listen[i].port))
			return "listen";
	if (a->socket_mode != b->socket_mode ||
	    !same_str(a->socket_group, b->socket_group))
		return "socket_mode/socket_group";
	if (!same_str(a->database, b->database))
		return "database";
	if (!same_str(a->secret_file, b->secret_file))
		return "secret_file";
	if (!same_str(a->user, b->user))
		return "user";
	if (!same_str(a->log, b->log))
		return "log";
	return NULL;
}

void
conf_free(struct conf **confp)
{
	struct conf *c = *confp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nlisten; i++) {
		free(c->listen[i].unix_path);
		free(c->listen[i].host);
		free(c->listen[i].port);
	}
	free(c->path);
	free(c->domain);
	free(c->database);
	free(c->socket_group);
	free(c->relay);
	free(c->relay_tls);
	free(c->relay_ca_file);
	free(c->relay_user);
	free(c->relay_password_file);
	free(c->unsubscribe_url);
	free(c->templates);
	free(c->templates_local);
	free(c->secret_file);
	free(c->language);
	free(c->timezone);
	free(c->user);
	free(c->log);
	free(c);
	*confp = NULL;
}
