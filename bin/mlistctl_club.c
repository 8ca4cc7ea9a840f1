/*
 * mlistctl_club - "mlistctl club create|list|show|set|delete".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "club.h"
#include "conf.h"
#include "mlistctl.h"
#include "store.h"
#include "xalloc.h"

/* put_setting - validate and store one setting */
static int
put_setting(struct mlistctl *c, int64_t club, const char *key,
	    const char *value)
{
	const char *why;
	char *v = club_check(key, value, &why);
	int rc;

	if (v == NULL)
		return mlistctl_usage("%s: %s", key, why);
	rc = store_club_put(c->store, club, key, v);
	free(v);
	return rc == 0 ? 0 : mlistctl_db_error(c, key);
}

static int
club_create(struct mlistctl *c)
{
	const char *opts[] = {"title", "lang", "policy"};
	const char *vals[3];
	int64_t id;
	int rc;

	for (int i = 0; i < 3; i++)
		if (mlistctl_opt(c, opts[i], &vals[i]) < 0)
			return mlistctl_usage("--%s needs a value", opts[i]);
	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 1)
		return mlistctl_usage("club create needs one NAME");
	if (!addr_valid_club(c->argv[0]))
		return mlistctl_usage(
		    "%s: a club name is 1-24 characters of a-z, "
		    "0-9, '.', '_' and '-', starting with a "
		    "letter or digit",
		    c->argv[0]);
	if (store_begin(c->store) < 0)
		return mlistctl_db_error(c, "begin");
	rc = store_club_create(c->store, c->argv[0], clock_now(), &id);
	if (rc == STORE_EXISTS) {
		store_rollback(c->store);
		return mlistctl_fail(CTL_NOTFOUND, "%s: club already exists",
				     c->argv[0]);
	}
	if (rc != 0) {
		store_rollback(c->store);
		return mlistctl_db_error(c, "club create");
	}
	for (int i = 0; i < 3; i++)
		if (vals[i] &&
		    (rc = put_setting(c, id, opts[i], vals[i])) != 0) {
			store_rollback(c->store);
			return rc;
		}
	if (store_commit(c->store) < 0)
		return mlistctl_db_error(c, "commit");
	if (!c->json)
		printf("club %s created: post to %s@%s\n", c->argv[0],
		       c->argv[0], c->conf->domain);
	return 0;
}

/* count_members - members of a club */
static size_t
count_members(struct mlistctl *c, int64_t id)
{
	struct store_member *m;
	size_t n = 0;

	if (store_member_list(c->store, id, &m, &n) < 0)
		return 0;
	store_member_list_free(m, n);
	return n;
}

static int
club_list(struct mlistctl *c)
{
	struct store_club *clubs;
	struct buf out = BUF_INIT;
	size_t n;

	if (c->argc != 0)
		return mlistctl_usage("club list takes no arguments");
	if (store_club_list(c->store, &clubs, &n) < 0)
		return mlistctl_db_error(c, "club list");
	if (c->json)
		buf_putc(&out, '[');
	for (size_t i = 0; i < n; i++) {
		char *title = club_get(c->store, c->conf, clubs[i].id,
				       clubs[i].name, "title");
		char *lang = club_get(c->store, c->conf, clubs[i].id,
				      clubs[i].name, "lang");
		char created[21];
		size_t members = count_members(c, clubs[i].id);

		clock_format(clubs[i].created, created);
		if (c->json) {
			buf_puts(&out, i ? ",{\"name\":" : "{\"name\":");
			buf_json_str(&out, clubs[i].name);
			buf_puts(&out, ",\"title\":");
			buf_json_str(&out, title);
			buf_puts(&out, ",\"lang\":");
			buf_json_str(&out, lang);
			buf_printf(&out, ",\"members\":%zu,\"created\":\"%s\"}",
				   members, created);
		} else
			buf_printf(&out, "%s\t%zu\t%s\n", clubs[i].name,
				   members, title);
		free(title);
		free(lang);
	}
	if (c->json)
		buf_puts(&out, "]\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	store_club_list_free(clubs, n);
	return 0;
}

static int
club_show(struct mlistctl *c)
{
	const char *const *keys = club_keys();
	struct buf out = BUF_INIT;
	int64_t id;
	int rc;

	if (c->argc != 1)
		return mlistctl_usage("club show needs NAME");
	if ((rc = mlistctl_club(c, c->argv[0], &id)) != 0)
		return rc;
	if (c->json) {
		buf_puts(&out, "{\"name\":");
		buf_json_str(&out, c->argv[0]);
		buf_printf(&out, ",\"members\":%zu", count_members(c, id));
	} else
		buf_printf(&out, "name = %s\nmembers = %zu\n", c->argv[0],
			   count_members(c, id));
	for (size_t i = 0; keys[i]; i++) {
		char *v = club_get(c->store, c->conf, id, c->argv[0], keys[i]);

		if (c->json) {
			buf_printf(&out, ",\"%s\":", keys[i]);
			buf_json_str(&out, v);
		} else
			buf_printf(&out, "%s = %s\n", keys[i], v);
		free(v);
	}
	if (c->json)
		buf_puts(&out, "}\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	return 0;
}

static int
club_set(struct mlistctl *c)
{
	int64_t id;
	int rc;

	if (c->argc != 3)
		return mlistctl_usage("club set needs NAME KEY VALUE");
	if ((rc = mlistctl_club(c, c->argv[0], &id)) != 0)
		return rc;
	return put_setting(c, id, c->argv[1], c->argv[2]);
}

static int
club_delete(struct mlistctl *c)
{
	int rc;

	if (c->argc != 1)
		return mlistctl_usage("club delete needs NAME");
	rc = store_club_delete(c->store, c->argv[0]);
	if (rc == STORE_NOTFOUND)
		return mlistctl_fail(CTL_NOTFOUND, "%s: no such club",
				     c->argv[0]);
	return rc == 0 ? 0 : mlistctl_db_error(c, "club delete");
}

int
mlistctl_club_cmd(struct mlistctl *c, const char *verb)
{
	if (strcmp(verb, "create") == 0)
		return club_create(c);
	if (strcmp(verb, "list") == 0)
		return club_list(c);
	if (strcmp(verb, "show") == 0)
		return club_show(c);
	if (strcmp(verb, "set") == 0)
		return club_set(c);
	if (strcmp(verb, "delete") == 0)
		return club_delete(c);
	return mlistctl_usage("unknown club subcommand %s", verb);
}
