/*
 * msg_rewrite - the copy of a post that a club relays (SPEC 7).
 *
 * We work on msg_normalise()'s copy of the post (CRLF line ends, NULs as
 * spaces).  The body is changed only by a list of byte edits (insert or
 * replace a range), so everything the footer does not touch - preamble,
 * epilogue, attachments, folded header lines - is copied byte for byte.
 * The top header block is then copied field by field, dropping or
 * replacing the fields the policy names.
 *
 * Decisions:
 * - Subject: the prefix is removed wherever it appears (ASCII case
 *   insensitive), leading markers (subject.c's words) collapse into one:
 *   "Re: " when any of them is a reply marker, "Fwd: " when all of them
 *   are forward markers (a forward is not a reply).  No Subject, or an
 *   empty one, gives "[acme]".  Without prefix the Subject is not touched.
 *   Non-ASCII, "=?" or over-long words are written as UTF-8 B encoded
 *   words, else the ASCII text is folded at spaces under 78 columns.
 * - Display names (From, Cc/Reply-To author, List-Id title) are quoted
 *   strings when short printable ASCII, else UTF-8 encoded words.  The
 *   author is written from the parsed From (address lower-cased by
 *   msg_parse()); a From without a display name takes the member's
 *   registered name (opts author_name) when there is one; a post without
 *   a usable author address gets "unknown via acme" and no author in
 *   Reply-To/Cc.
 * - munge + author keeps a Reply-To the author set (their wish), and
 *   adds one naming the author otherwise.  munge/wrap + list: Reply-To is
 *   the list, the author joins Cc unless Cc already names them.
 * - DKIM-Signature and ARC-* (ARC-Seal, ARC-Message-Signature,
 *   ARC-Authentication-Results: a chain we break without sealing anew
 *   only fails) go whenever the copy is modified: always except dmarc =
 *   none with no prefix and no footer added.  Inside a wrap the original
 *   keeps everything.
 * - Footer: appended to text/plain ("-- " line, then the footer) and
 *   inserted before the last </body> of text/html (else at the end), in
 *   the single part, every alternative, or the first text (or multipart)
 *   part of multipart/mixed, related and others, recursively.  Never in
 *   attachments (disposition attachment, a filename or a name),
 *   message/rfc822, multipart/signed or multipart/encrypted: a footer
 *   there would break the signature, so those bodies are left alone.
 *   Footer lines are cut at FOOT_LINE bytes so no line we write is over
 *   998 bytes.
 * - Transfer encodings: 7bit/8bit/binary and quoted-printable get the
 *   footer inserted in place (QP-encoded for QP); base64 is decoded and
 *   re-encoded at 76 columns.  A 7bit (or undeclared) part receiving a
 *   non-ASCII footer is declared 8bit: Postfix downgrades to QP for the
 *   rare peer without 8BITMIME.
 * - Charsets: a non-ASCII footer is converted to the part's charset when
 *   every character survives the round trip; otherwise (us-ascii, an
 *   undeclared charset, UTF-16...) the part is converted to UTF-8 (read
 *   as msg_parse() reads it) and its charset parameter says utf-8.
 *   XXX an HTML part's <meta charset> is not rewritten then.
 * - Malformed MIME anywhere outside attached messages (a multipart
 *   without boundary or close delimiter, an unknown transfer encoding on
 *   a part we would change, nesting over MSG_MAX_MIME_DEPTH): the headers
 *   are still rewritten, the body is left as it is, no footer.
 * - wrap: the copy is From/To/Cc/Date/Message-ID/In-Reply-To/References
 *   (first of each, copied), the prefixed Subject, Reply-To/Cc as munge,
 *   then multipart/mixed: the footer as a text/plain part first, then the
 *   normalised original as message/rfc822 (declared 8bit when it has
 *   8-bit bytes).  The boundary is derived from SHA-256 of the post and
 *   checked not to occur in it.
 * - Added headers go at the end of the header block; *personal_at_r is
 *   right after them.  Duplicate Subject/From fields are dropped.  A post
 *   without Message-ID gets msg_generated_id() of its raw bytes, the id
 *   the store files it under (SPEC 5), so replies thread.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>
#include <nettle/sha2.h>

#include "buf.h"
#include "msg.h"
#include "msg_header.h"
#include "msg_private.h"
#include "msg_rewrite.h"
#include "msg_write.h"
#include "strutil.h"
#include "subject.h"
#include "xalloc.h"

/* deeper than this is an attack, not mail (as msg_parse.c) */
/* longest footer line we write, leaving room for QP/HTML expansion */
#define FOOT_LINE 160

struct edit {
	size_t off, len; /* range of the normalised post replaced */
	char *repl;	 /* owned */
	size_t seq;	 /* keeps insertions at one offset in order */
};

struct rw {
	const struct msg_rewrite_opts *o;
	const char *w; /* normalised post */
	size_t wlen;
	struct edit *ed;
	size_t ned;
	bool bad;	 /* malformed MIME: no footer at all */
	char *foot_text; /* "-- \r\n" + footer lines, CRLF, UTF-8 */
	char *foot_html; /* "<hr><p>...</p>\r\n", UTF-8 */
};

/* low-level helpers ------------------------------------------------------ */

static bool
is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] & 0x80)
			return false;
	return true;
}

