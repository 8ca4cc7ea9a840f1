/*
 * mlistctl_member - "mlistctl member add|remove|list|set|import".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "mlistctl.h"
#include "store.h"
#include "strutil.h"
#include "xalloc.h"

/* in_words - v is one of the space-separated words */
static bool
in_words(const char *v, const char *words)
{
	char *copy = xstrdup(words), *save = NULL, *w;
	bool found = false;

	for (w = strtok_r(copy, " ", &save); w && !found;
	     w = strtok_r(NULL, " ", &save))
		found = strcmp(w, v) == 0;
	free(copy);
	return found;
}

/* yes_no - "yes"/"no" to "1"/"0", NULL otherwise */
static const char *
yes_no(const char *v)
{
	return strcmp(v, "yes") == 0 ? "1" : strcmp(v, "no") == 0 ? "0" : NULL;
}

static int
member_add(struct mlistctl *c)
{
	const char *name, *role, *delivery;
	char *addr;
	int64_t club;
	int rc;

	if (mlistctl_opt(c, "name", &name) < 0 ||
	    mlistctl_opt(c, "role", &role) < 0 ||
	    mlistctl_opt(c, "delivery", &delivery) < 0)
		return mlistctl_usage("an option needs a value");
	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 2)
		return mlistctl_usage("member add needs CLUB ADDR");
	role = role ? role : "member";
	delivery = delivery ? delivery : "each";
	if (!in_words(role, "member animator"))
		return mlistctl_usage("--role: member or animator");
	if (!in_words(delivery, "each digest none"))
		return mlistctl_usage("--delivery: each, digest or none");
	if ((addr = addr_normalize(c->argv[1])) == NULL)
		return mlistctl_fail(65, "%s: not a valid address", c->argv[1]);
	if ((rc = mlistctl_club(c, c->argv[0], &club)) == 0) {
		rc = store_member_add(c->store, club, addr, name, role,
				      delivery, clock_now());
		if (rc == STORE_EXISTS)
			rc = mlistctl_fail(CTL_NOTFOUND,
					   "%s: already a member of %s", addr,
					   c->argv[0]);
		else if (rc != 0)
			rc = mlistctl_db_error(c, "member add");
	}
	free(addr);
	return rc;
}

static int
member_remove(struct mlistctl *c)
{
	char *addr;
	int64_t club;
	int rc;

	if (c->argc != 2)
		return mlistctl_usage("member remove needs CLUB ADDR");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	addr = str_lower(xstrdup(c->argv[1]));
	rc = store_member_remove(c->store, club, addr, clock_now(), "removed");
	if (rc == STORE_NOTFOUND)
		rc = mlistctl_fail(CTL_NOTFOUND, "%s: not a member of %s", addr,
				   c->argv[0]);
	else if (rc != 0)
		rc = mlistctl_db_error(c, "member remove");
	free(addr);
	return rc;
}

