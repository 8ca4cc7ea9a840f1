/*
 * guard - when mlistd may answer a mail automatically (see guard.h).
 */
#include <stddef.h>

#include "guard.h"
#include "msg.h"
#include "store.h"

const char *
guard_why_not(const struct msg *m, bool null_sender)
{
	if (null_sender || m->is_bounce)
		return "bounce";
	if (m->is_auto)
		return "auto";
	/* any list's mail: ours coming back (a copy, a notice), or a
	   list a member forwards to us */
	if (m->list_id)
		return "list";
	if (m->from_addr == NULL || *m->from_addr == '\0')
		return "no-from";
	return NULL;
}

int
guard_count(struct store *s, const char *addr, time_t now)
{
	return store_reply_count(s, addr, now - now % 86400, GUARD_MAX_DAY);
}

int
guard_may_answer(struct store *s, const struct msg *m, bool null_sender,
		 time_t now, const char **why_r)
{
	int rc;

	if ((*why_r = guard_why_not(m, null_sender)) != NULL)
		return 0;
	rc = guard_count(s, m->from_addr, now);
	if (rc == 0)
		*why_r = "limit";
	return rc;
}