/* ci_find - last (or first) case-insensitive needle in n bytes of s */
static const char *
ci_find(const char *s, size_t n, const char *needle, bool last)
{
	size_t k = strlen(needle);
	const char *found = NULL;

	for (size_t i = 0; i + k <= n; i++) {
		if (strncasecmp(s + i, needle, k) != 0)
			continue;
		found = s + i;
		if (!last)
			break;
	}
	return found;
}

static void
add_edit(struct rw *r, size_t off, size_t len, char *repl)
{
	r->ed = xrealloc(r->ed, (r->ned + 1) * sizeof(*r->ed));
	r->ed[r->ned] = (struct edit){off, len, repl, r->ned};
	r->ned++;
}

static int
edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* apply_edits - the normalised post with every edit made; caller frees */
static char *
apply_edits(struct rw *r, size_t *len_r)
{
	struct buf b = BUF_INIT;
	size_t at = 0;

	qsort(r->ed, r->ned, sizeof(*r->ed), edit_cmp);
	buf_reserve(&b, r->wlen + 1);
	for (size_t i = 0; i < r->ned; i++) {
		if (r->ed[i].off < at)
			continue; /* overlaps: cannot happen, never corrupt */
		buf_append(&b, r->w + at, r->ed[i].off - at);
		buf_puts(&b, r->ed[i].repl);
		at = r->ed[i].off + r->ed[i].len;
	}
	buf_append(&b, r->w + at, r->wlen - at);
	*len_r = b.len;
	return buf_steal(&b);
}

/* header fields ---------------------------------------------------------- */

/* header fields are msg_header.c's; these names keep the callers' */

static bool
field_is(const char *w, const struct hdr_field *f, const char *name)
{
	return hdr_is(w, f, name);
}

static bool
field_has_prefix(const char *w, const struct hdr_field *f, const char *prefix)
{
	return hdr_has_prefix(w, f, prefix);
}

/* field_find - the first field called name in [start, end) */
static bool
field_find(const char *w, size_t start, size_t end, const char *name,
	   struct hdr_field *f)
{
	return hdr_find(w, start, end, name, f);
}

/* copy_field - the field as it was, CRLF-terminated */
static void
copy_field(struct buf *b, const char *w, const struct hdr_field *f)
{
	buf_append(b, w + f->start, f->end - f->start);
	if (f->end - f->start < 2 || w[f->end - 1] != '\n')
		buf_puts(b, "\r\n");
}

char *
msg_rewrite_subject(const char *subject, const char *prefix)
{
	struct buf t = BUF_INIT, out = BUF_INIT;
	size_t plen = strlen(prefix), n;
	const char *s = subject ? subject : "", *rest;
	bool reply, fwd;

	/* every copy of the prefix goes, with the blanks after it */
	while (*s) {
		if (plen && strncasecmp(s, prefix, plen) == 0) {
			s += plen;
			if (t.len == 0 || t.data[t.len - 1] == ' ')
				s += strspn(s, " \t");
			continue;
		}
		buf_putc(&t, *s++);
	}
	rest = buf_cstr(&t);
	rest += strspn(rest, " \t");
	n = subject_markers(rest, &reply, &fwd);
	rest += n;
	rest += strspn(rest, " \t");
	if (reply)
		buf_puts(&out, "Re: ");
	else if (fwd)
		buf_puts(&out, "Fwd: ");
	buf_puts(&out, prefix);
	if (*rest) {
		buf_putc(&out, ' ');
		buf_puts(&out, rest);
	}
	/* trailing blanks of the original stay out */
	while (out.len && out.data[out.len - 1] == ' ')
		out.data[--out.len] = '\0';
	buf_free(&t);
	return buf_steal(&out);
}

/* footer text ------------------------------------------------------------ */

/* footer_lines - the footer as CRLF lines of at most FOOT_LINE bytes
   (cut on character boundaries), trailing blank lines dropped */
static void
footer_lines(struct buf *b, const char *f)
{
	size_t n = strlen(f), col = 0;

	while (n && (f[n - 1] == '\n' || f[n - 1] == '\r' || f[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < n;) {
		size_t k;

		if (f[i] == '\r' || f[i] == '\n') {
			i += f[i] == '\r' && i + 1 < n && f[i + 1] == '\n' ? 2
									   : 1;
			buf_puts(b, "\r\n");
			col = 0;
			continue;
		}
		k = str_utf8_step(f + i, n - i);
		if (col + k > FOOT_LINE) {
			buf_puts(b, "\r\n");
			col = 0;
		}
		buf_append(b, f[i] ? f + i : " ", k);
		col += k;
		i += k;
	}
	buf_puts(b, "\r\n");
}

/* footer_html - "<hr><p>footer</p>", escaped, lines joined by <br> */
static char *
footer_html(const char *lines)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "<hr><p>");
	for (const char *p = lines; *p; p++) {
		switch (*p) {
		case '&':
			buf_puts(&b, "&amp;");
			break;
		case '<':
			buf_puts(&b, "&lt;");
			break;
		case '>':
			buf_puts(&b, "&gt;");
			break;
		case '"':
			buf_puts(&b, "&quot;");
			break;
		case '\r':
			break;
		case '\n':
			if (p[1] != '\0')
				buf_puts(&b, "<br>\r\n");
			break;
		default:
			buf_putc(&b, *p);
		}
	}
	buf_puts(&b, "</p>\r\n");
	return buf_steal(&b);
}

