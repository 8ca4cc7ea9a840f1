/*
 * conf - the mlistd.conf file: "key = value" lines, "#" comments.
 *
 * Every key is checked against one table (name, default, validator);
 * unknown keys, duplicates and bad values are errors naming file, line
 * and key.  conf_load() returns a complete struct or nothing, so a failed
 * SIGHUP reload keeps the running configuration.
 */
#ifndef MLISTD_CONF_H
#define MLISTD_CONF_H

#include <stddef.h>

#define CONF_MAX_LISTEN 8

struct conf_listen {
	char *unix_path; /* unix:PATH, or NULL */
	char *host;	 /* inet:HOST:PORT */
	char *port;
};

struct conf {
	char *path;
	char *domain;
	char *database;
	struct conf_listen listen[CONF_MAX_LISTEN];
	size_t nlisten;
	unsigned socket_mode;
	char *socket_group;
	char *relay;
	char *relay_tls;
	char *relay_ca_file;
	char *relay_user;
	char *relay_password_file;
	char *unsubscribe_url;
	int relay_concurrency;
	char *templates;
	char *templates_local;
	char *secret_file;
	char delimiter;
	char *language;
	char *timezone;
	size_t max_message_size;
	char *user;
	char *log;
};

/* conf_default_path - $(sysconfdir)/mlistd/mlistd.conf */
const char *conf_default_path(void);

/* conf_load - read and validate path; on error *error_r (caller frees)
   reads "FILE:LINE: key: reason" and -1 is returned */
int conf_load(const char *path, struct conf **conf_r, char **error_r);
void conf_free(struct conf **conf);

/* conf_restart_key - the first key whose change only a restart can
   apply (listeners, database, secret, user, log), or NULL */
const char *conf_restart_key(const struct conf *running,
			     const struct conf *next);

/* conf_parse_size - "10M", "512k", "1048576" to bytes; -1 if invalid */
int conf_parse_size(const char *s, size_t *size_r);
/* conf_valid_timezone - a zone known to the system's tz database */
int conf_valid_timezone(const char *tz);

#endif
