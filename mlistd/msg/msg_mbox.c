/*
 * msg_mbox - read the messages of an mbox file (archive import).
 *
 * A line that starts with "From " begins a message, whether or not a
 * blank line comes before it: that is how Python's mailbox module and
 * mutt read mbox files, and how mail writers that forget the blank line
 * (or archives cut and concatenated by hand) expect to be read.  One
 * blank line before a "From " line, or at the end of the file, is the
 * separator and not part of the message.  Each message goes to the
 * caller without its "From " line and with mboxrd quoting (">From " ->
 * "From ") undone.
 *
 * XXX libetpan's mailmbox parser split only at "From " lines after a
 * blank line and silently merged the rest into the message before; it
 * also wanted a dot-lock beside the archive.  Splitting is a few lines,
 * so this module reads the file itself (mapped read-only, no lock).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "msg_mbox.h"
#include "xalloc.h"

/* num - up to maxdigits decimal digits at *p, or -1 */
static int
num(const char **p, int maxdigits)
{
	int v = 0, n = 0;

	while (n < maxdigits && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n ? v : -1;
}

/* from_line_date - the asctime date of "From sender Mon Mar 10 08:00:00
   2025" (an optional zone before or after the year); 0 if unreadable */
static time_t
from_line_date(const char *line, size_t len)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char buf[256];
	const char *p;
	struct tm tm = {0};
	int zone = 0, mon = -1;

	if (len < 5 || len >= sizeof(buf))
		return 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	p = buf + 5;
	p += strcspn(p, " \t"); /* the envelope sender */
	/* find "Mmm" followed by a day number */
	for (; *p; p++) {
		const char *m;

		if (!isalpha((unsigned char)p[0]) || p[3] != ' ' ||
		    !isalpha((unsigned char)p[1]) ||
		    !isalpha((unsigned char)p[2]))
			continue;
		for (m = months; *m; m += 3)
			if (strncasecmp(p, m, 3) == 0)
				break;
		if (*m) {
			mon = (int)(m - months) / 3;
			p += 4;
			break;
		}
	}
	if (mon < 0)
		return 0;
	while (*p == ' ')
		p++;
	tm.tm_mon = mon;
	if ((tm.tm_mday = num(&p, 2)) < 1 || *p++ != ' ')
		return 0;
	while (*p == ' ')
		p++;
	if ((tm.tm_hour = num(&p, 2)) < 0 || *p++ != ':' ||
	    (tm.tm_min = num(&p, 2)) < 0)
		return 0;
	if (*p == ':' && (p++, (tm.tm_sec = num(&p, 2)) < 0))
		return 0;
	while (*p == ' ')
		p++;
	/* "+0100 2025", "UTC 2025" or "2025 +0100" */
	for (int i = 0; i < 3 && *p; i++) {
		const char *t = p;
		int v;

		if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;

			p++;
			v = num(&p, 4);
			if (v >= 0)
				zone =
				    sign * ((v / 100) * 3600 + (v % 100) * 60);
		} else if (isdigit((unsigned char)*p) &&
			   (v = num(&p, 4)) >= 1900) {
			tm.tm_year = v - 1900;
		} else {
			p += strcspn(p, " ");
		}
		if (p == t)
			p++;
		while (*p == ' ')
			p++;
	}
	if (tm.tm_year == 0 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return 0;
	return timegm(&tm) - zone;
}

/* unquote - the message with one '>' taken off every ">...>From " line */
static void
unquote(struct buf *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) + 1 : n;
		size_t q = i;

		while (q < end && s[q] == '>')
			q++;
		if (q > i && end - q >= 5 && memcmp(s + q, "From ", 5) == 0)
			i++;
		buf_append(out, s + i, end - i);
		i = end;
	}
}

/* line_end - the offset just past the line starting at i */
static size_t
line_end(const char *s, size_t n, size_t i)
{
	const char *nl = memchr(s + i, '\n', n - i);

	return nl ? (size_t)(nl - s) + 1 : n;
}

static bool
is_from_line(const char *s, size_t n, size_t i)
{
	return n - i >= 5 && memcmp(s + i, "From ", 5) == 0;
}

/* blank_tail - the length of a message [start, end) without the one
   blank line (LF or CRLF) that separates it from what follows */
static size_t
blank_tail(const char *s, size_t start, size_t end)
{
	size_t len = end - start;

	if (len >= 2 && s[end - 1] == '\n' && s[end - 2] == '\n')
		return len - 1;
	if (len >= 4 && memcmp(s + end - 4, "\r\n\r\n", 4) == 0)
		return len - 2;
	return len;
}

/* mbox_start - the offset of the first "From " line; only blank lines
   may come before it (a file of something else is refused, not read as
   one message or none) */
static int
mbox_start(const char *s, size_t n, size_t *start_r, char **error_r)
{
	size_t i = 0;
	unsigned long line = 1;

	while (i < n && !is_from_line(s, n, i)) {
		size_t e = line_end(s, n, i);

		if (!(e - i == 1 || (e - i == 2 && s[i] == '\r'))) {
			*error_r = xasprintf("line %lu: not an mbox (text "
					     "before the first \"From \" line)",
					     line);
			return -1;
		}
		i = e;
		line++;
	}
	*start_r = i;
	return 0;
}

/* mbox_split - call fn for each message of the mapped file s */
static int
mbox_split(const char *s, size_t n,
	   int (*fn)(void *ctx, const char *raw, size_t len, time_t date),
	   void *ctx, char **error_r)
{
	struct buf b = BUF_INIT;
	size_t i;
	int ret = 0;

	if (mbox_start(s, n, &i, error_r) < 0)
		return -1;
	while (i < n && ret == 0) {
		size_t from = i, body = line_end(s, n, i), end = body;
		size_t flen = body - from;

		/* the body runs to the next line starting "From " */
		while (end < n && !is_from_line(s, n, end))
			end = line_end(s, n, end);
		while (flen && (s[from + flen - 1] == '\n' ||
				s[from + flen - 1] == '\r'))
			flen--;
		buf_reset(&b);
		unquote(&b, s + body, blank_tail(s, body, end));
		ret = fn(ctx, buf_cstr(&b), b.len,
			 from_line_date(s + from, flen));
		i = end;
	}
	buf_free(&b);
	return ret;
}

int
msg_mbox_foreach(const char *path,
		 int (*fn)(void *ctx, const char *raw, size_t len,
			   time_t from_line_date),
		 void *ctx, char **error_r)
{
	struct stat st;
	void *map;
	int fd, ret;

	*error_r = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*error_r = xasprintf("cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r = xstrdup("not a regular file");
		close(fd);
		return -1;
	}
	/* an empty file is an empty mbox; mmap() would refuse it */
	if (st.st_size == 0) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		*error_r = xasprintf("cannot map: %s", strerror(errno));
		return -1;
	}
	ret = mbox_split(map, (size_t)st.st_size, fn, ctx, error_r);
	munmap(map, (size_t)st.st_size);
	return ret;
}
