/*
 * enhcode - RFC 3463 enhanced status codes (see enhcode.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "enhcode.h"

/* enhcode_len - length of the code opening s (n bytes), or 0 */
size_t
enhcode_len(const char *s, size_t n)
{
	size_t i = 1, digits;

	if (n == 0 || (s[0] != '2' && s[0] != '4' && s[0] != '5'))
		return 0;
	for (int part = 0; part < 2; part++) {
		if (i >= n || s[i++] != '.')
			return 0;
		for (digits = 0; i < n && isdigit((unsigned char)s[i]); i++)
			digits++;
		if (digits < 1 || digits > 3)
			return 0;
	}
	return i;
}

/* enhcode_class - the class digit of a string that is one code */
char
enhcode_class(const char *code)
{
	size_t n;

	if (code == NULL)
		return 0;
	n = enhcode_len(code, strnlen(code, ENHCODE_SIZE));
	if (n == 0 || (code[n] != '\0' && !isspace((unsigned char)code[n])))
		return 0;
	return code[0];
}

/* enhcode_find - the first code standing on its own in text */
bool
enhcode_find(const char *text, char out[ENHCODE_SIZE])
{
	for (const char *p = text; p && *p; p++) {
		size_t n;

		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '.'))
			continue;
		/* a code is under ENHCODE_SIZE bytes: never measure the
		   rest of the text, which would make the scan quadratic */
		n = enhcode_len(p, strnlen(p, ENHCODE_SIZE));
		if (n == 0 || p[n] == '.')
			continue;
		snprintf(out, ENHCODE_SIZE, "%.*s", (int)n, p);
		return true;
	}
	return false;
}

/* enhcode_is_sender - a refusal of the sender's address */
bool
enhcode_is_sender(const char *code)
{
	return (code[0] == '4' || code[0] == '5') &&
	       (strcmp(code + 1, ".1.7") == 0 || strcmp(code + 1, ".1.8") == 0);
}

/* enhcode_is_bad_address - the address itself is dead.  5.1.4: the
   address as written matches no single mailbox and will not until the
   member changes it, a fault of the address like 5.1.1; 5.1.5 says the
   address is valid, so it can never mean dead (see enhcode.h) */
bool
enhcode_is_bad_address(const char *code)
{
	static const char *const bad[] = {"5.1.1", "5.1.2", "5.1.3",
					  "5.1.4", "5.1.6", "5.1.10",
					  "5.2.1", "5.4.4", NULL};

	if (code == NULL)
		return false;
	for (size_t i = 0; bad[i]; i++)
		if (strcmp(code, bad[i]) == 0)
			return true;
	return false;
}
