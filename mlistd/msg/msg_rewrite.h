/*
 * msg_rewrite - the copy of a post that a club relays (SPEC 7).
 *
 * msg_rewrite() builds the part of every copy common to all recipients:
 * List-* headers, the subject prefix, the From/Reply-To/Cc policy, the
 * DMARC treatment (munge, wrap or none) and the footer.  The caller adds
 * the per-recipient lines (List-Unsubscribe...) at *personal_at_r.
 * See msg_rewrite.c for the decisions taken on odd input.
 */
#ifndef MLISTD_MSG_REWRITE_H
#define MLISTD_MSG_REWRITE_H

#include <stddef.h>

#include "buf.h"

enum msg_rewrite_reply { MSG_REWRITE_REPLY_LIST, MSG_REWRITE_REPLY_AUTHOR };
enum msg_rewrite_dmarc {
	MSG_REWRITE_DMARC_MUNGE,
	MSG_REWRITE_DMARC_WRAP,
	MSG_REWRITE_DMARC_NONE
};

/* The post's author and subject as msg_parse() read them (intake stores
   them in the messages row): the relay passes these instead of having
   the post parsed again. */
struct msg_rewrite_author {
	const char *addr;    /* lower-cased From address, or NULL */
	const char *name;    /* decoded display name, or NULL */
	const char *subject; /* decoded Subject, or NULL when absent */
};

struct msg_rewrite_opts {
	const char *club;   /* "acme" */
	const char *domain; /* "lists.example.org" */
	char delim;	    /* '+' */
	const char *title;  /* club title for List-Id, UTF-8, may be "" */
	const char *prefix; /* subject prefix, e.g. "[acme]"; "" = none */
	enum msg_rewrite_reply reply_to;
	enum msg_rewrite_dmarc dmarc;
	const char *footer;	 /* UTF-8 text, NULL or "" = none */
	const char *author_name; /* display name when From has none (the
				    member's registered name), or NULL */
	const struct msg_rewrite_author *author; /* NULL: msg_rewrite()
						    parses the post for it
						    (tests, tools) */
	/* the thread links as the store holds them (a reply through
	   acme+r-KEY@ names its thread's root), replacing the post's
	   In-Reply-To and References; NULL: the post's own are kept */
	const char *in_reply_to;
	const char *references; /* space-separated Message-IDs, or NULL */
};

/* msg_rewrite - the part of every copy common to all recipients: raw (len
   bytes, any line ends, hostile) rewritten per o, appended to out as CRLF
   text.  *personal_at_r is the offset in out where the caller inserts
   per-recipient header lines (List-Unsubscribe...): inside the top-level
   header block, before the empty line.  Returns 0, or -1 with *error_r
   (caller frees) only for input it cannot handle at all: options without
   club or domain; any message bytes are handled. */
int msg_rewrite(const char *raw, size_t len, const struct msg_rewrite_opts *o,
		struct buf *out, size_t *personal_at_r, char **error_r);

/* msg_rewrite_subject - the relayed subject (decoded UTF-8) for subject
   (decoded, NULL when absent) under prefix (non-empty): every copy of the
   prefix removed, leading reply/forward markers collapsed into one, then
   "Re: [acme] x", "Fwd: [acme] x" or "[acme] x"; "[acme]" alone when the
   subject is missing or empty.  Caller frees. */
char *msg_rewrite_subject(const char *subject, const char *prefix);

#endif
