/*
 * lmtp_session - one LMTP conversation as a state machine (see
 * lmtp_session.h).
 *
 * Input arrives in whatever pieces the socket gives; command lines and
 * message data are assembled here, so a reply never depends on how the
 * peer's bytes were split.  Replies are only buffered: the event loop
 * writes them once the input holds no further complete command, which is
 * what PIPELINING asks for.  Inside DATA a bare LF ends a line but only
 * CRLF "." CRLF ends the message, so nothing can be smuggled past the
 * end of data.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "intake.h"
#include "lmtp_session.h"
#include "log.h"
#include "spool.h"
#include "strutil.h"
#include "xalloc.h"

int lmtp_idle_timeout = LMTP_IDLE_TIMEOUT;
int lmtp_data_timeout = LMTP_DATA_TIMEOUT;

#define LMTP_MAX_ERRORS 20

struct lmtp_session {
	const struct conf *conf;
	struct intake *intake;
	void *owner;
	enum lmtp_state state;
	struct buf out;
	/* the command line being assembled */
	char line[LMTP_LINE_MAX + 1];
	size_t line_len;
	bool too_long;
	/* the transaction */
	bool lhlo;
	bool mail;
	bool null_sender; /* MAIL FROM:<> (a bounce: never answered) */
	size_t size_hint;
	struct intake_rcpt *rcpts;
	size_t nrcpts;
	size_t naccepted;
	int errors;
	unsigned long steps; /* commands and messages completed */
	/* DATA in progress */
	bool in_data;
	struct spool msg; /* memory held is bounded: see spool.h */
	char *spool_dir;
	size_t limit; /* bytes kept; the rest is read and dropped */
	bool over;    /* some were dropped */
	bool bol;     /* at the beginning of a line */
	bool crlf;    /* the previous line ended in CRLF */
	char last;    /* the last byte consumed */
	/* the header section, counted as it streams by (caps in .h) */
	bool in_head;
	size_t head_bytes;
	size_t head_fields;
	size_t head_line;      /* bytes of its current line so far */
	char head_first;       /* that line's first byte */
	bool head_name;	       /* still reading what may be a field name */
	const char *head_over; /* the cap it broke: message refused */
};

