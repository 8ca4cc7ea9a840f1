/*
 * control - answering mail to a club's control addresses (see
 * control.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "club.h"
#include "command.h"
#include "conf.h"
#include "control.h"
#include "guard.h"
#include "log.h"
#include "msg.h"
#include "notice.h"
#include "store.h"
#include "tmpl.h"
#include "xalloc.h"

struct ctx {
	struct store *s;
	const struct conf *conf;
	const unsigned char *key;
	int64_t club;
	const char *club_name;
	time_t now;
};

/* address - "club+sub@domain" (sub NULL: the post address) */
static char *
address(const struct ctx *c, const char *sub)
{
	if (sub == NULL)
		return xasprintf("%s@%s", c->club_name, c->conf->domain);
	return xasprintf("%s%c%s@%s", c->club_name, c->conf->delimiter, sub,
			 c->conf->domain);
}

/* ours - addr is in the clubs' domain */
static bool
ours(const struct conf *conf, const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at && strcasecmp(at + 1, conf->domain) == 0;
}

/* set_addr - var = the club's address for sub, var_url its link */
static void
set_addr(const struct ctx *c, struct tmpl_vars *v, const char *var,
	 const char *sub)
{
	char *a = address(c, sub), name[64];

	tmpl_vars_set(v, var, a);
	snprintf(name, sizeof(name), "%s_url", var);
	tmpl_vars_setf(v, name, "mailto:%s", a);
	free(a);
}

/* vars - a variables set with the club's addresses every template may
   use */
static struct tmpl_vars *
vars(const struct ctx *c)
{
	struct tmpl_vars *v = tmpl_vars_new();

	set_addr(c, v, "club_address", NULL);
	set_addr(c, v, "request_address", "request");
	set_addr(c, v, "help_address", "help");
	set_addr(c, v, "subscribe_address", "subscribe");
	set_addr(c, v, "unsubscribe_address", "unsubscribe");
	set_addr(c, v, "owner_address", "owner");
	return v;
}

/* send - template name to `to`, counted against to's daily limit when
   counted; 1 sent, 0 not (limit, broken template), -1 error */
static int
send(const struct ctx *c, const char *name, struct tmpl_vars *v, const char *to,
     const char *reply_to, const char *attach, size_t attach_len, bool counted)
{
	struct notice_to nt = {0, to, reply_to};
	struct notice_opts o = {"answer", attach, attach_len, NULL, NULL};
	char *err = NULL;
	int rc;

	if (counted && (rc = guard_count(c->s, to, c->now)) <= 0) {
		if (rc == 0)
			log_info(
			    "control: club=%s to=<%s>: no %s, %d automatic "
			    "replies already today",
			    c->club_name, to, name, GUARD_MAX_DAY);
		return rc;
	}
	rc = notice_queue_opts(c->s, c->conf, c->club, c->club_name, name, v,
			       &nt, 1, &o, c->now, &err);
	if (rc == 1)
		log_warn("control: club=%s template %s: %s", c->club_name, name,
			 err);
	free(err);
	return rc < 0 ? -1 : rc == 0;
}

bool
control_is_pending_token(const char *arg)
{
	return strncmp(arg, "q.", 2) == 0;
}

/* pending_id - the row a "q.ID" argument names, 0 if none */
static int64_t
pending_id(const char *arg)
{
	char *end;
	unsigned long long id;

	if (!control_is_pending_token(arg))
		return 0;
	id = strtoull(arg + 2, &end, 36);
	return end != arg + 2 && (*end == '\0' || *end == '.') ? (int64_t)id
							       : 0;
}

int
control_check_token(struct store *s, const unsigned char key[TOKEN_KEY_LEN],
		    const char *club, const char *arg, time_t now,
		    enum token_status *st_r)
{
	struct store_pending p;
	char got[65];
	int rc;

