/*
 * msg - one message as mlistd reads it.
 *
 * Only msg/ touches libetpan (msg_parse.c, and msg_mbox.c and
 * msg_rewrite.c through msg_private.h); everything above it sees this
 * plain structure.  Every string is UTF-8 and
 * owned by the struct; msg_free() releases all of it.
 *
 * Parsing never fails on hostile input: what cannot be decoded is kept
 * raw and named in problems[], so the caller can store and flag it.
 */
#ifndef MLISTD_MSG_H
#define MLISTD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

struct msg {
	char *message_id;	   /* "<id@host>", with brackets; never NULL */
	bool message_id_generated; /* derived from a hash of the raw bytes */
	char *in_reply_to;	   /* first id of In-Reply-To, or NULL */
	char **refs;		   /* References ids, in header order */
	size_t nrefs;
	char *from_addr; /* lower-cased addr-spec of From, or NULL */
	char *from_name; /* decoded display name, or NULL */
	char *subject;	 /* decoded, or NULL when absent */
	time_t date;	 /* Date: header, valid when has_date */
	bool has_date;
	char *list_id;	 /* the id inside List-Id's <...>, or NULL */
	char *text;	 /* body as UTF-8 text (HTML-only mail converted) */
	bool is_auto;	 /* auto-reply / auto-generated (SPEC 7, DIGEST 1.2) */
	bool is_bounce;	 /* looks like a delivery status notification */
	char **problems; /* short reasons ("nul-byte", "8bit-header", ...) */
	size_t nproblems;
};

/* msg_parse - read raw (len bytes, any line ends, may hold NULs).
   Never returns NULL. */
struct msg *msg_parse(const char *raw, size_t len);
void msg_free(struct msg **msg);

/* msg_generated_id - the Message-ID used when a message carries none:
   "<HEX@generated.mlistd>" from SHA-256 of the raw bytes (a redelivery
   gets the same one). Caller frees. */
char *msg_generated_id(const char *raw, size_t len);

/* msg_header_value - raw (undecoded, unfolded) value of the first header
   called name in the header block of raw, or NULL. Caller frees. */
char *msg_header_value(const char *raw, size_t len, const char *name);

/* msg_to_json - the object printed by "mlistctl inspect message" */
void msg_to_json(const struct msg *msg, struct buf *out);

/* One MIME part, flattened in document order (the bounce parser's view:
   it needs message/delivery-status, which the text walk skips). */
struct msg_part {
	char *type;	   /* "message/delivery-status", lower-case */
	char *report_type; /* multipart/report's report-type, lower-case,
			      else NULL */
	char *text;	   /* decoded body as UTF-8 with LF line ends;
			      "" for multiparts; the header block of the
			      attached message for message/rfc822 */
	size_t len;	   /* strlen(text) */
	int depth;	   /* enclosing message/rfc822 parts (0 = the
			      message's own parts, 1 = a returned original) */
};

/* msg_parts - every part of raw (any line ends, may hold NULs), the root
   first; a body libetpan cannot cut is one text/plain part.  Never fails.
   Returns the count; free *parts_r with msg_parts_free(). */
size_t msg_parts(const char *raw, size_t len, struct msg_part **parts_r);

/* msg_parse_parts - msg_parse() and, when parts_r is not NULL,
   msg_parts() (*parts_r, *n_r) of one parse: what a caller wanting both
   calls */
struct msg *msg_parse_parts(const char *raw, size_t len,
			    struct msg_part **parts_r, size_t *n_r);
void msg_parts_free(struct msg_part **parts, size_t n);

#endif