static void say(struct lmtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* say - buffer one reply line */
static void
say(struct lmtp_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	buf_puts(&s->out, "\r\n");
}

/* reset - forget the transaction */
static void
reset(struct lmtp_session *s)
{
	for (size_t i = 0; i < s->nrcpts; i++)
		intake_rcpt_clear(&s->rcpts[i]);
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpts = s->naccepted = 0;
	s->mail = false;
	s->size_hint = 0;
}

/* path_arg - the <...> path after "FROM:" / "TO:"; *rest_r at params */
static char *
path_arg(char *p, char **rest_r)
{
	char *gt;

	while (*p == ' ')
		p++;
	if (*p != '<')
		return NULL;
	if ((gt = strchr(p, '>')) == NULL)
		return NULL;
	*gt = '\0';
	*rest_r = gt + 1;
	return p + 1;
}

static void
cmd_lhlo(struct lmtp_session *s, char *arg)
{
	if (*str_trim(arg) == '\0') {
		say(s, "501 5.5.4 LHLO needs a host name");
		return;
	}
	reset(s);
	s->lhlo = true;
	say(s, "250-%s", s->conf->domain);
	say(s, "250-PIPELINING");
	say(s, "250-ENHANCEDSTATUSCODES");
	say(s, "250-8BITMIME");
	say(s, "250 SIZE %zu", s->conf->max_message_size);
}

static void
cmd_mail(struct lmtp_session *s, char *arg)
{
	char *path, *rest, *tok, *save = NULL;

	if (!s->lhlo) {
		say(s, "503 5.5.1 send LHLO first");
		return;
	}
	if (s->mail) {
		say(s, "503 5.5.1 nested MAIL command");
		return;
	}
	if (!str_has_prefix_ci(arg, "FROM:") ||
	    (path = path_arg(arg + 5, &rest)) == NULL) {
		say(s, "501 5.5.4 syntax: MAIL FROM:<address>");
		return;
	}
	for (tok = strtok_r(rest, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (str_has_prefix_ci(tok, "SIZE=")) {
			char *end;
			unsigned long long n = strtoull(tok + 5, &end, 10);

			if (*end || tok[5] == '\0') {
				say(s, "501 5.5.4 bad SIZE parameter");
				return;
			}
			if (n > s->conf->max_message_size) {
				say(s,
				    "552 5.3.4 message too big (limit %zu "
				    "bytes)",
				    s->conf->max_message_size);
				return;
			}
			s->size_hint = (size_t)n;
		} else if (strcasecmp(tok, "BODY=8BITMIME") != 0 &&
			   strcasecmp(tok, "BODY=7BIT") != 0) {
			say(s, "555 5.5.4 unsupported parameter %.40s", tok);
			return;
		}
	}
	s->mail = true;
	s->null_sender = *path == '\0';
	say(s, "250 2.1.0 ok");
}

static void
cmd_rcpt(struct lmtp_session *s, char *arg)
{
	char *path, *rest;
	struct intake_rcpt r;

	if (!s->mail) {
		say(s, "503 5.5.1 send MAIL first");
		return;
	}
	if (!str_has_prefix_ci(arg, "TO:") ||
	    (path = path_arg(arg + 3, &rest)) == NULL || *path == '\0') {
		say(s, "501 5.5.4 syntax: RCPT TO:<address>");
		return;
	}
	if (s->naccepted >= LMTP_MAX_RCPTS) {
		say(s, "452 4.5.3 too many recipients");
		return;
	}
	intake_check_rcpt(s->intake, path, &r);
	say(s, "%d %s <%s>: %s", r.code, r.enh, r.addr, r.text);
	if (r.code != 250) {
		intake_rcpt_clear(&r);
		return;
	}
	r.null_sender = s->null_sender;
	s->rcpts = xrealloc(s->rcpts, (s->nrcpts + 1) * sizeof(*s->rcpts));
	s->rcpts[s->nrcpts++] = r;
	s->naccepted++;
}

/* cmd_data - check the transaction and start reading the message */
static void
cmd_data(struct lmtp_session *s)
{
	if (!s->mail) {
		say(s, "503 5.5.1 send MAIL first");
		return;
	}
	if (s->nrcpts == 0) {
		say(s, "554 5.5.1 no valid recipients");
		return;
	}
	s->limit = 0;
	for (size_t i = 0; i < s->nrcpts; i++)
		if (s->rcpts[i].max_size > s->limit)
			s->limit = s->rcpts[i].max_size;
	say(s, "354 go ahead, end with <CRLF>.<CRLF>");
	spool_start(&s->msg);
	s->over = false;
	s->bol = true;
	s->crlf = true;
	s->last = '\n';
	s->in_data = true;
	s->in_head = true;
	s->head_bytes = s->head_fields = s->head_line = 0;
	s->head_over = NULL;
}

/* data_end - the message is complete: over-size recipients get 552,
   the rest wait for the committer */
static void
data_end(struct lmtp_session *s)
{
	bool lost = spool_finish(&s->msg) < 0;
	bool full = lost && (errno == ENOSPC || errno == EDQUOT);

	if (lost) {
		log_warn("lmtp: cannot spool a message in %s: %s", s->spool_dir,
			 strerror(errno));
		/* the file is shorter than the message: the committer
		   must not map it (SIGBUS past its end) */
		spool_start(&s->msg);
	}
	for (size_t i = 0; i < s->nrcpts; i++)
		if (lost && s->rcpts[i].code == 250) {
			s->rcpts[i].code = full ? 452 : 451;
			snprintf(s->rcpts[i].enh, sizeof(s->rcpts[i].enh),
				 full ? "4.3.1" : "4.3.0");
			snprintf(s->rcpts[i].text, sizeof(s->rcpts[i].text),
				 full ? "disk full: cannot spool the message, "
					"try again later"
				      : "cannot spool the message, try again");
		} else if (s->over || s->msg.len > s->rcpts[i].max_size) {
			s->rcpts[i].code = 552;
			snprintf(s->rcpts[i].enh, sizeof(s->rcpts[i].enh),
				 "5.3.4");
			snprintf(s->rcpts[i].text, sizeof(s->rcpts[i].text),
				 "message too big for this club");
		} else if (s->head_over && s->rcpts[i].code == 250) {
			s->rcpts[i].code = 554;
			snprintf(s->rcpts[i].enh, sizeof(s->rcpts[i].enh),
				 "5.6.0");
			snprintf(s->rcpts[i].text, sizeof(s->rcpts[i].text),
				 "%s", s->head_over);
		}
	s->in_data = false;
	s->steps++;
	s->state = LMTP_COMMITTING;
	intake_submit(s->intake, &s->msg.mem, s->msg.fd, s->msg.len, s->rcpts,
		      s->nrcpts, s->owner);
	s->msg.fd = -1; /* the committer's now */
}

/* head_track - count the header section's fields and bytes in a piece
   of message (after dot-unstuffing) that ends a line when eol; past a
   cap the message is refused, and its bytes are no longer kept */
static void
head_track(struct lmtp_session *s, const char *p, size_t n, bool eol)
{
	if (!s->in_head || n == 0)
		return;
	if (s->head_line == 0) {
		s->head_first = p[0];
		s->head_name = p[0] != ' ' && p[0] != '\t';
	}
	/* a field is a name (printable, no colon) and a colon; other lines
	   (continuations, junk) count only in bytes */
	for (size_t i = 0; s->head_name && i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ':') {
			s->head_name = false;
			s->head_fields += s->head_line + i > 0;
		} else if (c < 33 || c > 126)
			s->head_name = false;
	}
	s->head_line += n;
	s->head_bytes += n;
	if (s->head_fields > LMTP_MAX_HEADER_FIELDS)
		s->head_over = "too many header fields (limit 1000)";
	else if (s->head_bytes > LMTP_MAX_HEADER_BYTES)
		s->head_over = "header section too big (limit 2 MB)";
	if (s->head_over)
		s->in_head = false;
	if (!eol)
		return;
	/* an empty line ends the header section */
	if (s->head_line == 1 || (s->head_line == 2 && s->head_first == '\r'))
		s->in_head = false;
	s->head_line = 0;
}

/* data_feed - message bytes up to CRLF.CRLF, dot-unstuffed; bytes over
   the limit are consumed and dropped.  Returns the bytes consumed; stops
   short only where a line starting with "." needs more input to tell
   the end of data from a stuffed dot. */
static size_t
data_feed(struct lmtp_session *s, const char *p, size_t avail)
{
	const char *start = p;

	while (avail > 0) {
		const char *nl;
		size_t n;

		if (s->bol && s->crlf && p[0] == '.') {
			/* need the whole of ".\r\n" to decide */
			if (avail < 3 && memchr(p, '\n', avail) == NULL)
				break;
			if (avail >= 3 && p[1] == '\r' && p[2] == '\n') {
				p += 3;
				data_end(s);
				break;
			}
		}
		if (s->bol && p[0] == '.') {
			/* dot-stuffing: drop the first dot of the line */
			p++;
			avail--;
			s->bol = false;
			s->last = '.';
			continue;
		}
		nl = memchr(p, '\n', avail);
		n = nl ? (size_t)(nl - p) + 1 : avail;
		head_track(s, p, n, nl != NULL);
		if (s->msg.len + n > s->limit)
			s->over = true;
		else if (s->head_over == NULL)
			spool_write(&s->msg, s->spool_dir, p, n);
		if (nl) {
			s->crlf = (nl > p ? nl[-1] : s->last) == '\r';
			s->bol = true;
		} else
			s->bol = false;
		s->last = p[n - 1];
		p += n;
		avail -= n;
	}
	return (size_t)(p - start);
}

/* command - act on the assembled command line */
static void
command(struct lmtp_session *s)
{
	char *line = s->line, *verb, *arg;
	size_t len = s->line_len;
	bool too_long = s->too_long;

	s->line_len = 0;
	s->too_long = false;
	s->steps++;
	if (too_long) {
		say(s, "500 5.5.2 line too long");
		goto error;
	}
	line[len] = '\0';
	if (memchr(line, '\0', len) != NULL) {
		say(s, "500 5.5.2 NUL byte in command");
		goto error;
	}
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	/* a CR only ends a line (RFC 5321 2.3.8): one inside would reach
	   the replies that echo a parameter or address (fuzz_lmtp) */
	if (memchr(line, '\r', len) != NULL) {
		say(s, "500 5.5.2 bare CR in command");
		goto error;
	}
	if (len == 0) {
		say(s, "500 5.5.2 empty command");
		goto error;
	}
	verb = line;
	arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';
	else
		arg = line + strlen(line);
	if (strcasecmp(verb, "LHLO") == 0)
		cmd_lhlo(s, arg);
	else if (strcasecmp(verb, "MAIL") == 0)
		cmd_mail(s, arg);
	else if (strcasecmp(verb, "RCPT") == 0)
		cmd_rcpt(s, arg);
	else if (strcasecmp(verb, "DATA") == 0)
		cmd_data(s);
	else if (strcasecmp(verb, "RSET") == 0) {
		reset(s);
		say(s, "250 2.0.0 ok");
	} else if (strcasecmp(verb, "NOOP") == 0)
		say(s, "250 2.0.0 ok");
	else if (strcasecmp(verb, "QUIT") == 0) {
		say(s, "221 2.0.0 bye");
		s->state = LMTP_CLOSING;
	} else if (strcasecmp(verb, "HELO") == 0 ||
		   strcasecmp(verb, "EHLO") == 0) {
		say(s, "500 5.5.1 this is LMTP: use LHLO");
		goto error;
	} else if (strcasecmp(verb, "VRFY") == 0)
		say(s, "252 2.5.2 cannot verify, send mail to find out");
	else {
		say(s, "500 5.5.2 command not recognized");
		goto error;
	}
	return;
error:
	if (++s->errors >= LMTP_MAX_ERRORS) {
		say(s, "421 4.7.0 too many errors, closing");
		s->state = LMTP_CLOSING;
	}
}

/* command_feed - assemble a command line; a line of more than
   LMTP_LINE_MAX bytes with its line end is consumed to its end and
   refused.  Returns the bytes consumed (all of them, or up to the LF). */
static size_t
command_feed(struct lmtp_session *s, const char *p, size_t avail)
{
	const char *nl = memchr(p, '\n', avail);
	size_t n = nl ? (size_t)(nl - p) + 1 : avail;

	if (!s->too_long && s->line_len + n < sizeof(s->line)) {
		memcpy(s->line + s->line_len, p, n);
		s->line_len += n;
	} else
		s->too_long = true;
	if (nl)
		command(s);
	return n;
}

size_t
lmtp_session_feed(struct lmtp_session *s, const char *p, size_t n)
{
	size_t used = 0;

	while (used < n && s->state == LMTP_OPEN) {
		size_t k = s->in_data ? data_feed(s, p + used, n - used)
				      : command_feed(s, p + used, n - used);

		if (k == 0)
			break;
		used += k;
	}
	return used;
}

void
lmtp_session_committed(struct lmtp_session *s)
{
	for (size_t i = 0; i < s->nrcpts; i++) {
		struct intake_rcpt *r = &s->rcpts[i];

		say(s, "%d %s <%s>: %s", r->code, r->enh, r->addr, r->text);
	}
	reset(s);
	s->steps++;
	s->state = LMTP_OPEN;
}

void
lmtp_session_close(struct lmtp_session *s, const char *text)
{
	say(s, "421 %s", text);
	s->state = LMTP_CLOSING;
}

enum lmtp_state
lmtp_session_state(const struct lmtp_session *s)
{
	return s->state;
}

bool
lmtp_session_in_transaction(const struct lmtp_session *s)
{
	return s->mail;
}

unsigned long
lmtp_session_steps(const struct lmtp_session *s)
{
	return s->steps;
}

bool
lmtp_session_in_data(const struct lmtp_session *s)
{
	return s->in_data;
}

struct buf *
lmtp_session_output(struct lmtp_session *s)
{
	return &s->out;
}

struct lmtp_session *
lmtp_session_new(const struct conf *conf, struct intake *d, void *owner)
{
	struct lmtp_session *s = xcalloc(1, sizeof(*s));
	char *db;

	s->conf = conf;
	s->intake = d;
	s->owner = owner;
	s->state = LMTP_OPEN;
	s->msg.fd = -1;
	db = xstrdup(conf->database);
	s->spool_dir = xstrdup(dirname(db)); /* see spool.h */
	free(db);
	say(s, "220 %s LMTP mlistd ready", conf->domain);
	return s;
}

void
lmtp_session_free(struct lmtp_session **sp)
{
	struct lmtp_session *s = *sp;

	if (s == NULL)
		return;
	reset(s);
	spool_clear(&s->msg);
	free(s->spool_dir);
	buf_free(&s->out);
	free(s);
	*sp = NULL;
}