	*st_r = TOKEN_FORGED;
	if (pending_id(arg) == 0)
		return 0;
	if ((rc = store_pending_get(s, pending_id(arg), &p)) != 0)
		return rc < 0 ? -1 : 0;
	*st_r = token_check_bound(key, club, "confirm", arg, p.address, now,
				  got, sizeof(got));
	store_pending_clear(&p);
	return 0;
}

/* new_pending - a request of kind for addr, and the confirmation
   address its token makes (caller frees); -1 on error */
static int
new_pending(const struct ctx *c, const char *kind, const char *addr,
	    const char *commands, const char *invited_by, char **confirm_r)
{
	struct store_pending p = {0};
	char arg[24], b[14], *tok;
	int64_t id;

	p.club = c->club;
	p.address = addr;
	p.kind = kind;
	p.commands = commands;
	p.invited_by = invited_by;
	p.created = c->now;
	p.expires = c->now + CONTROL_CONFIRM_LIFE;
	if (store_pending_add(c->s, &p, &id) < 0)
		return -1;
	token_b36((unsigned long long)id, b);
	snprintf(arg, sizeof(arg), "q.%s", b);
	tok = token_make_bound(c->key, c->club_name, "confirm", arg, addr,
			       p.expires);
	*confirm_r = xasprintf("%s%cconfirm-%s@%s", c->club_name,
			       c->conf->delimiter, tok, c->conf->domain);
	free(tok);
	return 0;
}

