/*
 * mlistctl - the admin CLI over mlistd's database and configuration.
 *
 * Usage: mlistctl [-c FILE] [--json] COMMAND ...   (mlistctl -h lists them)
 *
 * Run as root, it switches to the configured user before touching the
 * database, so it never leaves root-owned files beside it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "club.h"
#include "conf.h"
#include "mlistctl.h"
#include "privs.h"
#include "store.h"
#include "tzif.h"
#include "xalloc.h"

static const char usage_text[] =
    "usage: mlistctl [-c FILE] [--json] COMMAND [ARGS]\n"
    "  club create NAME [--title T] [--lang en|fr] "
    "[--policy open|confirm|approve|invite|closed]\n"
    "  club list | club show NAME | club set NAME KEY VALUE | "
    "club delete NAME\n"
    "  member add CLUB ADDR [--name N] [--role member|animator] "
    "[--delivery each|digest|none]\n"
    "  member remove CLUB ADDR | member list CLUB | "
    "member set CLUB ADDR KEY VALUE\n"
    "  member import CLUB FILE [--delivery each|digest|none]\n"
    "  threads CLUB [--open-debates|--unanswered] [--since DATETIME] "
    "[--at DATETIME]\n"
    "  thread CLUB KEY pin [ISSUES] | close | reopen | mute | "
    "mark-answered | approve-debate\n"
    "  digest CLUB [--member ADDR] [--at DATETIME] [--since DATETIME] "
    "--json|--preview\n"
    "  stats CLUB [--at DATETIME]\n"
    "  held list CLUB | held approve ID | held reject ID [--reason TEXT]\n"
    "  queue [--retry]\n"
    "  import CLUB FILE.mbox | export CLUB [--member ADDR]\n"
    "  inspect message FILE | inspect bounce FILE\n"
    "  postfix\n"
    "Every listing takes --json.  DATETIME: RFC 3339 or YYYY-MM-DD.\n";

/* vwarn - one "mlistctl: ..." line on stderr */
static void
vwarn(const char *fmt, va_list ap)
{
	fputs("mlistctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
mlistctl_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fputs(usage_text, stderr);
	return CTL_USAGE;
}

int
mlistctl_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	return code;
}

int
mlistctl_db_error(struct mlistctl *c, const char *what)
{
	/* a full disk and a lock pass: say so, and exit 75 (try again) */
	const char *hint = "";

	if (store_full(c->store))
		hint = " (free some space on the disk holding the database, "
		       "then try again)";
	else if (store_locked(c->store))
		hint = " (another process is using the database; try again "
		       "in a moment)";
	return mlistctl_fail(store_busy(c->store) ? EX_TEMPFAIL : EX_SOFTWARE,
			     "%s: %s%s", what, store_error(c->store), hint);
}

int
mlistctl_club(struct mlistctl *c, const char *name, int64_t *id_r)
{
	int rc = store_club_find(c->store, name, id_r);

	if (rc == STORE_NOTFOUND)
		return mlistctl_fail(CTL_NOTFOUND, "%s: no such club", name);
	if (rc != 0)
		return mlistctl_db_error(c, name);
	return 0;
}

