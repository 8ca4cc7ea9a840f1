/*
 * msg_text - what a message's text says (DIGEST.md 1.2, 1.3, 2.4).
 *
 * All matching runs on a folded form of the text (compatibility
 * decomposition, case folding, marks stripped, ’ as '), so "Où",
 * "OU" and "ou" are one word and NBSP is a plain space.  The word lists
 * are the ones DIGEST 1.3 names; whole-word matching per DIGEST 2.4.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "msg_text.h"
#include "strutil.h"
#include "xalloc.h"

/* valid_copy - s with invalid UTF-8 bytes as '?', so utf8proc accepts it */
static char *
valid_copy(const char *s)
{
	size_t n = strlen(s), i = 0, k;
	char *out = xstrdup(s);

	while (i < n) {
		if ((k = str_utf8_seq(s + i, n - i)) == 0) {
			out[i++] = '?';
			continue;
		}
		i += k;
	}
	return out;
}

char *
msg_text_fold(const char *s)
{
	char *v = valid_copy(s ? s : "");
	uint8_t *out = NULL;
	utf8proc_ssize_t r;
	struct buf b = BUF_INIT;

	r = utf8proc_map((const uint8_t *)v, 0, &out,
			 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
			     UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD |
			     UTF8PROC_STRIPMARK);
	if (r < 0) {
		/* cannot happen on valid input; ASCII-fold as a last resort */
		for (char *p = v; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		return v;
	}
	free(v);
	/* typographic apostrophes (’ ‘ ʼ) are the ASCII one for matching */
	for (const char *p = (const char *)out; *p; p++) {
		if ((unsigned char)p[0] == 0xe2 &&
		    (unsigned char)p[1] == 0x80 &&
		    ((unsigned char)p[2] == 0x98 ||
		     (unsigned char)p[2] == 0x99)) {
			buf_putc(&b, '\'');
			p += 2;
		} else if ((unsigned char)p[0] == 0xca &&
			   (unsigned char)p[1] == 0xbc) {
			buf_putc(&b, '\'');
			p++;
		} else {
			buf_putc(&b, *p);
		}
	}
	free(out);
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* word_char - letters and digits; any non-ASCII byte counts as a letter */
static bool
word_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* word_at - s starts with the whole word (or phrase) w */
static bool
word_at(const char *s, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(s, w, n) != 0)
		return false;
	/* a phrase ending in ' needs no right boundary (DIGEST 2.4); an
	   apostrophe inside a word ("can't") is no boundary either */
	if (w[n - 1] == '\'')
		return true;
	if (s[n] == '\'' && word_char((unsigned char)s[n + 1]))
		return false;
	return !word_char((unsigned char)s[n]);
}

static const char *
skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* quote stripping (DIGEST 1.2) ------------------------------------------ */

struct lines {
	char **v; /* original lines, no '\n' */
	char **f; /* folded and trimmed */
	size_t n;
};

static void
lines_split(struct lines *l, const char *text)
{
	const char *p = text;

	l->v = NULL;
	l->f = NULL;
	l->n = 0;
	for (;;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *f;

		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->f = xrealloc(l->f, (l->n + 1) * sizeof(*l->f));
		l->v[l->n] = xstrndup(p, len);
		if (len && l->v[l->n][len - 1] == '\r')
			l->v[l->n][len - 1] = '\0';
		f = msg_text_fold(l->v[l->n]);
		l->f[l->n] = f;
		{
			/* trim: folding made NBSP a space already */
			char *s = f, *t;

			while (*s == ' ' || *s == '\t')
				s++;
			memmove(f, s, strlen(s) + 1);
			t = f + strlen(f);
			while (t > f && (t[-1] == ' ' || t[-1] == '\t'))
				*--t = '\0';
		}
		l->n++;
		if (e == NULL)
			break;
		p = e + 1;
	}
}

static void
lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i]);
		free(l->f[i]);
	}
	free(l->v);
	free(l->f);
}

/* has_verb_colon - s holds word w followed by optional space and
   ':' (the "a écrit :" / "wrote:" of an attribution) */
static bool
has_verb_colon(const char *s, const char *w)
{
	const char *p = s;

	while ((p = strstr(p, w)) != NULL) {
		const char *q = skip_spaces(p + strlen(w));

		if (*q == ':')
			return true;
		p++;
	}
	return false;
}