/* set_confirm - the confirmation address and link in v */
static void
set_confirm(const struct ctx *c, struct tmpl_vars *v, const char *confirm)
{
	char day[32];
	time_t until = c->now + CONTROL_CONFIRM_LIFE;
	struct tm tm;

	tmpl_vars_set(v, "confirm_address", confirm);
	tmpl_vars_setf(v, "confirm_url", "mailto:%s?subject=confirm", confirm);
	gmtime_r(&until, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	tmpl_vars_set(v, "expiry_date", day);
}

/* result - one line of a command reply: what was asked and one flag
   saying what became of it (the template words each flag) */
static void
result(struct tmpl_vars *v, const char *line, const char *flag)
{
	struct tmpl_vars *it = tmpl_vars_list_add(v, "results");

	tmpl_vars_set(it, "line", line);
	tmpl_vars_set(it, flag, "1");
}

/* member_role - the role of addr in the club ("member", "animator"),
   NULL when not a member; -1 on error */
static int
member_role(const struct ctx *c, const char *addr, char **role_r)
{
	struct store_member m;
	int rc = store_member_get(c->s, c->club, addr, &m);

	*role_r = NULL;
	if (rc < 0)
		return -1;
	if (rc == 0) {
		*role_r = xstrdup(m.role);
		store_member_clear(&m);
	}
	return 0;
}

/* refusal - the outcome when the club's policy refuses a newcomer
   (invited_by: through a member's invite), NULL when it does not */
static const char *
refusal(const char *policy, const char *invited_by)
{
	if (strcmp(policy, "closed") == 0)
		return "refused_closed";
	if (strcmp(policy, "invite") == 0 && invited_by == NULL)
		return "refused_invite";
	return NULL;
}

/* start_join - addr asks to join (invited_by: through a member's
   invite): policy checked, then a confirmation mailed to addr, at most
   one per address and day.  *outcome_r names what happened (a result
   flag) */
static int
start_join(const struct ctx *c, const char *addr, const char *invited_by,
	   const char **outcome_r)
{
	char *policy = NULL, *role = NULL, *confirm = NULL;
	struct tmpl_vars *v = NULL;
	int rc = -1, recent;

	if (club_read(c->s, c->conf, c->club, c->club_name, "policy", &policy) <
		0 ||
	    member_role(c, addr, &role) < 0)
		goto out;
	rc = 0;
	if (role) {
		*outcome_r = "already_member";
		goto out;
	}
	if ((*outcome_r = refusal(policy, invited_by)) != NULL)
		goto out;
	/* a flood of forged requests sends each address one mail a day */
	recent = store_pending_recent(c->s, c->club, addr, "subscribe",
				      c->now - 86400);
	if (recent != 0) {
		rc = recent < 0 ? -1 : 0;
		*outcome_r = "already_asked";
		goto out;
	}
	if ((rc = new_pending(c, "subscribe", addr, NULL, invited_by,
			      &confirm)) < 0)
		goto out;
	v = vars(c);
	tmpl_vars_set(v, "subscribe", "1");
	tmpl_vars_set(v, "address", addr);
	tmpl_vars_set(v, "invited_by", invited_by);
	set_confirm(c, v, confirm);
	rc = send(c, "confirm", v, addr, confirm, NULL, 0, true);
	*outcome_r = rc > 0 ? "confirm_sent" : "limit";
	rc = rc < 0 ? -1 : 0;
out:
	tmpl_vars_free(&v);
	free(policy);
	free(role);
	free(confirm);
	return rc;
}

/* welcome_vars - what the welcome (and a reply that joined) shows */
static void
welcome_vars(struct tmpl_vars *v, const char *addr, const char *invited_by)
{
	tmpl_vars_set(v, "member_address", addr);
	tmpl_vars_set(v, "invited_by", invited_by);
}

/* join - addr proved its address: add it (or ask the animators under
   policy approve, unless approved is set).  welcome: send the welcome
   mail (else the caller's reply says it).  *outcome_r as start_join */
static int
join(const struct ctx *c, const char *addr, const char *invited_by,
     bool approved, bool welcome, const char **outcome_r)
{
	char *policy = NULL, *confirm = NULL;
	struct tmpl_vars *v = NULL;
	int rc = -1;

	if (club_read(c->s, c->conf, c->club, c->club_name, "policy", &policy) <
	    0)
		goto out;
	if (!approved && (*outcome_r = refusal(policy, invited_by)) != NULL) {
		rc = 0;
		goto out;
	}
	if (!approved && strcmp(policy, "approve") == 0) {
		struct store_recipient *an = NULL;
		size_t n = 0;

		if (new_pending(c, "approve", addr, NULL, invited_by,
				&confirm) < 0 ||
		    store_animators(c->s, c->club, &an, &n) < 0) {
			store_recipients_free(an, n);
			goto out;
		}
		v = vars(c);
		tmpl_vars_set(v, "member_address", addr);
		tmpl_vars_set(v, "invited_by", invited_by);
		set_confirm(c, v, confirm);
		rc = 0;
		for (size_t i = 0; i < n && rc >= 0; i++)
			rc = send(c, "approve-request", v, an[i].address,
				  confirm, NULL, 0, false);
		store_recipients_free(an, n);
		*outcome_r = "awaiting_approval";
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	rc = store_member_add(c->s, c->club, addr, NULL, "member", "each",
			      c->now);
	if (rc == STORE_EXISTS) {
		*outcome_r = "already_member";
		rc = 0;
		goto out;
	}
	if (rc < 0 ||
	    (invited_by && store_member_set(c->s, c->club, addr, "invited_by",
					    invited_by) < 0)) {
		rc = -1;
		goto out;
	}
	log_info("control: club=%s member=<%s> joined%s%s", c->club_name, addr,
		 invited_by ? " invited by " : "",
		 invited_by ? invited_by : "");
	*outcome_r = "joined";
	if (welcome) {
		v = vars(c);
		welcome_vars(v, addr, invited_by);
		rc = send(c, "welcome", v, addr, NULL, NULL, 0, true);
	}
	rc = rc < 0 ? -1 : 0;
out:
	tmpl_vars_free(&v);
	free(policy);
	free(confirm);
	return rc;
}

/* leave - addr leaves the club; goodbye: send the goodbye mail */
static int
leave(const struct ctx *c, const char *addr, bool goodbye,
      const char **outcome_r)
{
	struct tmpl_vars *v;
	int rc =
	    store_member_remove(c->s, c->club, addr, c->now, "unsubscribe");

	if (rc < 0)
		return -1;
	if (rc == STORE_NOTFOUND) {
		*outcome_r = "not_subscribed";
		return 0;
	}
	log_info("control: club=%s member=<%s> left", c->club_name, addr);
	*outcome_r = "left";
	if (!goodbye)
		return 0;
	v = vars(c);
	tmpl_vars_set(v, "member_address", addr);
	rc = send(c, "goodbye", v, addr, NULL, NULL, 0, true);
	tmpl_vars_free(&v);
	return rc < 0 ? -1 : 0;
}

int
control_thread_action(struct store *s, int64_t club, const char *key,
		      const char *action, time_t now)
{
	/* by mail a pin lasts one issue, as "mlistctl thread KEY pin" */
	int rc = store_thread_control(s, club, key, action, 1, now);

	return rc == STORE_NOTFOUND ? 1 : rc < 0 ? -1 : 0;
}

/* directory - the members who opted in to be featured, for "who" */
static int
directory(const struct ctx *c, struct tmpl_vars *v)
{
	struct store_member *m = NULL;
	size_t n = 0;

	if (store_member_list(c->s, c->club, &m, &n) < 0) {
		store_member_list_free(m, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct tmpl_vars *it;

		if (!m[i].featured || strcmp(m[i].status, "active") != 0)
			continue;
		it = tmpl_vars_list_add(v, "directory");
		tmpl_vars_set(it, "name", m[i].name);
		tmpl_vars_set(it, "company", m[i].company);
		tmpl_vars_set(it, "address", m[i].address);
	}
	store_member_list_free(m, n);
	return 0;
}

/* apply - one confirmed command of addr (role: its role in the club, or
   NULL); the outcome flag in *outcome_r */
static int
apply(const struct ctx *c, const char *addr, const char *role,
      const struct command *cmd, struct tmpl_vars *v, const char **outcome_r)
{
	bool animator = role && strcmp(role, "animator") == 0;
	int rc;

	*outcome_r = "ok";
	switch (cmd->kind) {
	case CMD_SUBSCRIBE:
		if ((rc = join(c, addr, NULL, false, false, outcome_r)) == 0 &&
		    strcmp(*outcome_r, "joined") == 0)
			welcome_vars(v, addr, NULL);
		return rc;
	case CMD_UNSUBSCRIBE:
		return leave(c, addr, false, outcome_r);
	case CMD_INVITE:
		if (role == NULL) {
			*outcome_r = "not_member";
			return 0;
		}
		if (ours(c->conf, cmd->arg)) {
			*outcome_r = "bad";
			return 0;
		}
		if ((rc = start_join(c, cmd->arg, addr, outcome_r)) == 0 &&
		    strcmp(*outcome_r, "confirm_sent") == 0)
			*outcome_r = "invited";
		return rc;
	case CMD_HIGHLIGHTS:
	case CMD_DELIVERY:
	case CMD_PROFILE:
		if (role == NULL) {
			*outcome_r = "not_member";
			return 0;
		}
		rc = store_member_set(c->s, c->club, addr,
				      cmd->kind == CMD_HIGHLIGHTS ? "highlights"
				      : cmd->kind == CMD_DELIVERY ? "delivery"
								  : "profile",
				      cmd->arg);
		return rc < 0 ? -1 : 0;
	case CMD_MODERATE:
	case CMD_UNMODERATE:
		if (!animator) {
			*outcome_r = "not_animator";
			return 0;
		}
		rc = store_member_set(c->s, c->club, cmd->arg, "moderated",
				      cmd->kind == CMD_MODERATE ? "1" : "0");
		if (rc == STORE_NOTFOUND)
			*outcome_r = "no_such_member";
		return rc < 0 ? -1 : 0;
	case CMD_EMERGENCY:
		if (!animator) {
			*outcome_r = "not_animator";
			return 0;
		}
		/* off goes back to the default, newcomers (README) */
		return store_club_put(
		    c->s, c->club, "moderation",
		    strcmp(cmd->arg, "on") == 0 ? "emergency" : "newcomers");
	case CMD_QUIET:
		if (!animator) {
			*outcome_r = "not_animator";
			return 0;
		}
		/* the period replaces the club's "quiet" setting; off
		   clears it (README) */
		return store_club_put(c->s, c->club, "quiet",
				      strcmp(cmd->arg, "off") == 0 ? ""
								   : cmd->arg);
	case CMD_IGNORE:
	case CMD_UNIGNORE:
		if (role == NULL) {
			*outcome_r = "not_member";
			return 0;
		}
		rc = store_member_ignore(c->s, c->club, addr, cmd->arg,
					 cmd->kind == CMD_IGNORE);
		return rc < 0 ? -1 : 0;
	case CMD_THREAD:
		/* a member's mute, and anyone's unmute, hide the thread
		   from their own digest only (DIGEST 2.3 D5) */
		if (role && (strcmp(cmd->action, "unmute") == 0 ||
			     (!animator && strcmp(cmd->action, "mute") == 0))) {
			rc =
			    store_member_mute(c->s, c->club, addr, cmd->arg,
					      strcmp(cmd->action, "mute") == 0);
			if (rc == STORE_NOTFOUND)
				*outcome_r = "no_such_thread";
			return rc < 0 ? -1 : 0;
		}
		if (!animator) {
			*outcome_r = role ? "not_animator" : "not_member";
			return 0;
		}
		rc = control_thread_action(c->s, c->club, cmd->arg, cmd->action,
					   c->now);
		if (rc == 1)
			*outcome_r = "no_such_thread";
		return rc < 0 ? -1 : 0;
	case CMD_WHO:
	case CMD_HELP:
	case CMD_BAD:
		break;
	}
	return 0;
}

/* reads - help and who, answered at once: the reply goes to the From
   mailbox, so "who" shows the directory only to the member's own
   mailbox even when From is forged */
static int
reads(const struct ctx *c, const char *addr, const char *role,
      const struct command *cmd, struct tmpl_vars *v)
{
	if (cmd->kind == CMD_HELP) {
		tmpl_vars_set(v, "help", "1");
		result(v, cmd->line, "ok");
		return 0;
	}
	(void)addr;
	if (role == NULL) {
		result(v, cmd->line, "not_member");
		return 0;
	}
	tmpl_vars_set(v, "who", "1");
	result(v, cmd->line, "ok");
	return directory(c, v);
}

/* request - commands to acme+request@: reads answered, changes listed
   with one confirmation for all of them, in one reply */
static int
request(const struct ctx *c, const struct control_in *in, const char *from)
{
	struct tmpl_vars *v = vars(c);
	struct buf lines = BUF_INIT;
	char *role = NULL, *confirm = NULL;
	int rc = -1;

	if (member_role(c, from, &role) < 0)
		goto out;
	for (size_t i = 0; i < in->ncmds; i++) {
		const struct command *cmd = &in->cmds[i];

		/* an invite to one of our own addresses would loop */
		if (cmd->kind == CMD_BAD ||
		    (cmd->kind == CMD_INVITE && ours(c->conf, cmd->arg))) {
			result(v, cmd->line, "bad");
		} else if (!command_changes(cmd)) {
			if (reads(c, from, role, cmd, v) < 0)
				goto out;
		} else {
			char *l = command_line(cmd);

			buf_printf(&lines, "%s\n", l);
			free(l);
			result(v, cmd->line, "pending");
		}
	}
	if (in->ncmds == 0) {
		tmpl_vars_set(v, "no_command", "1");
		tmpl_vars_set(v, "help", "1");
	}
	if (in->capped)
		tmpl_vars_setf(v, "capped", "%d", COMMAND_MAX);
	if (lines.len) {
		if (new_pending(c, "commands", from, buf_cstr(&lines), NULL,
				&confirm) < 0)
			goto out;
		set_confirm(c, v, confirm);
	}
	tmpl_vars_set(v, "address", from);
	rc = send(c, "reply", v, from, confirm, NULL, 0, true) < 0 ? -1 : 0;
out:
	buf_free(&lines);
	tmpl_vars_free(&v);
	free(role);
	free(confirm);
	return rc;
}

/* confirmed_commands - the round-trip proved p's address: apply what it
   asked, one reply */
static int
confirmed_commands(const struct ctx *c, const struct store_pending *p)
{
	struct command cmds[COMMAND_MAX];
	struct tmpl_vars *v = vars(c);
	char *role = NULL;
	bool capped;
	size_t n = command_parse(NULL, p->commands, cmds, COMMAND_MAX, &capped);
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		const char *outcome;
		char *line = command_line(&cmds[i]);

		free(role);
		/* each command sees the effect of the ones before it */
		if (member_role(c, p->address, &role) < 0 ||
		    apply(c, p->address, role, &cmds[i], v, &outcome) < 0) {
			free(line);
			goto out;
		}
		result(v, line, outcome);
		free(line);
	}
	/* a list command is activity (DIGEST 2.1's dormant rule) */
	if (n && store_member_touch(c->s, c->club, p->address, c->now) < 0)
		goto out;
	tmpl_vars_set(v, "address", p->address);
	rc = send(c, "reply", v, p->address, NULL, NULL, 0, true) < 0 ? -1 : 0;
out:
	tmpl_vars_free(&v);
	free(role);
	return rc;
}

/* answer - template name to `to` (counted) with the club's addresses,
   address = to, and flag set: alone, or with line as the one result of
   a command reply */
static int
answer(const struct ctx *c, const char *name, const char *to, const char *flag,
       const char *line)
{
	struct tmpl_vars *v = vars(c);
	int rc;

	tmpl_vars_set(v, "address", to);
	if (line)
		result(v, line, flag);
	else if (flag)
		tmpl_vars_set(v, flag, "1");
	rc = send(c, name, v, to, NULL, NULL, 0, true);
	tmpl_vars_free(&v);
	return rc < 0 ? -1 : 0;
}

/* confirm - a reply to a confirmation (acme+confirm-q.ID...@) */
static int
confirm(const struct ctx *c, const struct control_in *in, char *status,
	size_t statussz)
{
	struct store_pending p;
	const char *outcome = "ok";
	char got[65];
	enum token_status st;
	int rc;

	rc = store_pending_get(c->s, pending_id(in->arg), &p);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	st = token_check_bound(c->key, c->club_name, "confirm", in->arg,
			       p.address, c->now, got, sizeof(got));
	if (st == TOKEN_FORGED || p.club != c->club) {
		store_pending_clear(&p);
		return 0;
	}
	if (st == TOKEN_EXPIRED || p.used) {
		snprintf(status, statussz, "confirmation %s",
			 st == TOKEN_EXPIRED ? "expired" : "already used");
		rc = answer(c, "token-expired", in->msg->from_addr,
			    st == TOKEN_EXPIRED ? "expired" : "used", NULL);
		store_pending_clear(&p);
		return rc;
	}
	if ((rc = store_pending_use(c->s, p.id, c->now)) != 0) {
		store_pending_clear(&p);
		return rc < 0 ? -1 : 0;
	}
	if (strcmp(p.kind, "subscribe") == 0 ||
	    strcmp(p.kind, "approve") == 0) {
		rc = join(c, p.address, p.invited_by,
			  strcmp(p.kind, "approve") == 0, true, &outcome);
		/* refused or waiting: the asker hears it */
		if (rc == 0 && strcmp(outcome, "joined") != 0)
			rc =
			    answer(c, "reply", p.address, outcome, "subscribe");
	} else if (strcmp(p.kind, "unsubscribe") == 0) {
		rc = leave(c, p.address, true, &outcome);
	} else {
		outcome = "commands";
		rc = confirmed_commands(c, &p);
	}
	snprintf(status, statussz, "confirmed %s: %s", p.kind, outcome);
	store_pending_clear(&p);
	return rc;
}

/* token_member - the member a one-click token (unsub-, weekly-) of
   action names, in *m: 0; 1 when there is none (forged: silence;
   expired: said so when reply; gone), -1 on error */
static int
token_member(const struct ctx *c, const struct control_in *in,
	     const char *action, bool reply, struct store_member *m,
	     char *status, size_t statussz)
{
	char arg[65], *end;
	enum token_status st;
	int rc;

	st = token_check(c->key, c->club_name, action, in->arg, c->now, arg,
			 sizeof(arg));
	if (st == TOKEN_FORGED)
		return 1;
	if (st == TOKEN_EXPIRED) {
		snprintf(status, statussz, "%s token expired", action);
		rc = reply ? answer(c, "token-expired", in->msg->from_addr,
				    "expired", NULL)
			   : 0;
		return rc < 0 ? -1 : 1;
	}
	rc = store_member_get_id(c->s, c->club,
				 (int64_t)strtoull(arg, &end, 36), m);
	if (rc != 0) {
		snprintf(status, statussz, "no such member");
		return rc < 0 ? -1 : 1;
	}
	return 0;
}

/* unsub - acme+unsub-TOKEN@: one click, no confirmation (the token
   reached only the member's mailbox); answered only when allowed */
static int
unsub(const struct ctx *c, const struct control_in *in, bool reply,
      char *status, size_t statussz)
{
	struct store_member m;
	const char *outcome;
	int rc = token_member(c, in, "unsub", reply, &m, status, statussz);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = leave(c, m.address, reply, &outcome);
	snprintf(status, statussz, "unsubscribed: %s", outcome);
	store_member_clear(&m);
	return rc;
}

/* weekly - acme+weekly-TOKEN@: "keep weekly" from a dormant member's
   monthly issue (DIGEST 2.1), one click like unsub: it counts as
   activity, so the highlights are weekly again */
static int
weekly(const struct ctx *c, const struct control_in *in, char *status,
       size_t statussz)
{
	struct store_member m;
	int rc = token_member(c, in, "weekly", true, &m, status, statussz);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = store_member_touch(c->s, c->club, m.address, c->now);
	snprintf(status, statussz, "keep weekly: <%s>", m.address);
	if (rc == 0)
		rc = answer(c, "reply", m.address, "ok", "digest weekly");
	store_member_clear(&m);
	return rc < 0 ? -1 : 0;
}

/* subscribe - acme+subscribe@ */
static int
subscribe(const struct ctx *c, const char *from, char *status, size_t statussz)
{
	const char *outcome = "";

	if (start_join(c, from, NULL, &outcome) < 0)
		return -1;
	snprintf(status, statussz, "subscribe: %s", outcome);
	/* a polite refusal */
	if (strcmp(outcome, "refused_closed") == 0)
		return answer(c, "subscribe-refused", from, "closed", NULL);
	if (strcmp(outcome, "refused_invite") == 0)
		return answer(c, "subscribe-refused", from, "invite", NULL);
	if (strcmp(outcome, "already_member") == 0)
		return answer(c, "reply", from, outcome, "subscribe");
	return 0; /* the confirmation is the answer; or none today */
}

/* unsubscribe - acme+unsubscribe@: a confirmation round-trip */
static int
unsubscribe(const struct ctx *c, const char *from, char *status,
	    size_t statussz)
{
	struct tmpl_vars *v = vars(c);
	char *role = NULL, *confirm = NULL;
	int rc = -1, recent;

	if (member_role(c, from, &role) < 0)
		goto out;
	tmpl_vars_set(v, "address", from);
	if (role == NULL) {
		snprintf(status, statussz, "unsubscribe: not a member");
		rc = answer(c, "reply", from, "not_subscribed", "unsubscribe");
		goto out;
	}
	recent = store_pending_recent(c->s, c->club, from, "unsubscribe",
				      c->now - 86400);
	if (recent != 0) {
		snprintf(status, statussz, "unsubscribe: already asked");
		rc = recent;
		goto out;
	}
	if (new_pending(c, "unsubscribe", from, NULL, NULL, &confirm) < 0)
		goto out;
	tmpl_vars_set(v, "unsubscribe", "1");
	set_confirm(c, v, confirm);
	snprintf(status, statussz, "unsubscribe: confirmation sent");
	rc = send(c, "confirm", v, from, confirm, NULL, 0, true);
out:
	tmpl_vars_free(&v);
	free(role);
	free(confirm);
	return rc < 0 ? -1 : 0;
}

/* owner - acme+owner@: forwarded to every animator with the original
   attached, as an answer (purged with control mail); counted against
   the sender's daily limit so one sender cannot flood the animators */
static int
owner(const struct ctx *c, const struct control_in *in, const char *from,
      char *status, size_t statussz)
{
	struct store_recipient *an = NULL;
	struct tmpl_vars *v;
	size_t n = 0;
	int rc;

	if ((rc = guard_count(c->s, from, c->now)) <= 0) {
		snprintf(status, statussz, "owner: not forwarded (limit)");
		return rc;
	}
	if (store_animators(c->s, c->club, &an, &n) < 0) {
		store_recipients_free(an, n);
		return -1;
	}
	v = vars(c);
	tmpl_vars_set(v, "from_address", from);
	tmpl_vars_set(v, "from_name", in->msg->from_name);
	tmpl_vars_set(v, "subject", in->msg->subject);
	if (in->len > CONTROL_FORWARD_MAX)
		tmpl_vars_setf(v, "too_large", "%zu", in->len / 1024);
	rc = 0;
	for (size_t i = 0; i < n && rc >= 0; i++)
		rc = send(c, "owner-forward", v, an[i].address, from,
			  in->len > CONTROL_FORWARD_MAX ? NULL : in->raw,
			  in->len > CONTROL_FORWARD_MAX ? 0 : in->len, false);
	snprintf(status, statussz, "forwarded to %zu animators", n);
	store_recipients_free(an, n);
	tmpl_vars_free(&v);
	return rc < 0 ? -1 : 0;
}

int
control_handle(struct store *s, const struct conf *conf,
	       const unsigned char key[TOKEN_KEY_LEN],
	       const struct control_in *in, time_t now, char *status,
	       size_t statussz)
{
	struct ctx c = {s, conf, key, in->club, in->club_name, now};
	const char *why = in->guard;
	const char *from = in->msg->from_addr;
	int rc = 0;

	/* our own addresses are never answered: a loop */
	if (why == NULL && ours(conf, from))
		why = "ours";

	/* one click from a mail client's unsubscribe button is a person's
	   act even when the client marks it automatic; a bounce is not */
	if (in->role == ADDR_UNSUB && (why == NULL || strcmp(why, "auto") == 0))
		rc = unsub(&c, in, why == NULL, status, statussz);
	else if (why)
		snprintf(status, statussz, "not answered (%s)", why);
	else if (in->role == ADDR_CONFIRM)
		rc = confirm(&c, in, status, statussz);
	else if (in->role == ADDR_WEEKLY)
		rc = weekly(&c, in, status, statussz);
	else if (in->role == ADDR_SUBSCRIBE)
		rc = subscribe(&c, from, status, statussz);
	else if (in->role == ADDR_UNSUBSCRIBE)
		rc = unsubscribe(&c, from, status, statussz);
	else if (in->role == ADDR_OWNER)
		rc = owner(&c, in, from, status, statussz);
	else if (in->role == ADDR_HELP) {
		snprintf(status, statussz, "help sent");
		rc = answer(&c, "help", from, NULL, NULL);
	} else if (in->role == ADDR_REQUEST) {
		snprintf(status, statussz, "%zu commands answered", in->ncmds);
		rc = request(&c, in, from);
	}
	if (rc < 0)
		snprintf(status, statussz, "database error: %s",
			 store_error(s));
	return rc;
}
