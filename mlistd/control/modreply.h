/*
 * modreply - what an animator's reply to a moderation notice says
 * (SPEC.md 6): approve or reject, and why.
 *
 * Pure and linear in the text read (at most MODREPLY_SCAN bytes): the
 * reply comes from the internet, so intake parses it before its write
 * transaction opens (prepare_job) and acts on the result inside it.
 *
 * The first non-empty line that is not quoted decides: lines starting
 * with '>' and attribution lines ("On ... wrote:", "Le ... a écrit :")
 * are skipped; a signature ("-- "), an Outlook separator ("-----Original
 * Message-----", "________", a "From:"/"De :" header block) ends the
 * reply.  Its first word, case and trailing punctuation ignored:
 *   approve  approve, approved, accept, accepted, ok, okay, yes, oui,
 *            accepter, valider
 *   reject   reject, rejected, refuse, no, non, refuser, rejeter
 * For a rejection, the rest of that line and the following lines up to
 * the quote or signature are the reason (white space collapsed, at most
 * MODREPLY_REASON bytes, cut on a character boundary).  Only when the
 * body has no such line is the Subject read the same way, its "Re:"-like
 * prefixes and "[tag]"s removed.  Anything else is no decision.
 */
#ifndef MLISTD_MODREPLY_H
#define MLISTD_MODREPLY_H

#include <stdbool.h>

#define MODREPLY_SCAN (64 * 1024)
#define MODREPLY_REASON 500
#define MODREPLY_WORD 32

struct msg;

enum modreply_verdict {
	MODREPLY_NONE, /* empty, or a word we do not know */
	MODREPLY_APPROVE,
	MODREPLY_REJECT,
};

struct modreply {
	enum modreply_verdict verdict;
	char word[MODREPLY_WORD];	  /* the deciding word as read, or "" */
	char reason[MODREPLY_REASON + 1]; /* a rejection's reason, or "" */
};

/* modreply_parse - read the decision in text (the body as UTF-8, may be
   NULL) or, failing a line there, in subject (may be NULL) */
void modreply_parse(const char *text, const char *subject, struct modreply *r);

#endif
