/*
 * strutil - small string helpers kept together.
 */
#ifndef MLISTD_STRUTIL_H
#define MLISTD_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* str_trim - strip ASCII white space in place; returns the new start */
char *str_trim(char *s);
/* str_lower - ASCII lower-case in place; returns s */
char *str_lower(char *s);
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_prefix_ci(const char *s, const char *prefix);
/* str_hex - lower-case hex of n bytes into out (2n+1 bytes) */
void str_hex(const unsigned char *in, size_t n, char *out);
/* str_utf8_seq - length (1-4) of the valid UTF-8 sequence at s, which
   has avail bytes, or 0 when it is not valid UTF-8 (overlong forms and
   surrogates included) */
size_t str_utf8_seq(const char *s, size_t avail);
/* str_utf8_valid - n bytes of s are valid UTF-8 */
bool str_utf8_valid(const char *s, size_t n);
/* str_utf8_step - bytes to the next character: its length, 1 for an
   invalid byte (never 0 while avail > 0) */
size_t str_utf8_step(const char *s, size_t avail);
/* str_const_eq - compare n bytes in constant time (tokens) */
bool str_const_eq(const void *a, const void *b, size_t n);

#endif
