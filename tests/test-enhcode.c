/*
 * test-enhcode - RFC 3463 codes as each caller reads them: the length
 * of a leading code (relay_smtp.c then wants end of line or one space
 * after it), a whole string as one code (relay_policy.c), the first code
 * in free text (bounce.c), and the sender's 5.1.7/5.1.8.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enhcode.h"
#include "tap.h"

/* enhcode_len over the whole string; after = what follows the code */
static const struct {
	const char *s;
	size_t want;
} lens[] = {
    {"5.1.1", 5},     {"2.0.0", 5},
    {"4.123.456", 9}, {"5.1.10 mailbox", 6},
    {"5.1.1.2", 5}, /* nothing after is looked at */
    {"5.1.1x", 5},    {"4.7", 0},
    {"4.7.", 0},      {"4.7.1234", 0}, /* a digit run is taken whole */
    {"4.1234.1", 0},  {"3.1.1", 0},
    {"6.1.1", 0},     {"5..1", 0},
    {"5.1", 0},	      {".1.1", 0},
    {"", 0},	      {"x5.1.1", 0},
};

/* enhcode_class: the whole string is one code (relay_policy.c) */
static const struct {
	const char *s;
	char want;
} classes[] = {
    {"5.1.1", '5'},	      {"4.7.1", '4'},	      {"2.0.0", '2'},
    {"4.123.456 later", '4'}, {"5.7.1\tpolicy", '5'}, {"4.7", 0},
    {"4.7.1234", 0},	      {"4.7.1x", 0},	      {"3.1.1", 0},
    {"5.1.1.2", 0},	      {"#5.1.1", 0},	      {"", 0},
};

/* enhcode_find: the first code standing alone in text (bounce.c) */
static const struct {
	const char *s;
	const char *want; /* NULL: none */
} finds[] = {
    {"550 5.1.1 user unknown", "5.1.1"},
    {"5.1.1", "5.1.1"},
    {"#5.1.1 user unknown", "5.1.1"},
    {"smtp;550 5.1.1", "5.1.1"},
    {"smtp;5.1.1", "5.1.1"},
    {"x5.1.1 then 4.2.2", "4.2.2"},
    {"host 10.5.1.1 said 5.2.2", "5.2.2"}, /* IP-like skipped */
    {"5.1.1.2", NULL},
    {"15.1.1", NULL},
    {"5.1.1234 then 5.7.1.", NULL},
    {"4.123.456 later", "4.123.456"},
    {"status 5.1.10, bad domain", "5.1.10"},
    {"status: 3.1.1", NULL},
    {"", NULL},
};

int
main(void)
{
	char out[ENHCODE_SIZE];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		is_int(enhcode_len(lens[i].s, strlen(lens[i].s)), lens[i].want,
		       "len \"%s\"", lens[i].s);
	/* n bounds the scan: the relay's reply line is not NUL-terminated */
	is_int(enhcode_len("5.1.1", 4), 0, "len: a code cut by n is none");
	is_int(enhcode_len("5.1.12", 5), 5, "len: digits past n not seen");
	is_int(enhcode_len("5.1.1", 0), 0, "len: empty");

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		is_int(enhcode_class(classes[i].s), classes[i].want,
		       "class \"%s\"", classes[i].s);
	is_int(enhcode_class(NULL), 0, "class NULL");

	for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
		bool found = enhcode_find(finds[i].s, out);

		if (finds[i].want)
			ok(found && strcmp(out, finds[i].want) == 0,
			   "find \"%s\" -> %s", finds[i].s, finds[i].want);
		else
			ok(!found, "find \"%s\" -> none", finds[i].s);
	}
	ok(!enhcode_find(NULL, out), "find NULL -> none");

	ok(enhcode_is_sender("5.1.7"), "5.1.7 is the sender's");
	ok(enhcode_is_sender("5.1.8"), "5.1.8 is the sender's");
	ok(!enhcode_is_sender("5.1.1"), "5.1.1 is the recipient's");
	ok(!enhcode_is_sender("5.1.70"), "5.1.70 is not 5.1.7");
	ok(enhcode_is_sender("4.1.8"), "4.1.8 is the sender's too");
	ok(!enhcode_is_sender("2.1.7"), "2.1.7 is no refusal");

	/* the one list of dead-address codes (RFC 3463, RFC 7505) */
	{
		static const char *const dead[] = {"5.1.1", "5.1.2", "5.1.3",
						   "5.1.4", "5.1.6", "5.1.10",
						   "5.2.1", "5.4.4", NULL};
		static const char *const alive[] = {
		    "5.1.5",  "5.1.7", "5.1.8", "5.1.9", "5.1.0",
		    "4.1.1",  "2.1.5", "5.2.2", "5.7.1", "5.4.1",
		    "5.1.11", "",      NULL};

		for (int i = 0; dead[i]; i++)
			ok(enhcode_is_bad_address(dead[i]),
			   "%s: the address is dead", dead[i]);
		for (int i = 0; alive[i]; i++)
			ok(!enhcode_is_bad_address(alive[i]),
			   "\"%s\": not a dead address", alive[i]);
		ok(!enhcode_is_bad_address(NULL), "NULL: not dead");
	}

	/* a crafted report: one huge line of digits and dots stays linear */
	{
		size_t n = 4 * 1000 * 1000;
		char *big = malloc(n + 1);
		clock_t t0 = clock();
		bool found;

		for (size_t i = 0; i < n; i++)
			big[i] = i % 2 ? '.' : '5';
		big[n] = '\0';
		found = enhcode_find(big, out);
		ok(!found, "find: no code in %zu bytes of \"5.5.5...\"", n);
		ok(clock() - t0 < 2 * CLOCKS_PER_SEC, "find: linear");
		free(big);
	}
	tap_done();
}
