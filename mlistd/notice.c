/*
 * notice - mail that mlistd writes itself (see notice.h).
 */
#include <nettle/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "club.h"
#include "conf.h"
#include "deliver.h"
#include "notice.h"
#include "store.h"
#include "strutil.h"
#include "tmpl.h"
#include "xalloc.h"

/* b64_lines - base64 of text (LF line ends made CRLF, the canonical
   form of RFC 2045) in lines of 76 characters */
static void
b64_lines(struct buf *out, const char *text, size_t tlen)
{
	struct buf crlf = BUF_INIT;
	const char *data;
	size_t len;

	for (size_t i = 0; i < tlen; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			buf_putc(&crlf, '\r');
		buf_putc(&crlf, text[i]);
	}
	data = crlf.data ? crlf.data : "";
	len = crlf.len;
	for (size_t off = 0; off < len; off += 57) {
		size_t n = len - off < 57 ? len - off : 57;
		char line[BASE64_ENCODE_RAW_LENGTH(57) + 1];

		base64_encode_raw(line, n, (const uint8_t *)data + off);
		buf_append(out, line, BASE64_ENCODE_RAW_LENGTH(n));
		buf_puts(out, "\r\n");
	}
	buf_free(&crlf);
}

void
notice_header_encode(struct buf *out, const char *value, bool phrase)
{
	size_t len = strlen(value), off = 0;
	bool plain = true;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 ||
		    (unsigned char)value[i] > 0x7e)
			plain = false;
	if (plain && strstr(value, "=?") == NULL && !phrase) {
		buf_puts(out, value);
		return;
	}
	if (plain && strstr(value, "=?") == NULL) {
		/* a quoted-string, so specials in a title stay a name */
		buf_putc(out, '"');
		for (const char *p = value; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(out, '\\');
			buf_putc(out, *p);
		}
		buf_putc(out, '"');
		return;
	}
	/* encoded words of at most 45 bytes of UTF-8, cut between
	   characters, folded one a line */
	while (off < len) {
		size_t n = 0;
		char word[BASE64_ENCODE_RAW_LENGTH(48) + 1];

		while (off + n < len) {
			size_t l = str_utf8_seq(value + off + n, len - off - n);

			if (l == 0)
				l = 1;
			if (n + l > 45)
				break;
			n += l;
		}
		base64_encode_raw(word, n, (const uint8_t *)value + off);
		if (off > 0)
			buf_puts(out, "\r\n ");
		buf_puts(out, "=?UTF-8?B?");
		buf_append(out, word, BASE64_ENCODE_RAW_LENGTH(n));
		buf_puts(out, "?=");
		off += n;
	}
}

/* build - one notice message to `to` */
static void
build(struct buf *m, const struct conf *conf, const char *club_name,
      const char *title, const struct notice_to *to, const char *subject,
      const char *text, const char *html, time_t now, char **mid_r)
{
	static unsigned long long seq;
	char date[64], boundary[64];
	struct tm tm;
	/* unique within this process (sequence) and across restarts (the
	   clock) */
	unsigned long long r = ((unsigned long long)clock_now_ms() << 16) +
			       __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof(boundary), "=_mlistd_%llx", r);
	buf_puts(m, "From: ");
	notice_header_encode(m, title, true);
	buf_printf(m, " <%s%cowner@%s>\r\n", club_name, conf->delimiter,
		   conf->domain);
	buf_printf(m, "To: <%s>\r\nSubject: ", to->address);
	notice_header_encode(m, subject, false);
	buf_printf(m, "\r\nDate: %s\r\n", date);
	*mid_r = xasprintf("<notice.%llx.%s@%s>", r, club_name, conf->domain);
	buf_printf(m, "Message-ID: %s\r\n", *mid_r);
	if (to->reply_to)
		buf_printf(m, "Reply-To: <%s>\r\n", to->reply_to);
	buf_puts(m, "Auto-Submitted: auto-generated\r\n");
	buf_printf(m, "List-Id: <%s.%s>\r\n", club_name, conf->domain);
	buf_printf(m,
		   "MIME-Version: 1.0\r\n"
		   "Content-Type: multipart/alternative; "
		   "boundary=\"%s\"\r\n\r\n",
		   boundary);
	buf_printf(m,
		   "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: base64\r\n\r\n",
		   boundary);
	b64_lines(m, text, strlen(text));
	buf_printf(m,
		   "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: base64\r\n\r\n",
		   boundary);
	b64_lines(m, html, strlen(html));
	buf_printf(m, "--%s--\r\n", boundary);
}

int
notice_queue(struct store *s, const struct conf *conf, int64_t club,
	     const char *club_name, const char *name, struct tmpl_vars *v,
	     const struct notice_to *to, size_t nto, time_t now, char **error_r)
{
	struct tmpl_dirs dirs = {conf->templates_local, conf->templates};
	char *lang = club_get(s, conf, club, club_name, "lang");
	char *title = club_get(s, conf, club, club_name, "title");
	char *html = NULL, *text = NULL, *subject = NULL;
	int rc = -1;

	if (title == NULL || *title == '\0') {
		free(title);
		title = xstrdup(club_name);
	}
	if (tmpl_vars_get(v, "club_title") == NULL)
		tmpl_vars_set(v, "club_title", title);
	if (tmpl_vars_get(v, "club") == NULL)
		tmpl_vars_set(v, "club", club_name);
	if (tmpl_render(&dirs, lang, name, v, &html, &text, &subject, error_r) <
	    0) {
		rc = 1; /* nothing written: the caller goes on without it */
		goto out;
	}
	for (size_t i = 0; i < nto; i++) {
		struct buf m = BUF_INIT;
		struct store_msg_in in;
		char hash[65], *mid;
		bool dup;
		int64_t id;

		build(&m, conf, club_name, title, &to[i], subject, text, html,
		      now, &mid);
		deliver_body_hash(m.data, m.len, hash);
		memset(&in, 0, sizeof(in));
		in.club = club;
		in.rcpt = to[i].address;
		in.role = "notice";
		in.raw = m.data;
		in.raw_len = m.len;
		in.body_sha256 = hash;
		in.message_id = mid;
		in.subject = subject;
		in.problems = "[]";
		in.is_auto = true;
		in.date_ms = (int64_t)now * 1000;
		in.received = now;
		if (store_msg_insert(s, &in, &id, &dup) < 0 ||
		    (!dup && store_queue_add(s, id, to[i].member, to[i].address,
					     now) < 0)) {
			*error_r = xasprintf("%s", store_error(s));
			free(mid);
			buf_free(&m);
			goto out;
		}
		free(mid);
		buf_free(&m);
	}
	rc = 0;
out:
	free(lang);
	free(title);
	free(html);
	free(text);
	free(subject);
	return rc;
}
