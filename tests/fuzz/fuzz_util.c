/*
 * fuzz_util - what every fuzz target shares (see fuzz.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "xalloc.h"

char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void
fuzz_check(int cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz: invariant broken: %s\n", what);
	abort();
}
