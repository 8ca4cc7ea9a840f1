/*
 * bounce_words - the phrase families a delivery report is read by.
 *
 * One table per question the bounce reader asks of a line or a header
 * (is it an error, does it say the address is dead, is it a warning...),
 * in the languages the common MTAs and providers write their reports in:
 * English, French, German, Spanish, Italian, Portuguese, Russian,
 * Japanese, Chinese.  Matching is a substring search, ASCII
 * case-insensitive (non-ASCII phrases are stored in the lower case real
 * reports use); the text is UTF-8, as the msg layer decodes it.
 * Enhanced status codes come first (enhcode.h); these words are for
 * reports that give none, or only a vague one.
 */
#ifndef MLISTD_BOUNCE_WORDS_H
#define MLISTD_BOUNCE_WORDS_H

#include <stdbool.h>

enum bounce_words {
	BW_DMARC,	/* refused for the author's DMARC policy */
	BW_SOFT,	/* failures not about the address: full, spam,
			   policy, network, expired after retries */
	BW_HARD_USER,	/* the mailbox is dead: unknown, disabled, moved */
	BW_HARD_DOMAIN, /* the domain is dead: not found, no MX */
	BW_SENDER,	/* the refusal is of the sender, not the address */
	BW_ERROR,	/* a line that reports an error at all */
	BW_NOTRCPT,	/* an address after these is someone else's */
	BW_CUT,		/* the returned original starts on this line */
	BW_SENDER_NAME, /* From of a delivery report */
	BW_SUBJECT,	/* Subject of a delivery report */
	BW_TEXT,	/* text only delivery reports say */
	BW_DELAY_SURE,	/* the report says it is only a warning */
	BW_DELAY,	/* the report says it will try again */
	BW_FINAL,	/* ... or that it gave up */
	BW_AUTO_SUBJECT /* Subject of a vacation or other auto-reply */
};

/* bounce_words_list - the NULL-ended phrases of family w */
const char *const *bounce_words_list(enum bounce_words w);

/* bounce_words_in - s (may be NULL) holds a phrase of family w */
bool bounce_words_in(enum bounce_words w, const char *s);

#endif
