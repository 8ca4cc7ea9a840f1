/*
 * command - the member and animator commands of SPEC.md 6, read from a
 * mail to acme+request@.
 *
 * The Subject is read first (reply and forward markers skipped), then
 * the quote-stripped body (msg_text_strip: quoted text and signature
 * gone) line by line up to the first line that is not a command, so the
 * text after the commands is ignored.  Words are English or French,
 * matched with case and accents folded.  At most COMMAND_MAX are kept.
 * Pure functions over UTF-8 text; the work is linear in the input.
 */
#ifndef MLISTD_COMMAND_H
#define MLISTD_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#define COMMAND_MAX 10
#define COMMAND_ARG_MAX 512

enum command_kind {
	CMD_SUBSCRIBE,
	CMD_UNSUBSCRIBE,
	CMD_HIGHLIGHTS, /* arg: daily | weekly | off */
	CMD_DELIVERY,	/* arg: each | digest | none */
	CMD_PROFILE,	/* arg: the text */
	CMD_WHO,
	CMD_INVITE, /* arg: the address */
	CMD_HELP,
	CMD_MODERATE,	/* arg: the address */
	CMD_UNMODERATE, /* arg: the address */
	CMD_EMERGENCY,	/* arg: on | off */
	CMD_QUIET,	/* arg: "FROM..TO" (the club setting), or "off" */
	CMD_THREAD,	/* action: pin | close | reopen | mute | unmute |
			   mark-answered; arg: the thread key */
	CMD_IGNORE,	/* arg: the address whose threads a member hides */
	CMD_UNIGNORE,	/* arg: the address */
	CMD_BAD,	/* a command word with a missing or bad argument */
};

struct command {
	enum command_kind kind;
	char action[16];
	char arg[COMMAND_ARG_MAX];
	char line[128]; /* as written, trimmed (for the reply) */
};

/* command_parse - the commands of subject and body (either may be
   NULL); returns how many were stored in out (at most max), *capped_r
   set when more were found */
size_t command_parse(const char *subject, const char *body, struct command *out,
		     size_t max, bool *capped_r);

/* command_line - the canonical English line of c (what a confirmation
   stores and parses again); caller frees */
char *command_line(const struct command *c);

/* command_changes - c changes something, so it waits for the
   confirmation round-trip (help and who do not) */
bool command_changes(const struct command *c);

#endif
