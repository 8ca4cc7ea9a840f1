/*
 * command - member and animator commands (see command.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "club.h"
#include "command.h"
#include "msg_text.h"
#include "strutil.h"
#include "subject.h"
#include "xalloc.h"

/* words, folded (lower case, no accents), English then French */
static const struct {
	const char *word;
	enum command_kind kind;
	const char *value; /* fixed argument, or NULL */
} words[] = {
    {"subscribe", CMD_SUBSCRIBE, NULL},
    {"abonner", CMD_SUBSCRIBE, NULL},
    {"unsubscribe", CMD_UNSUBSCRIBE, NULL},
    {"desabonner", CMD_UNSUBSCRIBE, NULL},
    {"each", CMD_DELIVERY, "each"},
    {"chaque", CMD_DELIVERY, "each"},
    {"digest", CMD_DELIVERY, "digest"},
    {"resume", CMD_DELIVERY, "digest"},
    {"nomail", CMD_DELIVERY, "none"},
    {"pause", CMD_DELIVERY, "none"},
    {"profile:", CMD_PROFILE, NULL},
    {"profil:", CMD_PROFILE, NULL},
    {"who", CMD_WHO, NULL},
    {"qui", CMD_WHO, NULL},
    {"invite", CMD_INVITE, NULL},
    {"inviter", CMD_INVITE, NULL},
    {"help", CMD_HELP, NULL},
    {"aide", CMD_HELP, NULL},
    {"moderate", CMD_MODERATE, NULL},
    {"moderer", CMD_MODERATE, NULL},
    {"unmoderate", CMD_UNMODERATE, NULL},
    {"demoderer", CMD_UNMODERATE, NULL},
    {"emergency", CMD_EMERGENCY, NULL},
    {"urgence", CMD_EMERGENCY, NULL},
    {"quiet", CMD_QUIET, NULL},
    {"silence", CMD_QUIET, NULL},
    {"pin", CMD_THREAD, "pin"},
    {"epingler", CMD_THREAD, "pin"},
    {"close", CMD_THREAD, "close"},
    {"fermer", CMD_THREAD, "close"},
    {"reopen", CMD_THREAD, "reopen"},
    {"rouvrir", CMD_THREAD, "reopen"},
    {"mute", CMD_THREAD, "mute"},
    {"masquer", CMD_THREAD, "mute"},
    {"unmute", CMD_THREAD, "unmute"},
    {"demasquer", CMD_THREAD, "unmute"},
    {"ignore", CMD_IGNORE, NULL},
    {"ignorer", CMD_IGNORE, NULL},
    {"unignore", CMD_UNIGNORE, NULL},
    {"designorer", CMD_UNIGNORE, NULL},
    {"mark-answered", CMD_THREAD, "mark-answered"},
    {"repondu", CMD_THREAD, "mark-answered"},
};

/* frequency and switch words after "digest"/"résumé"/"emergency" */
static const struct {
	const char *word, *value;
} freqs[] = {{"daily", "daily"},
	     {"quotidien", "daily"},
	     {"weekly", "weekly"},
	     {"hebdo", "weekly"},
	     {"hebdomadaire", "weekly"},
	     {"off", "off"},
	     {"non", "off"},
	     {"no", "off"}},
  switches[] = {{"on", "on"},	{"oui", "on"}, {"off", "off"},
		{"non", "off"}, {"yes", "on"}, {"no", "off"}};

/* next_word - the folded word at *p (up to white space), *p moved past
   it and the white space after; "" at the end */
static char *
next_word(const char **p)
{
	const char *s = *p, *e;
	char *w, *f;

	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s; *e && *e != ' ' && *e != '\t'; e++)
		;
	w = xstrndup(s, (size_t)(e - s));
	f = msg_text_fold(w);
	free(w);
	while (*e == ' ' || *e == '\t')
		e++;
	*p = e;
	return f;
}

