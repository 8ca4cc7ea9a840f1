/*
 * digest_tags - the club vocabulary of DIGEST.md 1.6: "TAG: kw, kw;
 * TAG: kw", prefix keywords matched on the folded root subject and body.
 */
#ifndef MLISTD_DIGEST_TAGS_H
#define MLISTD_DIGEST_TAGS_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_MAX_TAGS 64

struct digest_vocab {
	size_t ntags;
	char *name[DIGEST_MAX_TAGS]; /* folded */
	char **kw[DIGEST_MAX_TAGS];  /* folded, NULL-terminated */
};

/* digest_vocab_parse - v may be NULL or empty; tags past 64 are ignored */
void digest_vocab_parse(struct digest_vocab *v, const char *text);
void digest_vocab_free(struct digest_vocab *v);
/* digest_vocab_match - the tags whose keywords start a word of the
   folded text */
uint64_t digest_vocab_match(const struct digest_vocab *v, const char *folded);
/* digest_vocab_member - the tags named in a member's comma list */
uint64_t digest_vocab_member(const struct digest_vocab *v, const char *tags);

#endif
