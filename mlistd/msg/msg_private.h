/*
 * msg_private - helpers msg_parse.c shares with the other files of the
 * message layer (msg_rewrite.c).  libetpan types appear here, so only
 * msg_*.c may include it; nothing above the message layer sees it.
 */
#ifndef MLISTD_MSG_PRIVATE_H
#define MLISTD_MSG_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <libetpan/libetpan.h>

/* MIME nesting past this is malformed (or hostile) for every reader */
#define MSG_MAX_MIME_DEPTH 40

/* msg_normalise - CRLF-only copy of raw with NULs blanked; caller frees */
char *msg_normalise(const char *raw, size_t len, size_t *len_r);

/* msg_charset_to_utf8 - n bytes in charset (NULL: undeclared) as clean
   UTF-8, the way msg_parse() reads body text; caller frees */
char *msg_charset_to_utf8(const char *s, size_t n, const char *charset);

/* msg_mime_type - "type/subtype", lower-case, text/plain by default */
void msg_mime_type(const struct mailmime_content *ct, char *out, size_t outsz);

/* msg_mime_is_attachment - Content-Disposition: attachment */
bool msg_mime_is_attachment(const struct mailmime *mime);

/* msg_mime_boundary_ok - the multipart's boundary exists, opens and
   closes */
bool msg_mime_boundary_ok(const struct mailmime *mime);

#endif