static const char *
lookup(const char *w, const void *table, size_t n)
{
	const struct {
		const char *word, *value;
	} *t = table;

	for (size_t i = 0; i < n; i++)
		if (strcmp(w, t[i].word) == 0)
			return t[i].value;
	return NULL;
}

/* is_key - a thread key: 8 lower-case hex digits */
static bool
is_key(const char *s)
{
	size_t n = strlen(s);

	if (n != 8)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* is_profile - the folded first word w (and the text p after it) start
   "profile:" or "profil:", white space before the colon allowed (French
   typography; a no-break space folds to a space inside w) */
static bool
is_profile(const char *w, const char *p)
{
	size_t n = strncmp(w, "profile", 7) == 0  ? 7
		   : strncmp(w, "profil", 6) == 0 ? 6
						  : 0;

	if (n == 0)
		return false;
	while (w[n] == ' ')
		n++;
	return w[n] == ':' || (w[n] == '\0' && *p == ':');
}

/* quiet_arg - "quiet FROM TO" (dates as the club setting "quiet"
   writes them: MM-DD every year, or YYYY-MM-DD) into "FROM..TO", or
   "quiet off"; a (the first word) and *p (the rest) are read */
static void
quiet_arg(const char *a, const char **p, struct command *c)
{
	char *to = next_word(p), *range, *norm;
	const char *v, *why;

	if (!*to && !**p &&
	    (v = lookup(a, switches, sizeof(switches) / sizeof(switches[0]))) &&
	    strcmp(v, "off") == 0) {
		snprintf(c->arg, sizeof(c->arg), "off");
	} else if (*a && *to && !**p) {
		range = xasprintf("%s..%s", a, to);
		norm = club_check("quiet", range, &why);
		if (norm && strlen(norm) < sizeof(c->arg))
			snprintf(c->arg, sizeof(c->arg), "%s", norm);
		else
			c->kind = CMD_BAD;
		free(norm);
		free(range);
	} else {
		c->kind = CMD_BAD;
	}
	free(to);
}

/* parse_line - one trimmed line into c: 1 a command (maybe CMD_BAD), 0
   not a command */
static int
parse_line(const char *line, struct command *c)
{
	const char *p = line, *v;
	char *w = next_word(&p), *a = NULL;
	size_t i;
	int rc = 1;

	/* "profile: TEXT", "profile:TEXT", and the French "profil : TEXTE" */
	if (is_profile(w, p)) {
		const char *colon = strchr(line, ':');
		char *t;

		free(w);
		memset(c, 0, sizeof(*c));
		c->kind = CMD_PROFILE;
		snprintf(c->arg, sizeof(c->arg), "%s", colon + 1);
		t = str_trim(c->arg);
		memmove(c->arg, t, strlen(t) + 1);
		if (c->arg[0] == '\0')
			c->kind = CMD_BAD;
		goto done;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(w, words[i].word) == 0)
			break;
	free(w);
	if (i == sizeof(words) / sizeof(words[0]))
		return 0;
	memset(c, 0, sizeof(*c));
	c->kind = words[i].kind;
	a = next_word(&p);
	switch (c->kind) {
	case CMD_DELIVERY:
		/* "digest weekly": the frequency, not the mode */
		if (*a && strcmp(words[i].value, "digest") == 0 &&
		    (v = lookup(a, freqs, sizeof(freqs) / sizeof(freqs[0])))) {
			c->kind = CMD_HIGHLIGHTS;
			snprintf(c->arg, sizeof(c->arg), "%s", v);
		} else if (*a) {
			c->kind = CMD_BAD;
		} else {
			snprintf(c->arg, sizeof(c->arg), "%s", words[i].value);
		}
		break;
	case CMD_INVITE:
	case CMD_MODERATE:
	case CMD_UNMODERATE:
	case CMD_IGNORE:
	case CMD_UNIGNORE: {
		char *n = *a ? addr_normalize(a) : NULL;

		if (n == NULL || *p)
			c->kind = CMD_BAD;
		else
			snprintf(c->arg, sizeof(c->arg), "%s", n);
		free(n);
		break;
	}
	case CMD_EMERGENCY:
		if ((v = lookup(a, switches,
				sizeof(switches) / sizeof(switches[0]))) &&
		    !*p)
			snprintf(c->arg, sizeof(c->arg), "%s", v);
		else
			c->kind = CMD_BAD;
		break;
	case CMD_QUIET:
		quiet_arg(a, &p, c);
		break;
	case CMD_THREAD:
		snprintf(c->action, sizeof(c->action), "%s", words[i].value);
		if (is_key(a) && !*p)
			snprintf(c->arg, sizeof(c->arg), "%s", a);
		else
			c->kind = CMD_BAD;
		break;
	default:
		/* a word alone: "subscribe", "who", "help" */
		if (*a)
			rc = 0;
		break;
	}
	free(a);
done:
	if (rc)
		snprintf(c->line, sizeof(c->line), "%s", line);
	return rc;
}

/* take - parse one line into out[*n] if room; false when the line is no
   command */
static bool
take(const char *line, struct command *out, size_t max, size_t *n,
     bool *capped_r)
{
	struct command c;

	if (!parse_line(line, &c))
		return false;
	if (*n < max)
		out[(*n)++] = c;
	else
		*capped_r = true;
	return true;
}

size_t
command_parse(const char *subject, const char *body, struct command *out,
	      size_t max, bool *capped_r)
{
	size_t n = 0;
	char *text, *line, *save = NULL;

	*capped_r = false;
	if (subject) {
		bool re, fw;
		char *s = xstrdup(subject + subject_markers(subject, &re, &fw));

		for (char *p = s; *p; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		take(str_trim(s), out, max, &n, capped_r);
		free(s);
	}
	text = msg_text_strip(body);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *t = str_trim(line);

		if (*t == '\0')
			continue;
		/* the text after the commands is not read */
		if (!take(t, out, max, &n, capped_r))
			break;
	}
	free(text);
	return n;
}

char *
command_line(const struct command *c)
{
	switch (c->kind) {
	case CMD_SUBSCRIBE:
		return xstrdup("subscribe");
	case CMD_UNSUBSCRIBE:
		return xstrdup("unsubscribe");
	case CMD_HIGHLIGHTS:
		return xasprintf("digest %s", c->arg);
	case CMD_DELIVERY:
		return xstrdup(strcmp(c->arg, "none") == 0 ? "nomail" : c->arg);
	case CMD_PROFILE:
		return xasprintf("profile: %s", c->arg);
	case CMD_WHO:
		return xstrdup("who");
	case CMD_INVITE:
		return xasprintf("invite %s", c->arg);
	case CMD_HELP:
		return xstrdup("help");
	case CMD_MODERATE:
		return xasprintf("moderate %s", c->arg);
	case CMD_UNMODERATE:
		return xasprintf("unmoderate %s", c->arg);
	case CMD_IGNORE:
		return xasprintf("ignore %s", c->arg);
	case CMD_UNIGNORE:
		return xasprintf("unignore %s", c->arg);
	case CMD_EMERGENCY:
		return xasprintf("emergency %s", c->arg);
	case CMD_QUIET:
		if (strcmp(c->arg, "off") == 0)
			return xstrdup("quiet off");
		/* "FROM..TO" back to "quiet FROM TO" */
		{
			const char *dots = strstr(c->arg, "..");

			if (dots)
				return xasprintf("quiet %.*s %s",
						 (int)(dots - c->arg), c->arg,
						 dots + 2);
		}
		break;
	case CMD_THREAD:
		return xasprintf("%s %s", c->action, c->arg);
	case CMD_BAD:
		break;
	}
	return xstrdup("");
}

bool
command_changes(const struct command *c)
{
	return c->kind != CMD_WHO && c->kind != CMD_HELP && c->kind != CMD_BAD;
}