/* transfer encodings ----------------------------------------------------- */

/* put_qp - quoted-printable, CRLF as hard breaks, lines under 77 */
static void
put_qp(struct buf *b, const char *s, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char tok[4];
		size_t tl = 1;

		if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
			buf_puts(b, "\r\n");
			col = 0;
			i++;
			continue;
		}
		tok[0] = (char)c;
		/* blanks before a line end would be stripped in transit */
		if ((c < 0x20 && c != '\t') || c >= 0x7f || c == '=' ||
		    ((c == ' ' || c == '\t') &&
		     (i + 1 == n || s[i + 1] == '\r'))) {
			snprintf(tok, sizeof(tok), "=%02X", c);
			tl = 3;
		}
		if (col + tl > 75) {
			buf_puts(b, "=\r\n");
			col = 0;
		}
		buf_append(b, tok, tl);
		col += tl;
	}
}

/* part footers ----------------------------------------------------------- */

/* part_cte - the part's declared transfer encoding, -1 when undeclared */
static int
part_cte(const struct mailmime *mime)
{
	if (mime->mm_mime_fields == NULL)
		return -1;
	for (clistiter *it = clist_begin(mime->mm_mime_fields->fld_list); it;
	     it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);

		if (f->fld_type == MAILMIME_FIELD_TRANSFER_ENCODING &&
		    f->fld_data.fld_encoding)
			return f->fld_data.fld_encoding->enc_type;
	}
	return -1;
}

/* has_filename - a filename or name parameter: an attachment to MUAs */
static bool
has_filename(const struct mailmime *mime)
{
	if (mime->mm_content_type &&
	    mailmime_content_param_get(mime->mm_content_type, "name"))
		return true;
	if (mime->mm_mime_fields == NULL)
		return false;
	for (clistiter *it = clist_begin(mime->mm_mime_fields->fld_list); it;
	     it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);

		if (f->fld_type != MAILMIME_FIELD_DISPOSITION ||
		    f->fld_data.fld_disposition == NULL ||
		    f->fld_data.fld_disposition->dsp_parms == NULL)
			continue;
		for (clistiter *p =
			 clist_begin(f->fld_data.fld_disposition->dsp_parms);
		     p; p = clist_next(p)) {
			struct mailmime_disposition_parm *dp = clist_content(p);

			if (dp->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
				return true;
		}
	}
	return false;
}

static bool
skipped_part(const struct mailmime *mime)
{
	return msg_mime_is_attachment(mime) || has_filename(mime);
}

/* charset_kind - 'u' UTF-8, 'a' ASCII or undeclared, 'w' wide (not
   ASCII-compatible), 'o' other, '?' a name we would not hand iconv */
