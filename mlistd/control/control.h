/*
 * control - answering mail to a club's control addresses (SPEC.md 4, 6):
 * acme+subscribe@, +unsubscribe@, +help@, +owner@, +request@,
 * +confirm-q.ID.EXP.MAC@ (a pending request) and +unsub-TOKEN@.
 *
 * Nothing is done for mail the guards refuse (guard.h).  A state change
 * is made only by a token the rightful person received: the From header
 * alone never authorizes anything, so a request first gets a
 * confirmation mail whose token (7 days, single use) names the pending
 * row and whose MAC covers the address that asked.  Every mail handled
 * gets at most one answer, in the club's language, stored with role
 * "answer" and purged with control mail.
 *
 * Runs in the committer's write transaction; the commands were parsed
 * before it (command_parse in intake's prepare_job).
 */
#ifndef MLISTD_CONTROL_H
#define MLISTD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "token.h"

#define CONTROL_CONFIRM_LIFE (7 * 86400)
/* +owner@ mail larger than this is forwarded without the original: a
   forged sender must not make the store copy 10 MB per animator */
#define CONTROL_FORWARD_MAX (1024 * 1024)

struct command;
struct conf;
struct msg;
struct store;

struct control_in {
	int64_t club;
	const char *club_name;
	enum addr_role role;
	const char *arg; /* the token, for confirm and unsub */
	const struct msg *msg;
	const char *raw; /* for the owner forward */
	size_t len;
	bool null_sender;
	const char *guard; /* guard_why_not(msg, raw, len, null_sender),
			      judged before the write transaction */
	const struct command *cmds; /* +request@: parsed commands */
	size_t ncmds;
	bool capped; /* more than COMMAND_MAX commands were sent */
};

/* control_handle - act on one control mail; 0 with a short outcome in
   status (for the log), -1 on a database error (status says why) */
int control_handle(struct store *s, const struct conf *conf,
		   const unsigned char key[TOKEN_KEY_LEN],
		   const struct control_in *in, time_t now, char *status,
		   size_t statussz);

/* control_is_pending_token - arg is a confirmation of a pending request
   ("q.ID...": control's) rather than a bounce probe's */
bool control_is_pending_token(const char *arg);

/* control_check_token - the RCPT check of a confirmation token naming a
   pending request: its MAC covers the request's address, so the row is
   read (s: a reader); a token naming no row is forged (or older than
   the rows are kept).  0 with *st_r, -1 on a database error */
int control_check_token(struct store *s, const unsigned char key[TOKEN_KEY_LEN],
			const char *club, const char *arg, time_t now,
			enum token_status *st_r);

/* control_thread_action - an animator's pin/close/reopen/mute/
   mark-answered on thread key or an alias: 0 done, 1 no such thread,
   -1 error */
int control_thread_action(struct store *s, int64_t club, const char *key,
			  const char *action, time_t now);

#endif
