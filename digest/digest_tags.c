/*
 * digest_tags - club vocabulary and tag matching (DIGEST.md 1.6).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "digest_tags.h"
#include "msg_text.h"
#include "xalloc.h"

/* trimmed - folded copy of [s, e) without surrounding spaces, or NULL
   when empty */
static char *
trimmed(const char *s, const char *e)
{
	char *raw, *f;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s == e)
		return NULL;
	raw = xstrndup(s, (size_t)(e - s));
	f = msg_text_fold(raw);
	free(raw);
	return f;
}

/* add_tag - "TAG: kw, kw" */
static void
add_tag(struct digest_vocab *v, const char *s, const char *e)
{
	const char *colon = memchr(s, ':', (size_t)(e - s));
	char *name;
	size_t n = 0;

	if (colon == NULL || v->ntags == DIGEST_MAX_TAGS ||
	    (name = trimmed(s, colon)) == NULL)
		return;
	v->name[v->ntags] = name;
	v->kw[v->ntags] = xcalloc(1, sizeof(char *));
	for (const char *p = colon + 1; p < e;) {
		const char *q = memchr(p, ',', (size_t)(e - p));
		char *kw;

		q = q ? q : e;
		if ((kw = trimmed(p, q)) != NULL) {
			v->kw[v->ntags] =
			    xrealloc(v->kw[v->ntags], (n + 2) * sizeof(char *));
			v->kw[v->ntags][n++] = kw;
			v->kw[v->ntags][n] = NULL;
		}
		p = q + 1;
	}
	v->ntags++;
}

void
digest_vocab_parse(struct digest_vocab *v, const char *text)
{
	memset(v, 0, sizeof(*v));
	for (const char *p = text ? text : ""; *p;) {
		const char *e = strchr(p, ';');

		e = e ? e : p + strlen(p);
		add_tag(v, p, e);
		p = *e ? e + 1 : e;
	}
}

void
digest_vocab_free(struct digest_vocab *v)
{
	for (size_t i = 0; i < v->ntags; i++) {
		for (size_t j = 0; v->kw[i][j]; j++)
			free(v->kw[i][j]);
		free(v->kw[i]);
		free(v->name[i]);
	}
	memset(v, 0, sizeof(*v));
}

/* word_start - p begins a word of s (non-ASCII bytes are letters) */
static bool
word_start(const char *s, const char *p)
{
	unsigned char c = p > s ? (unsigned char)p[-1] : ' ';

	return !(isalnum(c) || c >= 0x80);
}

uint64_t
digest_vocab_match(const struct digest_vocab *v, const char *folded)
{
	uint64_t tags = 0;

	for (size_t i = 0; i < v->ntags; i++)
		for (size_t j = 0; v->kw[i][j] && !(tags >> i & 1); j++)
			for (const char *p = folded;
			     (p = strstr(p, v->kw[i][j])) != NULL; p++)
				if (word_start(folded, p)) {
					tags |= (uint64_t)1 << i;
					break;
				}
	return tags;
}

uint64_t
digest_vocab_member(const struct digest_vocab *v, const char *tags)
{
	uint64_t mask = 0;

	for (const char *p = tags ? tags : ""; *p;) {
		const char *e = strchr(p, ',');
		char *name;

		e = e ? e : p + strlen(p);
		if ((name = trimmed(p, e)) != NULL) {
			for (size_t i = 0; i < v->ntags; i++)
				if (strcmp(v->name[i], name) == 0)
					mask |= (uint64_t)1 << i;
			free(name);
		}
		p = *e ? e + 1 : e;
	}
	return mask;
}
