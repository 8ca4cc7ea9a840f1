/*
 * msg_parse - raw message bytes to struct msg, through libetpan.
 *
 * The input is hostile: NUL bytes, any line ends, 8-bit headers, megabyte
 * lines, broken MIME.  We work on a normalised copy (CRLF line ends, NULs
 * blanked) so libetpan sees canonical input, and every string leaving this
 * file is valid UTF-8.  Whatever could not be read properly is named in
 * msg->problems; nothing here ever fails.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>
#include <utf8proc.h>

#include "clock.h"
#include "html.h"
#include "msg.h"
#include "msg_hash.h"
#include "msg_header.h"
#include "msg_private.h"
#include "strutil.h"
#include "msg_text.h"
#include "xalloc.h"

/* deeper MIME nesting than this is not mail, it is an attack on the stack */

/* windows-1252 for 0x80..0x9f; 0 marks the five undefined bytes */
static const uint16_t cp1252_high[32] = {
    0x20ac, 0,	    0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,	    0x017d, 0,
    0,	    0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,	    0x017e, 0x0178,
};

/* take - the buffer's string ("" when nothing was appended: buf_reserve
   alone leaves no terminator) */
static char *
take(struct buf *b)
{
	if (b->len == 0) {
		buf_free(b);
		return xstrdup("");
	}
	return buf_steal(b);
}

/* add_problem - record a problem once */
static void
add_problem(struct msg *m, const char *p)
{
	for (size_t i = 0; i < m->nproblems; i++)
		if (strcmp(m->problems[i], p) == 0)
			return;
	m->problems =
	    xrealloc(m->problems, (m->nproblems + 1) * sizeof(*m->problems));
	m->problems[m->nproblems++] = xstrdup(p);
}

static void
put_cp(struct buf *b, int32_t cp)
{
	uint8_t tmp[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, tmp);

	buf_append(b, tmp, (size_t)n);
}

/* utf8_clean - copy of s with invalid sequences as U+FFFD, NULs dropped;
   valid runs are copied whole */
static char *
utf8_clean(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i = 0, run = 0, k;

	buf_reserve(&b, n + 1);
	while (i < n) {
		if (s[i] != '\0' && (k = str_utf8_seq(s + i, n - i)) > 0) {
			i += k;
			continue;
		}
		buf_append(&b, s + run, i - run);
		if (s[i] != '\0')
			put_cp(&b, 0xfffd);
		run = ++i;
	}
	buf_append(&b, s + run, i - run);
	return take(&b);
}

static bool
utf8_valid(const char *s, size_t n)
{
	return str_utf8_valid(s, n);
}

/* cp1252_to_utf8 - what undeclared 8-bit text almost always is */
static char *
cp1252_to_utf8(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	buf_reserve(&b, n + n / 2 + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0)
			continue;
		if (c < 0x80)
			buf_putc(&b, (char)c);
		else if (c < 0xa0)
			put_cp(&b, cp1252_high[c - 0x80] ? cp1252_high[c - 0x80]
							 : 0xfffd);
		else
			put_cp(&b, c);
	}
	return take(&b);
}

/* raw_to_utf8 - undeclared bytes: UTF-8 if they are, else windows-1252 */
static char *
raw_to_utf8(const char *s, size_t n)
{
	if (utf8_valid(s, n))
		return utf8_clean(s, n);
	return cp1252_to_utf8(s, n);
}

static bool
charset_is(const char *cs, const char *const *names)
{
	for (; *names; names++)
		if (strcasecmp(cs, *names) == 0)
			return true;
	return false;
}

/* to_utf8 - n bytes in charset (NULL: undeclared) as clean UTF-8 */
static char *
to_utf8(struct msg *m, const char *s, size_t n, const char *charset)
{
	static const char *const undeclared[] = {
	    "",	       "us-ascii",	 "ascii",     "utf-8",
	    "utf8",    "unknown-8bit",	 "x-unknown", "unknown",
	    "default", "ansi_x3.4-1968", NULL};
	static const char *const latin1[] = {
	    "iso-8859-1", "iso8859-1",	  "latin1", "latin-1",	"l1",
	    "iso_8859-1", "windows-1252", "cp1252", "x-cp1252", NULL};
	char cs[64];
	char *out;
	size_t outlen, k = 0;
	int r;

	/* trim and bound the declared name before anyone sees it */
	if (charset) {
		while (*charset == ' ' || *charset == '\t' || *charset == '"')
			charset++;
		while (charset[k] && k < sizeof(cs) - 1 && charset[k] != ' ' &&
		       charset[k] != '"' && charset[k] != ';')
			k++;
	}
	memcpy(cs, charset ? charset : "", k);
	cs[k] = '\0';
	if (charset_is(cs, undeclared)) {
		/* declared UTF-8 with bad bytes gets U+FFFD, us-ascii with
		   8-bit bytes is a lie we read as UTF-8 or windows-1252 */
		if (strncasecmp(cs, "utf", 3) == 0)
			return utf8_clean(s, n);
		return raw_to_utf8(s, n);
	}
	/* iso-8859-1 labels mostly carry windows-1252 (as browsers assume) */
	if (charset_is(cs, latin1))
		return cp1252_to_utf8(s, n);
	r = charconv_buffer("UTF-8", cs, s, n, &out, &outlen);
	if (r == MAIL_CHARCONV_NO_ERROR) {
		char *clean = utf8_clean(out, outlen);

		charconv_buffer_free(out);
		return clean;
	}
	add_problem(m, "bad-charset");
	return raw_to_utf8(s, n);
}

