/*
 * token - capabilities carried in addresses (see token.h).
 */
#include <nettle/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "token.h"
#include "xalloc.h"

#define TOKEN_MAC_CHARS 12 /* 60 bits: forging means guessing online */
#define TOKEN_DAY 86400

void
token_b36(unsigned long long v, char *out)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while (v);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

void
token_pair(unsigned long long a, unsigned long long b, char out[32])
{
	char x[14], y[14];

	token_b36(a, x);
	token_b36(b, y);
	snprintf(out, 32, "%s.%s", x, y);
}

int
token_parse_pair(const char *arg, unsigned long long *a_r,
		 unsigned long long *b_r)
{
	char *end;

	/* strtoull would take signs and spaces too */
	if (strspn(arg, "0123456789abcdefghijklmnopqrstuvwxyz.") != strlen(arg))
		return -1;
	*a_r = strtoull(arg, &end, 36);
	if (end == arg || *end != '.' || end[1] == '\0')
		return -1;
	*b_r = strtoull(end + 1, &end, 36);
	return *end == '\0' ? 0 : -1;
}

/* token_mac - base-32 MAC over the NUL-separated fields; bound (the
   address a token acts for, when not carried in it) is a fifth field,
   absent from unbound tokens so those made before stay valid */
static void
token_mac(const unsigned char key[TOKEN_KEY_LEN], const char *club,
	  const char *action, const char *arg, const char *exp,
	  const char *bound, char out[TOKEN_MAC_CHARS + 1])
{
	struct hmac_sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_SIZE];
	const char *fields[] = {club, action, arg, exp, bound};
	unsigned long long bits = 0;

	hmac_sha256_set_key(&ctx, TOKEN_KEY_LEN, key);
	for (size_t i = 0; i < (bound ? 5u : 4u); i++)
		hmac_sha256_update(&ctx, strlen(fields[i]) + 1,
				   (const uint8_t *)fields[i]);
	hmac_sha256_digest(&ctx, sizeof(d), d);
	for (int i = 0; i < 8; i++)
		bits = (bits << 8) | d[i];
	for (int i = 0; i < TOKEN_MAC_CHARS; i++)
		out[i] =
		    "abcdefghijklmnopqrstuvwxyz234567"[(bits >> (59 - 5 * i)) &
						       31];
	out[TOKEN_MAC_CHARS] = '\0';
}

char *
token_make_bound(const unsigned char key[TOKEN_KEY_LEN], const char *club,
		 const char *action, const char *arg, const char *bound,
		 time_t expires)
{
	char exp[16], mac[TOKEN_MAC_CHARS + 1];

	token_b36((unsigned long long)(expires / TOKEN_DAY), exp);
	token_mac(key, club, action, arg, exp, bound, mac);
	return xasprintf("%s.%s.%s", arg, exp, mac);
}

char *
token_make(const unsigned char key[TOKEN_KEY_LEN], const char *club,
	   const char *action, const char *arg, time_t expires)
{
	return token_make_bound(key, club, action, arg, NULL, expires);
}

enum token_status
token_check(const unsigned char key[TOKEN_KEY_LEN], const char *club,
	    const char *action, const char *token, time_t now, char *arg_r,
	    size_t argsz)
{
	return token_check_bound(key, club, action, token, NULL, now, arg_r,
				 argsz);
}

enum token_status
token_check_bound(const unsigned char key[TOKEN_KEY_LEN], const char *club,
		  const char *action, const char *token, const char *bound,
		  time_t now, char *arg_r, size_t argsz)
{
	char copy[80], want[TOKEN_MAC_CHARS + 1], *mac, *exp;
	unsigned long long day = 0;
	size_t n = strlen(token);

	if (n >= sizeof(copy))
		return TOKEN_FORGED;
	memcpy(copy, token, n + 1);
	if ((mac = strrchr(copy, '.')) == NULL)
		return TOKEN_FORGED;
	*mac++ = '\0';
	if ((exp = strrchr(copy, '.')) == NULL)
		return TOKEN_FORGED;
	*exp++ = '\0';
	if (strlen(mac) != TOKEN_MAC_CHARS || *exp == '\0' || strlen(exp) > 6)
		return TOKEN_FORGED;
	token_mac(key, club, action, copy, exp, bound, want);
	if (!str_const_eq(want, mac, TOKEN_MAC_CHARS))
		return TOKEN_FORGED;
	for (const char *p = exp; *p; p++)
		day =
		    day * 36 +
		    (unsigned long long)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
	if (strlen(copy) + 1 > argsz)
		return TOKEN_FORGED;
	strcpy(arg_r, copy);
	/* Valid through the whole expiry day. */
	if ((unsigned long long)(now / TOKEN_DAY) > day)
		return TOKEN_EXPIRED;
	return TOKEN_OK;
}