void
mlistctl_field(struct buf *out, const char *s)
{
	for (; s && *s; s++)
		buf_putc(out,
			 *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* drop_arg - remove n arguments at i */
static void
drop_arg(struct mlistctl *c, int i, int n)
{
	memmove(&c->argv[i], &c->argv[i + n],
		(size_t)(c->argc - i - n + 1) * sizeof(char *));
	c->argc -= n;
}

int
mlistctl_opt(struct mlistctl *c, const char *name, const char **value_r)
{
	*value_r = NULL;
	for (int i = 0; i < c->argc; i++) {
		if (strncmp(c->argv[i], "--", 2) != 0 ||
		    strcmp(c->argv[i] + 2, name) != 0)
			continue;
		if (i + 1 >= c->argc)
			return -1;
		*value_r = c->argv[i + 1];
		drop_arg(c, i, 2);
		return 0;
	}
	return 0;
}

bool
mlistctl_flag(struct mlistctl *c, const char *name)
{
	for (int i = 0; i < c->argc; i++)
		if (strncmp(c->argv[i], "--", 2) == 0 &&
		    strcmp(c->argv[i] + 2, name) == 0) {
			drop_arg(c, i, 1);
			return true;
		}
	return false;
}

int
mlistctl_leftover(struct mlistctl *c)
{
	for (int i = 0; i < c->argc; i++)
		if (strncmp(c->argv[i], "--", 2) == 0)
			return mlistctl_usage("unknown option %s", c->argv[i]);
	return 0;
}

/* parse_datetime - RFC 3339, or YYYY-MM-DD as midnight in tz */
static int
parse_datetime(const char *s, const char *tz, time_t *t_r)
{
	struct tzif *z;
	struct tm tm;
	char *end;

	if (clock_parse_rfc3339(s, t_r) == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0' || strlen(s) != 10 ||
	    (z = tzif_load(tz)) == NULL)
		return -1;
	/* midnight in the club's zone, read as the scheduler reads it */
	*t_r = tzif_utc(z, &tm);
	tzif_free(&z);
	return 0;
}

int
mlistctl_datetimes(struct mlistctl *c, int64_t club, const char *since_s,
		   time_t *since_r, const char *at_s, time_t *at_r)
{
	char *tz = club_get(c->store, c->conf, club, c->argv[0], "timezone");
	int bad = (since_s && parse_datetime(since_s, tz, since_r) < 0) ||
		  (at_s && parse_datetime(at_s, tz, at_r) < 0);

	free(tz);
	if (bad)
		return mlistctl_usage("DATETIME is RFC 3339 "
				      "(2025-03-10T08:00:00Z) or YYYY-MM-DD");
	return 0;
}

/* open_store - switch user if root, then open the database */
static int
open_store(struct mlistctl *c)
{
	char *err;

	if (geteuid() == 0 && c->conf->user[0] &&
	    privs_drop(c->conf->user, &err) < 0)
		return mlistctl_fail(EX_CONFIG, "%s", err);
	if (store_open(c->conf->database, STORE_CREATE, &c->store, &err) < 0) {
		int code = strstr(err, "newer") ? EX_CONFIG : EX_UNAVAILABLE;

		mlistctl_fail(code, "database %s", err);
		free(err);
		return code;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = conf_default_path();
	struct mlistctl c;
	const char *cmd, *verb = NULL, *cerr;
	char *err;
	int rc, i;

	memset(&c, 0, sizeof(c));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "-V") == 0) {
			printf("mlistctl %s\n", PACKAGE_VERSION);
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '-')
			return mlistctl_usage("unknown flag %s", argv[i]);
		else
			break;
	}
	if (i >= argc)
		return mlistctl_usage("a command is needed");
	c.argc = argc - i;
	c.argv = argv + i;
	c.json = mlistctl_flag(&c, "json");
	cmd = c.argv[0];
	if (strcmp(cmd, "club") == 0 || strcmp(cmd, "member") == 0 ||
	    strcmp(cmd, "inspect") == 0 || strcmp(cmd, "held") == 0) {
		if (c.argc < 2)
			return mlistctl_usage("%s needs a subcommand", cmd);
		verb = c.argv[1];
		c.argv += 2;
		c.argc -= 2;
	} else {
		c.argv += 1;
		c.argc -= 1;
	}
	if (clock_init(&cerr) < 0)
		return mlistctl_fail(CTL_USAGE, "%s", cerr);
	if (strcmp(cmd, "club") != 0 && strcmp(cmd, "member") != 0 &&
	    strcmp(cmd, "threads") != 0 && strcmp(cmd, "import") != 0 &&
	    strcmp(cmd, "export") != 0 && strcmp(cmd, "postfix") != 0 &&
	    strcmp(cmd, "inspect") != 0 && strcmp(cmd, "held") != 0 &&
	    strcmp(cmd, "queue") != 0 && strcmp(cmd, "thread") != 0 &&
	    strcmp(cmd, "digest") != 0 && strcmp(cmd, "stats") != 0)
		return mlistctl_usage("unknown command %s", cmd);
	/* inspect reads a file and nothing else: no configuration needed */
	if (strcmp(cmd, "inspect") == 0)
		return mlistctl_inspect_cmd(&c, verb);
	if (conf_load(path, &c.conf, &err) < 0) {
		mlistctl_fail(EX_CONFIG, "%s", err);
		free(err);
		return EX_CONFIG;
	}
	if (strcmp(cmd, "postfix") == 0) {
		rc = mlistctl_postfix_cmd(&c);
		conf_free(&c.conf);
		return rc;
	}
	if ((rc = open_store(&c)) != 0) {
		conf_free(&c.conf);
		return rc;
	}
	if (strcmp(cmd, "club") == 0)
		rc = mlistctl_club_cmd(&c, verb);
	else if (strcmp(cmd, "member") == 0)
		rc = mlistctl_member_cmd(&c, verb);
	else if (strcmp(cmd, "threads") == 0)
		rc = mlistctl_threads_cmd(&c);
	else if (strcmp(cmd, "import") == 0)
		rc = mlistctl_import_cmd(&c);
	else if (strcmp(cmd, "held") == 0)
		rc = mlistctl_held_cmd(&c, verb);
	else if (strcmp(cmd, "queue") == 0)
		rc = mlistctl_queue_cmd(&c);
	else if (strcmp(cmd, "thread") == 0)
		rc = mlistctl_thread_cmd(&c);
	else if (strcmp(cmd, "digest") == 0)
		rc = mlistctl_digest_cmd(&c);
	else if (strcmp(cmd, "stats") == 0)
		rc = mlistctl_stats_cmd(&c);
	else
		rc = mlistctl_export_cmd(&c);
	store_close(&c.store);
	conf_free(&c.conf);
	return rc;
}
