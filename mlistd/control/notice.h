/*
 * notice - mail that mlistd writes itself (probes, animators' notices).
 *
 * A notice is a template (tmpl.c) rendered in the club's language into a
 * multipart/alternative message (text/plain and text/html, both UTF-8,
 * base64), marked Auto-Submitted: auto-generated and with the club's
 * List-Id, so that it is never answered automatically nor relayed back
 * into a club if it returns (post_policy.c).  Each recipient's copy is
 * stored as a message of role "notice" and queued in the caller's open
 * transaction; the relay sends it as it is.  notice_queue_with attaches
 * a message (a held post, for the animators) after the alternative, as
 * message/rfc822 in a multipart/mixed.
 */
#ifndef MLISTD_NOTICE_H
#define MLISTD_NOTICE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct conf;
struct store;
struct tmpl_vars;

struct notice_to {
	int64_t member; /* 0: not a member */
	const char *address;
	const char *reply_to; /* Reply-To address, or NULL */
};

/* notice_queue - render template name for club (id, name) with v (the
   club's title is set as club_title when v lacks it) and queue one copy
   per recipient.  Returns 0; 1 with *error_r (caller frees) when the
   template cannot be rendered (nothing was written: a broken template
   must not stop what caused the notice); -1 with *error_r on a database
   error. */
int notice_queue(struct store *s, const struct conf *conf, int64_t club,
		 const char *club_name, const char *name, struct tmpl_vars *v,
		 const struct notice_to *to, size_t nto, time_t now,
		 char **error_r);
/* what some notices need besides the template */
struct notice_opts {
	const char *role;   /* stored role; NULL: "notice".  "answer": an
			       answer to control mail, purged with it */
	const char *attach; /* a message attached as message/rfc822 (its
			       copy is then purged as the post would be) */
	size_t attach_len;
	const char *headers; /* more header lines, each ending in CRLF
				(List-Unsubscribe of a digest), or NULL */
	const char *arg;     /* the stored arg: "digest" (purged 30 days
				on), or NULL */
};

/* notice_queue_opts - notice_queue with o (NULL: none) */
int notice_queue_opts(struct store *s, const struct conf *conf, int64_t club,
		      const char *club_name, const char *name,
		      struct tmpl_vars *v, const struct notice_to *to,
		      size_t nto, const struct notice_opts *o, time_t now,
		      char **error_r);

/* notice_build - one such message to `to` in m (From the club's owner
   address under title, Auto-Submitted, List-Id, multipart/alternative,
   with o's message attached when it has one; o may be NULL);
   *mid_r: its Message-ID (caller frees) */
void notice_build(struct buf *m, const struct conf *conf, const char *club_name,
		  const char *title, const struct notice_to *to,
		  const char *subject, const char *text, const char *html,
		  const struct notice_opts *o, time_t now, char **mid_r);

/* notice_store - store m (built by notice_build, Message-ID mid, subject)
   as a message of role (NULL: "notice") and queue it to `to`, in the
   caller's transaction; -1 on a database error */
int notice_store(struct store *s, int64_t club, const struct notice_to *to,
		 const struct buf *m, const char *mid, const char *subject,
		 const struct notice_opts *o, time_t now);

#endif
