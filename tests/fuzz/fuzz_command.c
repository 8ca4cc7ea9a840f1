/*
 * fuzz_command - a mail to acme+request@ or a reply to a moderation
 * notice, as "Subject LF body": the command parser (command.c) and the
 * moderation reply reader (modreply.c).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "fuzz.h"
#include "modreply.h"

void
fuzz_command(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *body = strchr(s, '\n');
	struct command cmds[COMMAND_MAX];
	struct modreply r;
	bool capped = false;
	size_t n;

	if (body)
		*body++ = '\0';
	n = command_parse(s, body, cmds, COMMAND_MAX, &capped);
	fuzz_check(n <= COMMAND_MAX, "command_parse stored too many");
	for (size_t i = 0; i < n; i++) {
		char *line = command_line(&cmds[i]);

		fuzz_check(memchr(cmds[i].arg, '\0', sizeof(cmds[i].arg)) &&
			       memchr(cmds[i].line, '\0', sizeof(cmds[i].line)),
			   "a command field is not terminated");
		(void)command_changes(&cmds[i]);
		/* a confirmation stores the canonical line and parses it
		   again: it must read back as the same command */
		if (cmds[i].kind != CMD_BAD) {
			struct command again;
			bool c2;

			fuzz_check(command_parse(NULL, line, &again, 1, &c2) ==
					   1 &&
				       again.kind == cmds[i].kind,
				   "command_line does not read back");
		}
		free(line);
	}
	modreply_parse(body, s, &r);
	fuzz_check(strlen(r.reason) <= MODREPLY_REASON &&
		       strlen(r.word) < MODREPLY_WORD,
		   "modreply overflowed its fields");
	fuzz_check(r.verdict == MODREPLY_REJECT || r.reason[0] == '\0',
		   "a reason without a rejection");
	free(s);
}
