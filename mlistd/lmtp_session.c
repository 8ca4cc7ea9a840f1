/*
 * lmtp_session - one LMTP conversation (see lmtp_session.h).
 *
 * Replies are buffered and flushed only when no more input is waiting,
 * which is what PIPELINING asks for.  Inside DATA a bare LF ends a line
 * but only CRLF "." CRLF ends the message, so nothing can be smuggled
 * past the end of data.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "deliver.h"
#include "log.h"
#include "lmtp_session.h"
#include "strutil.h"
#include "xalloc.h"

int lmtp_idle_timeout = LMTP_IDLE_TIMEOUT;
atomic_int lmtp_stopping;
atomic_int lmtp_stop_now;

#define LMTP_MAX_ERRORS 20

struct lmtp_session {
	int fd;
	const struct conf *conf;
	struct deliver *deliver;
	char in[16384];
	size_t start, end;
	bool eof;
	struct buf out;
	bool lhlo;
	bool mail;
	size_t size_hint;
	struct deliver_rcpt *rcpts;
	size_t nrcpts;
	size_t naccepted;
	int errors;
};

/* flush - write every buffered reply */
static int
flush(struct lmtp_session *s)
{
	size_t off = 0;

	while (off < s->out.len) {
		ssize_t n = write(s->fd, s->out.data + off, s->out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = s->fd, .events = POLLOUT};

			if (poll(&p, 1, lmtp_idle_timeout * 1000) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	buf_reset(&s->out);
	return 0;
}

static void
say(struct lmtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct lmtp_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	buf_puts(&s->out, "\r\n");
}

/* in_transaction - a MAIL has been given and not finished */
static bool
in_transaction(const struct lmtp_session *s)
{
	return s->mail;
}

/* fill - read more input; flush replies first when none is waiting.
   Returns 1 with data, 0 on EOF, -1 on error, timeout or shutdown. */
static int
fill(struct lmtp_session *s)
{
	int waited = 0;

	if (s->start == s->end)
		s->start = s->end = 0;
	if (s->start > 0 && s->end == sizeof(s->in)) {
		memmove(s->in, s->in + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	if (flush(s) < 0)
		return -1;
	for (;;) {
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		ssize_t n;
		int r;

		/* the socket is non-blocking: read first, poll only when
		   nothing is waiting (one system call instead of two) */
		n = read(s->fd, s->in + s->end, sizeof(s->in) - s->end);
		if (n > 0) {
			s->end += (size_t)n;
			return 1;
		}
		if (n == 0) {
			s->eof = true;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		r = poll(&p, 1, 1000);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0) {
			if (atomic_load(&lmtp_stop_now) ||
			    (atomic_load(&lmtp_stopping) && !in_transaction(s))) {
				say(s, "421 4.3.2 shutting down, try again "
				       "later");
				(void)flush(s);
				return -1;
			}
			if (++waited >= lmtp_idle_timeout) {
				say(s, "421 4.4.2 idle timeout");
				(void)flush(s);
				return -1;
			}
			continue;
		}
	}
}

/* read_command - next command line into line (CRLF or LF stripped);
   a line of more than cap - 1 bytes with its line end is too long.
   Returns 1, 0 when the line was too long (discarded), -1 at EOF/error,
   2 when it holds a NUL byte. */
static int
read_command(struct lmtp_session *s, char *line, size_t cap)
{
	size_t len = 0;
	bool too_long = false;

	for (;;) {
		char *nl;
		size_t avail;

		if (s->start == s->end) {
			int r = fill(s);

			if (r <= 0)
				return -1;
		}
		avail = s->end - s->start;
		nl = memchr(s->in + s->start, '\n', avail);
		if (nl == NULL) {
			if (!too_long && len + avail < cap) {
				memcpy(line + len, s->in + s->start, avail);
				len += avail;
			} else
				too_long = true;
			s->start = s->end;
			continue;
		}
		avail = (size_t)(nl - (s->in + s->start)) + 1;
		if (!too_long && len + avail < cap) {
			memcpy(line + len, s->in + s->start, avail);
			len += avail;
		} else
			too_long = true;
		s->start += avail;
		if (too_long)
			return 0;
		line[len] = '\0';
		if (memchr(line, '\0', len) != NULL)
			return 2;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		return 1;
	}
}

/* reset - forget the transaction */
static void
reset(struct lmtp_session *s)
{
	for (size_t i = 0; i < s->nrcpts; i++)
		deliver_rcpt_clear(&s->rcpts[i]);
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
				say(s, "552 5.3.4 message too big (limit %zu "
				       "bytes)", s->conf->max_message_size);
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
	say(s, "250 2.1.0 ok");
}

static void
cmd_rcpt(struct lmtp_session *s, char *arg)
{
	char *path, *rest;
	struct deliver_rcpt r;

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
	deliver_check_rcpt(s->deliver, path, &r);
	say(s, "%d %s <%s>: %s", r.code, r.enh, r.addr, r.text);
	if (r.code != 250) {
		deliver_rcpt_clear(&r);
		return;
	}
	s->rcpts = xrealloc(s->rcpts, (s->nrcpts + 1) * sizeof(*s->rcpts));
	s->rcpts[s->nrcpts++] = r;
	s->naccepted++;
}

/* read_data - the message up to CRLF.CRLF, dot-unstuffed, into msg;
   bytes over limit are read and dropped (*over_r set).  -1 on EOF. */
static int
read_data(struct lmtp_session *s, struct buf *msg, size_t limit, bool *over_r)
{
	bool bol = true;	/* at the beginning of a line */
	bool crlf = true;	/* the previous line ended in CRLF */
	char last = '\n';	/* the last byte consumed */

	*over_r = false;
	for (;;) {
		char *p, *nl;
		size_t avail, n;

		if (s->start == s->end && fill(s) <= 0)
			return -1;
		p = s->in + s->start;
		avail = s->end - s->start;
		if (bol && crlf && p[0] == '.') {
			/* need the whole of ".\r\n" to decide */
			if (avail < 3 && memchr(p, '\n', avail) == NULL) {
				if (fill(s) <= 0)
					return -1;
				continue;
			}
			if (avail >= 3 && p[1] == '\r' && p[2] == '\n') {
				s->start += 3;
				return 0;
			}
		}
		if (bol && p[0] == '.') {
			/* dot-stuffing: drop the first dot of the line */
			s->start++;
			p++;
			avail--;
			bol = false;
			last = '.';
			if (avail == 0)
				continue;
		}
		nl = memchr(p, '\n', avail);
		n = nl ? (size_t)(nl - p) + 1 : avail;
		if (msg->len + n <= limit)
			buf_append(msg, p, n);
		else
			*over_r = true;
		if (nl) {
			crlf = (nl > p ? nl[-1] : last) == '\r';
			bol = true;
		} else
			bol = false;
		last = p[n - 1];
		s->start += n;
	}
}

static int
cmd_data(struct lmtp_session *s)
{
	struct buf msg = BUF_INIT;
	size_t limit = 0;
	bool over;

	if (!s->mail) {
		say(s, "503 5.5.1 send MAIL first");
		return 0;
	}
	if (s->nrcpts == 0) {
		say(s, "554 5.5.1 no valid recipients");
		return 0;
	}
	for (size_t i = 0; i < s->nrcpts; i++)
		if (s->rcpts[i].max_size > limit)
			limit = s->rcpts[i].max_size;
	say(s, "354 go ahead, end with <CRLF>.<CRLF>");
	if (read_data(s, &msg, limit, &over) < 0) {
		buf_free(&msg);
		return -1;
	}
	for (size_t i = 0; i < s->nrcpts; i++)
		if (over || msg.len > s->rcpts[i].max_size) {
			s->rcpts[i].code = 552;
			snprintf(s->rcpts[i].enh, sizeof(s->rcpts[i].enh),
				 "5.3.4");
			snprintf(s->rcpts[i].text, sizeof(s->rcpts[i].text),
				 "message too big for this club");
		}
	deliver_message(s->deliver, buf_cstr(&msg), msg.len, s->rcpts,
			s->nrcpts);
	for (size_t i = 0; i < s->nrcpts; i++) {
		struct deliver_rcpt *r = &s->rcpts[i];

		say(s, "%d %s <%s>: %s", r->code, r->enh, r->addr, r->text);
	}
	buf_free(&msg);
	reset(s);
	return 0;
}

void
lmtp_session_run(int fd, const struct conf *conf, struct deliver *d)
{
	struct lmtp_session *s = xcalloc(1, sizeof(*s));
	char line[LMTP_LINE_MAX + 1];

	s->fd = fd;
	s->conf = conf;
	s->deliver = d;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	say(s, "220 %s LMTP mlistd ready", conf->domain);
	for (;;) {
		int r = read_command(s, line, sizeof(line));
		char *verb, *arg;

		if (r < 0)
			break;
		if (r == 0) {
			say(s, "500 5.5.2 line too long");
			goto error;
		}
		if (r == 2) {
			say(s, "500 5.5.2 NUL byte in command");
			goto error;
		}
		if (strlen(line) == 0) {
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
		else if (strcasecmp(verb, "DATA") == 0) {
			if (cmd_data(s) < 0)
				break;
		} else if (strcasecmp(verb, "RSET") == 0) {
			reset(s);
			say(s, "250 2.0.0 ok");
		} else if (strcasecmp(verb, "NOOP") == 0)
			say(s, "250 2.0.0 ok");
		else if (strcasecmp(verb, "QUIT") == 0) {
			say(s, "221 2.0.0 bye");
			break;
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
		continue;
error:
		if (++s->errors >= LMTP_MAX_ERRORS) {
			say(s, "421 4.7.0 too many errors, closing");
			break;
		}
	}
	(void)flush(s);
	reset(s);
	buf_free(&s->out);
	close(fd);
	free(s);
}
