/*
 * modreply - what an animator's reply to a moderation notice says (see
 * modreply.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "modreply.h"
#include "msg.h"

/* French past participles too ("Accepté", "Refusé"), as the English
   "approved"/"rejected"; compared case-insensitively in ASCII only */
static const char *const approve_words[] = {"approve",
					    "approved",
					    "accept",
					    "accepted",
					    "ok",
					    "okay",
					    "yes",
					    "oui",
					    "accepter",
					    "valider",
					    "accept\xc3\xa9",
					    "valid\xc3\xa9",
					    "d'accord",
					    "d\xe2\x80\x99"
					    "accord",
					    NULL};
static const char *const reject_words[] = {
    "reject",  "rejected",	"refuse",	 "no", "non", "refuser",
    "rejeter", "refus\xc3\xa9", "rejet\xc3\xa9", NULL};

struct line {
	const char *p; /* trimmed */
	size_t n;
};

/* is_space - ASCII white space or a UTF-8 no-break space (C2 A0) at p */
static size_t
space_len(const char *p, const char *end)
{
	if (p < end &&
	    (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v'))
		return 1;
	if (end - p >= 2 && (unsigned char)p[0] == 0xc2 &&
	    (unsigned char)p[1] == 0xa0)
		return 2;
	return 0;
}

/* trim - l without the white space around it */
static struct line
trim(const char *p, const char *end)
{
	struct line l;
	size_t k;

	while ((k = space_len(p, end)) > 0)
		p += k;
	while (end > p &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
		(end - p >= 2 && (unsigned char)end[-2] == 0xc2 &&
		 (unsigned char)end[-1] == 0xa0)))
		end -= end[-1] == (char)0xa0 ? 2 : 1;
	l.p = p;
	l.n = (size_t)(end - p);
	return l;
}

static bool
starts(const struct line *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l->n >= n && strncasecmp(l->p, prefix, n) == 0;
}

static bool
ends(const struct line *l, const char *suffix)
{
	size_t n = strlen(suffix);

	return l->n >= n && strncasecmp(l->p + l->n - n, suffix, n) == 0;
}

/* skipped - a quoted line or an attribution ("On ... wrote:") */
static bool
skipped(const struct line *l)
{
	return (l->n > 0 && l->p[0] == '>') || ends(l, "wrote:") ||
	       ends(l, "\xc3\xa9"
		       "crit :") ||
	       ends(l, "\xc3\xa9"
		       "crit:");
}

/* closing - the reply's own text is over: a signature, or the start of
   a quoted original without '>' (Outlook and friends) */
static bool
closing(const struct line *l)
{
	return (l->n == 2 && memcmp(l->p, "--", 2) == 0) ||
	       starts(l, "-----") || starts(l, "________") ||
	       starts(l, "From:") || starts(l, "De :") || starts(l, "De:");
}

/* in_list - word (n bytes) is one of words */
static bool
in_list(const char *word, size_t n, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (strlen(words[i]) == n &&
		    strncasecmp(word, words[i], n) == 0)
			return true;
	return false;
}

/* put_utf8 - append n bytes of s to dst (size cap, NUL-terminated),
   cutting on a character boundary and dropping control characters;
   returns false when full */
static bool
put_utf8(char *dst, size_t cap, const char *s, size_t n)
{
	size_t len = strlen(dst);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			continue;
		if (len + 1 >= cap) {
			/* back off a partial multi-byte character */
			while (len > 0 &&
			       ((unsigned char)dst[len - 1] & 0xc0) == 0x80)
				len--;
			if (len > 0 && (unsigned char)dst[len - 1] >= 0xc0)
				len--;
			dst[len] = '\0';
			return false;
		}
		dst[len++] = (char)c;
	}
	dst[len] = '\0';
	return true;
}

/* reason_add - text of l (collapsed) to the reason */
static bool
reason_add(struct modreply *r, const char *p, size_t n)
{
	struct line l = trim(p, p + n);

	/* what separates the word from the reason: "reject: off topic" */
	while (l.n > 0 && strchr(":-,.;!", l.p[0])) {
		l.p++;
		l.n--;
	}
	l = trim(l.p, l.p + l.n);
	if (l.n == 0)
		return true;
	if (r->reason[0] && !put_utf8(r->reason, sizeof(r->reason), " ", 1))
		return false;
	return put_utf8(r->reason, sizeof(r->reason), l.p, l.n);
}

/* decide - the first word of l; *rest_r after it */
static void
decide(const struct line *l, struct modreply *r, const char **rest_r)
{
	size_t n = 0;

	while (n < l->n && !space_len(l->p + n, l->p + l->n) &&
	       !strchr(".,;:!?", l->p[n]))
		n++;
	*rest_r = l->p + n;
	r->word[0] = '\0';
	put_utf8(r->word, sizeof(r->word), l->p, n);
	if (in_list(l->p, n, approve_words))
		r->verdict = MODREPLY_APPROVE;
	else if (in_list(l->p, n, reject_words))
		r->verdict = MODREPLY_REJECT;
}

/* subject_line - subject without reply markers and tags */
static struct line
subject_line(const char *s)
{
	static const char *const marks[] = {"re",
					    "aw",
					    "fw",
					    "fwd",
					    "tr",
					    "r\xc3\xa9"
					    "f",
					    "ref",
					    NULL};
	struct line l = trim(s, s + strnlen(s, MODREPLY_SCAN));

	for (;;) {
		size_t n = 0;

		if (l.n > 0 && l.p[0] == '[') {
			const char *close = memchr(l.p, ']', l.n);

			if (close == NULL)
				break;
			l = trim(close + 1, l.p + l.n);
			continue;
		}
		while (n < l.n && l.p[n] != ':' && l.p[n] != ' ' && n < 8)
			n++;
		{
			struct line rest = trim(l.p + n, l.p + l.n);

			if (!in_list(l.p, n, marks) || rest.n == 0 ||
			    rest.p[0] != ':')
				break;
			l = trim(rest.p + 1, rest.p + rest.n);
		}
	}
	return l;
}

void
modreply_parse(const char *text, const char *subject, struct modreply *r)
{
	const char *p = text ? text : "";
	const char *end = p + strnlen(p, MODREPLY_SCAN);
	bool found = false;

	memset(r, 0, sizeof(*r));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct line l = trim(p, eol);

		p = nl ? nl + 1 : end;
		if (!found) {
			const char *rest;

			if (l.n == 0 || skipped(&l))
				continue;
			if (closing(&l))
				break;
			found = true;
			decide(&l, r, &rest);
			if (r->verdict != MODREPLY_REJECT)
				return;
			if (!reason_add(r, rest, (size_t)(l.p + l.n - rest)))
				return;
			continue;
		}
		/* the reason's next lines, up to the quote or signature */
		if (skipped(&l) || closing(&l))
			return;
		if (!reason_add(r, l.p, l.n))
			return;
	}
	if (!found && subject) {
		struct line l = subject_line(subject);
		const char *rest;

		if (l.n == 0)
			return;
		decide(&l, r, &rest);
		if (r->verdict == MODREPLY_REJECT)
			reason_add(r, rest, (size_t)(l.p + l.n - rest));
		else if (r->verdict == MODREPLY_NONE)
			r->word[0] = '\0'; /* a subject is no attempt */
	}
}
