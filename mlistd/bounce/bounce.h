/*
 * bounce - what a delivery failure report says (SPEC 8).
 *
 * bounce_parse() reads one message that reached a +bounce address (or any
 * message: "mlistctl inspect bounce") and says whether it is a bounce, of
 * which kind, and for which recipients.  RFC 3464 reports are read first;
 * the texts of MTAs that send none (qmail, Exim, old sendmail, Exchange,
 * webmail providers, French and German texts...) are read by heuristics.
 * It never fails on hostile input.  The struct and every string in it are
 * owned by the caller, released with bounce_free().
 */
#ifndef MLISTD_BOUNCE_H
#define MLISTD_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct msg;
struct msg_part;

enum bounce_kind {
	BOUNCE_NONE,	/* not a bounce: auto-reply, ARF, success notice */
	BOUNCE_HARD,	/* permanent failure of the address itself */
	BOUNCE_SOFT,	/* any other failed delivery */
	BOUNCE_DELAYED, /* still being tried; never counts */
};

struct bounce_rcpt {
	char *address;	  /* lower-case addr-spec; never NULL */
	char *status;	  /* "5.1.1"; never NULL */
	char *diagnostic; /* one line, at most ~300 bytes; never NULL */
	char *action;	  /* "failed" or "delayed" */
	enum bounce_kind kind;
	bool dmarc; /* refused because of the author's DMARC policy */
};

struct bounce {
	bool is_bounce;		   /* kind != BOUNCE_NONE */
	enum bounce_kind kind;	   /* strongest: hard > soft > delayed */
	bool dmarc;		   /* a recipient was refused for DMARC */
	const char *format;	   /* how it was read: "dsn", "text", "arf",
				      "auto-reply", "none" (static) */
	struct bounce_rcpt *rcpts; /* failed or delayed recipients only */
	size_t nrcpts;
};

/* bounce_parse - read raw (len bytes, any line ends, may hold NULs) into
   a new struct bounce.  Returns 0; *b_r is always set. */
int bounce_parse(const char *raw, size_t len, struct bounce **b_r);
/* bounce_parse_parsed - the same for a message already read by
   msg_parse_parts() (raw must not start with a mailbox "From " line,
   which bounce_parse skips); m and parts are borrowed */
int bounce_parse_parsed(const char *raw, size_t len, const struct msg *m,
			const struct msg_part *parts, size_t nparts,
			struct bounce **b_r);
void bounce_free(struct bounce **b);

/* bounce_kind_name - "hard", "soft", "delayed" or "none" */
const char *bounce_kind_name(enum bounce_kind kind);

/* bounce_to_json - the object printed by "mlistctl inspect bounce" */
void bounce_to_json(const struct bounce *b, struct buf *out);

#endif
