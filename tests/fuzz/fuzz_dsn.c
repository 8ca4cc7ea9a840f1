/*
 * fuzz_dsn - a report that reached acme+bounce-TOKEN@: the bounce reader
 * (RFC 3464 and the heuristics for MTAs that send none) and its verdict.
 */
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "fuzz.h"

void
fuzz_dsn(const uint8_t *data, size_t size)
{
	struct bounce *b = NULL;
	struct buf json = BUF_INIT;

	fuzz_check(bounce_parse((const char *)data, size, &b) == 0 && b,
		   "bounce_parse failed");
	fuzz_check(b->is_bounce == (b->kind != BOUNCE_NONE),
		   "is_bounce disagrees with kind");
	for (size_t i = 0; i < b->nrcpts; i++) {
		const struct bounce_rcpt *r = &b->rcpts[i];

		fuzz_check(r->address && r->status && r->diagnostic,
			   "a bounce recipient with a NULL field");
		fuzz_check(strchr(r->diagnostic, '\n') == NULL,
			   "a diagnostic of more than one line");
	}
	bounce_to_json(b, &json);
	buf_free(&json);
	bounce_free(&b);
}
