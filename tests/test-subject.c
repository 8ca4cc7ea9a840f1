/*
 * test-subject - subject normalisation for the fallback, thread keys.
 */
#include <stdlib.h>

#include "subject.h"
#include "tap.h"

static const struct {
	const char *in;
	const char *tag;
	const char *want;
} cases[] = {
    {"Hello", NULL, "hello"},
    {"Re: Hello", NULL, "hello"},
    {"RE : Hello", NULL, "hello"},
    {"re:re: Re:  Hello   world ", NULL, "hello world"},
    {"Réf : Recrutement", NULL, "recrutement"},
    {"TR : Fwd: Fw: AW: Sujet", NULL, "sujet"},
    {"Re[2]: Sujet", NULL, "sujet"},
    {"Re: [acme] Budget 2025", "[acme]", "budget 2025"},
    {"[acme] Re: [acme] Budget", "[acme]", "budget"},
    {"[other] Budget", "[acme]", "[other] budget"},
    {"Évènement à Noël", NULL, "evenement a noel"},
    {"ÉVÈNEMENT   À NOËL", NULL, "evenement a noel"},
    {"Re:", NULL, ""},
    {"", NULL, ""},
    {NULL, NULL, ""},
    {"Reply policy", NULL, "reply policy"},
    {"Tr\xc3\xa8s bien", NULL, "tres bien"},
    {"bad \xff\xfe bytes", NULL, "bad \xff\xfe bytes"},
};

int
main(void)
{
	char key[9];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = subject_normalize(cases[i].in, cases[i].tag);

		is_str(got, cases[i].want, "normalize '%s'",
		       cases[i].in ? cases[i].in : "(null)");
		free(got);
	}
	/* DIGEST.md 2.4: SHA-1 over the Message-ID with its brackets;
	   the wanted values come from sha1sum */
	subject_thread_key("<root@example.org>", key);
	is_str(key, "22e1d0b9", "key of <root@example.org>");
	subject_thread_key("<a@x>", key);
	is_str(key, "eb516486", "key of <a@x>");
	tap_done();
}
