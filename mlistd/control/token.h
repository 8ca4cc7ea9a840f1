/*
 * token - capabilities carried in addresses (acme+bounce-TOKEN@...).
 *
 * A token is "ARG.EXPIRY.MAC": ARG is the caller's payload in [a-z0-9.]
 * (ids in base 36), EXPIRY the day number (base 36) after which it is
 * stale, MAC the first 60 bits of HMAC-SHA256 under the installation
 * secret over club, action, ARG and EXPIRY, in lower-case base 32.
 * Verification is constant time and distinguishes forged from expired.
 */
#ifndef MLISTD_TOKEN_H
#define MLISTD_TOKEN_H

#include <stddef.h>
#include <time.h>

#define TOKEN_KEY_LEN 32

enum token_status { TOKEN_OK, TOKEN_EXPIRED, TOKEN_FORGED };

/* token_make - a new token valid until expires; caller frees */
char *token_make(const unsigned char key[TOKEN_KEY_LEN], const char *club,
		 const char *action, const char *arg, time_t expires);

/* token_check - verify token for (club, action) at time now; on TOKEN_OK
   or TOKEN_EXPIRED the payload is copied into arg_r (size argsz) */
enum token_status token_check(const unsigned char key[TOKEN_KEY_LEN],
			      const char *club, const char *action,
			      const char *token, time_t now, char *arg_r,
			      size_t argsz);

/* token_make_bound, token_check_bound - the same with the MAC also over
   bound, an address the token acts for without carrying it (a
   confirmation names its request by id; SPEC 4) */
char *token_make_bound(const unsigned char key[TOKEN_KEY_LEN], const char *club,
		       const char *action, const char *arg, const char *bound,
		       time_t expires);
enum token_status token_check_bound(const unsigned char key[TOKEN_KEY_LEN],
				    const char *club, const char *action,
				    const char *token, const char *bound,
				    time_t now, char *arg_r, size_t argsz);

/* token_b36 - v in base 36 into out (at least 14 bytes) */
void token_b36(unsigned long long v, char *out);
/* token_pair - the payload "A.B", a and b in base 36 (two row ids) */
void token_pair(unsigned long long a, unsigned long long b, char out[32]);
/* token_parse_pair - the inverse; -1 unless arg is exactly that form */
int token_parse_pair(const char *arg, unsigned long long *a_r,
		     unsigned long long *b_r);

#endif
