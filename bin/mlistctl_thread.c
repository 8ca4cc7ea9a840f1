/*
 * mlistctl_thread - "mlistctl thread CLUB KEY ACTION": the animator
 * controls of DIGEST.md 1.8, through the store function the mail
 * commands share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "mlistctl.h"
#include "store.h"
#include "strutil.h"
#include "xalloc.h"

static const char *const actions[] = {
    "pin", "close", "reopen", "mute", "mark-answered", "approve-debate", NULL};

int
mlistctl_thread_cmd(struct mlistctl *c)
{
	const char *action;
	char *key, *end;
	long issues = 1;
	int64_t club;
	int rc;
	size_t i;

	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc < 3)
		return mlistctl_usage("thread needs CLUB KEY ACTION");
	action = c->argv[2];
	for (i = 0; actions[i] && strcmp(actions[i], action) != 0; i++)
		;
	if (actions[i] == NULL)
		return mlistctl_usage("%s: the action is pin, close, reopen, "
				      "mute, mark-answered or approve-debate",
				      action);
	if (c->argc > 4 || (c->argc == 4 && strcmp(action, "pin") != 0))
		return mlistctl_usage("only pin takes an argument (ISSUES)");
	if (c->argc == 4) {
		issues = strtol(c->argv[3], &end, 10);
		if (*end || end == c->argv[3] || issues < 1 || issues > 52)
			return mlistctl_usage("pin ISSUES: a number of issues "
					      "from 1 to 52");
	}
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	key = str_lower(xstrdup(c->argv[1]));
	rc = store_thread_control(c->store, club, key, action, (int)issues,
				  clock_now());
	if (rc == STORE_NOTFOUND)
		rc = mlistctl_fail(CTL_NOTFOUND,
				   "%s: no thread of %s has this key",
				   c->argv[1], c->argv[0]);
	else if (rc != 0)
		rc = mlistctl_db_error(c, "thread");
	free(key);
	return rc;
}