/* lf_text - CRLF and lone CR to LF, in place */
static void
lf_text(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p == '\r') {
			if (p[1] != '\n')
				*w++ = '\n';
			continue;
		}
		*w++ = *p;
	}
	*w = '\0';
}

/* one_line - header text: controls to spaces, trimmed, in place */
static char *
one_line(char *s)
{
	char *start = s, *end;

	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	while (*start == ' ')
		start++;
	end = start + strlen(start);
	while (end > start && end[-1] == ' ')
		end--;
	*end = '\0';
	if (start != s)
		memmove(s, start, (size_t)(end - start) + 1);
	return s;
}

static char *
trim_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* msg_header_value - msg_header.c reads the block */
char *
msg_header_value(const char *raw, size_t len, const char *name)
{
	struct hdr_field f;

	if (!hdr_find(raw, 0, hdr_end(raw, len, 0), name, &f))
		return NULL;
	return hdr_value(raw, &f);
}

char *
msg_generated_id(const char *raw, size_t len)
{
	char hex[65];

	msg_sha256_hex(raw, len, hex);
	hex[32] = '\0'; /* the first 16 bytes are unique enough */
	return xasprintf("<%s@generated.mlistd>", hex);
}

/* normalise - CRLF-only copy with NULs blanked; notes what it saw */
static char *
normalise(struct msg *m, const char *raw, size_t len, size_t *len_r)
{
	struct buf b = BUF_INIT;
	bool in_hdr = true;
	size_t linelen = 0, i = 0;

	buf_reserve(&b, len + len / 32 + 16);
	while (i < len) {
		size_t j = i;

		/* copy a run of plain bytes in one go */
		while (j < len && raw[j] != '\r' && raw[j] != '\n' &&
		       raw[j] != '\0' && !(in_hdr && (raw[j] & 0x80)))
			j++;
		buf_append(&b, raw + i, j - i);
		linelen += j - i;
		i = j;
		if (i >= len)
			break;
		if (raw[i] == '\0') {
			add_problem(m, "nul-byte");
			buf_putc(&b, ' ');
			linelen++;
			i++;
		} else if (raw[i] & 0x80) {
			add_problem(m, "8bit-header");
			buf_putc(&b, raw[i++]);
			linelen++;
		} else {
			if (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n')
				i++;
			i++;
			if (linelen > 998)
				add_problem(m, "long-line");
			if (linelen == 0)
				in_hdr = false;
			linelen = 0;
			buf_append(&b, "\r\n", 2);
		}
	}
	if (linelen > 998)
		add_problem(m, "long-line");
	*len_r = b.len;
	return take(&b);
}

/* decode_words - RFC 2047 header text (raw 8-bit tolerated) to UTF-8 */
static char *
decode_words(const char *v)
{
	size_t idx = 0, n = strlen(v);
	char *res = NULL, *out;
	int r;

	/* raw 8-bit words are UTF-8 when they can be, else windows-1252;
	   8-bit bytes inside an encoded word follow that word's charset */
	r = mailmime_encoded_phrase_parse(utf8_valid(v, n) ? "UTF-8"
							   : "windows-1252",
					  v, n, &idx, "UTF-8", &res);
	if (r == MAILIMF_NO_ERROR && res != NULL) {
		struct buf b = BUF_INIT;
		char *rest;

		buf_puts(&b, res);
		free(res);
		/* libetpan stops at what it cannot read: keep the rest */
		if (idx < n) {
			rest = raw_to_utf8(v + idx, n - idx);
			buf_puts(&b, rest);
			free(rest);
		}
		out = utf8_clean(buf_cstr(&b), b.len);
		buf_free(&b);
		return one_line(out);
	}
	free(res);
	return one_line(raw_to_utf8(v, n));
}

/* id_ok - a msg-id body we are willing to store: no space, no brackets */
static bool
id_ok(const char *s, size_t n)
{
	if (n == 0 || n > 990)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
			return false;
	}
	return utf8_valid(s, n);
}

/* scan_ids - every <...> token of v, in order (tolerates any garbage) */
static size_t
scan_ids(const char *v, char ***ids_r, size_t max)
{
	char **ids = NULL;
	size_t n = 0;
	const char *p = v;

	while (n < max && (p = strchr(p, '<')) != NULL) {
		const char *q = p + 1, *e;
		struct buf b = BUF_INIT;

		e = strpbrk(q, "<>");
		if (e == NULL)
			break;
		if (*e == '<') {
			p = e;
			continue;
		}
		/* a folded id has whitespace inside: drop it */
		for (const char *c = q; c < e; c++)
			if (!isspace((unsigned char)*c))
				buf_putc(&b, *c);
		if (id_ok(buf_cstr(&b), b.len)) {
			ids = xrealloc(ids, (n + 1) * sizeof(*ids));
			ids[n++] = xasprintf("<%s>", buf_cstr(&b));
		}
		buf_free(&b);
		p = e + 1;
	}
	*ids_r = ids;
	return n;
}

