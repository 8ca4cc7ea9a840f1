/*
 * msg_header - the fields of a raw header block (see msg_header.h).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "msg_header.h"
#include "xalloc.h"

/* hdr_line_next - offset of the line after the one at p: past LF, CRLF
   or a lone CR, or end */
static size_t
hdr_line_next(const char *w, size_t end, size_t p)
{
	while (p < end && w[p] != '\n' && w[p] != '\r')
		p++;
	if (p < end && w[p] == '\r' && p + 1 < end && w[p + 1] == '\n')
		p++;
	return p < end ? p + 1 : end;
}

/* hdr_iter_init - start a walk over [start, end) of w */
void
hdr_iter_init(struct hdr_iter *it, const char *w, size_t start, size_t end)
{
	it->w = w;
	it->pos = start;
	it->end = end;
}

/* hdr_next - one field and its continuation lines */
bool
hdr_next(struct hdr_iter *it, struct hdr_field *f)
{
	const char *w = it->w;
	size_t p = it->pos, n = 0;

	if (p >= it->end)
		return false;
	f->start = p;
	p = hdr_line_next(w, it->end, p);
	while (p < it->end && (w[p] == ' ' || w[p] == '\t'))
		p = hdr_line_next(w, it->end, p);
	f->end = p;
	while (f->start + n < f->end && w[f->start + n] != ':' &&
	       w[f->start + n] != '\r' && w[f->start + n] != '\n')
		n++;
	f->value = f->start + n + 1;
	/* no colon on the first line, or a continuation with nothing to
	   continue: named "" so nothing matches it */
	if (f->start + n >= f->end || w[f->start + n] != ':' ||
	    w[f->start] == ' ' || w[f->start] == '\t') {
		n = 0;
		f->value = f->end;
	}
	while (n && (w[f->start + n - 1] == ' ' || w[f->start + n - 1] == '\t'))
		n--;
	f->name_len = n;
	it->pos = p;
	return true;
}

/* hdr_end - where the block's empty line is */
size_t
hdr_end(const char *w, size_t end, size_t p)
{
	while (p < end && w[p] != '\r' && w[p] != '\n')
		p = hdr_line_next(w, end, p);
	return p;
}

/* hdr_is - the field's name is name */
bool
hdr_is(const char *w, const struct hdr_field *f, const char *name)
{
	return f->name_len == strlen(name) &&
	       strncasecmp(w + f->start, name, f->name_len) == 0;
}

/* hdr_has_prefix - the field's name starts with prefix */
bool
hdr_has_prefix(const char *w, const struct hdr_field *f, const char *prefix)
{
	size_t n = strlen(prefix);

	return f->name_len >= n && strncasecmp(w + f->start, prefix, n) == 0;
}

/* hdr_find - the first field called name */
bool
hdr_find(const char *w, size_t start, size_t end, const char *name,
	 struct hdr_field *f)
{
	struct hdr_iter it;

	hdr_iter_init(&it, w, start, end);
	while (hdr_next(&it, f))
		if (hdr_is(w, f, name))
			return true;
	return false;
}

/* hdr_value - the value, unfolded and trimmed */
char *
hdr_value(const char *w, const struct hdr_field *f)
{
	struct buf v = BUF_INIT;
	size_t s = 0, n;
	char *res;

	for (size_t i = f->value; i < f->end;) {
		size_t j = i;

		while (j < f->end && w[j] != '\r' && w[j] != '\n')
			j++;
		buf_append(&v, w + i, j - i);
		i = j < f->end ? j + 1 : j;
	}
	for (size_t i = 0; i < v.len; i++)
		if (v.data[i] == '\0')
			v.data[i] = ' ';
	n = v.len;
	while (s < n && isspace((unsigned char)v.data[s]))
		s++;
	while (n > s && isspace((unsigned char)v.data[n - 1]))
		n--;
	res = xstrndup(v.len ? v.data + s : "", n - s);
	buf_free(&v);
	return res;
}
