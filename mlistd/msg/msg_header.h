/*
 * msg_header - the fields of a raw header block, by offsets.
 *
 * A block is read as it is: lines end in LF, CRLF or a lone CR; a line
 * opening with a space or tab continues the field above it; the block
 * ends at the first empty line.  Nothing is copied until hdr_value().
 * No libetpan here: msg_parse.c and msg_rewrite.c both read fields this
 * way, on raw and on normalised (CRLF-only) text alike.
 *
 * bounce.c reads RFC 3464 delivery-status groups with it too (each
 * blank-line separated block is a header block).
 * XXX bounce_original_to still looks for the returned message's To with
 * its own loop: an inline original has no header block to start from.
 */
#ifndef MLISTD_MSG_HEADER_H
#define MLISTD_MSG_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/* One field: offsets into the block's text. */
struct hdr_field {
	size_t start, end; /* the field with its continuation lines and line
			      ends */
	size_t name_len;   /* bytes before the colon, trailing blanks out;
			      0 for a line that is no field (no colon on
			      its first line, or a stray continuation) */
	size_t value;	   /* just after the colon (end when no field) */
};

struct hdr_iter {
	const char *w;
	size_t pos, end;
};

/* hdr_iter_init - walk the fields of w in [start, end); end is usually
   hdr_end()'s */
void hdr_iter_init(struct hdr_iter *it, const char *w, size_t start,
		   size_t end);

/* hdr_next - the next field into *f; false at the end */
bool hdr_next(struct hdr_iter *it, struct hdr_field *f);

/* hdr_end - offset of the empty line ending the block that starts at p,
   or end when there is none */
size_t hdr_end(const char *w, size_t end, size_t p);

/* hdr_is - the field is called name (ASCII case-insensitive) */
bool hdr_is(const char *w, const struct hdr_field *f, const char *name);

/* hdr_has_prefix - the field's name starts with prefix (ditto) */
bool hdr_has_prefix(const char *w, const struct hdr_field *f,
		    const char *prefix);

/* hdr_find - the first field called name in [start, end) */
bool hdr_find(const char *w, size_t start, size_t end, const char *name,
	      struct hdr_field *f);

/* hdr_value - the field's value unfolded: line ends dropped (a
   continuation keeps its leading blanks), NULs as spaces, white space
   trimmed at both ends.  Caller frees. */
char *hdr_value(const char *w, const struct hdr_field *f);

#endif
