/*
 * test-token - HMAC tokens: round trip, forgery, expiry, binding to
 * club and action.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "token.h"

int
main(void)
{
	unsigned char key[TOKEN_KEY_LEN], other[TOKEN_KEY_LEN];
	char arg[65], *t, bad[80];
	time_t now = 1760000000;

	memset(key, 7, sizeof(key));
	memset(other, 8, sizeof(other));
	t = token_make(key, "acme", "bounce", "12.3f", now + 30 * 86400);
	ok(strlen("acme+bounce-") + strlen(t) <= 64,
	   "fits a local part with room for a club name (%zu)", strlen(t));
	ok(strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789.") == strlen(t),
	   "lower-case letters, digits and dots only: %s", t);
	is_int(token_check(key, "acme", "bounce", t, now, arg, sizeof(arg)),
	       TOKEN_OK, "a fresh token checks");
	is_str(arg, "12.3f", "and gives its payload back");
	is_int(token_check(key, "acme", "bounce", t, now + 31 * 86400, arg,
			   sizeof(arg)),
	       TOKEN_EXPIRED, "after its day it is expired, not forged");
	is_int(token_check(key, "other", "bounce", t, now, arg, sizeof(arg)),
	       TOKEN_FORGED, "bound to its club");
	is_int(token_check(key, "acme", "confirm", t, now, arg, sizeof(arg)),
	       TOKEN_FORGED, "bound to its action");
	is_int(token_check(other, "acme", "bounce", t, now, arg, sizeof(arg)),
	       TOKEN_FORGED, "bound to the installation secret");
	snprintf(bad, sizeof(bad), "%s", t);
	bad[0] = bad[0] == '1' ? '2' : '1';
	is_int(token_check(key, "acme", "bounce", bad, now, arg, sizeof(arg)),
	       TOKEN_FORGED, "a changed payload is forged");
	snprintf(bad, sizeof(bad), "%s", t);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'a' ? 'b' : 'a';
	is_int(token_check(key, "acme", "bounce", bad, now, arg, sizeof(arg)),
	       TOKEN_FORGED, "a changed MAC is forged");
	{
		/* moving the expiry forward breaks the MAC */
		char *later = token_make(key, "acme", "bounce", "12.3f",
					 now + 300 * 86400);
		char *dot = strrchr(t, '.');
		char *ldot = strrchr(later, '.');

		snprintf(bad, sizeof(bad), "%.*s%s", (int)(ldot - later), later,
			 dot);
		is_int(token_check(key, "acme", "bounce", bad, now, arg,
				   sizeof(arg)),
		       TOKEN_FORGED, "an extended expiry is forged");
		free(later);
	}
	static const char *const garbage[] = {
	    "",
	    ".",
	    "..",
	    "abc",
	    "a.b",
	    "a.b.c",
	    "x.1.aaaaaaaaaaaa",
	    "a.1234567.bbbbbbbbbbbb",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaa.1.aaaaaaaaaaaa"};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		is_int(token_check(key, "acme", "bounce", garbage[i], now, arg,
				   sizeof(arg)),
		       TOKEN_FORGED, "garbage '%.20s' is forged", garbage[i]);
	free(t);
	tap_done();
}
