/*
 * digest_subject - the subject line of DIGEST.md 2.3, in French or
 * English.
 */
#include <string.h>

#include "buf.h"
#include "digest.h"

struct phrases {
	const char *one, *many; /* printf formats taking the count */
};

static const struct phrases fr[] = {
    {"%d débat", "%d débats"},
    {"%d membre attend une réponse", "%d membres attendent une réponse"},
    {"%d nouveau membre", "%d nouveaux membres"},
};
static const struct phrases en[] = {
    {"%d debate", "%d debates"},
    {"%d member waiting for a reply", "%d members waiting for a reply"},
    {"%d new member", "%d new members"},
};

static const struct phrases fr_header[] = {
    {"%d nouveau fil", "%d nouveaux fils"},
    {"%d message", "%d messages"},
    {"%d nouveau membre", "%d nouveaux membres"},
};
static const struct phrases en_header[] = {
    {"%d new thread", "%d new threads"},
    {"%d message", "%d messages"},
    {"%d new member", "%d new members"},
};

/* counts - the non-zero counts joined with " · "; false if none */
static bool
counts(struct buf *b, const struct phrases *ph, const int *n)
{
	bool any = false;

	for (size_t i = 0; i < 3; i++) {
		if (n[i] == 0)
			continue;
		if (any)
			buf_puts(b, " · ");
		buf_printf(b, n[i] == 1 ? ph[i].one : ph[i].many, n[i]);
		any = true;
	}
	return any;
}

char *
digest_header_line(const char *lang, const struct digest_issue *is)
{
	bool french = lang && strcmp(lang, "fr") == 0;
	const int n[] = {is->new_threads, is->messages, is->new_members};
	struct buf b = BUF_INIT;

	counts(&b, french ? fr_header : en_header, n);
	return buf_steal(&b);
}

char *
digest_subject(const char *club, const char *lang,
	       const struct digest_issue *is)
{
	bool french = lang && strcmp(lang, "fr") == 0;
	const int n[] = {is->n_debates, is->n_waiting, is->n_new};
	struct buf b = BUF_INIT;

	buf_printf(&b, "[%s] ", club);
	if (!counts(&b, french ? fr : en, n))
		buf_puts(&b, french ? "Les échanges de la semaine"
				    : "This week's conversations");
	return buf_steal(&b);
}
