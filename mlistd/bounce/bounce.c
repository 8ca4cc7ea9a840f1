/*
 * bounce - delivery failure reports to struct bounce (SPEC 8).
 *
 * Entry points: bounce_parse(), bounce_to_json(), bounce_free().
 *
 * The order of judgement: an ARF feedback report is never a bounce; an RFC
 * 3464 message/delivery-status part is believed when it names recipients;
 * otherwise the human-readable text is searched for failed addresses, but
 * only when something says the message is a delivery report at all (a
 * daemon sender, a bounce subject or a bounce phrase), so that auto-replies
 * and ordinary mail stay "none".  Each recipient is then classed by its
 * enhanced status code, its SMTP reply code and keywords of its diagnostic.
 *
 * Only the parts layer (msg.h) is used; libetpan stays in msg_parse.c.
 * Everything allocated here belongs to the struct bounce.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "bounce.h"
#include "bounce_words.h"
#include "buf.h"
#include "enhcode.h"
#include "msg.h"
#include "msg_header.h"
#include "strutil.h"
#include "xalloc.h"

/* a report naming more recipients than this is a list, not a bounce */
#define BOUNCE_MAX_RCPTS 200
#define BOUNCE_DIAG_MAX 300
/* Anyone can mail a +bounce address with a token from any copy, so the
   work per report is bounded (README "Decisions"): the human-readable
   report and each delivery-status part are read up to this many bytes
   (a real one is a few KB; the returned original is not the report)... */
#define BOUNCE_TEXT_MAX (64 * 1024)
/* ...at most this many '@' of the text are looked at as addresses... */
#define BOUNCE_MAX_ADDRS 2000
/* ...at most this many addresses of "To:" lines are kept aside... */
#define BOUNCE_MAX_WEAK 20
/* ...and at most this many delivery-status recipient groups */
#define BOUNCE_MAX_GROUPS 1000

struct bounce_ctx {
	struct bounce *b;
	const struct msg *m;
	const struct msg_part *parts;
	size_t nparts;
	char *text; /* human-readable report, lower-case copy in ltext */
	char *ltext;
	char *all_text; /* every depth-0 text, for DMARC/keyword hints */
	char *rest;	/* the text after the cut: an inline original */
	int dsn_groups; /* recipient groups seen in delivery-status parts */
	bool all_dmarc; /* all_text mentions DMARC */
	/* the whole text's error line and class, computed once: every
	   recipient without a line of its own shares them */
	char *text_diag;
	bool text_classed;
	char text_status[16];
	enum bounce_kind text_kind;
	bool text_dmarc;
};

/* bounce_lower_dup - ASCII lower-case copy */
static char *
bounce_lower_dup(const char *s)
{
	return str_lower(xstrdup(s ? s : ""));
}

/* bounce_has - case-insensitive substring, for short needles */
static bool
bounce_has(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

/* classes ----------------------------------------------------------------- */

/* bounce_find_code - first SMTP reply code (4xx/5xx word) in s, or 0 */
static int
bounce_find_code(const char *s)
{
	for (const char *p = s; p && *p; p++) {
		if ((*p != '4' && *p != '5') ||
		    (p > s &&
		     (isalnum((unsigned char)p[-1]) || strchr(".:-/[", p[-1]))))
			continue;
		if (isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) && p[1] <= '5' &&
		    (p[3] == ' ' || p[3] == '-' || p[3] == '\0' ||
		     p[3] == '\t' || p[3] == '\n'))
			return (p[0] - '0') * 100 + (p[1] - '0') * 10 +
			       (p[2] - '0');
	}
	return 0;
}

/* bounce_status_vague - a status that names no cause: x.0.0 and the
   "other" codes MTAs use for anything (5.0.x, 5.1.0, 5.3.0, 5.4.0,
   5.5.x; Microsoft's 5.4.1 "access denied" for unknown users) */
static bool
bounce_status_vague(const char *st)
{
	static const char *const vague[] = {".0.0", ".1.0", ".2.0", ".3.0",
					    ".4.0", ".4.1", ".5.0", ".5.1",
					    ".5.2", ".5.4", ".7.0", NULL};

	if (st[0] == '\0' || str_has_prefix(st + 1, ".0."))
		return true;
	for (int i = 0; vague[i]; i++)
		if (strcmp(st + 1, vague[i]) == 0)
			return true;
	return false;
}

/* bounce_class - kind of one failed recipient from its status and text;
   status (16 bytes) is set or made more precise */
static enum bounce_kind
bounce_class(char *status, const char *diag, bool *dmarc_r)
{
	bool soft_kw, hard_kw, domain_kw;
	char found[16];
	int code = bounce_find_code(diag);

	*dmarc_r = bounce_words_in(BW_DMARC, diag);
	soft_kw =
	    bounce_words_in(BW_SOFT, diag) || bounce_words_in(BW_SENDER, diag);
	domain_kw = bounce_words_in(BW_HARD_DOMAIN, diag);
	hard_kw = domain_kw || bounce_words_in(BW_HARD_USER, diag);
	/* the remote server's own code is more precise than the reporting
	   MTA's mapping of it; the report keeps its class (a 450 relayed as
	   a final failure is a failure) */
	if (enhcode_find(diag, found) && found[0] != '2' &&
	    strcmp(found, status) != 0 &&
	    (bounce_status_vague(status) || found[0] == status[0])) {
		if (status[0] && !bounce_status_vague(found))
			found[0] = status[0];
		if (!bounce_status_vague(found) || status[0] == '\0')
			memcpy(status, found, sizeof(found));
	}
	if (status[0] == '\0')
		snprintf(status, 16, "%c.0.0", code ? '0' + code / 100 : '5');
	if (bounce_status_vague(status)) {
		char cls = status[0];

		if (soft_kw || *dmarc_r)
			snprintf(status, 16, "%c.%s", cls,
				 bounce_has(diag, "quota") ||
					 bounce_has(diag, "full")
				     ? "2.2"
				 : bounce_has(diag, "expired") ||
					 bounce_has(diag, "retry time") ||
					 bounce_has(diag, "timed out")
				     ? "4.7"
				     : "7.1");
		else if (cls == '5' && hard_kw)
			snprintf(status, 16, "5.%s", domain_kw ? "1.2" : "1.1");
	}
	if (*dmarc_r || status[0] == '4')
		return BOUNCE_SOFT;
	if (enhcode_is_sender(status))
		return BOUNCE_SOFT; /* the sender's address, not this one */
	if (enhcode_is_bad_address(status))
		return BOUNCE_HARD;
	/* policy codes are soft, unless the text plainly says the
	   recipient does not exist */
	if (str_has_prefix(status, "5.7.") && hard_kw && !soft_kw)
		return BOUNCE_HARD;
	if (str_has_prefix(status, "5.7.") || str_has_prefix(status, "5.2.") ||
	    str_has_prefix(status, "5.3.") || str_has_prefix(status, "5.6."))
		return BOUNCE_SOFT;
	if (soft_kw)
		return BOUNCE_SOFT;
	if (hard_kw)
		return BOUNCE_HARD;
	return BOUNCE_SOFT;
}

