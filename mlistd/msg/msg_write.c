/*
 * msg_write - header fields and bodies as mlistd writes them (see
 * msg_write.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/base64.h>
#include <nettle/sha2.h>

#include "msg_private.h"
#include "msg_write.h"
#include "strutil.h"
#include "xalloc.h"

/* longest ASCII display name written as a quoted string */
#define QUOTED_MAX 200
/* UTF-8 bytes per encoded word: 52 base64 chars, 64 with the wrapping */
#define WORD_BYTES 39

/* put_b64 - one base64 group for the left (1 to 3 or more) bytes at u */
static void
put_b64(struct buf *b, const unsigned char *u, size_t left)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v =
	    u[0] << 16 | (left > 1 ? u[1] << 8 : 0) | (left > 2 ? u[2] : 0);

	buf_putc(b, t[v >> 18 & 63]);
	buf_putc(b, t[v >> 12 & 63]);
	buf_putc(b, left > 1 ? t[v >> 6 & 63] : '=');
	buf_putc(b, left > 2 ? t[v & 63] : '=');
}

/* put_words - s as UTF-8 B encoded words, folded; col is the column the
   first word starts at */
static void
put_words(struct buf *b, size_t col, const char *s)
{
	size_t n = strlen(s), i = 0;
	bool first = true;

	while (i < n) {
		size_t j = i, wl;

		while (j < n &&
		       j - i + str_utf8_step(s + j, n - j) <= WORD_BYTES)
			j += str_utf8_step(s + j, n - j);
		wl = 12 + (j - i + 2) / 3 * 4;
		if (!first) {
			if (col + 1 + wl > 76) {
				buf_puts(b, "\r\n");
				col = 0;
			}
			buf_putc(b, ' ');
			col++;
		}
		buf_puts(b, "=?UTF-8?B?");
		for (size_t k = i; k < j; k += 3)
			put_b64(b, (const unsigned char *)s + k, j - k);
		buf_puts(b, "?=");
		col += wl;
		first = false;
		i = j;
	}
}

/* plain_ok - s can be written as it is: printable ASCII, no "=?" that a
   reader would decode, no word too long to fold */
static bool
plain_ok(const char *s, size_t maxword)
{
	size_t word = 0;

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c >= 0x7f)
			return false;
		if (c == '=' && p[1] == '?')
			return false;
		word = c == ' ' ? 0 : word + 1;
		if (word > maxword)
			return false;
	}
	return true;
}

void
msg_write_phrase(struct buf *b, size_t col, const char *s)
{
	if (!plain_ok(s, QUOTED_MAX) || strlen(s) > QUOTED_MAX) {
		put_words(b, col, s);
		return;
	}
	buf_putc(b, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

void
msg_write_mailbox(struct buf *b, size_t col, const char *name, const char *addr)
{
	if (name && *name) {
		msg_write_phrase(b, col, name);
		/* an encoded phrase may end near column 76: fold there */
		buf_puts(b, strlen(name) > 40 ? "\r\n <" : " <");
	} else {
		buf_putc(b, '<');
	}
	buf_puts(b, addr);
	buf_putc(b, '>');
}

void
msg_write_subject(struct buf *b, const char *s)
{
	size_t col = 9;

	buf_puts(b, "Subject: ");
	if (!plain_ok(s, 900)) {
		put_words(b, col, s);
		buf_puts(b, "\r\n");
		return;
	}
	/* fold before a space when the next word would pass column 78 */
	for (const char *p = s; *p;) {
		size_t n = strcspn(p + 1, " ") + 1;

		if (*p == ' ' && col + n > 78 && col > 10) {
			buf_puts(b, "\r\n");
			col = 0;
		}
		buf_append(b, p, n);
		col += n;
		p += n;
	}
	buf_puts(b, "\r\n");
}

void
msg_write_base64(struct buf *b, const char *s, size_t n)
{
	/* 57 bytes make a 76-character line (RFC 2045 6.8) */
	buf_reserve(b, (n + 56) / 57 * 78);
	for (size_t i = 0; i < n; i += 57) {
		size_t k = n - i < 57 ? n - i : 57;

		base64_encode_raw(b->data + b->len, k, (const uint8_t *)s + i);
		b->len += BASE64_ENCODE_RAW_LENGTH(k);
		buf_append(b, "\r\n", 2);
	}
}

char *
msg_write_boundary(const char *w, size_t wlen)
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	sha256_init(&ctx);
	sha256_update(&ctx, wlen, (const uint8_t *)w);
	for (unsigned n = 0;; n++) {
		char *b;

		sha256_digest(&ctx, sizeof(d), d); /* also resets ctx */
		sha256_update(&ctx, sizeof(n), (const uint8_t *)&n);
		str_hex(d, 12, hex);
		b = xasprintf("=_mlistd_%s", hex);
		if (memmem(w, wlen, b, strlen(b)) == NULL)
			return b;
		free(b);
	}
}

void
msg_write_rfc822(struct buf *b, const char *boundary, const char *w,
		 size_t wlen)
{
	bool ascii = true;

	for (size_t i = 0; i < wlen && ascii; i++)
		ascii = !((unsigned char)w[i] & 0x80);
	buf_printf(b,
		   "--%s\r\nContent-Type: message/rfc822\r\n"
		   "Content-Disposition: inline\r\n%s\r\n",
		   boundary,
		   ascii ? "" : "Content-Transfer-Encoding: 8bit\r\n");
	buf_append(b, w, wlen);
	if (wlen && w[wlen - 1] != '\n')
		buf_puts(b, "\r\n");
}

void
msg_write_with_original(struct buf *b, const char *first, size_t flen,
			const char *raw, size_t len)
{
	size_t wlen;
	char *w = msg_normalise(raw, len, &wlen);
	/* base64 parts and our "=_mlistd_alt_" boundaries cannot hold it */
	char *bnd = msg_write_boundary(w, wlen);

	buf_printf(b,
		   "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
		   "--%s\r\n",
		   bnd, bnd);
	buf_append(b, first, flen);
	msg_write_rfc822(b, bnd, w, wlen);
	buf_printf(b, "--%s--\r\n", bnd);
	free(bnd);
	free(w);
}