/* attribution - "Le ... a écrit :" / "On ... wrote:", maybe wrapped */
static bool
attribution(const struct lines *l, size_t i)
{
	const char *f = l->f[i];
	const char *verb;
	char *joined;
	bool hit;

	if (starts(f, "le "))
		verb = " a ecrit";
	else if (starts(f, "on "))
		verb = " wrote";
	else
		return false;
	if (has_verb_colon(f + 2, verb))
		return true;
	/* clients wrap long attributions: "... <a@b> a\nécrit :" */
	if (i + 1 >= l->n || strlen(f) > 300)
		return false;
	joined = xasprintf("%s %s", f, l->f[i + 1]);
	hit = has_verb_colon(joined + 2, verb);
	free(joined);
	return hit;
}

/* header_line - "De :", "From:", "*Sent:*"... (Outlook's quoted header) */
static bool
header_line(const char *f, const char *const *names)
{
	if (*f == '*')
		f++;
	for (; *names; names++) {
		size_t n = strlen(*names);

		if (strncmp(f, *names, n) == 0) {
			const char *q = skip_spaces(f + n);

			if (*q == '*')
				q++;
			if (*q == ':')
				return true;
		}
	}
	return false;
}

static bool
header_block(const struct lines *l, size_t i)
{
	static const char *const first[] = {"de", "from", NULL};
	static const char *const next[] = {"envoye", "sent",  "date",	 "a",
					   "to",     "objet", "subject", "cc",
					   "pour",   NULL};

	if (!header_line(l->f[i], first))
		return false;
	/* one header line alone may be prose; a block has a second one */
	for (size_t j = i + 1; j < l->n && j <= i + 4; j++)
		if (header_line(l->f[j], next))
			return true;
	return false;
}

static bool
separator(const char *f)
{
	size_t u = strspn(f, "_");
	const char *p;

	if (u >= 20)
		return true;
	if (!starts(f, "---"))
		return false;
	p = f + strspn(f, "- ");
	return starts(p, "original message") || starts(p, "message d'origine");
}

/* mobile_footer - "Sent from my iPhone", a signature without "-- " */
static bool
mobile_footer(const char *f)
{
	return starts(f, "sent from my ") || starts(f, "envoye de mon ") ||
	       starts(f, "envoye depuis mon ") || starts(f, "get outlook for ");
}

/* url_at - length of a URL token starting at s, or 0 */
static size_t
url_at(const char *text, const char *s)
{
	static const char *const schemes[] = {"http://", "https://", "www.",
					      "mailto:", "ftp://",   NULL};

	if (s > text && word_char((unsigned char)s[-1]))
		return 0;
	for (int i = 0; schemes[i]; i++) {
		size_t n = strlen(schemes[i]);

		if (strncasecmp(s, schemes[i], n) == 0 &&
		    !isspace((unsigned char)s[n]) && s[n] != '\0')
			return strcspn(s, " \t\r\n<>\"");
	}
	return 0;
}

static void
drop_urls(struct buf *out, const char *s)
{
	const char *p = s;

	while (*p) {
		size_t n = url_at(s, p);

		if (n == 0 && *p == '<' && (n = url_at(s, p + 1)) != 0) {
			/* "<http://...>" goes as a whole */
			p += 1 + n;
			if (*p == '>')
				p++;
			continue;
		}
		if (n) {
			p += n;
			continue;
		}
		buf_putc(out, *p++);
	}
}

/* tidy - trailing blanks off each line, at most one empty line in a row,
   no empty lines at either end */