static char *bounce_line_diag_text(const char *t);
static char *bounce_text_diag(struct bounce_ctx *c);

/* recipients ------------------------------------------------------------ */

/* bounce_one_line - s squeezed to one trimmed line of bounded length */
static char *
bounce_one_line(const char *s)
{
	struct buf b = BUF_INIT;
	bool sp = false;

	for (; s && *s && b.len < BOUNCE_DIAG_MAX; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == ' ') {
			sp = b.len > 0;
			continue;
		}
		if (sp)
			buf_putc(&b, ' ');
		sp = false;
		buf_putc(&b, (char)c);
	}
	/* never cut inside a UTF-8 sequence */
	while (b.len && ((unsigned char)b.data[b.len - 1] & 0xc0) == 0x80 &&
	       !str_utf8_valid(b.data, b.len))
		b.len--;
	while (b.len && !str_utf8_valid(b.data, b.len))
		b.len--;
	if (b.len == 0) {
		buf_free(&b);
		return xstrdup("");
	}
	b.data[b.len] = '\0';
	return buf_steal(&b);
}

/* bounce_addr_ok - a plausible addr-spec: local@dom.tld, printable */
static bool
bounce_addr_ok(const char *a)
{
	const char *at = strrchr(a, '@'), *dot;

	if (at == NULL || at == a || strlen(a) > 254 || strchr(a, ' '))
		return false;
	dot = strrchr(at, '.');
	if (at[1] == '[')
		return strchr(at, ']') != NULL;
	return dot && dot > at + 1 && dot[1] != '\0';
}

/* bounce_add - record a recipient (address lower-cased); a second report
   of the same address keeps the first, filling what it lacked */
static struct bounce_rcpt *
bounce_add(struct bounce *b, const char *addr, const char *status,
	   const char *diag, const char *action)
{
	char *a = bounce_lower_dup(addr);
	struct bounce_rcpt *r;

	for (size_t i = 0; i < b->nrcpts; i++) {
		r = &b->rcpts[i];
		if (strcmp(r->address, a) == 0) {
			free(a);
			if (r->diagnostic[0] == '\0' && diag && *diag) {
				free(r->diagnostic);
				r->diagnostic = bounce_one_line(diag);
			}
			return NULL;
		}
	}
	if (b->nrcpts >= BOUNCE_MAX_RCPTS) {
		free(a);
		return NULL;
	}
	b->rcpts = xrealloc(b->rcpts, (b->nrcpts + 1) * sizeof(*b->rcpts));
	r = &b->rcpts[b->nrcpts++];
	r->address = a;
	r->status = xstrdup(status ? status : "");
	r->diagnostic = bounce_one_line(diag);
	r->action = xstrdup(action);
	r->kind = BOUNCE_NONE;
	r->dmarc = false;
	return r;
}

/* RFC 3464 ----------------------------------------------------------------*/

struct bounce_dsn_rcpt {
	char *final, *orig, *action, *status, *diag;
};

/* bounce_unhex - RFC 6533's embedded code points ("\x{E9}", in
   utf-8-addr-xtext and -unitext) decoded to UTF-8 in place; a malformed
   or non-character escape is left as it is */
