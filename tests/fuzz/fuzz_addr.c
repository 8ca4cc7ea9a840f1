/*
 * fuzz_addr - a recipient or member address, and the tokens of SPEC.md
 * 4 it may carry: the address parsers must refuse or split it without
 * reading past it, and a token made from any payload must verify, bound
 * to its address and to nothing else.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "fuzz.h"
#include "token.h"

#define FUZZ_NOW 1764547200 /* 2025-12-01 */

static const unsigned char key[TOKEN_KEY_LEN] =
    "fuzz-key-fuzz-key-fuzz-key-fuzz";

static void
fuzz_addr_rcpt(const char *s)
{
	struct addr_rcpt r;
	const char *why = NULL;
	char arg[80];

	if (addr_parse_rcpt(s, "lists.example.org", '+', &r, &why) < 0) {
		fuzz_check(why != NULL, "addr_parse_rcpt refused without why");
		return;
	}
	fuzz_check(addr_valid_club(r.club), "addr_parse_rcpt gave a bad club");
	if (addr_role_has_token(r.role))
		(void)token_check(key, r.club, addr_role_name(r.role), r.arg,
				  FUZZ_NOW, arg, sizeof(arg));
}

static void
fuzz_addr_forms(const char *s)
{
	char *n = addr_normalize(s), *a = NULL, *name = NULL, *b;

	if (n) {
		char *again = addr_normalize(n);

		fuzz_check(again && strcmp(again, n) == 0,
			   "addr_normalize is not idempotent");
		free(again);
		free(n);
	}
	if (addr_parse_line(s, &a, &name) == 0)
		fuzz_check(a != NULL, "addr_parse_line gave no address");
	free(a);
	free(name);
	b = addr_strip_brackets(s);
	fuzz_check(b && strlen(b) <= strlen(s), "addr_strip_brackets grew");
	free(b);
}

/* fuzz_addr_token - a token over the input's [a-z0-9.] characters,
   bound to the whole input */
static void
fuzz_addr_token(const char *s)
{
	char payload[41], arg[80], other[16];
	size_t n = 0;
	unsigned long long a, b;
	char *t;

	for (const char *p = s; *p && n < sizeof(payload) - 1; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.')
			payload[n++] = *p;
	payload[n] = '\0';
	t = token_make_bound(key, "acme", "confirm", payload, s,
			     FUZZ_NOW + 86400);
	fuzz_check(token_check_bound(key, "acme", "confirm", t, s, FUZZ_NOW,
				     arg, sizeof(arg)) == TOKEN_OK,
		   "a fresh token does not verify");
	fuzz_check(strcmp(arg, payload) == 0, "a token lost its payload");
	fuzz_check(token_check_bound(key, "acme", "confirm", t, "x@example.org",
				     FUZZ_NOW, arg, sizeof(arg)) != TOKEN_OK ||
		       strcmp(s, "x@example.org") == 0,
		   "a token verifies for another address");
	fuzz_check(token_check(key, "acme", "confirm", s, FUZZ_NOW, arg,
			       sizeof(arg)) != TOKEN_OK,
		   "the input itself verified as a token");
	free(t);
	if (token_parse_pair(s, &a, &b) == 0) {
		char pair[32];
		unsigned long long a2, b2;

		token_pair(a, b, pair);
		fuzz_check(token_parse_pair(pair, &a2, &b2) == 0 && a2 == a &&
			       b2 == b,
			   "token_pair does not read back");
	}
	token_b36((unsigned long long)strlen(s), other);
}

void
fuzz_addr(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);

	fuzz_addr_rcpt(s);
	fuzz_addr_forms(s);
	fuzz_addr_token(s);
	free(s);
}