static char *
tidy(const char *s)
{
	struct buf b = BUF_INIT;
	int blank = 0;

	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == 0) {
			blank++;
		} else {
			if (b.len)
				buf_puts(&b, blank ? "\n\n" : "\n");
			buf_append(&b, s, n);
			blank = 0;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

char *
msg_text_strip(const char *text)
{
	struct lines l;
	struct buf kept = BUF_INIT, nourl = BUF_INIT;
	size_t last = 0, end;
	char *res;

	lines_split(&l, text ? text : "");
	for (end = 0; end < l.n; end++) {
		const char *raw = l.v[end];
		size_t n = strlen(raw);

		/* the signature separator is "-- "; many clients drop the
		   trailing space on the way */
		while (n > 2 && raw[n - 1] == ' ')
			n--;
		if (n == 2 && raw[0] == '-' && raw[1] == '-')
			break;
		if (attribution(&l, end) || separator(l.f[end]) ||
		    header_block(&l, end))
			break;
	}
	/* a mobile client's footer ends the text like a signature */
	for (size_t i = 0; i < end; i++)
		if (l.f[i][0] != '\0')
			last = i + 1;
	if (last && mobile_footer(l.f[last - 1]))
		end = last - 1;
	for (size_t i = 0; i < end; i++) {
		if (l.f[i][0] == '>')
			continue;
		buf_puts(&kept, l.v[i]);
		buf_putc(&kept, '\n');
	}
	drop_urls(&nourl, buf_cstr(&kept));
	res = tidy(buf_cstr(&nourl));
	buf_free(&kept);
	buf_free(&nourl);
	lines_free(&l);
	return res;
}

/* ack-only (DIGEST 1.2, 2.4) -------------------------------------------- */

static bool
is_space_cp(int32_t c)
{
	utf8proc_category_t cat;

	if ((c >= 0x09 && c <= 0x0d) || c == 0x85)
		return true;
	cat = utf8proc_category(c);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
	       cat == UTF8PROC_CATEGORY_ZP;
}

size_t
msg_text_ack_len(const char *stripped)
{
	char *v = valid_copy(stripped ? stripped : "");
	uint8_t *nfc = utf8proc_NFC((const uint8_t *)v);
	const uint8_t *p = nfc ? nfc : (const uint8_t *)v;
	size_t count = 0, pending = 0;

	while (*p) {
		int32_t cp;
		utf8proc_ssize_t r = utf8proc_iterate(p, -1, &cp);

		if (r <= 0) {
			r = 1;
			cp = 0xfffd;
		}
		p += r;
		if (is_space_cp(cp)) {
			/* a run counts once, and only between words */
			if (count)
				pending = 1;
			continue;
		}
		count += pending + 1;
		pending = 0;
	}
	free(nfc);
	free(v);
	return count;
}

bool
msg_text_ack_only(const char *stripped)
{
	return msg_text_ack_len(stripped) <= MSG_TEXT_ACK_MAX_CHARS;
}

/* question detection (DIGEST 1.3) --------------------------------------- */

static const char *const start_words[] = {
    /* FR */
    "qui", "que", "qu'", "quoi", "quel", "quels", "quelle", "quelles", "lequel",
    "laquelle", "lesquels", "lesquelles", "ou", "quand", "comment", "pourquoi",
    "combien", "est-ce", "y a-t-il", "existe-t-il", "peut-on", "faut-il",
    "quelqu'un",
    /* EN */
    "who", "what", "when", "where", "why", "how", "which", "is", "are", "do",
    "does", "did", "can", "could", "would", "should", "will", "has", "have",
    "anyone", "anybody", NULL};

static const char *const request_phrases[] = {
    /* FR */
    "je cherche", "je recherche", "nous cherchons", "nous recherchons",
    "on cherche", "besoin de", "besoin d'", "un conseil", "un conseils",
    "des conseil", "des conseils", "une recommandation", "une recommandations",
    "des recommandation", "des recommandations", "vos avis", "votre avis",
    "vos retour", "vos retours", "votre retour", "votre retours",
    "qu'en pensez-vous", "merci d'avance", "si quelqu'un", "des idees",
    /* EN */
    "looking for", "any recommendation", "any recommendations", "any ideas",
    "any advice", "any thoughts", "does anyone", "can anyone", "has anyone",
    "thanks in advance", NULL};

static const char *const greetings[] = {
    "bonjour", "bonsoir", "salut", "coucou", "hello",  "hi", "hey",
    "dear",    "cher",	  "chere", "chers",  "cheres", "re", NULL};

static const char *const pronouns[] = {"vous", "tu",	"on",	"il", "elle",
				       "ils",  "elles", "nous", "je", NULL};

/* inverted_verb - "Utilisez-vous", "A-t-on": letters, '-', ('t-'),
   pronoun, word end */
static bool
inverted_verb(const char *s)
{
	const char *p = s;

	/* "rendez-vous" is a noun that happens to look like one */
	if (word_at(s, "rendez-vous"))
		return false;
	while (isalpha((unsigned char)*p) || (unsigned char)*p >= 0x80)
		p++;
	if (p == s || *p != '-')
		return false;
	p++;
	if (starts(p, "t-"))
		p += 2;
	for (int i = 0; pronouns[i]; i++)
		if (word_at(p, pronouns[i]))
			return true;
	return false;
}

static bool
start_word(const char *s)
{
	for (int i = 0; start_words[i]; i++)
		if (word_at(s, start_words[i]))
			return true;
	return inverted_verb(s);
}

/* sentence_is_question - rule 2 at the start of one sentence */
static bool
sentence_is_question(const char *s, const char *end)
{
	s = s + strspn(s, " \t-*\"'(\xc2\xab");
	if (start_word(s))
		return true;
	/* "Bonjour à tous, quelqu'un..." : skip the greeting */
	for (int i = 0; greetings[i]; i++) {
		const char *c;

		if (!word_at(s, greetings[i]))
			continue;
		c = memchr(s, ',', (size_t)(end - s));
		if (c && c - s < 80 && start_word(skip_spaces(c + 1)))
			return true;
	}
	return false;
}

static bool
is_terminator(char c)
{
	return c == '.' || c == '!' || c == '?' || c == '\n';
}

/* rule1_rule2 - on folded text: a sentence ending with '?' or starting
   with a question word */
static bool
rule1_rule2(const char *f)
{
	const char *p = f;

	while (*p) {
		const char *e = p;

		while (*e && !is_terminator(*e))
			e++;
		if (*e == '?') {
			/* "a?b" inside a token is not a sentence end */
			unsigned char nx = (unsigned char)e[1];

			if (!word_char(nx))
				return true;
		}
		if (sentence_is_question(skip_spaces(p), e))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

bool
msg_text_has_phrase(const char *f, const char *const *phrases)
{
	struct buf b = BUF_INIT;
	bool hit = false;
	int sp = 0;

	/* collapse whitespace so phrases match across line breaks */
	for (const char *p = f ? f : ""; *p; p++) {
		if (isspace((unsigned char)*p)) {
			sp = 1;
			continue;
		}
		if (sp && b.len)
			buf_putc(&b, ' ');
		sp = 0;
		buf_putc(&b, *p);
	}
	for (const char *p = buf_cstr(&b); *p && !hit; p++) {
		if (p > b.data && word_char((unsigned char)p[-1]))
			continue;
		for (int i = 0; phrases[i]; i++)
			if (word_at(p, phrases[i])) {
				hit = true;
				break;
			}
	}
	buf_free(&b);
	return hit;
}

static bool
rule3(const char *f)
{
	return msg_text_has_phrase(f, request_phrases);
}

/* subject_core - folded subject without "Re:", "TR :", "[club]" */
static const char *
subject_core(const char *f)
{
	static const char *const pfx[] = {"re",	 "fwd", "fw", "tr", "aw",
					  "ref", "sv",	"wg", NULL};
	bool again = true;

	while (again) {
		again = false;
		f = skip_spaces(f);
		if (*f == '[') {
			const char *c = strchr(f, ']');

			if (c) {
				f = c + 1;
				again = true;
				continue;
			}
		}
		for (int i = 0; pfx[i]; i++) {
			size_t n = strlen(pfx[i]);
			const char *q;

			if (strncmp(f, pfx[i], n) != 0)
				continue;
			q = skip_spaces(f + n);
			if (*q == ':') {
				f = q + 1;
				again = true;
				break;
			}
		}
	}
	return f;
}

bool
msg_text_is_question(const char *subject, const char *stripped)
{
	char *fs = msg_text_fold(subject ? subject : "");
	char *fb = msg_text_fold(stripped ? stripped : "");
	const char *core = subject_core(fs);
	size_t n = strlen(core);
	bool q;

	while (n && isspace((unsigned char)core[n - 1]))
		n--;
	q = (n && core[n - 1] == '?') || rule1_rule2(core) || rule3(core) ||
	    rule1_rule2(fb) || rule3(fb);
	free(fs);
	free(fb);
	return q;
}

bool
msg_text_is_auto_subject(const char *subject)
{
	static const char *const pfx[] = {
	    "reponse automatique", "absence", "message d'absence",
	    "out of office", "automatic reply", "auto:",
	    /* beyond DIGEST 1.2's list: common vacation tools' wording */
	    "auto reply", "auto-reply", "autoreply", NULL};
	char *f;
	const char *s;
	bool hit = false;

	if (subject == NULL)
		return false;
	f = msg_text_fold(subject);
	s = f + strspn(f, " \t");
	for (int i = 0; pfx[i] && !hit; i++)
		hit = starts(s, pfx[i]);
	free(f);
	return hit;
}
