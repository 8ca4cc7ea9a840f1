/*
 * msg_text - what a message's text says (DIGEST.md 1.2, 1.3, 2.4).
 *
 * Quote stripping, ack-only and question detection, the auto-reply
 * subject test.  Pure functions over UTF-8 strings; NULL reads as "".
 */
#ifndef MLISTD_MSG_TEXT_H
#define MLISTD_MSG_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* default of the per-club ack_max_chars (DIGEST 1.1) */
#define MSG_TEXT_ACK_MAX_CHARS 20

/* msg_text_strip - the quote-stripped body (DIGEST 1.2); caller frees */
char *msg_text_strip(const char *text);

/* msg_text_ack_len - code points of the NFC text after collapsing all
   Unicode whitespace (NBSP included) and trimming (DIGEST 2.4) */
size_t msg_text_ack_len(const char *stripped);

/* msg_text_ack_only - msg_text_ack_len() <= MSG_TEXT_ACK_MAX_CHARS */
bool msg_text_ack_only(const char *stripped);

/* msg_text_is_question - DIGEST 1.3 rules on subject and stripped body */
bool msg_text_is_question(const char *subject, const char *stripped);

/* msg_text_is_auto_subject - the vacation subject pattern of DIGEST 1.2 */
bool msg_text_is_auto_subject(const char *subject);

/* msg_text_fold - lower-cased, accent-free, compatibility-decomposed copy
   with ’ as ' (the matching form of DIGEST 1.3); caller frees */
char *msg_text_fold(const char *s);

/* msg_text_has_phrase - the folded text f holds one of phrases (folded,
   NULL-terminated) as whole words, across line breaks (DIGEST 2.4) */
bool msg_text_has_phrase(const char *f, const char *const *phrases);

#endif