static char
charset_kind(const char *cs)
{
	static const char *const ascii[] = {"us-ascii", "ascii",
					    "ansi_x3.4-1968", NULL};

	if (cs == NULL || *cs == '\0')
		return 'a';
	if (strlen(cs) > 40 || strspn(cs, "abcdefghijklmnopqrstuvwxyz"
					  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789-_.:+") != strlen(cs))
		return '?';
	if (strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0)
		return 'u';
	for (int i = 0; ascii[i]; i++)
		if (strcasecmp(cs, ascii[i]) == 0)
			return 'a';
	if (strncasecmp(cs, "utf-16", 6) == 0 ||
	    strncasecmp(cs, "utf-32", 6) == 0 || strncasecmp(cs, "ucs", 3) == 0)
		return 'w';
	return 'o';
}

/* from_utf8 - s in charset cs when every character survives the round
   trip, else NULL; caller frees */
static char *
from_utf8(const char *s, const char *cs)
{
	char *out = NULL, *back = NULL, *res = NULL;
	size_t ol, bl, n = strlen(s);

	if (charconv_buffer(cs, "UTF-8", s, n, &out, &ol) ==
		MAIL_CHARCONV_NO_ERROR &&
	    memchr(out, '\0', ol) == NULL &&
	    charconv_buffer("UTF-8", cs, out, ol, &back, &bl) ==
		MAIL_CHARCONV_NO_ERROR &&
	    bl == n && memcmp(back, s, n) == 0)
		res = xstrndup(out, ol);
	if (out)
		charconv_buffer_free(out);
	if (back)
		charconv_buffer_free(back);
	return res;
}

/* part_header - the part's header block [*start, *end); false when the
   part has no empty line before its body we can find */
static bool
part_header(struct rw *r, const struct mailmime *mime, size_t body,
	    size_t *start, size_t *end)
{
	size_t s =
	    mime->mm_mime_start ? (size_t)(mime->mm_mime_start - r->w) : 0;

	if (body < 2 || r->w[body - 2] != '\r' || r->w[body - 1] != '\n' ||
	    s > body)
		return false;
	*start = s < body - 2 ? s : body - 2;
	*end = body - 2;
	return true;
}

/* set_field - replace the part's field name (or add it) by "name: v" */
static void
set_field(struct rw *r, size_t hs, size_t he, const char *name, const char *v)
{
	struct hdr_field f;

	if (field_find(r->w, hs, he, name, &f))
		add_edit(r, f.start, f.end - f.start,
			 xasprintf("%s: %s\r\n", name, v));
	else
		add_edit(r, he, 0, xasprintf("%s: %s\r\n", name, v));
}

/* charset_value - where the charset parameter's value lies in the n
   bytes of field v: [*start, *end); false when there is none */
static bool
charset_value(const char *v, size_t n, size_t *start, size_t *end)
{
	for (size_t i = 1; i + 7 < n; i++) {
		size_t q = i + 7;

		if (strncasecmp(v + i, "charset", 7) != 0 ||
		    !strchr(" \t\n;", v[i - 1]))
			continue;
		while (q < n && (v[q] == ' ' || v[q] == '\t'))
			q++;
		if (q >= n || v[q] != '=')
			continue;
		for (q++; q < n && (v[q] == ' ' || v[q] == '\t');)
			q++;
		*start = q;
		if (q < n && v[q] == '"') {
			const char *e = memchr(v + q + 1, '"', n - q - 1);

			*end = e ? (size_t)(e - v) + 1 : n;
		} else {
			while (q < n && !strchr(" \t;\r\n(", v[q]))
				q++;
			*end = q;
		}
		return true;
	}
	return false;
}

/* set_utf8 - the part's Content-Type says charset=utf-8 */
static void
set_utf8(struct rw *r, size_t hs, size_t he, const char *type)
{
	struct hdr_field f;
	struct buf b = BUF_INIT;
	const char *v;
	size_t vl, cs, ce;

	if (!field_find(r->w, hs, he, "Content-Type", &f)) {
		set_field(r, hs, he, "Content-Type",
			  strcmp(type, "text/html") == 0
			      ? "text/html; charset=utf-8"
			      : "text/plain; charset=utf-8");
		return;
	}
	v = r->w + f.start;
	vl = f.end - f.start;
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
		vl--;
	if (charset_value(v, vl, &cs, &ce)) {
		buf_append(&b, v, cs);
		buf_puts(&b, "utf-8");
		buf_append(&b, v + ce, vl - ce);
	} else {
		buf_append(&b, v, vl);
		buf_puts(&b, "; charset=utf-8");
	}
	buf_puts(&b, "\r\n");
	add_edit(r, f.start, f.end - f.start, buf_steal(&b));
}

/* insert_footer - text with the footer in: appended, or for HTML before
   the last </body>; qp: the text is quoted-printable encoded and the
   footer is encoded to match */
static void
insert_footer(struct buf *b, const char *t, size_t n, const char *foot,
	      bool html, bool qp)
{
	const char *at = html ? ci_find(t, n, "</body", true) : NULL;

	if (at) {
		buf_append(b, t, (size_t)(at - t));
		/* on a line of its own, so no line we make grows past 998 */
		if (qp) {
			buf_puts(b, "=\r\n");
			put_qp(b, foot, strlen(foot));
		} else {
			if (at > t && at[-1] != '\n')
				buf_puts(b, "\r\n");
			buf_puts(b, foot);
		}
		buf_append(b, at, n - (size_t)(at - t));
		return;
	}
	buf_append(b, t, n);
	if (qp && n && t[n - 1] == '=')
		buf_puts(b, "\r\n"); /* a soft break left open */
	if (n && t[n - 1] != '\n')
		buf_puts(b, "\r\n");
	if (qp)
		put_qp(b, foot, strlen(foot));
	else
		buf_puts(b, foot);
}

/* decode - the part body decoded (7bit/8bit/binary: as it is) */
static char *
decode(const char *data, size_t len, int enc, size_t *len_r)
{
	char *dec = NULL, *res;
	size_t idx = 0, dl = 0;

	if (enc != MAILMIME_MECHANISM_BASE64 &&
	    enc != MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		*len_r = len;
		return xstrndup(data, len);
	}
	if (mailmime_part_parse(data, len, &idx, enc, &dec, &dl) !=
	    MAILIMF_NO_ERROR)
		return NULL;
	res = xmalloc(dl + 1);
	memcpy(res, dec, dl);
	res[dl] = '\0';
	mmap_string_unref(dec);
	*len_r = dl;
	return res;
}

/* foot_part - the footer into one text/plain or text/html part */
static void
foot_part(struct rw *r, const struct mailmime *mime, const char *type)
{
	const struct mailmime_data *d = mime->mm_data.mm_single;
	bool html = strcmp(type, "text/html") == 0;
	const char *foot = html ? r->foot_html : r->foot_text;
	const char *cs = NULL, *data;
	char *conv = NULL, kind;
	int enc = part_cte(mime);
	size_t body, len, hs, he;
	bool to_utf8 = false, qp = enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	bool mime_fields = false;
	struct buf b = BUF_INIT;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL) {
		r->bad = true;
		return;
	}
	data = d->dt_data.dt_text.dt_data;
	len = d->dt_data.dt_text.dt_length;
	body = (size_t)(data - r->w);
	if (enc == MAILMIME_MECHANISM_TOKEN ||
	    enc == MAILMIME_MECHANISM_ERROR || body > r->wlen ||
	    len > r->wlen - body || !part_header(r, mime, body, &hs, &he)) {
		r->bad = true;
		return;
	}
	if (mime->mm_content_type)
		cs = mailmime_content_param_get(mime->mm_content_type,
						"charset");
	kind = charset_kind(cs);
	if (kind == 'w' || (kind != 'u' && !is_ascii(foot, strlen(foot)))) {
		if (kind == 'o' || kind == 'w')
			conv = from_utf8(foot, cs);
		if (conv == NULL)
			to_utf8 = true;
		else
			foot = conv;
	}
	if (to_utf8 || enc == MAILMIME_MECHANISM_BASE64) {
		size_t dl, ul;
		char *dec = decode(data, len, enc, &dl), *u;
		struct buf t = BUF_INIT;

		if (dec == NULL) {
			r->bad = true;
			free(conv);
			return;
		}
		u = to_utf8
			? msg_charset_to_utf8(dec, dl, kind == '?' ? NULL : cs)
			: dec;
		ul = to_utf8 ? strlen(u) : dl;
		insert_footer(&t, u, ul, foot, html, false);
		if (enc == MAILMIME_MECHANISM_BASE64)
			msg_write_base64(&b, t.data, t.len);
		else if (qp)
			put_qp(&b, t.data, t.len);
		else
			buf_append(&b, t.data, t.len);
		if (u != dec)
			free(u);
		free(dec);
		buf_free(&t);
	} else {
		insert_footer(&b, data, len, foot, html, qp);
	}
	if ((enc == -1 || enc == MAILMIME_MECHANISM_7BIT) &&
	    !is_ascii(b.data, b.len)) {
		set_field(r, hs, he, "Content-Transfer-Encoding", "8bit");
		mime_fields = true;
	}
	add_edit(r, body, len, buf_steal(&b));
	if (to_utf8)
		set_utf8(r, hs, he, type);
	/* MIME fields at the top of a plain RFC 5322 message need this */
	if (hs == 0 && (mime_fields || to_utf8) &&
	    !field_find(r->w, hs, he, "MIME-Version", &(struct hdr_field){0}))
		add_edit(r, he, 0, xstrdup("MIME-Version: 1.0\r\n"));
	free(conv);
}

/* tree_bad - a multipart anywhere outside attached messages is broken */
static bool
tree_bad(const struct mailmime *mime, int depth)
{
	char type[128];

	if (mime == NULL)
		return false;
	if (depth > MSG_MAX_MIME_DEPTH)
		return true;
	msg_mime_type(mime->mm_content_type, type, sizeof(type));
	switch (mime->mm_type) {
	case MAILMIME_SINGLE:
		return strncmp(type, "multipart/", 10) == 0;
	case MAILMIME_MULTIPLE: {
		clist *l = mime->mm_data.mm_multipart.mm_mp_list;

		if (!msg_mime_boundary_ok(mime) || l == NULL ||
		    clist_begin(l) == NULL)
			return true;
		for (clistiter *it = clist_begin(l); it; it = clist_next(it))
			if (tree_bad(clist_content(it), depth + 1))
				return true;
		return false;
	}
	case MAILMIME_MESSAGE:
		return mime->mm_parent == NULL &&
		       tree_bad(mime->mm_data.mm_message.mm_msg_mime,
				depth + 1);
	}
	return true;
}

/* footable - a part the footer may go in or under */
static bool
footable(const struct mailmime *mime)
{
	char type[128];

	if (skipped_part(mime))
		return false;
	msg_mime_type(mime->mm_content_type, type, sizeof(type));
	return strcmp(type, "text/plain") == 0 ||
	       strcmp(type, "text/html") == 0 ||
	       mime->mm_type == MAILMIME_MULTIPLE;
}

/* foot_walk - put the footer where SPEC 7 wants it under mime */
static void
foot_walk(struct rw *r, const struct mailmime *mime, int depth)
{
	char type[128];
	clist *l;

	if (mime == NULL || depth > MSG_MAX_MIME_DEPTH)
		return;
	msg_mime_type(mime->mm_content_type, type, sizeof(type));
	switch (mime->mm_type) {
	case MAILMIME_MESSAGE:
		/* only the post itself; attached messages stay intact */
		if (mime->mm_parent == NULL)
			foot_walk(r, mime->mm_data.mm_message.mm_msg_mime,
				  depth + 1);
		return;
	case MAILMIME_SINGLE:
		if (!skipped_part(mime) && (strcmp(type, "text/plain") == 0 ||
					    strcmp(type, "text/html") == 0))
			foot_part(r, mime, type);
		return;
	case MAILMIME_MULTIPLE:
		break;
	default:
		return;
	}
	if (strcmp(type, "multipart/signed") == 0 ||
	    strcmp(type, "multipart/encrypted") == 0)
		return;
	l = mime->mm_data.mm_multipart.mm_mp_list;
	for (clistiter *it = clist_begin(l); it; it = clist_next(it)) {
		const struct mailmime *c = clist_content(it);

		if (strcmp(type, "multipart/alternative") == 0) {
			foot_walk(r, c, depth + 1);
		} else if (footable(c)) {
			/* mixed, related...: the main text only */
			foot_walk(r, c, depth + 1);
			return;
		}
	}
}

/* add_footer - edits putting the footer in; false when the body stays */
static bool
add_footer(struct rw *r)
{
	struct mailmime *mime = NULL;
	size_t idx = 0;
	struct buf lines = BUF_INIT, t = BUF_INIT;

	if (mailmime_parse(r->w, r->wlen, &idx, &mime) != MAILIMF_NO_ERROR ||
	    mime == NULL)
		return false;
	footer_lines(&lines, r->o->footer);
	buf_puts(&t, "-- \r\n");
	buf_puts(&t, buf_cstr(&lines));
	r->foot_text = buf_steal(&t);
	r->foot_html = footer_html(buf_cstr(&lines));
	buf_free(&lines);
	if (tree_bad(mime, 0))
		r->bad = true;
	else
		foot_walk(r, mime, 0);
	mailmime_free(mime);
	return !r->bad && r->ned > 0;
}

/* top-level headers ------------------------------------------------------ */

struct author {
	const char *addr; /* NULL when the post has no usable one */
	const char *name;
	char *via;  /* "Alice Martin via acme" */
	char *list; /* "acme@lists.example.org" */
};

static void
author_init(struct author *a, const struct msg_rewrite_author *m,
	    const struct msg_rewrite_opts *o)
{
	const char *who;

	a->addr = m->addr;
	if (a->addr &&
	    (strlen(a->addr) > 254 || strpbrk(a->addr, " \t<>\",;()\\") ||
	     !strchr(a->addr, '@')))
		a->addr = NULL;
	a->name = m->name;
	if (a->name == NULL && o->author_name && *o->author_name)
		a->name = o->author_name;
	who = a->name ? a->name : a->addr ? a->addr : "unknown";
	a->via = xasprintf("%s via %s", who, o->club);
	a->list = xasprintf("%s@%s", o->club, o->domain);
}

/* put_addr_field - "Name: phrase <addr>" */
static void
put_addr_field(struct buf *b, const char *fname, const char *name,
	       const char *addr)
{
	buf_printf(b, "%s: ", fname);
	msg_write_mailbox(b, strlen(fname) + 2, name, addr);
	buf_puts(b, "\r\n");
}

static void
put_from(struct buf *b, const struct author *a)
{
	put_addr_field(b, "From", a->via, a->list);
}

static void
put_reply_to_list(struct buf *b, const struct author *a)
{
	buf_printf(b, "Reply-To: <%s>\r\n", a->list);
}

/* mailbox_is - mb's address is addr, case-insensitive */
static bool
mailbox_is(const struct mailimf_mailbox *mb, const char *addr)
{
	return mb->mb_addr_spec && strcasecmp(mb->mb_addr_spec, addr) == 0;
}

/* cc_names - the address list in the n bytes at v names addr as a whole
   address (al@x is not in sal@x); a list that does not parse names
   nobody, so the author is added rather than missed */
static bool
cc_names(const char *v, size_t n, const char *addr)
{
	struct mailimf_address_list *al = NULL;
	char *s = xstrndup(v, n);
	size_t idx = 0;
	bool found = false;

	if (mailimf_address_list_parse(s, n, &idx, &al) != MAILIMF_NO_ERROR)
		al = NULL;
	for (clistiter *it = al ? clist_begin(al->ad_list) : NULL; it && !found;
	     it = clist_next(it)) {
		const struct mailimf_address *ad = clist_content(it);
		const struct mailimf_mailbox_list *g;

		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			found = mailbox_is(ad->ad_data.ad_mailbox, addr);
			continue;
		}
		g = ad->ad_data.ad_group->grp_mb_list;
		for (clistiter *m = g ? clist_begin(g->mb_list) : NULL;
		     m && !found; m = clist_next(m))
			found = mailbox_is(clist_content(m), addr);
	}
	if (al)
		mailimf_address_list_free(al);
	free(s);
	return found;
}