static void
parse_message_id(struct msg *m, const char *v)
{
	char *id = NULL, **ids;
	size_t idx = 0;

	if (v == NULL)
		return;
	/* without brackets libetpan takes any word: insist on an '@' then */
	if (mailimf_msg_id_parse(v, strlen(v), &idx, &id) == MAILIMF_NO_ERROR &&
	    id != NULL && id_ok(id, strlen(id)) &&
	    (strchr(v, '<') || strchr(id, '@')))
		m->message_id = xasprintf("<%s>", id);
	if (id != NULL)
		mailimf_msg_id_free(id);
	if (m->message_id != NULL)
		return;
	if (scan_ids(v, &ids, 1) == 1) {
		m->message_id = ids[0];
		free(ids);
	} else if (strchr(v, '@') && id_ok(v, strlen(v))) {
		/* a bare id without brackets is still that id */
		m->message_id = xasprintf("<%s>", v);
	}
}

static int
year_fix(int y)
{
	if (y < 50)
		return y + 2000;
	if (y < 1000)
		return y + 1900;
	return y;
}

static void
parse_date(struct msg *m, const char *v)
{
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;

	if (v == NULL)
		return;
	if (mailimf_date_time_parse(v, strlen(v), &idx, &dt) ==
		MAILIMF_NO_ERROR &&
	    dt != NULL) {
		struct tm tm = {0};
		int y = year_fix(dt->dt_year);
		int zone = dt->dt_zone;

		if (y >= 1900 && y <= 9999 && dt->dt_month >= 1 &&
		    dt->dt_month <= 12 && dt->dt_day >= 1 && dt->dt_day <= 31 &&
		    dt->dt_hour >= 0 && dt->dt_hour <= 23 && dt->dt_min >= 0 &&
		    dt->dt_min <= 59 && dt->dt_sec >= 0 && dt->dt_sec <= 60 &&
		    zone > -2400 && zone < 2400) {
			tm.tm_year = y - 1900;
			tm.tm_mon = dt->dt_month - 1;
			tm.tm_mday = dt->dt_day;
			tm.tm_hour = dt->dt_hour;
			tm.tm_min = dt->dt_min;
			tm.tm_sec = dt->dt_sec;
			/* zone is +hhmm written as a decimal number */
			m->date = timegm(&tm) -
				  ((zone / 100) * 3600 + (zone % 100) * 60);
			m->has_date = true;
		}
	}
	if (dt != NULL)
		mailimf_date_time_free(dt);
	if (!m->has_date && clock_parse_rfc3339(v, &m->date) == 0)
		m->has_date = true;
}

static void
set_from(struct msg *m, const char *addr, const char *name)
{
	if (addr == NULL || *addr == '\0')
		return;
	m->from_addr = one_line(utf8_clean(addr, strlen(addr)));
	for (char *p = m->from_addr; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (*m->from_addr == '\0') {
		free(m->from_addr);
		m->from_addr = NULL;
		return;
	}
	if (name != NULL) {
		m->from_name = decode_words(name);
		if (*m->from_name == '\0') {
			free(m->from_name);
			m->from_name = NULL;
		}
	}
}

/* from_fallback - "Name <addr>" or a bare token with '@', by hand */
static void
from_fallback(struct msg *m, const char *v)
{
	const char *lt = strchr(v, '<'), *gt;

	if (lt && (gt = strchr(lt, '>')) != NULL && memchr(lt, '@', gt - lt)) {
		char *addr = trim_dup(lt + 1, (size_t)(gt - lt - 1));
		char *name = trim_dup(v, (size_t)(lt - v));
		size_t n = strlen(name);

		if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
			memmove(name, name + 1, n - 2);
			name[n - 2] = '\0';
		}
		set_from(m, addr, *name ? name : NULL);
		free(addr);
		free(name);
		return;
	}
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " \t,;<>()\"");

		if (n && memchr(p, '@', n)) {
			char *addr = xstrndup(p, n);

			set_from(m, addr, NULL);
			free(addr);
			return;
		}
		p += n ? n : 1;
	}
}

static void
parse_from(struct msg *m, const char *v)
{
	struct mailimf_mailbox_list *mbl = NULL;
	struct mailimf_address_list *al = NULL;
	struct mailimf_mailbox *mb = NULL;
	char *u;
	size_t idx = 0;

	if (v == NULL)
		return;
	u = raw_to_utf8(v, strlen(v));
	if (mailimf_mailbox_list_parse(u, strlen(u), &idx, &mbl) ==
		MAILIMF_NO_ERROR &&
	    mbl && clist_begin(mbl->mb_list))
		mb = clist_content(clist_begin(mbl->mb_list));
	if (mb == NULL) {
		idx = 0;
		if (mailimf_address_list_parse(u, strlen(u), &idx, &al) ==
			MAILIMF_NO_ERROR &&
		    al) {
			for (clistiter *it = clist_begin(al->ad_list); it;
			     it = clist_next(it)) {
				struct mailimf_address *a = clist_content(it);
				struct mailimf_group *g;

				if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) {
					mb = a->ad_data.ad_mailbox;
					break;
				}
				g = a->ad_data.ad_group;
				if (g->grp_mb_list &&
				    clist_begin(g->grp_mb_list->mb_list)) {
					mb = clist_content(clist_begin(
					    g->grp_mb_list->mb_list));
					break;
				}
			}
		}
	}
	if (mb && mb->mb_addr_spec && strchr(mb->mb_addr_spec, '@'))
		set_from(m, mb->mb_addr_spec, mb->mb_display_name);
	else
		from_fallback(m, u);
	if (mbl)
		mailimf_mailbox_list_free(mbl);
	if (al)
		mailimf_address_list_free(al);
	free(u);
}

