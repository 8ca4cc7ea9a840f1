/*
 * test-msg_header - the header block scanner: folding, LF, CRLF and lone
 * CR line ends, lines that are no field, an empty block, NULs, names
 * with blanks before the colon; and msg_header_value() on top of it.
 * Also msg_write_base64, the body encoding of every notice and digest.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "msg_header.h"
#include "msg_write.h"
#include "tap.h"

/* fields - "name=value|..." for every field of the block, "?" for a line
   that is no field, then "#" and where the block ends */
static char *
fields(const char *w, size_t len)
{
	struct buf b = BUF_INIT;
	struct hdr_iter it;
	struct hdr_field f;
	size_t end = hdr_end(w, len, 0);

	hdr_iter_init(&it, w, 0, end);
	while (hdr_next(&it, &f)) {
		char *v = hdr_value(w, &f);

		if (f.name_len == 0)
			buf_puts(&b, "?");
		else
			buf_printf(&b, "%.*s=%s", (int)f.name_len, w + f.start,
				   v);
		buf_printf(&b, "[%zu,%zu)|", f.start, f.end);
		free(v);
	}
	buf_printf(&b, "#%zu", end);
	return buf_steal(&b);
}

static const struct {
	const char *w;
	size_t len; /* 0: strlen */
	const char *want;
	const char *why;
} blocks[] = {
    {"A: 1\r\nB: 2\r\n\r\nbody", 0, "A=1[0,6)|B=2[6,12)|#12", "CRLF"},
    {"A: 1\nB: 2\n\nbody", 0, "A=1[0,5)|B=2[5,10)|#10", "LF"},
    {"A: 1\rB: 2\r\rbody", 0, "A=1[0,5)|B=2[5,10)|#10", "lone CR"},
    {"A: 1\n\r\nbody", 0, "A=1[0,5)|#5", "LF then CRLF: an empty line"},
    {"S: one\r\n two\r\n\tthree\r\nT: x\r\n\r\n", 0,
     "S=one two\tthree[0,22)|T=x[22,28)|#28", "folding keeps the blanks"},
    {"S: one\n two\r three\r\n\n", 0, "S=one two three[0,20)|#20",
     "folding across mixed line ends"},
    {"not a field\r\nA: 1\r\n\r\n", 0, "?[0,13)|A=1[13,19)|#19",
     "a line without colon"},
    {" stray: x\r\n more\r\nA: 1\r\n", 0, "?[0,18)|A=1[18,24)|#24",
     "a stray continuation first is no field"},
    {"Name  \t: v \t\r\n\r\n", 0, "Name=v[0,14)|#14",
     "blanks before the colon are not the name's"},
    {"Two Words: v\r\n", 0, "Two Words=v[0,14)|#14", "a name with a space"},
    {": v\r\n", 0, "?[0,5)|#5", "an empty name"},
    {"A:\r\n\r\n", 0, "A=[0,4)|#4", "an empty value"},
    {"A: x: y\r\n", 0, "A=x: y[0,9)|#9", "the first colon ends the name"},
    {"A\r: 1\r\n", 0, "?[0,2)|?[2,7)|#7", "a colon after a lone CR"},
    {"A: 1", 0, "A=1[0,4)|#4", "no line end at all"},
    {"A: a\0b\r\n", 8, "A=a b[0,8)|#8", "a NUL is a space"},
    {"\r\nA: 1\r\n", 0, "#0", "an empty block"},
    {"", 0, "#0", "nothing"},
};

/* b64 - msg_write_base64 of n bytes of s, appended after "x" */
static char *
b64(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	buf_putc(&b, 'x');
	msg_write_base64(&b, s, n);
	return buf_steal(&b);
}

/* base64 - RFC 4648's vectors, and lines of 76 characters */
static void
base64(void)
{
	static const char *const vec[][2] = {
	    {"", "x"},
	    {"f", "xZg==\r\n"},
	    {"fo", "xZm8=\r\n"},
	    {"foo", "xZm9v\r\n"},
	    {"foob", "xZm9vYg==\r\n"},
	    {"foobar", "xZm9vYmFy\r\n"},
	};
	char raw[1024], *got, *p;
	size_t lines = 0, bad = 0;

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		got = b64(vec[i][0], strlen(vec[i][0]));
		is_str(got, vec[i][1], "base64 of \"%s\"", vec[i][0]);
		free(got);
	}
	memset(raw, 'a', 58);
	got = b64(raw, 58);
	is_str(got,
	       "xYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"
	       "YWFhYWFhYWFhYWFh\r\nYQ==\r\n",
	       "base64: 57 bytes a line of 76, the rest on the next");
	free(got);
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (char)i;
	got = b64(raw, sizeof(raw));
	for (p = got + 1; *p; lines++) {
		char *e = strstr(p, "\r\n");

		if (e == NULL || (e - p != 76 && e[2] != '\0') || e - p > 76)
			bad++;
		p = e ? e + 2 : p + strlen(p);
	}
	ok(lines == 18 && bad == 0 && strlen(got) == 1 + 1368 + 18 * 2,
	   "base64 of 1,024 bytes: 18 lines of 76, "
	   "each ending CRLF (%zu lines, %zu bad)",
	   lines, bad);
	free(got);
}

int
main(void)
{
	struct hdr_field f;
	const char *w;
	char *v;

	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		size_t len =
		    blocks[i].len ? blocks[i].len : strlen(blocks[i].w);
		char *got = fields(blocks[i].w, len);

		is_str(got, blocks[i].want, "%s", blocks[i].why);
		free(got);
	}

	w = "From: a\r\nList-Id: x\r\nlist-post: y\r\nX: z\r\n";
	ok(hdr_find(w, 0, strlen(w), "list-id", &f) && f.start == 9,
	   "find is case-insensitive");
	ok(hdr_find(w, 0, strlen(w), "LIST-POST", &f) &&
	       hdr_has_prefix(w, &f, "List-") && !hdr_is(w, &f, "List-"),
	   "a prefix is not the name");
	ok(!hdr_find(w, 0, strlen(w), "Fro", &f), "a name's start is not it");
	ok(!hdr_find(w, 9, strlen(w), "From", &f), "find starts at start");
	ok(!hdr_find(w, 0, 8, "List-Id", &f), "find stops at end");

	/* msg_header_value: raw text, any line ends, the first field wins */
	w = "Subject: a\n\tb\nSubject: c\n\nSubject: d";
	v = msg_header_value(w, strlen(w), "subject");
	is_str(v, "a\tb", "msg_header_value: first, unfolded");
	free(v);
	v = msg_header_value("A: 1\n\nSubject: d\n", 17, "Subject");
	ok(v == NULL, "msg_header_value: not past the block");
	free(v);
	v = msg_header_value(" Subject: x\nB: 1\n", 17, "Subject");
	ok(v == NULL, "msg_header_value: not a continuation line");
	free(v);
	v = msg_header_value(NULL, 0, "Subject");
	ok(v == NULL, "msg_header_value: no text");
	base64();
	tap_done();
}
