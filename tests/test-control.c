/*
 * test-control - the pure parts of control by mail: the templates of
 * every notice it sends (both languages, text and HTML, hostile values
 * escaped), command parsing, tokens bound to an address, and the guard.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "guard.h"
#include "msg.h"
#include "tap.h"
#include "tmpl.h"
#include "token.h"
#include "xalloc.h"

#ifndef TEMPLATES_DIR
#error TEMPLATES_DIR must name the templates directory of the source tree
#endif

#define EVIL "<script>alert(1)</script>\r\nBcc: evil@example.com"

static const char *const names[] = {
    "approve-request", "confirm", "goodbye",	       "help",
    "owner-forward",   "reply",	  "subscribe-refused", "token-expired",
    "welcome"};

static const char *const vars[] = {"club_title",
				   "club",
				   "address",
				   "member_address",
				   "invited_by",
				   "from_address",
				   "from_name",
				   "subject",
				   "confirm_address",
				   "expiry_date",
				   "club_address",
				   "request_address",
				   "help_address",
				   "subscribe_address",
				   "unsubscribe_address",
				   "owner_address"};

/* flags that open every optional section */
static const char *const flags[] = {
    "subscribe", "unsubscribe", "expired", "used",	 "closed",
    "invite",	 "help",	"who",	   "no_command", "capped"};

static const char *const results[] = {"ok",
				      "joined",
				      "left",
				      "pending",
				      "invited",
				      "awaiting_approval",
				      "already_member",
				      "already_asked",
				      "not_subscribed",
				      "not_member",
				      "not_animator",
				      "no_such_member",
				      "not_available",
				      "refused_closed",
				      "refused_invite",
				      "confirm_sent",
				      "limit",
				      "bad"};

static void
templates(void)
{
	struct tmpl_dirs dirs = {NULL, TEMPLATES_DIR};
	const char *langs[] = {"en", "fr"};

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			struct tmpl_vars *v = tmpl_vars_new();
			char *html = NULL, *text = NULL, *subject = NULL;
			char *err = NULL, want[64];
			int rc;

			for (size_t k = 0; k < sizeof(vars) / sizeof(vars[0]);
			     k++)
				tmpl_vars_set(v, vars[k], EVIL);
			for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]);
			     k++)
				tmpl_vars_set(v, flags[k], "1");
			tmpl_vars_set(v, "confirm_url", "javascript:alert(1)");
			for (size_t k = 0;
			     k < sizeof(results) / sizeof(results[0]); k++) {
				struct tmpl_vars *it =
				    tmpl_vars_list_add(v, "results");

				tmpl_vars_set(it, "line", EVIL);
				tmpl_vars_set(it, results[k], "1");
			}
			tmpl_vars_set(tmpl_vars_list_add(v, "directory"),
				      "name", EVIL);
			rc = tmpl_render(&dirs, langs[l], names[i], v, &html,
					 &text, &subject, &err);
			ok(rc == 0, "%s/%s renders%s%s", langs[l], names[i],
			   err ? ": " : "", err ? err : "");
			if (rc == 0) {
				snprintf(want, sizeof(want), "lang=\"%s\"",
					 langs[l]);
				ok(strstr(html, want) != NULL,
				   "%s/%s is the %s file", langs[l], names[i],
				   langs[l]);
				ok(strstr(html, "<script") == NULL &&
				       strstr(html, "&lt;script&gt;") != NULL,
				   "%s/%s: HTML escapes the value", langs[l],
				   names[i]);
				ok(strstr(html, "javascript:") == NULL,
				   "%s/%s: no javascript: link", langs[l],
				   names[i]);
				ok(strstr(text, "<script>") != NULL &&
				       strstr(text, "\nBcc:") == NULL,
				   "%s/%s: text keeps the value as text, on "
				   "its line",
				   langs[l], names[i]);
				ok(*subject && strpbrk(subject, "\r\n") == NULL,
				   "%s/%s: the subject is one line", langs[l],
				   names[i]);
			}
			free(html);
			free(text);
			free(subject);
			free(err);
			tmpl_vars_free(&v);
		}
}