/* token_is - first ';'-separated token of v equals one of names */
static bool
token_is(const char *v, const char *const *names)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, " \t;(");
	for (; *names; names++)
		if (strlen(*names) == n && strncasecmp(v, *names, n) == 0)
			return true;
	return false;
}

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* looks_bounce - DSN by type, or a daemon sender with a bounce subject;
   the real bounce parser (SPEC 8) decides later, this only flags */
static bool
looks_bounce(const struct msg *m, const char *ctype)
{
	static const char *const subjects[] = {"undeliver",
					       "delivery status notification",
					       "failure notice",
					       "returned mail",
					       "delivery fail",
					       "mail delivery",
					       "could not be delivered",
					       "non remis",
					       "remise",
					       "delivery has failed",
					       "unzustellbar",
					       "warning: message",
					       NULL};
	const char *at;
	size_t local;

	if (ctype && contains_ci(ctype, "multipart/report") &&
	    contains_ci(ctype, "delivery-status"))
		return true;
	if (m->from_addr == NULL || m->subject == NULL)
		return false;
	at = strchr(m->from_addr, '@');
	local = at ? (size_t)(at - m->from_addr) : strlen(m->from_addr);
	if (!((local == 13 && !strncmp(m->from_addr, "mailer-daemon", 13)) ||
	      (local == 10 && !strncmp(m->from_addr, "postmaster", 10))))
		return false;
	for (int i = 0; subjects[i]; i++)
		if (contains_ci(m->subject, subjects[i]))
			return true;
	return false;
}

static void
parse_headers(struct msg *m, const char *w, size_t wlen)
{
	static const char *const prec[] = {"bulk", "junk", "auto_reply", NULL};
	static const char *const no[] = {"no", NULL};
	char *v, *ct;

	v = msg_header_value(w, wlen, "Message-ID");
	parse_message_id(m, v);
	free(v);

	v = msg_header_value(w, wlen, "In-Reply-To");
	if (v) {
		char **ids;
		size_t n = scan_ids(v, &ids, 1);

		if (n == 1)
			m->in_reply_to = ids[0];
		free(ids);
		free(v);
	}
	v = msg_header_value(w, wlen, "References");
	if (v) {
		m->nrefs = scan_ids(v, &m->refs, SIZE_MAX);
		free(v);
	}
	v = msg_header_value(w, wlen, "From");
	parse_from(m, v);
	free(v);
	v = msg_header_value(w, wlen, "Subject");
	if (v) {
		m->subject = decode_words(v);
		free(v);
	}
	v = msg_header_value(w, wlen, "Date");
	parse_date(m, v);
	free(v);
	v = msg_header_value(w, wlen, "List-Id");
	if (v) {
		char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		char *id = lt && gt ? trim_dup(lt + 1, (size_t)(gt - lt - 1))
				    : trim_dup(v, strlen(v));

		if (*id && utf8_valid(id, strlen(id)))
			m->list_id = one_line(id);
		else
			free(id);
		free(v);
	}

	v = msg_header_value(w, wlen, "Auto-Submitted");
	if (v && !token_is(v, no))
		m->is_auto = true;
	free(v);
	v = msg_header_value(w, wlen, "Precedence");
	if (v && token_is(v, prec))
		m->is_auto = true;
	free(v);
	static const char *const flags[] = {"X-Autoreply", "X-Autorespond",
					    NULL};
	for (int i = 0; flags[i]; i++) {
		v = msg_header_value(w, wlen, flags[i]);
		if (v)
			m->is_auto = true;
		free(v);
	}
	if (m->subject && msg_text_is_auto_subject(m->subject))
		m->is_auto = true;

	ct = msg_header_value(w, wlen, "Content-Type");
	m->is_bounce = looks_bounce(m, ct);
	free(ct);
}

/* body walk -------------------------------------------------------------- */

struct walk {
	struct msg *m;
	struct buf plain; /* text/plain parts so far */
	char *html;	  /* first text/html part, UTF-8 */
};

