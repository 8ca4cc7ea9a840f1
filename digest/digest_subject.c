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

char *
digest_subject(const char *club, const char *lang,
	       const struct digest_issue *is)
{
	bool french = lang && strcmp(lang, "fr") == 0;
	const struct phrases *ph = french ? fr : en;
	const int counts[] = {is->n_debates, is->n_waiting, is->n_new};
	struct buf b = BUF_INIT;
	bool any = false;

	buf_printf(&b, "[%s] ", club);
	for (size_t i = 0; i < 3; i++) {
		if (counts[i] == 0)
			continue;
		if (any)
			buf_puts(&b, " · ");
		buf_printf(&b, counts[i] == 1 ? ph[i].one : ph[i].many,
			   counts[i]);
		any = true;
	}
	if (!any)
		buf_puts(&b, french ? "Les échanges de la semaine"
				    : "This week's conversations");
	return buf_steal(&b);
}
