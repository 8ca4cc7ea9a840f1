/*
 * test-conf - every configuration key validated; errors name file,
 * line and key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static char path[64];

/* load - write text to a file and load it */
static int
load(const char *text, struct conf **c, char **err)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
	return conf_load(path, c, err);
}

static const struct {
	const char *text;
	const char *err; /* NULL: valid; else expected "LINE: KEY: " */
} cases[] = {
    {"domain = lists.example.org\n", NULL},
    {"# comment\n\ndomain = lists.example.org # trailing\n", NULL},
    {"database = /x\n", ":1: domain: required key is missing"},
    {"domain = lists.example.org\nbogus = 1\n", ":2: bogus: unknown key"},
    {"domain = lists.example.org\ndomain = x.org\n", ":2: domain: set twice"},
    {"domain = bad domain\n", ":1: domain: "},
    {"domain = x.org\nlisten = tcp:1\n", ":2: listen: "},
    {"domain = x.org\nlisten = inet:127.0.0.1:99999\n", ":2: listen: "},
    {"domain = x.org\nlisten = unix:relative\n", ":2: listen: "},
    {"domain = x.org\nlisten = unix:/a, inet:127.0.0.1:8024\n", NULL},
    {"domain = x.org\nsocket_mode = 999\n", ":2: socket_mode: "},
    {"domain = x.org\nrelay = http://x\n", ":2: relay: "},
    {"domain = x.org\nrelay = capture:/tmp/out\n", NULL},
    {"domain = x.org\nrelay = smtps://mail.x.org:465\n", NULL},
    {"domain = x.org\nrelay_tls = maybe\n", ":2: relay_tls: "},
    {"domain = x.org\nrelay_concurrency = 0\n", ":2: relay_concurrency: "},
    {"domain = x.org\nunsubscribe_url = http://x\n", ":2: unsubscribe_url: "},
    {"domain = x.org\ndelimiter = ++\n", ":2: delimiter: "},
    {"domain = x.org\nlanguage = de\n", ":2: language: "},
    {"domain = x.org\ntimezone = Mars/Olympus\n", ":2: timezone: "},
    {"domain = x.org\ntimezone = ../../etc/passwd\n", ":2: timezone: "},
    {"domain = x.org\nmax_message_size = 10Q\n", ":2: max_message_size: "},
    {"domain = x.org\nmax_message_size = 512K\n", NULL},
    {"domain = x.org\nuser = no-such-user-here\n", ":2: user: "},
    {"domain = x.org\nlog = file\n", ":2: log: "},
    {"domain = x.org\njust words\n", ":2: just words: "},
};

int
main(void)
{
	struct conf *c;
	char *err;
	int fd;

	snprintf(path, sizeof(path), "/tmp/mlt-conf-XXXXXX");
	fd = mkstemp(path);
	close(fd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load(cases[i].text, &c, &err);

		if (cases[i].err == NULL) {
			ok(rc == 0, "valid case %zu", i);
			if (rc != 0)
				printf("#   %s\n", err);
		} else {
			ok(rc < 0 && strncmp(err, path, strlen(path)) == 0 &&
			       strstr(err, cases[i].err) != NULL,
			   "error '%s'", cases[i].err);
			if (rc == 0 || strstr(err, cases[i].err) == NULL)
				printf("#   got: %s\n", rc ? err : "(valid)");
		}
		free(err);
		conf_free(&c);
	}
	ok(load("domain = Lists.Example.ORG\nmax_message_size = 2M\n"
		"listen = inet:127.0.0.1:0\n",
		&c, &err) == 0,
	   "a full load");
	is_str(c->domain, "lists.example.org", "domain lower-cased");
	is_int(c->max_message_size, 2 * 1024 * 1024, "size with a unit");
	is_str(c->listen[0].port, "0", "listener port");
	is_int(c->socket_mode, 0660, "default socket_mode");
	is_int(c->delimiter, '+', "default delimiter");
	is_str(c->timezone, "Europe/Paris", "default timezone");
	is_int(c->relay_concurrency, 4, "default relay_concurrency");
	conf_free(&c);
	ok(conf_load("/nonexistent/mlistd.conf", &c, &err) < 0 &&
	       strstr(err, "/nonexistent/mlistd.conf") != NULL,
	   "a missing file is named");
	free(err);
	unlink(path);
	tap_done();
}