/* put_cc - the Cc field f (or none) with the author added */
static void
put_cc(struct buf *b, const char *w, const struct hdr_field *f,
       const struct author *a)
{
	const char *colon;

	if (f == NULL) {
		put_addr_field(b, "Cc", a->name, a->addr);
		return;
	}
	colon = w + f->start + f->name_len;
	colon = memchr(colon, ':', (size_t)(w + f->end - colon));
	if (colon &&
	    cc_names(colon + 1, (size_t)(w + f->end - colon - 1), a->addr)) {
		copy_field(b, w, f);
		return;
	}
	buf_append(b, w + f->start, f->end - f->start);
	while (b->len &&
	       (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r'))
		b->len--;
	buf_puts(b, ",\r\n ");
	msg_write_mailbox(b, 1, a->name, a->addr);
	buf_puts(b, "\r\n");
}

/* put_list_fields - List-Id, List-Post... and Precedence (SPEC 7) */
static void
put_list_fields(struct buf *b, const struct msg_rewrite_opts *o)
{
	const char *t = o->title ? o->title : "";

	buf_puts(b, "List-Id: ");
	if (*t) {
		msg_write_phrase(b, 9, t);
		buf_puts(b, strlen(t) > 40 ? "\r\n " : " ");
	}
	buf_printf(b, "<%s.%s>\r\n", o->club, o->domain);
	buf_printf(b, "List-Post: <mailto:%s@%s>\r\n", o->club, o->domain);
	buf_printf(b, "List-Help: <mailto:%s%chelp@%s>\r\n", o->club, o->delim,
		   o->domain);
	buf_printf(b, "List-Subscribe: <mailto:%s%csubscribe@%s>\r\n", o->club,
		   o->delim, o->domain);
	buf_printf(b, "List-Owner: <mailto:%s%cowner@%s>\r\n", o->club,
		   o->delim, o->domain);
	buf_puts(b, "Precedence: list\r\n");
}

/* dropped - fields of the previous hop, signatures we break, and the
   thread links when the store's replace them */
static bool
dropped(const char *w, const struct hdr_field *f, bool modified, bool links)
{
	static const char *const hop[] = {
	    "Precedence", "Return-Path", "Delivered-To", "X-Original-To", NULL};

	if (field_has_prefix(w, f, "List-"))
		return true;
	if (links &&
	    (field_is(w, f, "In-Reply-To") || field_is(w, f, "References")))
		return true;
	for (int i = 0; hop[i]; i++)
		if (field_is(w, f, hop[i]))
			return true;
	return modified && (field_is(w, f, "DKIM-Signature") ||
			    field_has_prefix(w, f, "ARC-"));
}

struct hdr_state {
	const struct msg_rewrite_opts *o;
	const struct msg_rewrite_author *m;
	const struct author *a;
	bool modified;
	bool subject_done, from_done, reply_to_done, cc_done, id_seen;
	char *gen_id; /* the id the store gave a post without Message-ID */
};

/* subject_field - the prefixed Subject */
static void
subject_field(struct buf *b, const struct hdr_state *h)
{
	char *s = msg_rewrite_subject(h->m->subject, h->o->prefix);

	msg_write_subject(b, s);
	free(s);
}

/* one_field - copy, drop or replace one top-level field */
static void
one_field(struct buf *b, const char *w, const struct hdr_field *f,
	  struct hdr_state *h)
{
	const struct msg_rewrite_opts *o = h->o;
	bool munge = o->dmarc == MSG_REWRITE_DMARC_MUNGE;
	bool list = o->reply_to == MSG_REWRITE_REPLY_LIST;

	if (dropped(w, f, h->modified, o->in_reply_to != NULL))
		return;
	if (field_is(w, f, "Message-ID"))
		h->id_seen = true;
	if (*o->prefix && field_is(w, f, "Subject")) {
		if (!h->subject_done)
			subject_field(b, h);
		h->subject_done = true;
	} else if (munge && field_is(w, f, "From")) {
		if (!h->from_done)
			put_from(b, h->a);
		h->from_done = true;
	} else if (field_is(w, f, "Reply-To") && (list || munge)) {
		/* list: ours replaces it; munge + author: the author's wish */
		if (!list && !h->reply_to_done)
			copy_field(b, w, f);
		if (list && !h->reply_to_done)
			put_reply_to_list(b, h->a);
		h->reply_to_done = true;
	} else if (munge && list && h->a->addr && field_is(w, f, "Cc") &&
		   !h->cc_done) {
		put_cc(b, w, f, h->a);
		h->cc_done = true;
	} else {
		copy_field(b, w, f);
	}
}

/* link_ok - a Message-ID fit to be written back: "<...>" of visible
   ASCII, nothing that could end or fold the field */
static bool
link_ok(const char *id, size_t n)
{
	if (n < 3 || n > 998 - 14 || id[0] != '<' || id[n - 1] != '>')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] <= ' ' || (unsigned char)id[i] > '~')
			return false;
	return true;
}

