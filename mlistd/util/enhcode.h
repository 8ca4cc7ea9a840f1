/*
 * enhcode - RFC 3463 enhanced status codes ("5.1.1"), read the one way
 * for the relay (a server's reply, our policy) and for bounces (free
 * text of a report).
 *
 * A code is class '.' subject '.' detail: class 2, 4 or 5, subject and
 * detail 1-3 digits.  Each caller keeps its own rule for what may follow
 * a code; this module only says where one is.
 */
#ifndef MLISTD_ENHCODE_H
#define MLISTD_ENHCODE_H

#include <stdbool.h>
#include <stddef.h>

/* room for any code found in text, with its NUL */
#define ENHCODE_SIZE 16

/* enhcode_len - length of the code opening the n bytes at s, or 0; a
   digit run is taken whole (a 4th digit makes it no code); what follows
   the code is not looked at */
size_t enhcode_len(const char *s, size_t n);

/* enhcode_class - '2', '4' or '5' when the whole string is one code
   (followed by NUL or white space), else 0; NULL gives 0 */
char enhcode_class(const char *code);

/* enhcode_find - the first code in text that is not part of a longer
   number or dotted name (no alnum or '.' before it, no '.' after it),
   copied to out; false when there is none.  Linear in text. */
bool enhcode_find(const char *text, char out[ENHCODE_SIZE]);

/* enhcode_is_sender - x.1.7 or x.1.8 (x 4 or 5): about the sender's
   address, not the recipient's */
bool enhcode_is_sender(const char *code);

/* enhcode_is_bad_address - a permanent (5.x.x) code saying the
   recipient's address itself is dead (SPEC 8 "hard"): the one list the
   relay and the bounce reader share.  RFC 3463: 5.1.1 bad mailbox,
   5.1.2 bad system (domain), 5.1.3 bad syntax, 5.1.4 ambiguous, 5.1.6
   moved without forwarding address, 5.2.1 mailbox disabled, 5.4.4
   unable to route (no route to the domain at all); RFC 7505: 5.1.10
   null MX.  Not 5.1.5 ("destination address valid", for positive
   reports), 5.1.7/5.1.8 (the sender's) nor 5.1.9 (relayed) */
bool enhcode_is_bad_address(const char *code);

#endif