static int
member_list(struct mlistctl *c)
{
	struct store_member *m;
	struct buf out = BUF_INIT;
	int64_t club;
	size_t n;
	int rc;

	if (c->argc != 1)
		return mlistctl_usage("member list needs CLUB");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	if (store_member_list(c->store, club, &m, &n) < 0)
		return mlistctl_db_error(c, "member list");
	if (c->json)
		buf_putc(&out, '[');
	for (size_t i = 0; i < n; i++) {
		char joined[21];

		clock_format(m[i].joined, joined);
		if (c->json) {
			buf_puts(&out, i ? ",{\"address\":" : "{\"address\":");
			buf_json_str(&out, m[i].address);
			buf_puts(&out, ",\"name\":");
			buf_json_str(&out, m[i].name);
			buf_puts(&out, ",\"role\":");
			buf_json_str(&out, m[i].role);
			buf_puts(&out, ",\"delivery\":");
			buf_json_str(&out, m[i].delivery);
			buf_printf(
			    &out, ",\"joined\":\"%s\",\"highlights\":", joined);
			buf_json_str(&out, m[i].highlights);
			buf_printf(&out, ",\"paused\":%s,\"status\":",
				   m[i].paused ? "true" : "false");
			buf_json_str(&out, m[i].status);
			buf_printf(&out,
				   ",\"moderated\":%s,\"bounce_score\":%g}",
				   m[i].moderated ? "true" : "false",
				   m[i].bounce_score);
		} else
			buf_printf(&out, "%s\t%s\t%s\t%s\t%s\n", m[i].address,
				   m[i].role, m[i].delivery, joined,
				   m[i].name ? m[i].name : "");
	}
	if (c->json)
		buf_puts(&out, "]\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	store_member_list_free(m, n);
	return 0;
}

/* member_value - check and normalise a "member set" value */
static int
member_value(struct mlistctl *c, const char *key, const char *v, char **out_r)
{
	time_t t;
	const char *yn;

	*out_r = NULL;
	if (strcmp(key, "name") == 0 || strcmp(key, "company") == 0 ||
	    strcmp(key, "profile") == 0) {
		if (strchr(v, '\n'))
			return mlistctl_usage("%s: one line expected", key);
		*out_r = xstrdup(v);
	} else if (strcmp(key, "role") == 0) {
		if (!in_words(v, "member animator"))
			return mlistctl_usage("role: member or animator");
		*out_r = xstrdup(v);
	} else if (strcmp(key, "delivery") == 0) {
		if (!in_words(v, "each digest none"))
			return mlistctl_usage("delivery: each, digest or none");
		*out_r = xstrdup(v);
	} else if (strcmp(key, "highlights") == 0) {
		if (!in_words(v, "weekly daily off"))
			return mlistctl_usage(
			    "highlights: weekly, daily or off");
		*out_r = xstrdup(v);
	} else if (strcmp(key, "joined") == 0) {
		if (clock_parse_rfc3339(v, &t) < 0)
			return mlistctl_usage("joined: an RFC 3339 date-time");
		*out_r = xasprintf("%lld", (long long)t);
	} else if (strcmp(key, "tags") == 0) {
		struct buf b = BUF_INIT;
		char *copy = xstrdup(v), *save = NULL, *tag;

		for (tag = strtok_r(copy, ",", &save); tag;
		     tag = strtok_r(NULL, ",", &save)) {
			tag = str_trim(tag);
			if (*tag == '\0')
				continue;
			if (b.len)
				buf_putc(&b, ',');
			buf_puts(&b, str_lower(tag));
		}
		free(copy);
		*out_r = buf_steal(&b);
	} else if (strcmp(key, "aliases") == 0) {
		struct buf b = BUF_INIT;
		char *copy = xstrdup(v), *save = NULL, *a, *n;

		for (a = strtok_r(copy, ",", &save); a;
		     a = strtok_r(NULL, ",", &save)) {
			a = str_trim(a);
			if (*a == '\0')
				continue;
			if ((n = addr_normalize(a)) == NULL) {
				/* a points into copy: report, then free */
				int rc = mlistctl_usage(
				    "aliases: %s is not a mail address", a);

				buf_free(&b);
				free(copy);
				return rc;
			}
			buf_printf(&b, "%s%s", b.len ? "," : "", n);
			free(n);
		}
		free(copy);
		*out_r = b.len ? buf_steal(&b) : xstrdup("");
		buf_free(&b);
	} else if (strcmp(key, "featured") == 0 || strcmp(key, "paused") == 0 ||
		   strcmp(key, "own_copy") == 0 ||
		   strcmp(key, "moderated") == 0) {
		if ((yn = yes_no(v)) == NULL)
			return mlistctl_usage("%s: yes or no", key);
		*out_r = xstrdup(yn);
	} else
		return mlistctl_usage(
		    "%s: unknown member setting (name, role, "
		    "delivery, highlights, joined, tags, company, "
		    "featured, paused, own_copy, moderated, aliases)",
		    key);
	(void)c;
	return 0;
}

static int
member_set(struct mlistctl *c)
{
	char *addr, *value;
	int64_t club;
	int rc;

	if (c->argc != 4)
		return mlistctl_usage("member set needs CLUB ADDR KEY VALUE");
	if ((rc = member_value(c, c->argv[2], c->argv[3], &value)) != 0)
		return rc;
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0) {
		free(value);
		return rc;
	}
	addr = str_lower(xstrdup(c->argv[1]));
	rc = store_member_set(c->store, club, addr, c->argv[2], value);
	if (rc == STORE_NOTFOUND)
		rc = mlistctl_fail(CTL_NOTFOUND, "%s: not a member of %s", addr,
				   c->argv[0]);
	else if (rc != 0)
		rc = mlistctl_db_error(c, "member set");
	free(addr);
	free(value);
	return rc;
}

static int
member_import(struct mlistctl *c)
{
	const char *delivery;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0, added = 0, skipped = 0, bad = 0;
	int64_t club;
	FILE *fp;
	int rc;

	if (mlistctl_opt(c, "delivery", &delivery) < 0)
		return mlistctl_usage("--delivery needs a value");
	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 2)
		return mlistctl_usage("member import needs CLUB FILE");
	delivery = delivery ? delivery : "each";
	if (!in_words(delivery, "each digest none"))
		return mlistctl_usage("--delivery: each, digest or none");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	if (strcmp(c->argv[1], "-") == 0)
		fp = stdin;
	else if ((fp = fopen(c->argv[1], "r")) == NULL)
		return mlistctl_fail(74, "%s: cannot open: %s", c->argv[1],
				     strerror(errno));
	if (store_begin(c->store) < 0) {
		if (fp != stdin)
			fclose(fp);
		return mlistctl_db_error(c, "begin");
	}
	while (getline(&line, &cap, fp) >= 0) {
		char *t = str_trim(line), *addr, *name;

		lineno++;
		if (*t == '\0' || *t == '#')
			continue;
		if (addr_parse_line(t, &addr, &name) < 0) {
			fprintf(stderr, "mlistctl: %s:%u: not an address: %s\n",
				c->argv[1], lineno, t);
			bad++;
			continue;
		}
		rc = store_member_add(c->store, club, addr, name, "member",
				      delivery, clock_now());
		free(addr);
		free(name);
		if (rc == STORE_EXISTS)
			skipped++;
		else if (rc == 0)
			added++;
		else {
			store_rollback(c->store);
			free(line);
			if (fp != stdin)
				fclose(fp);
			return mlistctl_db_error(c, "member import");
		}
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	if (store_commit(c->store) < 0)
		return mlistctl_db_error(c, "commit");
	printf("%u added, %u already members, %u invalid\n", added, skipped,
	       bad);
	return bad ? CTL_NOTFOUND : 0;
}

int
mlistctl_member_cmd(struct mlistctl *c, const char *verb)
{
	if (strcmp(verb, "add") == 0)
		return member_add(c);
	if (strcmp(verb, "remove") == 0)
		return member_remove(c);
	if (strcmp(verb, "list") == 0)
		return member_list(c);
	if (strcmp(verb, "set") == 0)
		return member_set(c);
	if (strcmp(verb, "import") == 0)
		return member_import(c);
	return mlistctl_usage("unknown member subcommand %s", verb);
}
