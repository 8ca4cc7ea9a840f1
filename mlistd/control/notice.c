/*
 * notice - mail that mlistd writes itself (see notice.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "club.h"
#include "conf.h"
#include "msg_hash.h"
#include "msg_write.h"
#include "notice.h"
#include "store.h"
#include "tmpl.h"
#include "xalloc.h"

/* text_part - one UTF-8 part in base64, its text in the canonical CRLF
   form of RFC 2045 (templates render LF) */
static void
text_part(struct buf *m, const char *boundary, const char *type,
	  const char *text)
{
	struct buf crlf = BUF_INIT;
	const char *p = text, *nl;

	/* bare LFs become CRLF; the runs between them are copied whole */
	while ((nl = strchr(p, '\n')) != NULL) {
		buf_append(&crlf, p, (size_t)(nl - p));
		if (nl == text || nl[-1] != '\r')
			buf_putc(&crlf, '\r');
		buf_putc(&crlf, '\n');
		p = nl + 1;
	}
	buf_puts(&crlf, p);
	buf_printf(m,
		   "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: base64\r\n\r\n",
		   boundary, type);
	msg_write_base64(m, crlf.data ? crlf.data : "", crlf.len);
	buf_free(&crlf);
}

/* alternative - the text and HTML parts as multipart/alternative, from
   its Content-Type field on */
static void
alternative(struct buf *m, const char *boundary, const char *text,
	    const char *html)
{
	buf_printf(m,
		   "Content-Type: multipart/alternative; "
		   "boundary=\"%s\"\r\n\r\n",
		   boundary);
	text_part(m, boundary, "text/plain", text);
	text_part(m, boundary, "text/html", html);
	buf_printf(m, "--%s--\r\n", boundary);
}

void
notice_build(struct buf *m, const struct conf *conf, const char *club_name,
	     const char *title, const struct notice_to *to, const char *subject,
	     const char *text, const char *html, const struct notice_opts *o,
	     time_t now, char **mid_r)
{
	static unsigned long long seq;
	char date[64], boundary[64], *owner;
	struct tm tm;
	/* unique within this process (sequence) and across restarts (the
	   clock) */
	unsigned long long r = ((unsigned long long)clock_now_ms() << 16) +
			       __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	owner =
	    xasprintf("%s%cowner@%s", club_name, conf->delimiter, conf->domain);
	buf_puts(m, "From: ");
	msg_write_mailbox(m, 6, title, owner);
	free(owner);
	buf_printf(m, "\r\nTo: <%s>\r\n", to->address);
	msg_write_subject(m, subject);
	buf_printf(m, "Date: %s\r\n", date);
	*mid_r = xasprintf("<notice.%llx.%s@%s>", r, club_name, conf->domain);
	buf_printf(m, "Message-ID: %s\r\n", *mid_r);
	if (to->reply_to)
		buf_printf(m, "Reply-To: <%s>\r\n", to->reply_to);
	buf_puts(m, "Auto-Submitted: auto-generated\r\n");
	buf_printf(m, "List-Id: <%s.%s>\r\n", club_name, conf->domain);
	if (o && o->headers)
		buf_puts(m, o->headers);
	buf_puts(m, "MIME-Version: 1.0\r\n");
	if (o == NULL || o->attach == NULL || o->attach_len == 0) {
		snprintf(boundary, sizeof(boundary), "=_mlistd_%llx", r);
		alternative(m, boundary, text, html);
	} else {
		/* "alt_": never a prefix of, nor inside, the hex boundary
		   msg_write_with_original picks */
		struct buf alt = BUF_INIT;

		snprintf(boundary, sizeof(boundary), "=_mlistd_alt_%llx", r);
		alternative(&alt, boundary, text, html);
		msg_write_with_original(m, alt.data, alt.len, o->attach,
					o->attach_len);
		buf_free(&alt);
	}
}

int
notice_store(struct store *s, int64_t club, const struct notice_to *to,
	     const struct buf *m, const char *mid, const char *subject,
	     const struct notice_opts *o, time_t now)
{
	struct store_msg_in in;
	char hash[65];
	bool dup;
	int64_t id;

	msg_body_sha256(m->data, m->len, hash);
	memset(&in, 0, sizeof(in));
	in.club = club;
	in.rcpt = to->address;
	in.role = o && o->role ? o->role : "notice";
	in.raw = m->data;
	in.raw_len = m->len;
	in.body_sha256 = hash;
	in.message_id = mid;
	in.subject = subject;
	in.problems = "[]";
	in.is_auto = true;
	/* a copy of someone's mail goes when the post would (store_purge) */
	in.arg = o && o->attach && o->attach_len ? "original"
		 : o				 ? o->arg
						 : NULL;
	in.date_ms = (int64_t)now * 1000;
	in.received = now;
	if (store_msg_insert(s, &in, &id, &dup) < 0 ||
	    (!dup && store_queue_add(s, id, to->member, to->address, now) < 0))
		return -1;
	return 0;
}

int
notice_queue(struct store *s, const struct conf *conf, int64_t club,
	     const char *club_name, const char *name, struct tmpl_vars *v,
	     const struct notice_to *to, size_t nto, time_t now, char **error_r)
{
	return notice_queue_opts(s, conf, club, club_name, name, v, to, nto,
				 NULL, now, error_r);
}

int
notice_queue_opts(struct store *s, const struct conf *conf, int64_t club,
		  const char *club_name, const char *name, struct tmpl_vars *v,
		  const struct notice_to *to, size_t nto,
		  const struct notice_opts *o, time_t now, char **error_r)
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
		char *mid;

		notice_build(&m, conf, club_name, title, &to[i], subject, text,
			     html, o, now, &mid);
		if (notice_store(s, club, &to[i], &m, mid, subject, o, now) <
		    0) {
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
