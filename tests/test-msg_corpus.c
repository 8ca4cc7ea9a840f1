/*
 * test-msg_corpus - msg_parse() over every real message of the shared
 * corpus (SPEC 1): no crash, valid UTF-8 everywhere, a Message-ID always,
 * and the decoded Subject agrees with stalwart's expected JSON.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <utf8proc.h>

#include "buf.h"
#include "msg.h"
#include "msg_mbox.h"
#include "tap.h"
#include "xalloc.h"

static int nfiles, nmsgs, bad_utf8, no_id, subj_checked, subj_bad;

static bool
utf8_ok(const char *s)
{
	size_t n, i = 0;

	if (s == NULL)
		return true;
	n = strlen(s);
	while (i < n) {
		int32_t cp;
		utf8proc_ssize_t r = utf8proc_iterate(
		    (const uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);

		if (r <= 0)
			return false;
		i += (size_t)r;
	}
	return true;
}

/* json_subject - the "Text" value of the first subject header in a
   stalwart expectation file (a tiny reader: enough for that format) */
static char *
json_subject(const char *json)
{
	const char *p = strstr(json, "\"name\": \"subject\"");
	const char *h = strstr(json, "\"headers\"");
	const char *t;
	struct buf b = BUF_INIT;

	/* only the root part's headers: a nested message has its own */
	if (h)
		h = strstr(h + 1, "\"headers\"");
	if (p == NULL || (h && h < p))
		return NULL;
	t = strstr(p, "\"Text\": \"");
	/* the Text must belong to this header, before the next one */
	if (t == NULL ||
	    (strstr(p + 1, "\"name\":") && strstr(p + 1, "\"name\":") < t))
		return NULL;
	for (p = t + 9; *p && *p != '"'; p++) {
		if (*p != '\\') {
			buf_putc(&b, *p);
			continue;
		}
		p++;
		switch (*p) {
		case 'n':
			buf_putc(&b, '\n');
			break;
		case 't':
			buf_putc(&b, '\t');
			break;
		case 'r':
			buf_putc(&b, '\r');
			break;
		case 'u': {
			unsigned cp = 0, lo = 0;
			uint8_t enc[4];

			if (sscanf(p + 1, "%4x", &cp) != 1)
				break;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p[1] == '\\' &&
			    p[2] == 'u' && sscanf(p + 3, "%4x", &lo) == 1) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				p += 6;
			}
			buf_append(
			    &b, enc,
			    (size_t)utf8proc_encode_char((int32_t)cp, enc));
			break;
		}
		case '\0':
			p--;
			break;
		default:
			buf_putc(&b, *p);
		}
	}
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* squash - whitespace runs to one space, trimmed, for comparing */
static char *
squash(const char *s)
{
	struct buf b = BUF_INIT;
	bool sp = false;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			sp = true;
			continue;
		}
		if (sp && b.len)
			buf_putc(&b, ' ');
		sp = false;
		buf_putc(&b, *s);
	}
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* same_text - equal, where the expectation's U+FFFD (a byte stalwart
   could not decode) stands for any one character we decoded */
static bool
same_text(const char *got, const char *want)
{
	while (*got && *want) {
		int32_t cg, cw;
		utf8proc_ssize_t ng =
		    utf8proc_iterate((const uint8_t *)got, -1, &cg);
		utf8proc_ssize_t nw =
		    utf8proc_iterate((const uint8_t *)want, -1, &cw);

		if (ng <= 0 || nw <= 0)
			return false;
		if (cg != cw && cw != 0xfffd)
			return false;
		got += ng;
		want += nw;
	}
	return *got == *want;
}

static void
check_msg(const char *path, const char *raw, size_t len)
{
	struct msg *m = msg_parse(raw, len);
	struct buf j = BUF_INIT;
	bool u = utf8_ok(m->message_id) && utf8_ok(m->in_reply_to) &&
		 utf8_ok(m->from_addr) && utf8_ok(m->from_name) &&
		 utf8_ok(m->subject) && utf8_ok(m->list_id) && utf8_ok(m->text);

	for (size_t i = 0; i < m->nrefs; i++)
		u = u && utf8_ok(m->refs[i]);
	msg_to_json(m, &j);
	u = u && utf8_ok(j.data);
	nmsgs++;
	if (!u) {
		bad_utf8++;
		printf("# invalid UTF-8 from %s\n", path);
	}
	if (m->message_id == NULL || m->message_id[0] != '<') {
		no_id++;
		printf("# no message id from %s\n", path);
	}
	buf_free(&j);
	msg_free(&m);
}

static int
mbox_cb(void *ctx, const char *raw, size_t len, time_t date)
{
	check_msg(ctx, raw, len);
	return 0;
}

/* stalwart - compare the decoded subject with NNN.json next to NNN.eml */
static void
stalwart(const char *path, const char *raw, size_t len)
{
	size_t n = strlen(path), jl;
	char *jpath, *json, *want;
	struct msg *m;

	if (!strstr(path, "/stalwart/") || n < 4 ||
	    strcmp(path + n - 4, ".eml") != 0)
		return;
	jpath = xasprintf("%.*s.json", (int)(n - 4), path);
	json = tap_slurp(jpath, &jl);
	want = json ? json_subject(json) : NULL;
	if (want) {
		char *w = squash(want), *g;

		m = msg_parse(raw, len);
		g = squash(m->subject ? m->subject : "");
		subj_checked++;
		if (!same_text(g, w)) {
			subj_bad++;
			printf("# subject %s\n#   got  '%s'\n#   want '%s'\n",
			       path, g, w);
		}
		free(g);
		free(w);
		msg_free(&m);
	}
	free(want);
	free(json);
	free(jpath);
}

/* one_file - an mbox's every message, or one message */
static void
one_file(void *ctx, const char *path)
{
	size_t len, bl = strlen(path);
	char *raw = tap_slurp(path, &len);

	(void)ctx;
	nfiles++;
	if (bl > 5 && strcmp(path + bl - 5, ".mbox") == 0) {
		char *err = NULL;

		if (msg_mbox_foreach(path, mbox_cb, (void *)path, &err) != 0)
			printf("# mbox %s: %s\n", path, err ? err : "?");
		free(err);
	} else if (raw) {
		check_msg(path, raw, len);
		stalwart(path, raw, len);
	}
	free(raw);
}

int
main(void)
{
	const char *corpus;
	char *mime, *threads;

	tap_require_corpus(corpus);
	mime = xasprintf("%s/mime", corpus);
	threads = xasprintf("%s/threads", corpus);
	tap_walk(mime, one_file, NULL);
	tap_walk(threads, one_file, NULL);
	printf("# %d files, %d messages\n", nfiles, nmsgs);
	ok(nfiles > 0, "corpus has files");
	is_int(bad_utf8, 0, "every string is valid UTF-8 (%d messages)", nmsgs);
	is_int(no_id, 0, "every message has a Message-ID");
	ok(subj_checked > 0, "stalwart subjects checked (%d)", subj_checked);
	is_int(subj_bad, 0, "stalwart subjects decoded as expected (%d/%d)",
	       subj_checked - subj_bad, subj_checked);
	free(mime);
	free(threads);
	tap_done();
}
