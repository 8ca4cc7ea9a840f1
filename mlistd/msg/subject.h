/*
 * subject - subject normalisation and thread keys (DIGEST.md 1.2, 2.4).
 */
#ifndef MLISTD_SUBJECT_H
#define MLISTD_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>

/* subject_normalize - for subject fallback: case-folded, accents and
   reply/forward prefixes (Re:, RE :, Réf :, TR :, Fwd:, Fw:, AW:) and the
   club's tag removed, white space collapsed.  tag is the club's subject
   prefix ("[acme]") or NULL.  Caller frees; "" means never fall back. */
char *subject_normalize(const char *subject, const char *tag);

/* subject_markers - length of the leading run of reply/forward markers
   of subject (same words as subject_normalize, white space between them
   included); *reply_r / *fwd_r say whether a reply / forward marker was
   among them */
size_t subject_markers(const char *subject, bool *reply_r, bool *fwd_r);

/* subject_thread_key - first 8 hex digits of SHA-1 over the root's
   Message-ID, brackets included */
void subject_thread_key(const char *message_id, char out[9]);

#endif
