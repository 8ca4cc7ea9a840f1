/*
 * test-rewrite_corpus - msg_rewrite() over every message of the shared
 * corpus's mime/ tree (SPEC 1, 7), once with prefix + munge + list +
 * footer and once with wrap: no crash, CRLF output that parses, the
 * prefix exactly once in the decoded Subject, the original's text still
 * there (munge: msg_parse() text with the footer taken out contains the
 * original's, white space collapsed; wrap: the normalised original is
 * inside byte for byte).  Rates go out as diagnostics; messages whose own
 * parse reported no problem must pass every check.  REWRITE_DEBUG=1 in
 * the environment shows the texts compared and which copies got no
 * footer (attachments only, signed, malformed: by design).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "msg.h"
#include "msg_private.h"
#include "msg_rewrite.h"
#include "tap.h"
#include "xalloc.h"

#define FOOTER "mlistd-footer-7f3a: leave at https://example.org/acme — été"

struct stats {
	int msgs, clean;	/* messages; those parsed without problem */
	int ok[2], clean_ok[2]; /* all checks passed: munge, wrap */
	int subj[2], text[2];	/* per-check passes */
	int footer;		/* munge copies that got the footer */
};

/* collapse - white space runs as one space, trimmed; caller frees */
static char *
collapse(const char *s)
{
	struct buf b = BUF_INIT;
	bool sp = false;

	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			sp = b.len > 0;
			continue;
		}
		if (sp)
			buf_putc(&b, ' ');
		sp = false;
		buf_putc(&b, *s);
	}
	buf_putc(&b, '\0');
	return buf_steal(&b);
}

/* cut_all - remove every occurrence of what from s, in place */
static void
cut_all(char *s, const char *what)
{
	size_t n = strlen(what);
	char *p;

	while ((p = strstr(s, what)) != NULL)
		memmove(p, p + n, strlen(p + n) + 1);
}

/* looks_like_message - the first line is a header field (or mbox From) */
static bool
looks_like_message(const char *raw, size_t len)
{
	size_t i = 0;

	if (len >= 5 && strncmp(raw, "From ", 5) == 0)
		return true;
	while (i < len && raw[i] != ':' && raw[i] > ' ' && raw[i] < 0x7f)
		i++;
	return i > 0 && i < len && raw[i] == ':';
}

static int
prefix_count(const char *subject)
{
	int n = 0;

	for (const char *p = subject; p && (p = strstr(p, "[acme]")); p++)
		n++;
	return n;
}

/* text_kept - the copy's text, footer taken out, holds the original's */
static bool
text_kept(const char *orig, const char *copy)
{
	char *o = collapse(orig), *c = collapse(copy), *f = collapse(FOOTER);
	char *sig = xasprintf("-- %s", f);
	bool ok;

	char *o2, *c2;

	cut_all(c, sig);
	cut_all(c, f);
	cut_all(o, sig); /* a post quoting an earlier copy */
	cut_all(o, f);
	/* what was on each side of the footer meets with one space */
	o2 = collapse(o);
	c2 = collapse(c);
	free(o);
	free(c);
	o = o2;
	c = c2;
	ok = strstr(c, o) != NULL;
	if (!ok && getenv("REWRITE_DEBUG"))
		printf("#   original: %s\n#   copy:     %s\n", o, c);
	free(o);
	free(c);
	free(f);
	free(sig);
	return ok;
}

/* one - rewrite raw with dmarc d; true when every check passes */
static bool
one(struct stats *st, const char *path, const char *raw, size_t len,
    const struct msg *orig, int d)
{
	struct msg_rewrite_opts o = {
	    .club = "acme",
	    .domain = "lists.example.org",
	    .delim = '+',
	    .title = "Acme",
	    .prefix = "[acme]",
	    .reply_to = MSG_REWRITE_REPLY_LIST,
	    .dmarc = d ? MSG_REWRITE_DMARC_WRAP : MSG_REWRITE_DMARC_MUNGE,
	    .footer = FOOTER,
	};
	struct buf out = BUF_INIT;
	size_t pa = 0;
	char *err = NULL;
	struct msg *m;
	bool subj, text, parses;

	if (msg_rewrite(raw, len, &o, &out, &pa, &err) != 0) {
		printf("# %s: error %s\n", path, err);
		free(err);
		return false;
	}
	m = msg_parse(out.data, out.len);
	parses = m->from_addr &&
		 strcmp(m->from_addr, "acme@lists.example.org") == 0 &&
		 pa >= 2 && memcmp(out.data + pa - 2, "\r\n\r\n", 4) == 0 &&
		 memchr(out.data, '\0', out.len) == NULL;
	subj = prefix_count(m->subject) == 1;
	if (d == 0) {
		text = text_kept(orig->text, m->text);
		if (strstr(m->text, "mlistd-footer-7f3a"))
			st->footer++;
		else if (getenv("REWRITE_DEBUG"))
			printf("# no footer: %s\n", path);
	} else {
		size_t wl;
		char *w = msg_normalise(raw, len, &wl);

		text = memmem(out.data, out.len, w, wl) != NULL &&
		       strstr(m->text, "mlistd-footer-7f3a") != NULL;
		free(w);
	}
	st->subj[d] += subj;
	st->text[d] += text;
	if (!(parses && subj && text))
		printf("# %s %s:%s%s%s\n", d ? "wrap" : "munge", path,
		       parses ? "" : " no-parse", subj ? "" : " subject",
		       text ? "" : " text");
	msg_free(&m);
	buf_free(&out);
	return parses && subj && text;
}

static void
file(void *ctx, const char *path)
{
	struct stats *st = ctx;
	size_t len;
	char *raw = tap_slurp(path, &len);
	struct msg *orig;
	bool clean;

	if (raw == NULL || !looks_like_message(raw, len)) {
		free(raw);
		return;
	}
	orig = msg_parse(raw, len);
	/* no-date and no-message-id say nothing about the structure */
	clean = true;
	for (size_t i = 0; i < orig->nproblems; i++)
		if (strcmp(orig->problems[i], "no-date") != 0 &&
		    strcmp(orig->problems[i], "no-message-id") != 0)
			clean = false;
	st->msgs++;
	st->clean += clean;
	for (int d = 0; d < 2; d++) {
		bool good = one(st, path, raw, len, orig, d);

		st->ok[d] += good;
		st->clean_ok[d] += good && clean;
	}
	msg_free(&orig);
	free(raw);
}

int
main(void)
{
	const char *corpus;
	struct stats st = {0};
	char *mime;

	tap_require_corpus(corpus);
	mime = xasprintf("%s/mime", corpus);
	tap_walk(mime, file, &st);
	free(mime);
	printf("# %d messages, %d parsed without problem\n", st.msgs, st.clean);
	for (int d = 0; d < 2; d++)
		printf("# %s: all checks %d/%d, subject %d/%d, text %d/%d\n",
		       d ? "wrap" : "munge", st.ok[d], st.msgs, st.subj[d],
		       st.msgs, st.text[d], st.msgs);
	printf("# munge: footer added to %d/%d\n", st.footer, st.msgs);
	ok(st.msgs > 0, "corpus has messages");
	is_int(st.clean_ok[0], st.clean, "munge: every clean message passes");
	is_int(st.clean_ok[1], st.clean, "wrap: every clean message passes");
	tap_done();
}