static void
mime_type(const struct mailmime_content *ct, char *out, size_t outsz)
{
	const char *t = "text", *sub = "plain";

	if (ct && ct->ct_type) {
		const struct mailmime_type *ty = ct->ct_type;

		sub = ct->ct_subtype ? ct->ct_subtype : "";
		if (ty->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
		    ty->tp_data.tp_discrete_type) {
			const struct mailmime_discrete_type *d =
			    ty->tp_data.tp_discrete_type;
			static const char *const names[] = {
			    "",	     "text",  "image",
			    "audio", "video", "application"};

			if (d->dt_type == MAILMIME_DISCRETE_TYPE_EXTENSION)
				t = d->dt_extension ? d->dt_extension : "";
			else if (d->dt_type >= 0 && d->dt_type <= 5)
				t = names[d->dt_type];
		} else if (ty->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
			   ty->tp_data.tp_composite_type) {
			const struct mailmime_composite_type *c =
			    ty->tp_data.tp_composite_type;

			if (c->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE)
				t = "message";
			else if (c->ct_type ==
				 MAILMIME_COMPOSITE_TYPE_MULTIPART)
				t = "multipart";
			else
				t = c->ct_token ? c->ct_token : "";
		}
	}
	snprintf(out, outsz, "%s/%s", t, sub);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

static bool
is_attachment(const struct mailmime *mime)
{
	if (mime->mm_mime_fields == NULL)
		return false;
	for (clistiter *it = clist_begin(mime->mm_mime_fields->fld_list); it;
	     it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);

		if (f->fld_type == MAILMIME_FIELD_DISPOSITION &&
		    f->fld_data.fld_disposition &&
		    f->fld_data.fld_disposition->dsp_type &&
		    f->fld_data.fld_disposition->dsp_type->dsp_type ==
			MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
			return true;
	}
	return false;
}

/* encoding_bad - cheap check for bytes a decoder would silently drop */
static bool
encoding_bad(const char *s, size_t n, int enc)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (enc == MAILMIME_MECHANISM_BASE64) {
			if (!isalnum(c) && c != '+' && c != '/' && c != '=' &&
			    !isspace(c))
				return true;
		} else if (c == '=') {
			size_t j = i + 1;

			if (j + 1 < n && isxdigit((unsigned char)s[j]) &&
			    isxdigit((unsigned char)s[j + 1]))
				continue;
			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j < n && s[j] != '\r' && s[j] != '\n')
				return true;
		}
	}
	return false;
}

/* part_text - a single part's body decoded and converted to UTF-8 */
static char *
part_text(struct walk *w, const struct mailmime *mime)
{
	const struct mailmime_data *d = mime->mm_data.mm_single;
	const char *data, *charset;
	size_t len, idx = 0, dlen;
	char *dec = NULL, *out;
	int enc;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return xstrdup("");
	data = d->dt_data.dt_text.dt_data;
	len = d->dt_data.dt_text.dt_length;
	if (data == NULL)
		return xstrdup("");
	enc = d->dt_encoded ? d->dt_encoding : MAILMIME_MECHANISM_8BIT;
	if (enc == MAILMIME_MECHANISM_TOKEN ||
	    enc == MAILMIME_MECHANISM_ERROR) {
		add_problem(w->m, "bad-encoding");
		enc = MAILMIME_MECHANISM_8BIT;
	}
	if (enc == MAILMIME_MECHANISM_BASE64 ||
	    enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		if (encoding_bad(data, len, enc))
			add_problem(w->m, "bad-encoding");
		if (mailmime_part_parse(data, len, &idx, enc, &dec, &dlen) !=
		    MAILIMF_NO_ERROR) {
			add_problem(w->m, "bad-encoding");
			add_problem(w->m, "unparsed-part");
			dec = NULL;
		}
	}
	charset =
	    mime->mm_content_type
		? mailmime_content_param_get(mime->mm_content_type, "charset")
		: NULL;
	if (dec) {
		out = to_utf8(w->m, dec, dlen, charset);
		mmap_string_unref(dec);
	} else {
		out = to_utf8(w->m, data, len, charset);
	}
	lf_text(out);
	return out;
}

/* boundary_ok - the multipart's boundary exists, opens and closes */
static bool
boundary_ok(const struct mailmime *mime)
{
	char *b = mime->mm_content_type
		      ? mailmime_extract_boundary(mime->mm_content_type)
		      : NULL;
	bool ok = false;

	if (b && *b && mime->mm_mime_start) {
		char *open = xasprintf("--%s", b);
		char *close = xasprintf("--%s--", b);

		ok = memmem(mime->mm_mime_start, mime->mm_length, open,
			    strlen(open)) != NULL &&
		     memmem(mime->mm_mime_start, mime->mm_length, close,
			    strlen(close)) != NULL;
		free(open);
		free(close);
	}
	free(b);
	return ok;
}

static void
append_plain(struct walk *w, const char *t)
{
	if (*t == '\0')
		return;
	if (w->plain.len && w->plain.data[w->plain.len - 1] != '\n')
		buf_putc(&w->plain, '\n');
	buf_puts(&w->plain, t);
}

static void walk(struct walk *w, const struct mailmime *mime, int depth);

/* delimiter_only - a "part" that is just "--boundary--": what libetpan
   makes of some close delimiters in broken multiparts */
static bool
delimiter_only(const char *t)
{
	size_t n;

	t += strspn(t, " \t\r\n");
	n = strcspn(t, " \t\r\n");
	return n > 4 && strncmp(t, "--", 2) == 0 &&
	       strncmp(t + n - 2, "--", 2) == 0 &&
	       t[n + strspn(t + n, " \t\r\n")] == '\0';
}