static void
bounce_unhex(char *a)
{
	char *w = a;

	for (const char *r = a; *r;) {
		unsigned long cp;
		char *end;

		if (r[0] == '\\' && r[1] == 'x' && r[2] == '{' &&
		    isxdigit((unsigned char)r[3]) &&
		    (cp = strtoul(r + 3, &end, 16)) >= 0x80 && cp <= 0x10ffff &&
		    *end == '}' && end - r <= 10 &&
		    (cp < 0xd800 || cp > 0xdfff)) {
			/* the UTF-8 form is never longer than its escape */
			if (cp < 0x800) {
				*w++ = (char)(0xc0 | cp >> 6);
			} else if (cp < 0x10000) {
				*w++ = (char)(0xe0 | cp >> 12);
				*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
			} else {
				*w++ = (char)(0xf0 | cp >> 18);
				*w++ = (char)(0x80 | (cp >> 12 & 0x3f));
				*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
			}
			*w++ = (char)(0x80 | (cp & 0x3f));
			r = end + 1;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* bounce_dsn_addr - the address of "rfc822; <a@b>" or "utf-8; a@b"
   (type optional) */
static char *
bounce_dsn_addr(const char *v)
{
	const char *semi = strchr(v, ';');
	char *a, *s;

	if (semi)
		v = semi + 1;
	a = xstrdup(v);
	s = str_trim(a);
	if (*s == '<') {
		s++;
		s[strcspn(s, ">")] = '\0';
	}
	s[strcspn(s, " \t>\"")] = '\0';
	memmove(a, s, strlen(s) + 1);
	bounce_unhex(a);
	return a;
}

/* bounce_addr_diag - for a DSN without Diagnostic-Code: the error line
   of the human-readable part nearest the address, else its first one */
static char *
bounce_addr_diag(struct bounce_ctx *c, const char *addr)
{
	const char *t = c->text, *hit = strcasestr(t, addr);
	char *d;

	if (hit) {
		/* the address's line and the few after it */
		const char *s = hit, *e = hit;

		while (s > t && s[-1] != '\n')
			s--;
		for (int n = 0; *e && n < 4; n++)
			e += strcspn(e, "\n") + (e[strcspn(e, "\n")] ? 1 : 0);
		d = xstrndup(s, (size_t)(e - s));
		if (bounce_find_code(d) || bounce_words_in(BW_HARD_USER, d) ||
		    bounce_words_in(BW_HARD_DOMAIN, d) ||
		    bounce_words_in(BW_SOFT, d)) {
			char *one = bounce_line_diag_text(d);

			free(d);
			if (*one)
				return one;
			free(one);
		} else {
			free(d);
		}
	}
	return bounce_text_diag(c);
}

/* bounce_dsn_action - the RFC 3464 action a non-standard word means
   ("failure", "expired", "bounced", "deferred"...), or NULL to keep it */
static const char *
bounce_dsn_action(const char *a)
{
	static const char *const failed[] = {"fail",   "expire",  "bounce",
					     "reject", "undeliv", NULL};
	static const char *const delayed[] = {"delay", "defer", "retry", NULL};

	for (int i = 0; failed[i]; i++)
		if (str_has_prefix(a, failed[i]))
			return "failed";
	for (int i = 0; delayed[i]; i++)
		if (str_has_prefix(a, delayed[i]))
			return "delayed";
	if (str_has_prefix(a, "deliver"))
		return "delivered";
	return NULL;
}

/* bounce_dsn_flush - one per-recipient group into b */
static void
bounce_dsn_flush(struct bounce_ctx *c, struct bounce_dsn_rcpt *g)
{
	char *addr = NULL, *action = NULL, status[16] = "";
	char *diag = g->diag ? g->diag : "", *tdiag = NULL;
	struct bounce_rcpt *r;
	bool dmarc;

	if (c->dsn_groups >= BOUNCE_MAX_GROUPS)
		goto out;
	if (g->final)
		addr = bounce_dsn_addr(g->final);
	if ((addr == NULL || !bounce_addr_ok(addr)) && g->orig) {
		free(addr);
		addr = bounce_dsn_addr(g->orig);
	}
	action = bounce_lower_dup(g->action ? str_trim(g->action) : "");
	action[strcspn(action, " \t(;")] = '\0';
	if (g->status)
		enhcode_find(g->status, status);
	/* a missing Action is read from the status class, a non-standard
	   one ("failure", "expired", "deferred") from its word */
	if (*action == '\0') {
		free(action);
		action = xstrdup(status[0] == '2'   ? "delivered"
				 : status[0] == '4' ? "delayed"
						    : "failed");
	} else {
		const char *std = bounce_dsn_action(action);

		if (std) {
			free(action);
			action = xstrdup(std);
		}
	}
	/* "Status: 553 Exceeded maximum ..." holds no code but a reason */
	if (g->status && status[0] == '\0' && g->diag == NULL &&
	    *str_trim(g->status))
		diag = g->diag = xstrdup(g->status);
	if (addr && bounce_addr_ok(addr))
		c->dsn_groups++;
	if (addr && bounce_addr_ok(addr) && *diag == '\0')
		diag = tdiag = bounce_addr_diag(c, addr);
	if (addr && bounce_addr_ok(addr) &&
	    (strcmp(action, "failed") == 0 || strcmp(action, "delayed") == 0)) {
		/* a 2.x.x "failure" is a contradiction; trust the action */
		if (status[0] == '2')
			status[0] = '\0';
		r = bounce_add(c->b, addr, "", diag, action);
		if (r) {
			if (strcmp(action, "delayed") == 0) {
				if (status[0] == '\0')
					enhcode_find(diag, status);
				if (status[0] == '\0')
					strcpy(status, "4.0.0");
				r->kind = BOUNCE_DELAYED;
				r->dmarc = false;
			} else {
				r->kind = bounce_class(status, diag, &dmarc);
				if (!dmarc && r->kind != BOUNCE_HARD &&
				    c->all_dmarc)
					dmarc = true;
				r->dmarc = dmarc;
				if (dmarc)
					r->kind = BOUNCE_SOFT;
			}
			free(r->status);
			r->status = xstrdup(status);
		}
	}
out:
	free(tdiag);
	free(addr);
	free(action);
	free(g->final);
	free(g->orig);
	free(g->action);
	free(g->status);
	free(g->diag);
	memset(g, 0, sizeof(*g));
}

/* bounce_dsn_set - store a field value, keeping the first of a group;
   runs of white space (a folded diagnostic) become one space, so that
   phrases split across lines are found */
static void
bounce_dsn_set(char **slot, const char *v)
{
	char *d;
	size_t n = 0;

	if (*slot != NULL)
		return;
	d = *slot = xstrdup(v);
	for (const char *p = v; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			if (n && d[n - 1] != ' ')
				d[n++] = ' ';
		} else
			d[n++] = *p;
	}
	d[n] = '\0';
}

/* bounce_dsn_blank - t with every line of only white space emptied, in
   place: such a line ends a recipient group as an empty one does (some
   MTAs pad it), while a header reader would take it for a continuation */
static void
bounce_dsn_blank(char *t)
{
	for (char *l = t; *l;) {
		size_t n = strcspn(l, "\n");

		if (n && strspn(l, " \t\r") == n)
			memset(l, '\n', n);
		l += n + (l[n] ? 1 : 0);
	}
}

/* bounce_dsn - the recipients of one message/delivery-status body: a
   per-message block, then blocks of per-recipient fields (RFC 3464 2.2,
   2.3) in any order, read with the header reader of the msg layer.  A
   block naming several recipients (no blank line between groups) is cut
   where a recipient field comes again, or comes after the group's
   Status or Diagnostic-Code. */
static void
bounce_dsn(struct bounce_ctx *c, char *t)
{
	struct bounce_dsn_rcpt g = {0};
	size_t end = strlen(t), p = 0;

	bounce_dsn_blank(t);
	while (p < end) {
		size_t bend;
		struct hdr_iter it;
		struct hdr_field f;

		if (t[p] == '\n' || t[p] == '\r') {
			p++;
			continue;
		}
		bend = hdr_end(t, end, p);
		hdr_iter_init(&it, t, p, bend);
		while (hdr_next(&it, &f)) {
			char *v;

			if (f.name_len == 0)
				continue;
			v = hdr_value(t, &f);
			if (hdr_is(t, &f, "Final-Recipient") ||
			    hdr_is(t, &f, "X-Actual-Recipient")) {
				if (hdr_is(t, &f, "Final-Recipient") &&
				    (g.final ||
				     (g.orig && (g.status || g.diag))))
					bounce_dsn_flush(c, &g);
				bounce_dsn_set(&g.final, v);
			} else if (hdr_is(t, &f, "Original-Recipient")) {
				/* it opens a group, or follows its
				   Final-Recipient (an Action may come first) */
				if (g.orig || (g.final && (g.status || g.diag)))
					bounce_dsn_flush(c, &g);
				bounce_dsn_set(&g.orig, v);
			} else if (hdr_is(t, &f, "Action")) {
				bounce_dsn_set(&g.action, v);
			} else if (hdr_is(t, &f, "Status")) {
				bounce_dsn_set(&g.status, v);
			} else if (hdr_is(t, &f, "Diagnostic-Code")) {
				const char *semi = strchr(v, ';');

				/* "smtp; 550 ..." loses its type */
				bounce_dsn_set(&g.diag, semi && semi - v < 12
							    ? semi + 1
							    : v);
			}
			free(v);
		}
		/* the blank line ends a recipient group */
		if (g.final || g.orig)
			bounce_dsn_flush(c, &g);
		p = bend;
	}
	bounce_dsn_flush(c, &g);
}

/* text reports ------------------------------------------------------------ */

/* bounce_cut_line - line (lower or mixed case) announces the returned
   original: a mark opens it, after decoration ("--- ", "*** ") and at
   most an article, so a sentence that merely mentions "the attached
   returned message" does not cut the report short */
static bool
bounce_cut_line(const char *line)
{
	const char *s = line + strspn(line, " \t-*=_#>[(|");

	for (const char *const *k = bounce_words_list(BW_CUT); *k; k++) {
		const char *hit = strcasestr(s, *k);

		if (hit && hit - s <= 4)
			return true;
	}
	return false;
}

/* bounce_cut - text up to the returned original, or the first header
   block of the original pasted inline; returns where it cut */
static size_t
bounce_cut(char *t)
{
	char *line = t;
	int nline = 0;

	while (*line) {
		char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		char save = line[n];

		line[n] = '\0';
		if ((nline > 2 && (str_has_prefix_ci(line, "Received: ") ||
				   str_has_prefix_ci(line, "Return-Path:"))) ||
		    bounce_cut_line(line)) {
			/* "the original message was received at/on ...
			   from" is sendmail's and Courier's intro, not the
			   original */
			if (!bounce_has(line, "was received")) {
				line[n] = save;
				return (size_t)(line - t);
			}
		}
		line[n] = save;
		nline++;
		line += n + (eol ? 1 : 0);
	}
	return (size_t)(line - t);
}

/* bounce_intl_before - the length of the character of an
   internationalized address that ends at s (after line), or 0 */
static size_t
bounce_intl_before(const char *line, const char *s)
{
	const char *k = s - 1;

	if (s == line || (unsigned char)s[-1] < 0x80)
		return 0;
	while (k > line && s - k < 4 && ((unsigned char)*k & 0xc0) == 0x80)
		k--;
	return addr_intl_char(k, (size_t)(s - k)) == (size_t)(s - k)
		   ? (size_t)(s - k)
		   : 0;
}

/* bounce_addr_at - the address whose '@' is at p, copied to out[256];
   UTF-8 letters count as the address's (josé@exemple.fr, RFC 6531) */
static bool
bounce_addr_at(const char *line, const char *p, char *out, const char **start_r,
	       const char **end_r)
{
	static const char local_ok[] = "._%+-=/!#$&'*?^`{|}~";
	const char *s = p, *e = p + 1;
	size_t n;

	/* no further than an address can be long: a run of letters
	   around many '@' must not be rescanned for each */
	while (s > line && p - s < 256) {
		if (isalnum((unsigned char)s[-1]) ||
		    (s[-1] && strchr(local_ok, s[-1])))
			s--;
		else if ((n = bounce_intl_before(line, s)) > 0)
			s -= n;
		else
			break;
	}
	while (*e && e - p < 256) {
		if (isalnum((unsigned char)*e) || *e == '.' || *e == '-' ||
		    *e == '_')
			e++;
		else if ((n = addr_intl_char(e, strnlen(e, 4))) > 0)
			e += n;
		else
			break;
	}
	while (e > p + 1 && (e[-1] == '.' || e[-1] == '-'))
		e--;
	while (s < p && (*s == '.' || *s == '\'' || *s == '`'))
		s++;
	n = (size_t)(e - s);
	if (s == p || e == p + 1 || n >= 256)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	*start_r = s;
	*end_r = e;
	return bounce_addr_ok(out);
}

/* bounce_skip_addr - an address that cannot be the failed recipient */
static bool
bounce_skip_addr(struct bounce_ctx *c, const char *a)
{
	static const char *const locals[] = {
	    "mailer-daemon@", "mailer_daemon@", "noreply@", "no-reply@",
	    "abuse@",	      "hostmaster@",	NULL};

	for (int i = 0; locals[i]; i++)
		if (str_has_prefix_ci(a, locals[i]))
			return true;
	if (c->m->from_addr && strcasecmp(a, c->m->from_addr) == 0)
		return true;
	/* message-ids and long hex tokens look like addresses */
	return strchr(a, '$') != NULL || strlen(a) > 120;
}

/* bounce_line_error - l reports an error: an SMTP or enhanced code, or
   an error word outside the addresses it names ("userunknown@x" is no
   "unknown") */
static bool
bounce_line_error(const char *l)
{
	char st[16], *w;
	bool yes;

	if (bounce_find_code(l) || enhcode_find(l, st))
		return true;
	if (strchr(l, '@') == NULL)
		return bounce_words_in(BW_ERROR, l);
	w = xstrdup(l);
	for (char *t = w; *t;) {
		size_t n = strcspn(t, " \t<>()[],;\"'");

		if (memchr(t, '@', n))
			memset(t, ' ', n);
		t += n;
		t += strspn(t, " \t<>()[],;\"'");
	}
	yes = bounce_words_in(BW_ERROR, w);
	free(w);
	return yes;
}

/* bounce_line_diag - the error text for an address found on line i:
   the line itself when it holds a code or error word, else the next
   lines up to one that does */
static char *
bounce_line_diag(char **lines, size_t nlines, size_t i)
{
	struct buf b = BUF_INIT;
	char *d;

	for (size_t j = i; j < nlines && j < i + 6; j++) {
		const char *l = lines[j];

		if (j > i && *l == '\0' && b.len)
			break;
		if (bounce_line_error(l)) {
			if (b.len)
				buf_putc(&b, ' ');
			buf_puts(&b, l);
			/* the SMTP reply ends the story */
			if (bounce_find_code(l) && j > i)
				break;
		}
	}
	d = bounce_one_line(buf_cstr(&b));
	buf_free(&b);
	return d;
}

/* bounce_text_warning - the report says it will try again: in so many
   words ("warning only", "will be retried until"), or with a delay word
   and no word of giving up */
static bool
bounce_text_warning(struct bounce_ctx *c)
{
	return bounce_words_in(BW_DELAY_SURE, c->ltext) ||
	       (bounce_words_in(BW_DELAY, c->ltext) &&
		!bounce_words_in(BW_FINAL, c->ltext));
}

/* bounce_text_class - bounce_class() of the whole report, computed
   once; status (16 bytes, empty on entry) is set */
static enum bounce_kind
bounce_text_class(struct bounce_ctx *c, char *status, bool *dmarc_r)
{
	if (!c->text_classed) {
		c->text_kind =
		    bounce_class(c->text_status, c->text, &c->text_dmarc);
		c->text_classed = true;
	}
	memcpy(status, c->text_status, sizeof(c->text_status));
	*dmarc_r = c->text_dmarc;
	return c->text_kind;
}

/* bounce_rcpt_class - kind and status of a recipient read from text */
static void
bounce_rcpt_class(struct bounce_ctx *c, struct bounce_rcpt *r, bool warning)
{
	char status[16] = "";
	bool dmarc = false;

	if (warning) {
		r->kind = BOUNCE_DELAYED;
		enhcode_find(r->diagnostic, status);
		if (status[0] != '4')
			strcpy(status, "4.0.0");
		free(r->action);
		r->action = xstrdup("delayed");
	} else {
		/* its own error line first, the whole report when none */
		if (*r->diagnostic)
			r->kind = bounce_class(status, r->diagnostic, &dmarc);
		else
			r->kind = bounce_text_class(c, status, &dmarc);
		/* the only recipient's lines name no cause: the report's
		   own may (Gmail puts the server's reply lines below) */
		if (*r->diagnostic && c->b->nrcpts == 1 &&
		    bounce_status_vague(status)) {
			char ts[16];
			bool td;
			enum bounce_kind tk = bounce_text_class(c, ts, &td);

			if (!bounce_status_vague(ts)) {
				memcpy(status, ts, sizeof(ts));
				r->kind = tk;
				dmarc = dmarc || td;
			}
		}
		if (!dmarc && c->all_dmarc)
			dmarc = true;
		r->dmarc = dmarc;
		if (dmarc)
			r->kind = BOUNCE_SOFT;
	}
	free(r->status);
	r->status = xstrdup(status);
}

/* bounce_line_diag_text - the first error line of a report */
static char *
bounce_line_diag_text(const char *t)
{
	while (t && *t) {
		size_t n = strcspn(t, "\n");
		char *l = xstrndup(t, n);

		if (bounce_find_code(l) || bounce_words_in(BW_HARD_USER, l) ||
		    bounce_words_in(BW_HARD_DOMAIN, l) ||
		    bounce_words_in(BW_SOFT, l)) {
			char *d = bounce_one_line(l);

			free(l);
			return d;
		}
		free(l);
		t += n + (t[n] ? 1 : 0);
	}
	return xstrdup("");
}

/* bounce_text_diag - bounce_line_diag_text() of the whole report,
   computed once; the caller frees the copy */
static char *
bounce_text_diag(struct bounce_ctx *c)
{
	if (c->text_diag == NULL)
		c->text_diag = bounce_line_diag_text(c->text);
	return xstrdup(c->text_diag);
}

/* bounce_notrcpt_end - where the first word that makes an address
   someone else's ends in line (SIZE_MAX: none): an address starting at
   or after it is not a failed recipient.  Once per line, so a line of
   many addresses is not searched again for each. */
static size_t
bounce_notrcpt_end(const char *line)
{
	size_t end = SIZE_MAX;

	for (const char *const *k = bounce_words_list(BW_NOTRCPT); *k; k++) {
		const char *hit = strcasestr(line, *k);
		size_t e = hit ? (size_t)(hit - line) + strlen(*k) : SIZE_MAX;

		if (e < end)
			end = e;
	}
	return end;
}

/* bounce_text - failed addresses of a human-readable report.  What is
   asked of a line (does it report an error, where do other people's
   addresses start, its error text) is asked once per line, and at most
   BOUNCE_MAX_ADDRS '@' are looked at: the time is linear in the text. */
static void
bounce_text(struct bounce_ctx *c)
{
	char **lines = NULL, *p = c->text, *weak[BOUNCE_MAX_WEAK];
	size_t nlines = 0, cap = 0, naddrs = 0, nweak = 0;
	bool warning = bounce_text_warning(c), use_weak;

	for (;;) {
		char *eol = strchr(p, '\n');

		if (nlines == cap) {
			cap = cap ? 2 * cap : 64;
			lines = xrealloc(lines, cap * sizeof(*lines));
		}
		lines[nlines++] = p;
		if (eol == NULL)
			break;
		*eol = '\0';
		p = eol + 1;
	}
	for (size_t i = 0; i < nlines && naddrs < BOUNCE_MAX_ADDRS; i++) {
		char *line = lines[i], *diag = NULL;
		const char *at = line;
		size_t other_at = SIZE_MAX;
		int errline = -1; /* not asked yet */

		if (strchr(line, '@') != NULL)
			other_at = bounce_notrcpt_end(line);
		while ((at = strchr(at, '@')) != NULL &&
		       naddrs++ < BOUNCE_MAX_ADDRS) {
			const char *s, *e, *q;
			char addr[256];
			bool lead;

			if (!bounce_addr_at(line, at, addr, &s, &e)) {
				at++;
				continue;
			}
			at = e;
			if (bounce_skip_addr(c, addr))
				continue;
			/* "MAIL FROM:<a>", "from a", "contact a": not failed */
			if (other_at <= (size_t)(s - line))
				continue;
			/* the address opens the line (after quoting and a
			   short label), or the line reports an error */
			q = line;
			while (q < s && strchr(" \t<>\"'*-:#[(", *q))
				q++;
			lead = q == s;
			if (!lead) {
				/* the label's colon may be full-width
				   (Japanese reports) */
				lead = s - q < 40 &&
				       (memchr(q, ':', (size_t)(s - q)) ||
					memmem(q, (size_t)(s - q),
					       "\xef\xbc\x9a", 3));
			}
			if (errline < 0)
				errline = bounce_line_error(line);
			if (!lead && !errline)
				continue;
			/* "To: a" is the returned message's header, quoted
			   in the summary of Exchange, GroupWise...: a
			   recipient only when nothing else names one */
			if (str_has_prefix_ci(line + strspn(line, " \t>"),
					      "to:")) {
				if (nweak < BOUNCE_MAX_WEAK)
					weak[nweak++] = xstrdup(addr);
				continue;
			}
			if (diag == NULL)
				diag = bounce_line_diag(lines, nlines, i);
			bounce_add(c->b, addr, "", diag,
				   warning ? "delayed" : "failed");
		}
		free(diag);
	}
	/* lines point into c->text, which must be whole again before the
	   report is classed as a whole */
	for (size_t i = 0; i + 1 < nlines; i++)
		lines[i][strlen(lines[i])] = '\n';
	free(lines);
	use_weak = c->b->nrcpts == 0;
	for (size_t i = 0; i < nweak; i++) {
		if (use_weak) {
			char *d = bounce_text_diag(c);

			bounce_add(c->b, weak[i], "", d,
				   warning ? "delayed" : "failed");
			free(d);
		}
		free(weak[i]);
	}
	for (size_t i = 0; i < c->b->nrcpts; i++)
		bounce_rcpt_class(c, &c->b->rcpts[i], warning);
}

/* judgement --------------------------------------------------------------- */

/* bounce_is_arf - an RFC 5965 feedback report */
static bool
bounce_is_arf(struct bounce_ctx *c)
{
	for (size_t i = 0; i < c->nparts; i++) {
		const struct msg_part *p = &c->parts[i];

		if (p->depth > 0)
			continue;
		if (strcmp(p->type, "message/feedback-report") == 0 ||
		    (p->report_type &&
		     strcmp(p->report_type, "feedback-report") == 0))
			return true;
	}
	return false;
}

/* bounce_looks_head - the headers say this is a delivery report: the
   parser's DSN flag, a daemon sender, a report's subject */
static bool
bounce_looks_head(struct bounce_ctx *c)
{
	if (c->m->is_bounce ||
	    bounce_words_in(BW_SENDER_NAME, c->m->from_addr) ||
	    bounce_words_in(BW_SENDER_NAME, c->m->from_name))
		return true;
	return bounce_words_in(BW_SUBJECT, c->m->subject);
}

/* bounce_is_reply - a person's answer in a thread, whose text may well
   quote or tell of a delivery failure: it is a post, never a report */
static bool
bounce_is_reply(struct bounce_ctx *c)
{
	const char *s = c->m->subject ? c->m->subject : "";

	s += strspn(s, " \t");
	return c->m->in_reply_to != NULL || str_has_prefix_ci(s, "re:") ||
	       str_has_prefix_ci(s, "aw:") || str_has_prefix_ci(s, "sv:");
}

/* bounce_looks - something says this is a delivery report: the headers,
   or, for a message that answers nobody, the report's own words */
static bool
bounce_looks(struct bounce_ctx *c)
{
	if (bounce_looks_head(c))
		return true;
	return !bounce_is_reply(c) && bounce_words_in(BW_TEXT, c->ltext);
}

/* bounce_is_autoreply - vacation and other auto-answers (RFC 3834).
   Exim marks its bounces "auto-replied" too: the header decides only
   when the sender and subject are not a report's (the text may say "your
   message will not be forwarded"). */
static bool
bounce_is_autoreply(struct bounce_ctx *c, const char *raw, size_t len)
{
	char *v;
	bool yes = false;

	if ((v = msg_header_value(raw, len, "Auto-Submitted")) != NULL) {
		yes = bounce_has(v, "auto-replied") && !bounce_looks_head(c);
		free(v);
	}
	if (!yes && (v = msg_header_value(raw, len, "X-Autoreply")) != NULL) {
		yes = true;
		free(v);
	}
	if (!yes && (v = msg_header_value(raw, len, "X-Autorespond"))) {
		yes = true;
		free(v);
	}
	if (!yes && bounce_words_in(BW_AUTO_SUBJECT, c->m->subject) &&
	    !bounce_words_in(BW_SUBJECT, c->m->subject) &&
	    !bounce_has(c->m->subject, "failure") &&
	    !bounce_has(c->m->subject, "delivery"))
		yes = true;
	return yes;
}

/* bounce_put_text - append a part's text and a line end, up to
   BOUNCE_TEXT_MAX bytes in all */
static void
bounce_put_text(struct buf *b, const char *text)
{
	size_t n = strlen(text);

	if (b->len >= BOUNCE_TEXT_MAX)
		return;
	if (n > BOUNCE_TEXT_MAX - b->len)
		n = BOUNCE_TEXT_MAX - b->len;
	buf_append(b, text, n);
	buf_putc(b, '\n');
}

/* bounce_collect_text - the human-readable report: the message's own
   text parts (not the returned original, not its headers) */
static void
bounce_collect_text(struct bounce_ctx *c)
{
	struct buf t = BUF_INIT, all = BUF_INIT;
	size_t cut;

	for (size_t i = 0; i < c->nparts; i++) {
		const struct msg_part *p = &c->parts[i];

		if (p->depth > 0 || strncmp(p->type, "text/", 5) != 0 ||
		    strcmp(p->type, "text/rfc822-headers") == 0)
			continue;
		bounce_put_text(&all, p->text);
		if (strcmp(p->type, "text/html") == 0)
			continue;
		bounce_put_text(&t, p->text);
	}
	/* HTML-only reports: msg_parse() has the text of it */
	if (t.len == 0)
		bounce_put_text(&t, c->m->text ? c->m->text : "");
	c->text = xstrdup(buf_cstr(&t));
	cut = bounce_cut(c->text);
	c->rest = xstrdup(c->text + cut);
	c->text[cut] = '\0';
	c->ltext = bounce_lower_dup(c->text);
	c->all_text = buf_steal(&all);
	if (c->all_text == NULL)
		c->all_text = xstrdup("");
	c->all_dmarc = bounce_words_in(BW_DMARC, c->all_text);
	buf_free(&t);
}

/* bounce_dsn_parts - read the delivery-status parts at depth */
static void
bounce_dsn_parts(struct bounce_ctx *c, int depth)
{
	for (size_t i = 0; i < c->nparts; i++) {
		const struct msg_part *p = &c->parts[i];

		if (p->depth == depth &&
		    (strcmp(p->type, "message/delivery-status") == 0 ||
		     strcmp(p->type, "message/global-delivery-status") == 0 ||
		     strcmp(p->type, "text/delivery-status") == 0)) {
			char *t = xstrndup(p->text, p->len < BOUNCE_TEXT_MAX
							? p->len
							: BOUNCE_TEXT_MAX);

			bounce_dsn(c, t);
			free(t);
		}
	}
}

/* bounce_original_to - last resort for a report that names nobody: the
   To: of the returned original, when it has a single address */
static void
bounce_original_to(struct bounce_ctx *c)
{
	const char *head = c->rest;
	char *to = NULL, *d;
	struct bounce_rcpt *r;

	for (size_t i = 0; i < c->nparts; i++) {
		const struct msg_part *p = &c->parts[i];

		if (p->depth == 0 &&
		    (strcmp(p->type, "message/rfc822") == 0 ||
		     strcmp(p->type, "text/rfc822-headers") == 0) &&
		    p->len) {
			head = p->text;
			break;
		}
	}
	for (const char *l = head; l && *l; l = strchr(l, '\n')) {
		if (*l == '\n')
			l++;
		if (str_has_prefix_ci(l, "To:")) {
			to = xstrndup(l + 3, strcspn(l + 3, "\n"));
			break;
		}
	}
	if (to && strchr(to, '@') == strrchr(to, '@') && strchr(to, '@')) {
		char addr[256];
		const char *s, *e;

		if (bounce_addr_at(to, strchr(to, '@'), addr, &s, &e) &&
		    !bounce_skip_addr(c, addr)) {
			d = bounce_text_diag(c);
			r = bounce_add(c->b, addr, "", d, "failed");
			free(d);
			if (r)
				bounce_rcpt_class(c, r, bounce_text_warning(c));
		}
	}
	free(to);
}

/* bounce_failed_header - a report whose text names nobody readable:
   the X-Failed-Recipients header Exim and Gmail add (a comma list) */
static void
bounce_failed_header(struct bounce_ctx *c, const char *raw, size_t len)
{
	char *v = msg_header_value(raw, len, "X-Failed-Recipients"), *d;
	bool warning = bounce_text_warning(c);
	int n = 0;

	if (v == NULL)
		return;
	d = bounce_text_diag(c);
	for (char *tok = v, *next; tok && *tok && n < BOUNCE_MAX_RCPTS;
	     tok = next, n++) {
		char *a;

		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		a = bounce_dsn_addr(tok);
		if (bounce_addr_ok(a) && !bounce_skip_addr(c, a)) {
			struct bounce_rcpt *r = bounce_add(
			    c->b, a, "", d, warning ? "delayed" : "failed");

			if (r)
				bounce_rcpt_class(c, r, warning);
		}
		free(a);
	}
	free(d);
	free(v);
}

/* bounce_text_kind - a report that names no address still tells a
   failure from a warning; the kind comes from its text */
static void
bounce_text_kind(struct bounce_ctx *c)
{
	char status[16] = "";
	bool dmarc;

	if (bounce_text_warning(c)) {
		c->b->kind = BOUNCE_DELAYED;
		return;
	}
	c->b->kind = bounce_class(status, c->text, &dmarc);
	c->b->dmarc = dmarc;
}

/* bounce_judge - read the report c->m and c->parts (parsed from raw)
   into c->b */
static void
bounce_judge(struct bounce_ctx *c, const char *raw, size_t len)
{
	struct bounce *b = c->b;

	bounce_collect_text(c);
	b->format = "none";
	if (bounce_is_arf(c)) {
		b->format = "arf";
		goto done;
	}
	bounce_dsn_parts(c, 0);
	if (b->nrcpts) {
		b->format = "dsn";
		goto done;
	}
	if (bounce_is_autoreply(c, raw, len)) {
		b->format = "auto-reply";
		goto done;
	}
	/* a report naming recipients, none failed: a success notice */
	if (c->dsn_groups || !bounce_looks(c))
		goto done;
	/* a bounce forwarded by someone: its report one level down */
	bounce_dsn_parts(c, 1);
	if (b->nrcpts) {
		b->format = "dsn";
		goto done;
	}
	b->format = "text";
	bounce_text(c);
	if (b->nrcpts == 0)
		bounce_failed_header(c, raw, len);
	if (b->nrcpts == 0)
		bounce_original_to(c);
	if (b->nrcpts == 0)
		bounce_text_kind(c);
done:
	for (size_t i = 0; i < b->nrcpts; i++) {
		enum bounce_kind k = b->rcpts[i].kind;

		if (b->rcpts[i].dmarc)
			b->dmarc = true;
		if (k == BOUNCE_HARD ||
		    (k == BOUNCE_SOFT && b->kind != BOUNCE_HARD) ||
		    (k == BOUNCE_DELAYED && b->kind == BOUNCE_NONE))
			b->kind = k;
	}
	if (b->nrcpts || strcmp(b->format, "text") != 0)
		b->kind = b->nrcpts ? b->kind : BOUNCE_NONE;
	b->is_bounce = b->kind != BOUNCE_NONE;
	free(c->text);
	free(c->ltext);
	free(c->all_text);
	free(c->rest);
	free(c->text_diag);
}

int
bounce_parse(const char *raw, size_t len, struct bounce **b_r)
{
	struct bounce_ctx c = {0};
	struct msg_part *parts = NULL;
	struct msg *m;

	if (raw == NULL) {
		raw = "";
		len = 0;
	}
	/* a saved mailbox's "From " envelope line is not a header */
	if (len > 5 && memcmp(raw, "From ", 5) == 0) {
		const char *nl = memchr(raw, '\n', len);

		if (nl) {
			len -= (size_t)(nl + 1 - raw);
			raw = nl + 1;
		}
	}
	c.b = xcalloc(1, sizeof(*c.b));
	c.m = m = msg_parse_parts(raw, len, &parts, &c.nparts);
	c.parts = parts;
	bounce_judge(&c, raw, len);
	msg_parts_free(&parts, c.nparts);
	msg_free(&m);
	*b_r = c.b;
	return 0;
}

int
bounce_parse_parsed(const char *raw, size_t len, const struct msg *m,
		    const struct msg_part *parts, size_t nparts,
		    struct bounce **b_r)
{
	struct bounce_ctx c = {0};

	c.b = xcalloc(1, sizeof(*c.b));
	c.m = m;
	c.parts = parts;
	c.nparts = nparts;
	bounce_judge(&c, raw, len);
	*b_r = c.b;
	return 0;
}

void
bounce_free(struct bounce **bp)
{
	struct bounce *b = *bp;

	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nrcpts; i++) {
		free(b->rcpts[i].address);
		free(b->rcpts[i].status);
		free(b->rcpts[i].diagnostic);
		free(b->rcpts[i].action);
	}
	free(b->rcpts);
	free(b);
	*bp = NULL;
}

const char *
bounce_kind_name(enum bounce_kind kind)
{
	switch (kind) {
	case BOUNCE_HARD:
		return "hard";
	case BOUNCE_SOFT:
		return "soft";
	case BOUNCE_DELAYED:
		return "delayed";
	default:
		return "none";
	}
}

void
bounce_to_json(const struct bounce *b, struct buf *out)
{
	buf_printf(out,
		   "{\"is_bounce\":%s,\"kind\":\"%s\",\"dmarc\":%s,"
		   "\"recipients\":[",
		   b->is_bounce ? "true" : "false", bounce_kind_name(b->kind),
		   b->dmarc ? "true" : "false");
	for (size_t i = 0; i < b->nrcpts; i++) {
		const struct bounce_rcpt *r = &b->rcpts[i];

		if (i)
			buf_putc(out, ',');
		buf_puts(out, "{\"address\":");
		buf_json_str(out, r->address);
		buf_puts(out, ",\"status\":");
		buf_json_str(out, r->status);
		buf_puts(out, ",\"diagnostic\":");
		buf_json_str(out, r->diagnostic);
		buf_puts(out, ",\"action\":");
		buf_json_str(out, r->action);
		buf_printf(out, ",\"kind\":\"%s\",\"dmarc\":%s}",
			   bounce_kind_name(r->kind),
			   r->dmarc ? "true" : "false");
	}
	buf_puts(out, "]}");
}