/* put_links - the store's In-Reply-To and References, one id a line */
static void
put_links(struct buf *b, const struct msg_rewrite_opts *o)
{
	const char *p = o->references ? o->references : "";
	bool any = false;

	if (link_ok(o->in_reply_to, strlen(o->in_reply_to)))
		buf_printf(b, "In-Reply-To: %s\r\n", o->in_reply_to);
	while (*p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > 0 && link_ok(p, n)) {
			buf_puts(b, any ? "\r\n " : "References: ");
			buf_append(b, p, n);
			any = true;
		}
		p += n;
	}
	if (any)
		buf_puts(b, "\r\n");
}

/* policy_fields - what the policy adds when the post had no such field */
static void
policy_fields(struct buf *b, struct hdr_state *h)
{
	const struct msg_rewrite_opts *o = h->o;
	bool munge = o->dmarc != MSG_REWRITE_DMARC_NONE;
	bool list = o->reply_to == MSG_REWRITE_REPLY_LIST;

	/* replies to the copy must thread with what the store holds */
	if (!h->id_seen)
		buf_printf(b, "Message-ID: %s\r\n", h->gen_id);
	if (o->in_reply_to)
		put_links(b, o);
	if (*o->prefix && !h->subject_done)
		subject_field(b, h);
	if (munge && !h->from_done)
		put_from(b, h->a);
	if (!h->reply_to_done && list)
		put_reply_to_list(b, h->a);
	else if (!h->reply_to_done && munge && h->a->addr)
		put_addr_field(b, "Reply-To", h->a->name, h->a->addr);
	if (munge && list && h->a->addr && !h->cc_done)
		put_cc(b, NULL, NULL, h->a);
}