/* reparse_closed - a multipart whose close delimiter never came (a
   truncated message) yields no parts in libetpan: add the delimiter and
   parse that body again */
static bool
reparse_closed(struct walk *w, const struct mailmime *mime, const char *type,
	       int depth)
{
	char *b = mime->mm_content_type
		      ? mailmime_extract_boundary(mime->mm_content_type)
		      : NULL;
	const struct mailmime_data *d = mime->mm_body;
	struct mailmime *again = NULL;
	struct buf src = BUF_INIT;
	size_t idx = 0, n, bl;
	bool done = false;

	if (b == NULL || *b == '\0' || strpbrk(b, "\"\r\n") || d == NULL ||
	    d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL) {
		free(b);
		return false;
	}
	buf_printf(&src, "Content-Type: %s; boundary=\"%s\"\r\n\r\n", type, b);
	/* libetpan wants the close right after the last part's text, and a
	   dangling "--B" at the end is that close missing its "--" */
	n = d->dt_data.dt_text.dt_length;
	while (n && isspace((unsigned char)d->dt_data.dt_text.dt_data[n - 1]))
		n--;
	buf_append(&src, d->dt_data.dt_text.dt_data, n);
	bl = strlen(b);
	if (n >= bl + 2 && memcmp(src.data + src.len - bl, b, bl) == 0 &&
	    memcmp(src.data + src.len - bl - 2, "--", 2) == 0)
		buf_puts(&src, "--\r\n");
	else
		buf_printf(&src, "\r\n--%s--\r\n", b);
	if (mailmime_parse(src.data, src.len, &idx, &again) ==
		MAILIMF_NO_ERROR &&
	    again != NULL) {
		const struct mailmime *mp =
		    again->mm_data.mm_message.mm_msg_mime;

		if (again->mm_type == MAILMIME_MESSAGE && mp &&
		    mp->mm_type == MAILMIME_MULTIPLE &&
		    mp->mm_data.mm_multipart.mm_mp_list &&
		    clist_begin(mp->mm_data.mm_multipart.mm_mp_list)) {
			walk(w, again, depth + 1);
			done = true;
		}
		mailmime_free(again);
	}
	buf_free(&src);
	free(b);
	return done;
}

/* walk - collect text/plain (and the first text/html) of a MIME tree */
static void
walk(struct walk *w, const struct mailmime *mime, int depth)
{
	char type[128];

	if (mime == NULL)
		return;
	if (depth > MSG_MAX_MIME_DEPTH) {
		add_problem(w->m, "unparsed-part");
		return;
	}
	mime_type(mime->mm_content_type, type, sizeof(type));
	switch (mime->mm_type) {
	case MAILMIME_SINGLE: {
		char *t;

		if (is_attachment(mime))
			return;
		if (strncmp(type, "multipart/", 10) == 0) {
			/* libetpan reads a multipart without boundary as one
			   part: its body is all the text there is */
			add_problem(w->m, "bad-boundary");
			add_problem(w->m, "unparsed-part");
			t = part_text(w, mime);
			append_plain(w, t);
			free(t);
		} else if (strcmp(type, "text/plain") == 0 ||
			   strcmp(type, "text/") == 0) {
			t = part_text(w, mime);
			if (!delimiter_only(t))
				append_plain(w, t);
			free(t);
		} else if (strcmp(type, "text/html") == 0 && w->html == NULL) {
			w->html = part_text(w, mime);
		}
		return;
	}
	case MAILMIME_MULTIPLE: {
		clist *l = mime->mm_data.mm_multipart.mm_mp_list;
		bool alt = strcmp(type, "multipart/alternative") == 0;
		bool bad = !boundary_ok(mime);

		if (bad)
			add_problem(w->m, "bad-boundary");
		if (l == NULL || clist_begin(l) == NULL) {
			if (bad && reparse_closed(w, mime, type, depth))
				return;
			/* no part could be cut out: keep the body as text */
			if (bad && mime->mm_body &&
			    mime->mm_body->dt_type == MAILMIME_DATA_TEXT) {
				const struct mailmime_data *d = mime->mm_body;
				char *t =
				    raw_to_utf8(d->dt_data.dt_text.dt_data,
						d->dt_data.dt_text.dt_length);

				lf_text(t);
				add_problem(w->m, "unparsed-part");
				append_plain(w, t);
				free(t);
			}
			return;
		}
		for (clistiter *it = clist_begin(l); it; it = clist_next(it)) {
			struct walk sub = {w->m, BUF_INIT, NULL};

			if (!alt) {
				walk(w, clist_content(it), depth + 1);
				continue;
			}
			/* alternative: the first version with plain text */
			walk(&sub, clist_content(it), depth + 1);
			if (sub.plain.len) {
				append_plain(w, buf_cstr(&sub.plain));
				buf_free(&sub.plain);
				free(sub.html);
				return;
			}
			if (w->html == NULL)
				w->html = sub.html;
			else
				free(sub.html);
			buf_free(&sub.plain);
		}
		return;
	}
	case MAILMIME_MESSAGE:
		/* an attached message is quoted matter, not this author's;
		   only the top of a parse is the message itself */
		if (mime->mm_parent == NULL)
			walk(w, mime->mm_data.mm_message.mm_msg_mime,
			     depth + 1);
		return;
	}
}

