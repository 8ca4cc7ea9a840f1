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

#endif