/* rewrite_top - the copy for munge and none: w's header block rewritten,
   then its body */
static void
rewrite_top(const char *w, size_t wlen, struct hdr_state *h, struct buf *out,
	    size_t *personal_at)
{
	size_t hend = hdr_end(w, wlen, 0);
	struct hdr_field f;
	struct hdr_iter it;

	hdr_iter_init(&it, w, 0, hend);
	while (hdr_next(&it, &f))
		one_field(out, w, &f, h);
	policy_fields(out, h);
	put_list_fields(out, h->o);
	*personal_at = out->len;
	buf_puts(out, "\r\n");
	if (hend + 2 <= wlen)
		buf_append(out, w + hend + 2, wlen - hend - 2);
}

/* wrap_top - the copy for wrap: a new message around the post */
static void
wrap_top(const char *w, size_t wlen, struct hdr_state *h, struct buf *out,
	 size_t *personal_at)
{
	static const char *const kept[] = {
	    "To",	   "Cc",	 "Date", "Message-ID",
	    "In-Reply-To", "References", NULL};
	size_t hend = hdr_end(w, wlen, 0);
	char *bnd = msg_write_boundary(w, wlen);
	struct hdr_field f;
	bool list = h->o->reply_to == MSG_REWRITE_REPLY_LIST;

	for (int i = 0; kept[i]; i++) {
		if (!field_find(w, 0, hend, kept[i], &f) ||
		    dropped(w, &f, false, h->o->in_reply_to != NULL))
			continue;
		if (strcmp(kept[i], "Message-ID") == 0)
			h->id_seen = true;
		if (list && h->a->addr && strcmp(kept[i], "Cc") == 0) {
			put_cc(out, w, &f, h->a);
			h->cc_done = true;
		} else {
			copy_field(out, w, &f);
		}
	}
	if (*h->o->prefix) {
		subject_field(out, h);
		h->subject_done = true;
	} else if (field_find(w, 0, hend, "Subject", &f))
		copy_field(out, w, &f);
	/* munge's Reply-To rule: an author's own Reply-To is kept */
	if (!list && field_find(w, 0, hend, "Reply-To", &f)) {
		copy_field(out, w, &f);
		h->reply_to_done = true;
	}
	policy_fields(out, h);
	buf_printf(out,
		   "MIME-Version: 1.0\r\n"
		   "Content-Type: multipart/mixed; boundary=\"%s\"\r\n",
		   bnd);
	put_list_fields(out, h->o);
	*personal_at = out->len;
	buf_puts(out, "\r\n");
	if (h->o->footer && *h->o->footer) {
		struct buf lines = BUF_INIT;

		footer_lines(&lines, h->o->footer);
		buf_printf(out,
			   "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			   "Content-Transfer-Encoding: %s\r\n\r\n",
			   bnd,
			   is_ascii(lines.data, lines.len) ? "7bit" : "8bit");
		buf_append(out, lines.data, lines.len);
		buf_free(&lines);
	}
	msg_write_rfc822(out, bnd, w, wlen);
	buf_printf(out, "--%s--\r\n", bnd);
	free(bnd);
}