/* body_fallback - the raw body after the header block, as text */
static char *
body_fallback(const char *w, size_t wlen)
{
	const char *p = memmem(w, wlen, "\r\n\r\n", 4);
	char *t;

	if (wlen >= 2 && w[0] == '\r' && w[1] == '\n')
		p = w - 2;
	if (p == NULL)
		return xstrdup("");
	p += 4;
	t = raw_to_utf8(p, wlen - (size_t)(p - w));
	lf_text(t);
	return t;
}

/* msg_parse - the message alone */
struct msg *
msg_parse(const char *raw, size_t len)
{
	return msg_parse_parts(raw, len, NULL, NULL);
}

void
msg_free(struct msg **mp)
{
	struct msg *m = *mp;

	if (m == NULL)
		return;
	free(m->message_id);
	free(m->in_reply_to);
	for (size_t i = 0; i < m->nrefs; i++)
		free(m->refs[i]);
	free(m->refs);
	free(m->from_addr);
	free(m->from_name);
	free(m->subject);
	free(m->list_id);
	free(m->text);
	for (size_t i = 0; i < m->nproblems; i++)
		free(m->problems[i]);
	free(m->problems);
	free(m);
	*mp = NULL;
}

void
msg_to_json(const struct msg *m, struct buf *out)
{
	char *stripped = msg_text_strip(m->text);
	char date[21];

	buf_puts(out, "{\"message_id\":");
	buf_json_str(out, m->message_id);
	buf_puts(out, ",\"in_reply_to\":");
	buf_json_str(out, m->in_reply_to);
	buf_puts(out, ",\"references\":[");
	for (size_t i = 0; i < m->nrefs; i++) {
		if (i)
			buf_putc(out, ',');
		buf_json_str(out, m->refs[i]);
	}
	buf_puts(out, "],\"from\":");
	buf_json_str(out, m->from_addr);
	buf_puts(out, ",\"from_name\":");
	buf_json_str(out, m->from_name);
	buf_puts(out, ",\"subject\":");
	buf_json_str(out, m->subject);
	buf_puts(out, ",\"date\":");
	if (m->has_date) {
		clock_format(m->date, date);
		buf_json_str(out, date);
	} else {
		buf_puts(out, "null");
	}
	buf_puts(out, ",\"text\":");
	buf_json_str(out, m->text);
	buf_puts(out, ",\"stripped_text\":");
	buf_json_str(out, stripped);
	buf_printf(
	    out,
	    ",\"is_auto\":%s,\"is_bounce\":%s,\"is_question\":%s,"
	    "\"ack_only\":%s,\"problems\":[",
	    m->is_auto ? "true" : "false", m->is_bounce ? "true" : "false",
	    msg_text_is_question(m->subject, stripped) ? "true" : "false",
	    msg_text_ack_only(stripped) ? "true" : "false");
	for (size_t i = 0; i < m->nproblems; i++) {
		if (i)
			buf_putc(out, ',');
		buf_json_str(out, m->problems[i]);
	}
	buf_puts(out, "]}");
	free(stripped);
}

/* parts walk ------------------------------------------------------------- */

struct parts_walk {
	struct walk w; /* for part_text()'s problem notes, then dropped */
	struct msg_part *v;
	size_t n;
};

/* parts_add - append one part; text is taken over */
static void
parts_add(struct parts_walk *pw, const char *type, char *text, int depth,
	  const struct mailmime *mime)
{
	struct msg_part *p;
	const char *rt = NULL;

	pw->v = xrealloc(pw->v, (pw->n + 1) * sizeof(*pw->v));
	p = &pw->v[pw->n++];
	p->type = xstrdup(type);
	if (mime && mime->mm_content_type &&
	    strcmp(type, "multipart/report") == 0)
		rt = mailmime_content_param_get(mime->mm_content_type,
						"report-type");
	p->report_type = rt ? str_lower(trim_dup(rt, strlen(rt))) : NULL;
	p->text = text;
	p->len = strlen(text);
	p->depth = depth;
}

/* message_head - the header block of an attached message, as text */
static char *
message_head(const struct mailmime *mime)
{
	const struct mailmime_data *d = mime->mm_body;
	const char *t, *end;
	char *h;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL)
		return xstrdup("");
	t = d->dt_data.dt_text.dt_data;
	end = memmem(t, d->dt_data.dt_text.dt_length, "\r\n\r\n", 4);
	h = raw_to_utf8(t, end ? (size_t)(end - t) + 2
			       : d->dt_data.dt_text.dt_length);
	lf_text(h);
	return h;
}

