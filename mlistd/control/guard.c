/*
 * guard - when mlistd may answer a mail automatically (see guard.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard.h"
#include "msg.h"
#include "store.h"

/* precedence_auto - Precedence: bulk, junk, list or auto_reply (the
   parser leaves list out of is_auto: a list's post is no robot, but it
   is never to be answered either) */
static bool
precedence_auto(const char *raw, size_t len)
{
	static const char *const words[] = {"bulk", "junk", "list",
					    "auto_reply"};
	char *v = msg_header_value(raw, len, "Precedence"), *p;
	bool yes = false;
	size_t n;

	if (v == NULL)
		return false;
	for (p = v; *p == ' ' || *p == '\t'; p++)
		;
	n = strcspn(p, " \t;(\r\n");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && strncasecmp(p, words[i], n) == 0)
			yes = true;
	free(v);
	return yes;
}

/* robot_address - a local part that RFC 3834 (section 2) says never
   to answer: MAILER-DAEMON, LISTSERV, majordomo, owner-*, *-request,
   and list software's *-bounces */
static bool
robot_address(const char *addr)
{
	static const char *const names[] = {"mailer-daemon", "listserv",
					    "majordomo"};
	const char *at = strrchr(addr, '@');
	size_t n = at ? (size_t)(at - addr) : strlen(addr);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == strlen(names[i]) &&
		    strncasecmp(addr, names[i], n) == 0)
			return true;
	return strncasecmp(addr, "owner-", 6) == 0 ||
	       (n > 8 && strncasecmp(addr + n - 8, "-request", 8) == 0) ||
	       (n > 8 && strncasecmp(addr + n - 8, "-bounces", 8) == 0);
}

const char *
guard_why_not(const struct msg *m, const char *raw, size_t len,
	      bool null_sender)
{
	if (null_sender || m->is_bounce)
		return "bounce";
	if (m->is_auto || precedence_auto(raw, len))
		return "auto";
	/* any list's mail: ours coming back (a copy, a notice), or a
	   list a member forwards to us */
	if (m->list_id)
		return "list";
	if (m->from_addr == NULL || *m->from_addr == '\0')
		return "no-from";
	if (robot_address(m->from_addr))
		return "robot";
	return NULL;
}

int
guard_count(struct store *s, const char *addr, time_t now)
{
	return store_reply_count(s, addr, now - now % 86400, GUARD_MAX_DAY);
}

int
guard_may_answer(struct store *s, const struct msg *m, const char *raw,
		 size_t len, bool null_sender, time_t now, const char **why_r)
{
	int rc;

	if ((*why_r = guard_why_not(m, raw, len, null_sender)) != NULL)
		return 0;
	rc = guard_count(s, m->from_addr, now);
	if (rc == 0)
		*why_r = "limit";
	return rc;
}
