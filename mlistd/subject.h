/*
 * subject - subject normalisation and thread keys (DIGEST.md 1.2, 2.4).
 */
#ifndef MLISTD_SUBJECT_H
#define MLISTD_SUBJECT_H

/* subject_normalize - for subject fallback: case-folded, accents and
   reply/forward prefixes (Re:, RE :, Réf :, TR :, Fwd:, Fw:, AW:) and the
   club's tag removed, white space collapsed.  tag is the club's subject
   prefix ("[acme]") or NULL.  Caller frees; "" means never fall back. */
char *subject_normalize(const char *subject, const char *tag);

/* subject_thread_key - first 8 hex digits of SHA-1 over the root's
   Message-ID, brackets included */
void subject_thread_key(const char *message_id, char out[9]);

#endif