/* parts_walk - flatten the tree; depth counts message/rfc822 levels */
static void
parts_walk(struct parts_walk *pw, const struct mailmime *mime, int nest,
	   int depth)
{
	char type[128];

	if (mime == NULL || nest > MSG_MAX_MIME_DEPTH)
		return;
	mime_type(mime->mm_content_type, type, sizeof(type));
	switch (mime->mm_type) {
	case MAILMIME_SINGLE:
		parts_add(pw, type, part_text(&pw->w, mime), depth, mime);
		return;
	case MAILMIME_MULTIPLE: {
		clist *l = mime->mm_data.mm_multipart.mm_mp_list;
		const struct mailmime_data *d = mime->mm_body;

		parts_add(pw, type, xstrdup(""), depth, mime);
		if (l && clist_begin(l)) {
			for (clistiter *it = clist_begin(l); it;
			     it = clist_next(it))
				parts_walk(pw, clist_content(it), nest + 1,
					   depth);
			return;
		}
		/* no part could be cut out: the body is all there is */
		if (d && d->dt_type == MAILMIME_DATA_TEXT) {
			char *t = raw_to_utf8(d->dt_data.dt_text.dt_data,
					      d->dt_data.dt_text.dt_length);

			lf_text(t);
			parts_add(pw, "text/plain", t, depth, NULL);
		}
		return;
	}
	case MAILMIME_MESSAGE:
		/* the root is the message itself, not an attachment */
		if (mime->mm_parent == NULL) {
			parts_walk(pw, mime->mm_data.mm_message.mm_msg_mime,
				   nest + 1, depth);
			return;
		}
		parts_add(pw, type, message_head(mime), depth, mime);
		parts_walk(pw, mime->mm_data.mm_message.mm_msg_mime, nest + 1,
			   depth + 1);
		return;
	}
}

/* msg_parse_parts - one normalise and one MIME parse for both views:
   the text walk fills the message, the parts walk the flat list (its
   problem notes go to a scratch message, as they always did) */
struct msg *
msg_parse_parts(const char *raw, size_t len, struct msg_part **parts_r,
		size_t *n_r)
{
	struct msg *m = xcalloc(1, sizeof(*m));
	struct mailmime *mime = NULL;
	struct walk w = {m, BUF_INIT, NULL};
	struct parts_walk pw = {
	    {xcalloc(1, sizeof(struct msg)), BUF_INIT, NULL}, NULL, 0};
	size_t wlen, idx = 0;
	char *work;

	if (raw == NULL)
		len = 0;
	work = normalise(m, raw ? raw : "", len, &wlen);
	parse_headers(m, work, wlen);
	if (m->message_id == NULL) {
		m->message_id = msg_generated_id(raw ? raw : "", len);
		m->message_id_generated = true;
		add_problem(m, "no-message-id");
	}
	if (m->from_addr == NULL)
		add_problem(m, "no-from");
	if (!m->has_date)
		add_problem(m, "no-date");

	if (mailmime_parse(work, wlen, &idx, &mime) == MAILIMF_NO_ERROR &&
	    mime != NULL) {
		walk(&w, mime, 0);
		if (parts_r)
			parts_walk(&pw, mime, 0, 0);
		mailmime_free(mime);
	} else {
		add_problem(m, "unparsed-part");
		buf_free(&w.plain);
		m->text = body_fallback(work, wlen);
	}
	if (m->text == NULL) {
		if (w.plain.len) {
			m->text = utf8_clean(buf_cstr(&w.plain), w.plain.len);
		} else if (w.html) {
			m->text = html_to_text(w.html, strlen(w.html));
		} else {
			m->text = xstrdup("");
		}
	}
	if (parts_r) {
		if (pw.n == 0)
			parts_add(&pw, "text/plain", body_fallback(work, wlen),
				  0, NULL);
		*parts_r = pw.v;
		*n_r = pw.n;
	}
	buf_free(&w.plain);
	free(w.html);
	free(work);
	msg_free(&pw.w.m);
	return m;
}

/* msg_parts - the parts alone */
size_t
msg_parts(const char *raw, size_t len, struct msg_part **parts_r)
{
	size_t n;
	struct msg *m = msg_parse_parts(raw, len, parts_r, &n);

	msg_free(&m);
	return n;
}

void
msg_parts_free(struct msg_part **parts, size_t n)
{
	if (*parts == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*parts)[i].type);
		free((*parts)[i].report_type);
		free((*parts)[i].text);
	}
	free(*parts);
	*parts = NULL;
}

/* shared with the message layer (msg_private.h) -------------------------- */

char *
msg_normalise(const char *raw, size_t len, size_t *len_r)
{
	struct msg *m = xcalloc(1, sizeof(*m));
	char *w = normalise(m, raw ? raw : "", raw ? len : 0, len_r);

	msg_free(&m);
	return w;
}

char *
msg_charset_to_utf8(const char *s, size_t n, const char *charset)
{
	struct msg *m = xcalloc(1, sizeof(*m));
	char *u = to_utf8(m, s, n, charset);

	msg_free(&m);
	return u;
}

void
msg_mime_type(const struct mailmime_content *ct, char *out, size_t outsz)
{
	mime_type(ct, out, outsz);
}

bool
msg_mime_is_attachment(const struct mailmime *mime)
{
	return is_attachment(mime);
}

bool
msg_mime_boundary_ok(const struct mailmime *mime)
{
	return boundary_ok(mime);
}
