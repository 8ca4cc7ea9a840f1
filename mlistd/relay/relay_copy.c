/*
 * relay_copy - the part of a message's copies common to every
 * recipient, built once per message (msg_rewrite, with the club's
 * settings) and shared by reference, and what each recipient's copy
 * adds: the VERP envelope sender and List-Unsubscribe.
 *
 * Only the dispatcher builds copies (relay_copy_get); the senders read
 * them; references are counted under the relay's lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "club.h"
#include "conf.h"
#include "log.h"
#include "member_bounce.h"
#include "msg_rewrite.h"
#include "relay_private.h"
#include "store.h"
#include "token.h"
#include "xalloc.h"

#define RELAY_BOUNCE_LIFE (30 * 86400)
#define RELAY_UNSUB_LIFE (365 * 86400)

char *
relay_copy_envelope_from(const struct conf *conf,
			 const unsigned char key[TOKEN_KEY_LEN],
			 const char *club, int64_t member, int64_t msg,
			 time_t now)
{
	char arg[32], *tok, *from;

	member_bounce_token_arg(member, msg, arg);
	tok = token_make(key, club, "bounce", arg, now + RELAY_BOUNCE_LIFE);
	from = xasprintf("%s%cbounce-%s@%s", club, conf->delimiter, tok,
			 conf->domain);
	free(tok);
	return from;
}

void
relay_copy_personal_headers(struct buf *out, const struct conf *conf,
			    const unsigned char key[TOKEN_KEY_LEN],
			    const char *club, int64_t member, time_t now)
{
	char arg[14], *tok;

	token_b36((unsigned long long)member, arg);
	tok = token_make(key, club, "unsub", arg, now + RELAY_UNSUB_LIFE);
	buf_printf(out, "List-Unsubscribe: <mailto:%s%cunsub-%s@%s>", club,
		   conf->delimiter, tok, conf->domain);
	if (conf->unsubscribe_url && *conf->unsubscribe_url) {
		size_t n = strlen(conf->unsubscribe_url);

		buf_printf(out, ",\r\n <%s%s%s>", conf->unsubscribe_url,
			   n && conf->unsubscribe_url[n - 1] == '/' ? "" : "/",
			   tok);
		buf_puts(out, "\r\nList-Unsubscribe-Post: "
			      "List-Unsubscribe=One-Click");
	}
	buf_puts(out, "\r\n");
	free(tok);
}

/* copy_build - the common part of msg's copies */
static struct relay_copy *
copy_build(struct relay *r, const struct store_queue_item *q)
{
	struct relay_copy *c = xcalloc(1, sizeof(*c));
	/* the club settings a copy depends on, read once per message */
	enum { TITLE, PREFIX, FOOTER, REPLY_TO, DMARC, NSET };
	static const char *const keys[NSET] = {"title", "subject_prefix",
					       "footer", "reply_to", "dmarc"};
	struct msg_rewrite_opts o;
	struct store_msg_author author;
	struct msg_rewrite_author au;
	char *raw = NULL, *set[NSET], *err = NULL, *irt = NULL, *refs = NULL;
	size_t len;

	c->msg_id = q->msg_id;
	c->club = xstrdup(q->club);
	if (store_msg_raw(r->store, q->msg_id, &raw, &len) != 0) {
		log_warn("M%lld: cannot read the message: %s",
			 (long long)q->msg_id, store_error(r->store));
		free(c->club);
		free(c);
		return NULL;
	}
	if (strcmp(q->role, "notice") == 0 || strcmp(q->role, "answer") == 0) {
		/* our own notices go as they were written */
		buf_append(&c->data, raw, len);
		free(raw);
		return c;
	}
	c->personal = true;
	for (int i = 0; i < NSET; i++)
		set[i] =
		    club_get(r->store, r->dconf, q->club_id, q->club, keys[i]);
	memset(&o, 0, sizeof(o));
	o.club = q->club;
	o.domain = r->dconf->domain;
	o.delim = r->dconf->delimiter;
	o.title = set[TITLE] ? set[TITLE] : "";
	o.prefix = set[PREFIX] ? set[PREFIX] : "";
	o.footer = set[FOOTER];
	o.reply_to = set[REPLY_TO] && strcmp(set[REPLY_TO], "author") == 0
			 ? MSG_REWRITE_REPLY_AUTHOR
			 : MSG_REWRITE_REPLY_LIST;
	o.dmarc = !set[DMARC]			    ? MSG_REWRITE_DMARC_MUNGE
		  : strcmp(set[DMARC], "wrap") == 0 ? MSG_REWRITE_DMARC_WRAP
		  : strcmp(set[DMARC], "none") == 0 ? MSG_REWRITE_DMARC_NONE
						    : MSG_REWRITE_DMARC_MUNGE;
	/* From and Subject as intake parsed them: no second parse */
	if (store_msg_author(r->store, q->msg_id, &author) == 1) {
		au = (struct msg_rewrite_author){author.addr, author.name,
						 author.subject};
		o.author = &au;
		o.author_name = author.member_name;
	}
	/* a reply through acme+r-KEY@ carries the thread it was filed in,
	   so every member's client threads it there too */
	if (strcmp(q->role, "r") == 0 &&
	    store_msg_links(r->store, q->msg_id, &irt, &refs) == 0) {
		o.in_reply_to = irt;
		o.references = refs;
	}
	if (msg_rewrite(raw, len, &o, &c->data, &c->personal_at, &err) < 0) {
		/* XXX: relay it unchanged rather than lose it */
		log_warn("M%lld: rewrite: %s; relayed as received",
			 (long long)q->msg_id, err);
		free(err);
		buf_reset(&c->data);
		buf_append(&c->data, raw, len);
		c->personal = false;
	}
	/* lookups that stopped at their row would pin a WAL snapshot (and
	   hold back checkpoints) while the senders work */
	store_release(r->store);
	for (int i = 0; i < NSET; i++)
		free(set[i]);
	store_msg_author_clear(&author);
	free(irt);
	free(refs);
	free(raw);
	return c;
}

/* relay_copy_get - the copy of q's message, built once; under no lock (only
   the dispatcher builds) */
struct relay_copy *
relay_copy_get(struct relay *r, const struct store_queue_item *q)
{
	struct relay_copy *c;

	pthread_mutex_lock(&r->lock);
	for (c = r->copies; c; c = c->next)
		if (c->msg_id == q->msg_id) {
			c->refs++;
			pthread_mutex_unlock(&r->lock);
			return c;
		}
	pthread_mutex_unlock(&r->lock);
	if ((c = copy_build(r, q)) == NULL)
		return NULL;
	pthread_mutex_lock(&r->lock);
	c->refs = 1;
	c->next = r->copies;
	r->copies = c;
	pthread_mutex_unlock(&r->lock);
	return c;
}

/* relay_copy_put - drop a reference; under the relay's lock */
void
relay_copy_put(struct relay *r, struct relay_copy *c)
{
	struct relay_copy **pp;

	if (c == NULL || --c->refs > 0)
		return;
	for (pp = &r->copies; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	buf_free(&c->data);
	free(c->club);
	free(c);
}
