/*
 * guard - when mlistd may answer a mail automatically (SPEC.md 6).
 *
 * Never to an auto-generated message (Auto-Submitted other than no,
 * Precedence bulk/junk/list/auto_reply, X-Autoreply, vacation subjects:
 * msg_parse sets is_auto), a bounce (null envelope sender or a DSN), a
 * list's mail (any List-Id, ours included), a robot's address
 * (MAILER-DAEMON, owner-*, *-request...), nor to an address that got
 * GUARD_MAX_DAY automatic replies this UTC day.  Answers go to the From
 * address only.
 */
#ifndef MLISTD_GUARD_H
#define MLISTD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define GUARD_MAX_DAY 10

struct msg;
struct store;

/* guard_why_not - why m (parsed from the len bytes of raw) must never
   be answered ("auto", "bounce", "list", "no-from", "robot"), or NULL when it
   may be; null_sender: the envelope sender was <> */
const char *guard_why_not(const struct msg *m, const char *raw, size_t len,
			  bool null_sender);

/* guard_may_answer - guard_why_not, then count one reply to m's From
   address today: 1 when a reply may go (counted), 0 when not (*why_r
   says why), -1 on a database error; inside the write transaction */
int guard_may_answer(struct store *s, const struct msg *m, const char *raw,
		     size_t len, bool null_sender, time_t now,
		     const char **why_r);

/* guard_count - count one automatic reply to addr today (a notice that
   answers mail but goes elsewhere, e.g. a confirmation to an invitee):
   1 may go, 0 over the day's limit, -1 error */
int guard_count(struct store *s, const char *addr, time_t now);

#endif
