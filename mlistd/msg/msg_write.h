/*
 * msg_write - header fields and bodies as mlistd writes them: display
 * names and unstructured text as quoted strings or RFC 2047 UTF-8 B
 * encoded words folded under 78 columns, base64 bodies at 76 columns.
 * Everything CRLF; used by the relayed copy (msg_rewrite.c) and by
 * mlistd's own notices (notice.c).
 */
#ifndef MLISTD_MSG_WRITE_H
#define MLISTD_MSG_WRITE_H

#include <stddef.h>

#include "buf.h"

/* msg_write_phrase - a display name (UTF-8): a quoted string when short
   printable ASCII, else encoded words; col is where it starts */
void msg_write_phrase(struct buf *b, size_t col, const char *s);
/* msg_write_mailbox - "Name" <addr>, or <addr> without a name */
void msg_write_mailbox(struct buf *b, size_t col, const char *name,
		       const char *addr);
/* msg_write_subject - the whole "Subject: ...\r\n" field for decoded s */
void msg_write_subject(struct buf *b, const char *s);
/* msg_write_base64 - n bytes of s in base64 lines of 76 */
void msg_write_base64(struct buf *b, const char *s, size_t n);

/* msg_write_boundary - a MIME boundary, "=_mlistd_" and 24 hex digits
   derived from SHA-256 of w, that does not occur in w; caller frees */
char *msg_write_boundary(const char *w, size_t wlen);
/* msg_write_rfc822 - the part "--boundary" holding w, a message already
   normalised (msg_normalise: CRLF only, no NUL), as message/rfc822
   (8bit when it has 8-bit bytes); w must not contain the boundary */
void msg_write_rfc822(struct buf *b, const char *boundary, const char *w,
		      size_t wlen);
/* msg_write_with_original - a multipart/mixed body, from its
   Content-Type field on: the part `first` (flen bytes, its own header
   fields included, CRLF, no "=_mlistd_" hex boundary inside), then the
   message raw (any bytes: normalised here) as message/rfc822 */
void msg_write_with_original(struct buf *b, const char *first, size_t flen,
			     const char *raw, size_t len);

#endif
