/*
 * subject - subject normalisation and thread keys (see subject.h).
 */
#include <ctype.h>
#include <nettle/sha1.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "strutil.h"
#include "subject.h"
#include "xalloc.h"

/* fold - NFKC, case folded, accents stripped; ASCII fallback when the
   input is not UTF-8 */
static char *
fold(const char *s)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n;

	n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
			 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
			     UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
			     UTF8PROC_STRIPMARK | UTF8PROC_LUMP);
	if (n < 0)
		return str_lower(xstrdup(s));
	{
		char *r = xstrdup((char *)out);

		free(out);
		return r;
	}
}

/* strip_prefix - length of one reply/forward prefix at p (folded), or 0;
 *fwd_r tells a forward marker from a reply one */
static size_t
strip_prefix(const char *p, const char *tag, bool *fwd_r)
{
	static const char *const words[] = {"re", "ref", "tr", "fwd", "fw",
					    "aw", "wg",	 "sv", "vs",  NULL};
	/* Transféré, Forward, Weitergeleitet */
	static const bool fwd[] = {false, false, true,	true, true,
				   false, true,	 false, false};
	size_t n;

	*fwd_r = false;

	if (tag && *tag && strncmp(p, tag, strlen(tag)) == 0)
		return strlen(tag);
	for (size_t i = 0; words[i]; i++) {
		n = strlen(words[i]);
		if (strncmp(p, words[i], n) != 0)
			continue;
		/* "Re[2]:" and "Re(2):" from some clients */
		if (p[n] == '[' || p[n] == '(') {
			size_t m = n + 1;

			while (isdigit((unsigned char)p[m]))
				m++;
			if (m > n + 1 && (p[m] == ']' || p[m] == ')'))
				n = m + 1;
		}
		while (p[n] == ' ')
			n++;
		if (p[n] == ':') {
			*fwd_r = fwd[i];
			return n + 1;
		}
	}
	return 0;
}

char *
subject_normalize(const char *subject, const char *tag)
{
	char *f, *ftag = NULL, *p;
	struct buf out = BUF_INIT;
	size_t n;
	bool fwd;

	if (subject == NULL)
		return xstrdup("");
	f = fold(subject);
	if (tag && *tag)
		ftag = fold(tag);
	/* white space (incl. tabs and NBSP after NFKC) collapses to one */
	for (p = f; *p; p++)
		if (isspace((unsigned char)*p))
			*p = ' ';
	p = f;
	for (;;) {
		while (*p == ' ')
			p++;
		if ((n = strip_prefix(p, ftag, &fwd)) == 0)
			break;
		p += n;
	}
	for (; *p; p++) {
		if (*p == ' ' && (p[1] == ' ' || p[1] == '\0'))
			continue;
		buf_putc(&out, *p);
	}
	free(f);
	free(ftag);
	return buf_steal(&out);
}

size_t
subject_markers(const char *s, bool *reply_r, bool *fwd_r)
{
	size_t p = 0;

	*reply_r = *fwd_r = false;
	for (;;) {
		size_t q = p, k, n;
		char *tok, *f;
		bool fwd;

		while (s[q] == ' ' || s[q] == '\t')
			q++;
		/* a marker is a short word and its colon: fold just that */
		for (k = q; s[k] && s[k] != ':' && k - q < 16; k++)
			;
		if (s[k] != ':')
			return p;
		tok = xstrndup(s + q, k + 1 - q);
		f = fold(tok);
		free(tok);
		n = strip_prefix(f, NULL, &fwd);
		if (n == 0 || n != strlen(f)) {
			free(f);
			return p;
		}
		free(f);
		*(fwd ? fwd_r : reply_r) = true;
		p = k + 1;
	}
}

void
subject_thread_key(const char *message_id, char out[9])
{
	struct sha1_ctx ctx;
	unsigned char d[SHA1_DIGEST_SIZE];
	char hex[2 * SHA1_DIGEST_SIZE + 1];

	sha1_init(&ctx);
	sha1_update(&ctx, strlen(message_id), (const uint8_t *)message_id);
	sha1_digest(&ctx, sizeof(d), d);
	str_hex(d, sizeof(d), hex);
	memcpy(out, hex, 8);
	out[8] = '\0';
}