int
msg_rewrite(const char *raw, size_t len, const struct msg_rewrite_opts *o,
	    struct buf *out, size_t *personal_at_r, char **error_r)
{
	struct rw r = {.o = o};
	struct msg *m = NULL;
	struct msg_rewrite_author parsed;
	struct author a;
	struct msg_rewrite_opts opts;
	struct hdr_state h = {0};
	char *w2 = NULL;
	size_t w2len;
	bool footed = false;

	if (o == NULL || o->club == NULL || *o->club == '\0' ||
	    o->domain == NULL || *o->domain == '\0') {
		*error_r = xstrdup("msg_rewrite: no club or domain");
		return -1;
	}
	opts = *o;
	if (opts.prefix == NULL)
		opts.prefix = "";
	if (opts.delim == '\0')
		opts.delim = '+';
	r.o = &opts;
	r.w = msg_normalise(raw, len, &r.wlen);
	if (opts.author == NULL) {
		/* what intake would have stored: msg_parse() normalises
		   first and normalising is idempotent, so parsing r.w reads
		   the same fields as parsing raw */
		m = msg_parse(r.w, r.wlen);
		parsed = (struct msg_rewrite_author){m->from_addr, m->from_name,
						     m->subject};
		opts.author = &parsed;
	}
	author_init(&a, opts.author, &opts);
	h = (struct hdr_state){.o = &opts, .m = opts.author, .a = &a};
	h.gen_id = msg_generated_id(raw ? raw : "", raw ? len : 0);
	if (opts.dmarc == MSG_REWRITE_DMARC_WRAP) {
		wrap_top(r.w, r.wlen, &h, out, personal_at_r);
	} else {
		if (opts.footer && *opts.footer)
			footed = add_footer(&r);
		w2 = footed ? apply_edits(&r, &w2len) : NULL;
		h.modified = opts.dmarc != MSG_REWRITE_DMARC_NONE ||
			     *opts.prefix || footed;
		rewrite_top(w2 ? w2 : r.w, w2 ? w2len : r.wlen, &h, out,
			    personal_at_r);
	}
	for (size_t i = 0; i < r.ned; i++)
		free(r.ed[i].repl);
	free(r.ed);
	free(r.foot_text);
	free(r.foot_html);
	free(w2);
	free((char *)r.w);
	free(a.via);
	free(a.list);
	free(h.gen_id);
	msg_free(&m);
	return 0;
}