static void
commands(void)
{
	struct command c[COMMAND_MAX];
	bool capped;
	size_t n;
	char *l;

	n = command_parse("Re: RÉSUMÉ Hebdo",
			  "Chaque\nprofil : Boulangère\nqui\ninviter "
			  "Bob@Example.ORG\n\nMerci\nunsubscribe\n",
			  c, COMMAND_MAX, &capped);
	is_int(n, 5, "subject and body lines up to the text");
	ok(c[0].kind == CMD_HIGHLIGHTS && strcmp(c[0].arg, "weekly") == 0,
	   "résumé hebdo: weekly highlights, case and accents folded");
	ok(c[1].kind == CMD_DELIVERY && strcmp(c[1].arg, "each") == 0,
	   "chaque: each");
	is_str(c[2].arg, "Boulangère", "profil : TEXTE (French colon)");
	ok(c[3].kind == CMD_WHO, "qui");
	is_str(c[4].arg, "bob@example.org", "inviter: the address normalised");
	l = command_line(&c[0]);
	is_str(l, "digest weekly", "stored in English");
	free(l);
	n = command_parse(NULL, "> unsubscribe\n\nhelp\n-- \nnomail\n", c,
			  COMMAND_MAX, &capped);
	ok(n == 1 && c[0].kind == CMD_HELP, "quotes and signature ignored");
	n = command_parse("",
			  "each\neach\neach\neach\neach\neach\neach\neach\n"
			  "each\neach\neach\n",
			  c, COMMAND_MAX, &capped);
	ok(n == 10 && capped, "11 commands: 10 kept, capped");
	n = command_parse(NULL, "invite nobody\nemergency maybe\npin xyz\n", c,
			  COMMAND_MAX, &capped);
	ok(n == 3 && c[0].kind == CMD_BAD && c[1].kind == CMD_BAD &&
	       c[2].kind == CMD_BAD,
	   "bad arguments are reported as such");
	n = command_parse("subscribe me now please", "", c, COMMAND_MAX,
			  &capped);
	is_int(n, 0, "a sentence is no command");
	n = command_parse(
	    NULL,
	    "quiet 08-01 08-31\nsilence 2026-12-20 2027-01-02\n"
	    "Quiet Off\nquiet 08-01\nquiet 13-01 14-01\n"
	    "silence 2027-01-02 2026-12-20\nquiet 08-01 2026-08-31\n",
	    c, COMMAND_MAX, &capped);
	printf("# quiet: an every-year and a dated period, off, then four "
	       "bad ones (one date, month 13, backwards, mixed forms)\n");
	is_int(n, 7, "quiet: seven command lines");
	ok(c[0].kind == CMD_QUIET && strcmp(c[0].arg, "08-01..08-31") == 0,
	   "quiet MM-DD MM-DD: the club setting's FROM..TO");
	ok(c[1].kind == CMD_QUIET &&
	       strcmp(c[1].arg, "2026-12-20..2027-01-02") == 0,
	   "silence (French) with dated ends, across the new year");
	ok(c[2].kind == CMD_QUIET && strcmp(c[2].arg, "off") == 0, "quiet off");
	ok(c[3].kind == CMD_BAD && c[4].kind == CMD_BAD &&
	       c[5].kind == CMD_BAD && c[6].kind == CMD_BAD,
	   "quiet with one date, a bad month, a backwards period or mixed "
	   "forms: not understood");
	l = command_line(&c[1]);
	is_str(l, "quiet 2026-12-20 2027-01-02", "quiet stored in English");
	free(l);
	n = command_parse(
	    NULL,
	    "ignorer Bob@Example.ORG\ndesignorer bob@example.org\n"
	    "demasquer 0123abcd\nmasquer 0123abcd\nignore\n",
	    c, COMMAND_MAX, &capped);
	is_int(n, 5, "ignore, unignore, unmute, mute: five lines");
	ok(c[0].kind == CMD_IGNORE && strcmp(c[0].arg, "bob@example.org") == 0,
	   "ignorer ADRESSE: the address normalised");
	ok(c[1].kind == CMD_UNIGNORE && c[2].kind == CMD_THREAD &&
	       strcmp(c[2].action, "unmute") == 0 &&
	       strcmp(c[3].action, "mute") == 0,
	   "designorer, demasquer KEY, masquer KEY");
	ok(c[4].kind == CMD_BAD, "ignore without an address: not understood");
	l = command_line(&c[0]);
	is_str(l, "ignore bob@example.org", "ignore stored in English");
	free(l);
}

static void
tokens(void)
{
	unsigned char key[TOKEN_KEY_LEN];
	char arg[65], *t;
	time_t now = 1760000000;

	memset(key, 3, sizeof(key));
	t = token_make_bound(key, "acme", "confirm", "q.1", "a@example.org",
			     now + 7 * 86400);
	ok(token_check_bound(key, "acme", "confirm", t, "a@example.org", now,
			     arg, sizeof(arg)) == TOKEN_OK,
	   "a bound token checks with its address");
	ok(token_check_bound(key, "acme", "confirm", t, "b@example.org", now,
			     arg, sizeof(arg)) == TOKEN_FORGED,
	   "and is forged for another");
	ok(token_check(key, "acme", "confirm", t, now, arg, sizeof(arg)) ==
	       TOKEN_FORGED,
	   "and without one");
	ok(token_check_bound(key, "acme", "confirm", t, "a@example.org",
			     now + 8 * 86400, arg,
			     sizeof(arg)) == TOKEN_EXPIRED,
	   "expired after 7 days");
	free(t);
}

static void
guard(void)
{
	static const char *const robots[] = {
	    "From: a@b.c\nAuto-Submitted: auto-replied\n\nx\n",
	    "From: a@b.c\nPrecedence: list\n\nx\n",
	    "From: a@b.c\nPrecedence: Bulk\n\nx\n",
	    "From: a@b.c\nX-Autoreply: yes\n\nx\n",
	    "From: a@b.c\nSubject: Out of Office\n\nx\n",
	    "From: a@b.c\nList-Id: <acme.lists.example.org>\n\nx\n",
	    "Subject: no sender\n\nx\n",
	    "From: MAILER-DAEMON@b.c\nSubject: hello\n\nx\n",
	    "From: owner-list@b.c\n\nx\n",
	    "From: list-request@b.c\n\nx\n",
	    "From: club-bounces@b.c\n\nx\n",
	};
	const char *person = "From: a@b.c\nAuto-Submitted: no\n\nhelp\n";
	struct msg *m;

	for (size_t i = 0; i < sizeof(robots) / sizeof(robots[0]); i++) {
		m = msg_parse(robots[i], strlen(robots[i]));
		ok(guard_why_not(m, robots[i], strlen(robots[i]), false) !=
		       NULL,
		   "robot %zu is not answered", i);
		msg_free(&m);
	}
	m = msg_parse(person, strlen(person));
	ok(guard_why_not(m, person, strlen(person), false) == NULL,
	   "a person is");
	ok(guard_why_not(m, person, strlen(person), true) != NULL,
	   "but not under a null envelope sender");
	msg_free(&m);
}

int
main(void)
{
	tap_init();
	templates();
	commands();
	tokens();
	guard();
	tap_done();
}
