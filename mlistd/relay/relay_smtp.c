/*
 * relay_smtp - one SMTP connection to the relay, through libcurl (see
 * relay_smtp.h).
 *
 * Connection reuse.  A struct relay_smtp owns one CURL easy handle, and
 * an easy handle keeps its connection between curl_easy_perform() calls:
 * the second send on a handle goes straight to MAIL FROM, without
 * greeting, EHLO, STARTTLS or AUTH.  curl itself drops the connection
 * after a failed transaction (it cannot know the server's state then),
 * and before reusing one it checks that the server has not closed it or
 * sent something unasked (a 421 on idle timeout); the next send then
 * connects afresh, so a handle stays usable after any failure.  The
 * remaining race, a server closing just as we reuse its connection, is
 * caught when our first command gets no reply at all on a reused
 * connection: that send is retried once on a new connection.  Nothing of
 * the message was sent (no 354 came), so it cannot arrive twice.
 *
 * The message.  It is served to curl from memory by one read callback
 * call when it fits CURLOPT_UPLOAD_BUFFERSIZE (SMTP_UPLOAD_BUFFER, far
 * above a typical list message), with its size known in advance
 * (CURLOPT_INFILESIZE_LARGE), so it leaves in as few writes as TCP
 * allows; TCP_NODELAY is set explicitly (mlmmj lost 10x throughput to a
 * Nagle stall between small writes and the end-of-data dot).  curl
 * dot-stuffs it and adds the CRLF before the dot when missing.
 *
 * Timeouts.  connect_timeout_s bounds the TCP connect and TLS handshake
 * (CURLOPT_CONNECTTIMEOUT, default 30 s).  curl has one limit for every
 * reply, but the end-of-data reply deserves 10 minutes (RFC 5321
 * 4.5.3.2.6: a relay with a before-queue filter answers late, and giving
 * up then sends the copy twice) while the others must stay short so a
 * stop is not held up.  So the progress callback (smtp_progress, called
 * at least once a second in every state, the end-of-data wait included)
 * enforces them: timeout_s (default 300 s) since the last sign of life
 * (a line either way, bytes of the message sent) for any reply or stall,
 * dot_timeout_s (default 600 s) once the whole message went out in
 * DATA.  curl's own response timeout is set beyond both, as a backstop.
 * There is no bound on a whole send: a big message on a slow link that
 * moves is fine.
 *
 * Stops.  Once *opts.stop is true the callback ends a send at once: the
 * relay has accepted nothing yet (a message cut before its final dot is
 * discarded), so the copy is simply tried again later (res->stopped).
 * A send waiting for its end-of-data reply gets stop_grace_s more, as
 * the relay may be accepting the copy right then; past that it is
 * abandoned too, and if the relay did accept it, the next try sends it
 * a second time (at-least-once, never lost).  XXX curl_easy_cleanup()'s
 * QUIT may wait for a stuck server's reply, up to timeout_s.
 *
 * Reply capture.  curl reports only the last reply's code
 * (CURLINFO_RESPONSE_CODE), so the debug callback follows the dialogue:
 * each command sent (CURLINFO_HEADER_OUT) sets the stage (MAIL, RCPT,
 * DATA, then DOT once DATA got its 354), each server line
 * (CURLINFO_HEADER_IN) goes into the reply being read, tagged with that
 * stage; a line whose fourth byte is not '-' completes it.  The reply
 * that decided the transaction is the last complete one tagged with the
 * current stage: a reply to an earlier command does not count when the
 * connection died before the current one was answered.  QUIT's reply
 * (curl sends QUIT when it drops a connection after a failure) is
 * ignored.  The text kept is each line's text after the code and
 * enhanced code, lines joined by one space; the enhanced code is the
 * first line's.
 *
 * Error mapping.  A 4xx/5xx reply to MAIL, RCPT, DATA or end of data is
 * the recipient side's answer: transport NONE with code, enhanced code
 * and text, for relay_policy_classify() to judge.  Anything else failing
 * is a transport error (smtp_errors below): the relay refusing or
 * timing out the connection, DNS, TLS (STARTTLS missing or refused under
 * relay_tls = require, handshake, certificate), AUTH, or the connection
 * lost or garbled (PROTOCOL) -- with the reply's code and text when the
 * server said something (a 535 to AUTH, a 554 greeting), else code 0 and
 * curl's error message.  A refused AUTH must never bounce members: it is
 * our configuration.
 *
 * AUTH.  With relay_user set, curl authenticates when the server
 * announces AUTH, and silently sends without authenticating when it does
 * not.  That would turn a misconfigured relay's "relaying denied" 5xx
 * into bounces for every member, so a pre-request callback refuses to
 * start a transaction on a connection whose EHLO reply had no AUTH: a
 * transport AUTH error (needs libcurl >= 7.80; earlier ones keep curl's
 * behaviour).
 *
 * Threads.  curl_global_init() runs once (pthread_once); each handle is
 * used by one thread at a time; CURLOPT_NOSIGNAL keeps curl's resolver
 * timeouts away from signals.  Nothing here logs; the password is given
 * to curl (which copies it) and not kept.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "enhcode.h"
#include "relay_policy.h"
#include "relay_smtp.h"
#include "strutil.h"
#include "xalloc.h"

#define SMTP_CONNECT_TIMEOUT 30	   /* seconds, when opts say 0 */
#define SMTP_TIMEOUT 300	   /* seconds per reply, when opts say 0 */
#define SMTP_DOT_TIMEOUT 600	   /* seconds for the end-of-data reply */
#define SMTP_UPLOAD_BUFFER 262144L /* bytes served per read callback */

/* curl 8.2 fixed the spelling; both names are enum values, not macros */
#if LIBCURL_VERSION_NUM >= 0x080200
#define SMTP_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define SMTP_OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

/* The command a reply answers. */
enum smtp_stage {
	STAGE_SESSION, /* greeting, EHLO, STARTTLS: the session's setup */
	STAGE_AUTH,    /* AUTH and its continuation lines */
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_DATA,
	STAGE_DOT, /* the message went after a 354: end-of-data reply */
};

struct smtp_reply {
	int code;
	char enhanced[16];
	char text[512];
	size_t text_len;
	int lines;
	bool done; /* its last line was read */
	enum smtp_stage stage;
};

struct relay_smtp {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	bool want_auth;
	/* the message being sent */
	const char *msg;
	size_t len, off;
	/* the dialogue, followed by smtp_debug() */
	enum smtp_stage stage; /* of the last command sent */
	struct smtp_reply cur; /* being read, or the last one read */
	int replies;	       /* complete replies in this send */
	bool quitting;	       /* QUIT sent: its reply is not ours */
	bool in_ehlo;	       /* reading the EHLO reply */
	bool auth_offered;     /* in this connection's EHLO reply */
	bool auth_missing;     /* the pre-request check refused */
	/* time limits and stops, kept by smtp_progress() */
	long timeout, dot_timeout, stop_grace; /* seconds */
	const atomic_bool *stop;
	double active;	  /* monotonic time of the last sign of life */
	double stop_seen; /* when the stop was first seen; 0 = not yet */
	curl_off_t sent;  /* bytes uploaded at the last progress call */
	long timed_out;	  /* the limit that ran out, 0 = none */
	bool timed_at_dot;
	bool stopped;
};

/* A transport error for each curl error that is not OTHER; a reply to a
   transaction command overrides it (smtp_result). */
static const struct smtp_error {
	CURLcode rc;
	enum relay_transport transport;
} smtp_errors[] = {
    {CURLE_COULDNT_CONNECT,
     RELAY_TRANSPORT_REFUSED}, /* see smtp_connect_error */
    {CURLE_OPERATION_TIMEDOUT, RELAY_TRANSPORT_TIMEOUT},
    {CURLE_COULDNT_RESOLVE_HOST, RELAY_TRANSPORT_DNS},
    {CURLE_LOGIN_DENIED, RELAY_TRANSPORT_AUTH},
    {CURLE_AUTH_ERROR, RELAY_TRANSPORT_AUTH},
    {CURLE_USE_SSL_FAILED, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_CONNECT_ERROR, RELAY_TRANSPORT_TLS},
    {CURLE_PEER_FAILED_VERIFICATION, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_CERTPROBLEM, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_CIPHER, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_CACERT_BADFILE, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_ISSUER_ERROR, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_CRL_BADFILE, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_INVALIDCERTSTATUS, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_CLIENTCERT, RELAY_TRANSPORT_TLS},
    {CURLE_SSL_SHUTDOWN_FAILED, RELAY_TRANSPORT_TLS},
    {CURLE_GOT_NOTHING, RELAY_TRANSPORT_PROTOCOL},
    {CURLE_RECV_ERROR, RELAY_TRANSPORT_PROTOCOL},
    {CURLE_SEND_ERROR, RELAY_TRANSPORT_PROTOCOL},
    {CURLE_WEIRD_SERVER_REPLY, RELAY_TRANSPORT_PROTOCOL},
    {CURLE_REMOTE_ACCESS_DENIED, RELAY_TRANSPORT_PROTOCOL}, /* HELO 5xx */
    {CURLE_PARTIAL_FILE, RELAY_TRANSPORT_PROTOCOL},
};

static pthread_once_t smtp_once = PTHREAD_ONCE_INIT;

/* smtp_global_init - curl_global_init, whose failure leaves every
   curl_easy_init() failing: relay_smtp_open reports it then */
static void
smtp_global_init(void)
{
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* relay_smtp_global_init - once per process */
void
relay_smtp_global_init(void)
{
	pthread_once(&smtp_once, smtp_global_init);
}

/* smtp_enhanced_len - length of the RFC 3463 code opening s (n bytes),
   or 0 when s does not open with a well-formed one */
static size_t
smtp_enhanced_len(const char *s, size_t n)
{
	size_t i = enhcode_len(s, n);

	return i > 0 && (i == n || s[i] == ' ') ? i : 0;
}

/* smtp_reply_text - append a line's text to the reply, one line,
   bounded; controls become spaces */
static void
smtp_reply_text(struct smtp_reply *c, const char *s, size_t n)
{
	size_t room = sizeof(c->text) - 1;

	if (c->text_len > 0 && n > 0 && c->text_len < room)
		c->text[c->text_len++] = ' ';
	for (; n > 0 && c->text_len < room; s++, n--)
		c->text[c->text_len++] =
		    (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
	c->text[c->text_len] = '\0';
}

/* smtp_reply_done - a reply is complete: who it answered, what follows */
static void
smtp_reply_done(struct relay_smtp *r)
{
	r->replies++;
	r->in_ehlo = false;
	/* the 354 is not a verdict: the end-of-data reply will be */
	if (r->stage == STAGE_DATA && r->cur.code / 100 == 3)
		r->stage = STAGE_DOT;
}

/* smtp_saw_line - one server line, without its CRLF */
static void
smtp_saw_line(struct relay_smtp *r, const char *s, size_t n)
{
	struct smtp_reply *c = &r->cur;
	size_t enh;

	if (r->quitting || n < 3 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
		return;
	if (c->done)
		memset(c, 0, sizeof(*c));
	if (c->lines++ == 0)
		c->stage = r->stage;
	c->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	c->done = n == 3 || s[3] != '-';
	s += n > 3 ? 4 : 3;
	n -= n > 3 ? 4 : 3;
	/* RFC 2034 repeats the enhanced code on every line */
	enh = smtp_enhanced_len(s, n);
	if (enh > 0 && c->lines == 1 && enh < sizeof(c->enhanced))
		snprintf(c->enhanced, sizeof(c->enhanced), "%.*s", (int)enh, s);
	for (s += enh, n -= enh; n > 0 && *s == ' '; s++, n--)
		;
	if (r->in_ehlo && n >= 4 && strncasecmp(s, "AUTH", 4) == 0 &&
	    (n == 4 || s[4] == ' ' || s[4] == '='))
		r->auth_offered = true;
	smtp_reply_text(c, s, n);
	if (c->done)
		smtp_reply_done(r);
}

/* smtp_saw_command - one command line we sent: the stage it opens */
static void
smtp_saw_command(struct relay_smtp *r, const char *s, size_t n)
{
	/* after a 334, what we send is AUTH's data, whatever it spells */
	if (r->stage == STAGE_AUTH && r->cur.done && r->cur.code == 334)
		return;
	r->quitting = n >= 4 && strncasecmp(s, "QUIT", 4) == 0;
	if (r->quitting)
		return;
	r->in_ehlo = n >= 5 && (strncasecmp(s, "EHLO ", 5) == 0 ||
				strncasecmp(s, "HELO ", 5) == 0);
	if (r->in_ehlo)
		r->auth_offered = false;
	if (n >= 10 && strncasecmp(s, "MAIL FROM:", 10) == 0)
		r->stage = STAGE_MAIL;
	else if (n >= 8 && strncasecmp(s, "RCPT TO:", 8) == 0)
		r->stage = STAGE_RCPT;
	else if (n >= 4 && strncasecmp(s, "DATA", 4) == 0 &&
		 (n == 4 || s[4] == '\r'))
		r->stage = STAGE_DATA;
	else if (n >= 5 && strncasecmp(s, "AUTH ", 5) == 0)
		r->stage = STAGE_AUTH;
	else
		r->stage = STAGE_SESSION;
}

/* smtp_now - monotonic seconds */
static double
smtp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* smtp_debug - CURLOPT_DEBUGFUNCTION: follow the dialogue; a call may
   hold one line or several */
static int
smtp_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
	struct relay_smtp *r = arg;
	const char *end = data + size, *nl;

	(void)curl;
	if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
		return 0;
	r->active = smtp_now();
	for (; data < end; data = (char *)nl + 1) {
		size_t n;

		nl = memchr(data, '\n', (size_t)(end - data));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - data);
		if (n > 0 && data[n - 1] == '\r')
			n--;
		if (type == CURLINFO_HEADER_IN)
			smtp_saw_line(r, data, n);
		else
			smtp_saw_command(r, data, n);
	}
	return 0;
}

/* smtp_read - CURLOPT_READFUNCTION: the message from memory, as much as
   curl takes at once */
static size_t
smtp_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct relay_smtp *r = arg;
	size_t n = size * nitems;

	if (n > r->len - r->off)
		n = r->len - r->off;
	memcpy(buf, r->msg + r->off, n);
	r->off += n;
	return n;
}

/* smtp_progress - CURLOPT_XFERINFOFUNCTION: the time limits and the
   stop (see Timeouts and Stops above); non-zero aborts the send */
static int
smtp_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
	      curl_off_t ultotal, curl_off_t ulnow)
{
	struct relay_smtp *r = arg;
	double now = smtp_now();
	/* the message is out: only the end-of-data reply is awaited */
	bool at_dot = r->stage == STAGE_DOT && !r->quitting && r->msg &&
		      ulnow >= (curl_off_t)r->len;
	long limit = at_dot ? r->dot_timeout : r->timeout;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (ulnow != r->sent) {
		r->sent = ulnow;
		r->active = now;
	}
	if (r->stop != NULL && atomic_load(r->stop)) {
		if (r->stop_seen == 0)
			r->stop_seen = now;
		if (!at_dot || now - r->stop_seen >= r->stop_grace) {
			r->stopped = true;
			return 1;
		}
	}
	if (now - r->active >= limit) {
		r->timed_out = limit;
		r->timed_at_dot = at_dot;
		return 1;
	}
	return 0;
}

#if LIBCURL_VERSION_NUM >= 0x075000
/* smtp_prereq - CURLOPT_PREREQFUNCTION, after connect/EHLO/AUTH and
   before MAIL: with relay_user set, never send unauthenticated */
static int
smtp_prereq(void *arg, char *conn_ip, char *local_ip, int conn_port,
	    int local_port)
{
	struct relay_smtp *r = arg;

	(void)conn_ip;
	(void)local_ip;
	(void)conn_port;
	(void)local_port;
	if (r->want_auth && !r->auth_offered) {
		r->auth_missing = true;
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}
#endif

/* smtp_url - url with the EHLO name as its path, as curl takes it; a
   path already in url wins */
static char *
smtp_url(const char *url, const char *helo)
{
	const char *host = strstr(url, "://") + 3;
	const char *path = strchr(host, '/');

	if (helo == NULL || *helo == '\0' || (path != NULL && path[1] != '\0'))
		return xstrdup(url);
	return xasprintf("%.*s/%s",
			 (int)(path ? (size_t)(path - url) : strlen(url)), url,
			 helo);
}

/* smtp_check_opts - what curl would take but must not get */
static int
smtp_check_opts(const struct relay_smtp_opts *o, char **error_r)
{
	const char *h;

	if (o->url == NULL || (!str_has_prefix_ci(o->url, "smtp://") &&
			       !str_has_prefix_ci(o->url, "smtps://"))) {
		*error_r =
		    xasprintf("relay URL '%s' is not smtp:// or smtps://",
			      o->url ? o->url : "");
		return -1;
	}
	if (o->tls != NULL && *o->tls != '\0' && strcmp(o->tls, "off") != 0 &&
	    strcmp(o->tls, "try") != 0 && strcmp(o->tls, "require") != 0) {
		*error_r = xasprintf(
		    "relay_tls '%s' is not off, try or require", o->tls);
		return -1;
	}
	/* it becomes the URL's path: nothing that would change the URL */
	for (h = o->helo ? o->helo : ""; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-') {
			*error_r = xasprintf("EHLO name '%s' is not a domain",
					     o->helo);
			return -1;
		}
	return 0;
}

/* smtp_use_ssl - relay_tls as curl's CURLOPT_USE_SSL */
static long
smtp_use_ssl(const char *tls)
{
	if (tls != NULL && strcmp(tls, "off") == 0)
		return CURLUSESSL_NONE;
	if (tls != NULL && strcmp(tls, "require") == 0)
		return CURLUSESSL_ALL;
	return CURLUSESSL_TRY;
}

/* smtp_tls_verify - whether the relay's certificate must verify */
static bool
smtp_tls_verify(const char *tls)
{
	return tls != NULL && strcmp(tls, "require") == 0;
}

/* Each option in turn until one fails; rc holds the first failure. */
#define SMTP_SETOPT(c, rc, opt, val)                                           \
	do {                                                                   \
		if ((rc) == CURLE_OK)                                          \
			(rc) = curl_easy_setopt((c), (opt), (val));            \
	} while (0)

/* smtp_setup - the options every send shares */
static CURLcode
smtp_setup(struct relay_smtp *r, const struct relay_smtp_opts *o,
	   const char *url)
{
	CURL *c = r->curl;
	CURLcode rc = CURLE_OK;

	r->timeout = o->timeout_s > 0 ? o->timeout_s : SMTP_TIMEOUT;
	r->dot_timeout =
	    o->dot_timeout_s > 0 ? o->dot_timeout_s : SMTP_DOT_TIMEOUT;
	r->stop = o->stop;
	r->stop_grace = o->stop_grace_s > 0 ? o->stop_grace_s : 0;

	SMTP_SETOPT(c, rc, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SMTP_SETOPT(c, rc, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#endif
	SMTP_SETOPT(c, rc, CURLOPT_ERRORBUFFER, r->errbuf);
	SMTP_SETOPT(c, rc, CURLOPT_NOSIGNAL, 1L);
	SMTP_SETOPT(c, rc, CURLOPT_MAXCONNECTS, 1L);
	SMTP_SETOPT(c, rc, CURLOPT_TCP_NODELAY, 1L);
	SMTP_SETOPT(c, rc, CURLOPT_CONNECTTIMEOUT,
		    o->connect_timeout_s > 0 ? o->connect_timeout_s
					     : (long)SMTP_CONNECT_TIMEOUT);
	/* smtp_progress keeps the limits; curl's only backs it up */
	SMTP_SETOPT(
	    c, rc, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (r->timeout > r->dot_timeout ? r->timeout : r->dot_timeout) + 60L);
	SMTP_SETOPT(c, rc, CURLOPT_XFERINFOFUNCTION, smtp_progress);
	SMTP_SETOPT(c, rc, CURLOPT_XFERINFODATA, r);
	SMTP_SETOPT(c, rc, CURLOPT_NOPROGRESS, 0L);
	SMTP_SETOPT(c, rc, CURLOPT_UPLOAD, 1L);
	SMTP_SETOPT(c, rc, CURLOPT_UPLOAD_BUFFERSIZE, SMTP_UPLOAD_BUFFER);
	SMTP_SETOPT(c, rc, CURLOPT_READFUNCTION, smtp_read);
	SMTP_SETOPT(c, rc, CURLOPT_READDATA, r);
	SMTP_SETOPT(c, rc, SMTP_OPT_RCPT_ALLOWFAILS, 1L);
	/* the debug callback is how replies' text is seen: nothing printed */
	SMTP_SETOPT(c, rc, CURLOPT_DEBUGFUNCTION, smtp_debug);
	SMTP_SETOPT(c, rc, CURLOPT_DEBUGDATA, r);
	SMTP_SETOPT(c, rc, CURLOPT_VERBOSE, 1L);
	if (str_has_prefix_ci(o->url, "smtp://"))
		SMTP_SETOPT(c, rc, CURLOPT_USE_SSL, smtp_use_ssl(o->tls));
	/* try is Postfix's "may": a relay's self-signed certificate (a
	   stock Debian Postfix's snakeoil) still encrypts; only require
	   verifies the certificate and the host name */
	if (!smtp_tls_verify(o->tls)) {
		SMTP_SETOPT(c, rc, CURLOPT_SSL_VERIFYPEER, 0L);
		SMTP_SETOPT(c, rc, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->ca_file != NULL && *o->ca_file != '\0')
		SMTP_SETOPT(c, rc, CURLOPT_CAINFO, o->ca_file);
	if (r->want_auth) {
		SMTP_SETOPT(c, rc, CURLOPT_USERNAME, o->user);
		SMTP_SETOPT(c, rc, CURLOPT_PASSWORD,
			    o->password ? o->password : "");
#if LIBCURL_VERSION_NUM >= 0x075000
		SMTP_SETOPT(c, rc, CURLOPT_PREREQFUNCTION, smtp_prereq);
		SMTP_SETOPT(c, rc, CURLOPT_PREREQDATA, r);
#endif
	}
	return rc;
}

/* relay_smtp_open - a handle, not connected yet */
int
relay_smtp_open(const struct relay_smtp_opts *o, struct relay_smtp **r_r,
		char **error_r)
{
	struct relay_smtp *r;
	CURLcode rc;
	char *url;

	*r_r = NULL;
	if (smtp_check_opts(o, error_r) < 0)
		return -1;
	relay_smtp_global_init();
	r = xcalloc(1, sizeof(*r));
	r->want_auth = o->user != NULL && *o->user != '\0';
	if ((r->curl = curl_easy_init()) == NULL) {
		*error_r = xstrdup("libcurl failed to initialise");
		free(r);
		return -1;
	}
	url = smtp_url(o->url, o->helo);
	rc = smtp_setup(r, o, url);
	free(url);
	if (rc != CURLE_OK) {
		*error_r =
		    xasprintf("relay %s: %s", o->url, curl_easy_strerror(rc));
		relay_smtp_close(&r);
		return -1;
	}
	*r_r = r;
	return 0;
}

/* smtp_begin - forget the previous attempt's dialogue */
static void
smtp_begin(struct relay_smtp *r, const char *msg, size_t len)
{
	r->msg = msg;
	r->len = len;
	r->off = 0;
	r->errbuf[0] = '\0';
	r->stage = STAGE_SESSION;
	memset(&r->cur, 0, sizeof(r->cur));
	r->replies = 0;
	r->quitting = false;
	r->auth_missing = false;
	r->active = smtp_now();
	r->stop_seen = 0;
	r->sent = 0;
	r->timed_out = 0;
	r->timed_at_dot = false;
	r->stopped = false;
}

/* smtp_stale - the attempt died on a reused connection before any reply:
   the server had closed it, and nothing of the message went out */
static bool
smtp_stale(struct relay_smtp *r, CURLcode rc)
{
	long connects = -1;

	if (rc != CURLE_SEND_ERROR && rc != CURLE_RECV_ERROR &&
	    rc != CURLE_GOT_NOTHING)
		return false;
	return r->replies == 0 &&
	       curl_easy_getinfo(r->curl, CURLINFO_NUM_CONNECTS, &connects) ==
		   CURLE_OK &&
	       connects == 0;
}

/* smtp_os_error - the errno of the last connect, 0 if none */
static long
smtp_os_error(struct relay_smtp *r)
{
	long err = 0;

	(void)curl_easy_getinfo(r->curl, CURLINFO_OS_ERRNO, &err);
	return err;
}

/* smtp_connect_error - refused, unreachable or timed out, by errno */
static enum relay_transport
smtp_connect_error(struct relay_smtp *r)
{
	switch (smtp_os_error(r)) {
	case ETIMEDOUT:
		return RELAY_TRANSPORT_TIMEOUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return RELAY_TRANSPORT_UNREACH;
	default:
		return RELAY_TRANSPORT_REFUSED;
	}
}

/* smtp_transport - a failed perform's transport error */
static enum relay_transport
smtp_transport(struct relay_smtp *r, CURLcode rc)
{
	size_t i;

	if (r->auth_missing)
		return RELAY_TRANSPORT_AUTH;
	if (rc == CURLE_COULDNT_CONNECT)
		return smtp_connect_error(r);
	for (i = 0; i < sizeof(smtp_errors) / sizeof(smtp_errors[0]); i++)
		if (smtp_errors[i].rc == rc)
			return smtp_errors[i].transport;
	return RELAY_TRANSPORT_OTHER;
}

/* smtp_put_reply - the captured reply into res, when it is the one curl
   ended on (code as curl saw it) and answers the last command sent */
static bool
smtp_put_reply(struct relay_smtp *r, long code, struct relay_result *res)
{
	const struct smtp_reply *c = &r->cur;

	if (!c->done || c->code != code || c->stage != r->stage)
		return false;
	res->code = c->code;
	snprintf(res->enhanced, sizeof(res->enhanced), "%s", c->enhanced);
	snprintf(res->reply, sizeof(res->reply), "%s", c->text);
	return true;
}

/* smtp_aborted - smtp_progress ended the send: a stop or a time limit */
static void
smtp_aborted(struct relay_smtp *r, struct relay_result *res)
{
	if (r->stopped) {
		res->stopped = true;
		res->transport = RELAY_TRANSPORT_OTHER;
		snprintf(res->reply, sizeof(res->reply),
			 "interrupted by a stop before the relay's answer");
		return;
	}
	res->transport = RELAY_TRANSPORT_TIMEOUT;
	snprintf(res->reply, sizeof(res->reply), "%s within %ld s",
		 r->timed_at_dot ? "no end-of-data reply"
				 : "no reply or progress",
		 r->timed_out);
}

/* smtp_result - what a perform's outcome means for the transaction */
static void
smtp_result(struct relay_smtp *r, CURLcode rc, struct relay_result *res)
{
	long code = 0;

	static const char *const stages[] = {[STAGE_MAIL] = "MAIL",
					     [STAGE_RCPT] = "RCPT",
					     [STAGE_DATA] = "DATA",
					     [STAGE_DOT] = "DOT"};

	memset(res, 0, sizeof(*res));
	if (r->stage >= STAGE_MAIL && r->stage <= STAGE_DOT && stages[r->stage])
		snprintf(res->stage, sizeof(res->stage), "%s",
			 stages[r->stage]);
	(void)curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_ABORTED_BY_CALLBACK && (r->stopped || r->timed_out)) {
		smtp_aborted(r, res);
		return;
	}
	if (rc == CURLE_OK) {
		if (!smtp_put_reply(r, code, res))
			res->code = (int)code;
		res->transport = RELAY_TRANSPORT_NONE;
		return;
	}
	res->transport = smtp_transport(r, rc);
	if (code >= 400 && code <= 599 && smtp_put_reply(r, code, res)) {
		/* a reply to MAIL, RCPT, DATA or the dot (the stages from
		   STAGE_MAIL on) is the recipient side's answer, for the
		   policy to judge */
		if (r->stage >= STAGE_MAIL && !r->auth_missing)
			res->transport = RELAY_TRANSPORT_NONE;
		return;
	}
	if (r->auth_missing)
		snprintf(res->reply, sizeof(res->reply),
			 "relay_user is set but the relay offers no AUTH");
	else if (rc == CURLE_COULDNT_CONNECT && smtp_os_error(r) != 0)
		/* curl's words carry a time ("after 0 ms"): one cause
		   would read as many */
		snprintf(res->reply, sizeof(res->reply), "cannot connect: %s",
			 strerror((int)smtp_os_error(r)));
	else
		snprintf(res->reply, sizeof(res->reply), "%s",
			 r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
}

/* smtp_drop - after a send cut short (a stop, a time limit), the
   connection is in an unknown state: curl would keep it, and either
   reuse it (the late reply answering our next command) or wait for a
   QUIT reply at close.  Shut it down so curl sees it dead. */
static void
smtp_drop(struct relay_smtp *r, CURLcode rc)
{
	curl_socket_t fd = CURL_SOCKET_BAD;

	if (rc != CURLE_ABORTED_BY_CALLBACK && rc != CURLE_OPERATION_TIMEDOUT)
		return;
	if (curl_easy_getinfo(r->curl, CURLINFO_ACTIVESOCKET, &fd) ==
		CURLE_OK &&
	    fd != CURL_SOCKET_BAD)
		(void)shutdown(fd, SHUT_RDWR);
}

/* relay_smtp_send - one transaction, on the kept connection if any */
int
relay_smtp_send(struct relay_smtp *r, const char *mail_from, const char *rcpt,
		const char *msg, size_t len, struct relay_result *res)
{
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt ? rcpt : "");
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	int attempt;

	/* NULL is curl's null reverse-path <> */
	if (rcpts != NULL &&
	    (rc = curl_easy_setopt(
		 r->curl, CURLOPT_MAIL_FROM,
		 mail_from && *mail_from ? mail_from : NULL)) == CURLE_OK &&
	    (rc = curl_easy_setopt(r->curl, CURLOPT_MAIL_RCPT, rcpts)) ==
		CURLE_OK &&
	    (rc = curl_easy_setopt(r->curl, CURLOPT_INFILESIZE_LARGE,
				   (curl_off_t)len)) == CURLE_OK) {
		for (attempt = 0; attempt < 2; attempt++) {
			smtp_begin(r, msg, len);
			rc = curl_easy_perform(r->curl);
			if (!smtp_stale(r, rc))
				break;
		}
	}
	smtp_result(r, rc, res);
	smtp_drop(r, rc);
	/* curl keeps the list's address: take it back before freeing */
	(void)curl_easy_setopt(r->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	r->msg = NULL;
	return 0;
}

/* relay_smtp_check - connect, EHLO, STARTTLS and AUTH as configured,
   no transaction (curl keeps such a connection out of sends: close the
   handle after) */
int
relay_smtp_check(struct relay_smtp *r, struct relay_result *res)
{
	CURLcode rc;

	smtp_begin(r, NULL, 0);
	rc = curl_easy_setopt(r->curl, CURLOPT_CONNECT_ONLY, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(r->curl);
	/* curl sends unauthenticated when AUTH is not offered */
	if (rc == CURLE_OK && r->want_auth && !r->auth_offered) {
		r->auth_missing = true;
		rc = CURLE_LOGIN_DENIED;
	}
	smtp_result(r, rc, res);
	(void)curl_easy_setopt(r->curl, CURLOPT_CONNECT_ONLY, 0L);
	return 0;
}

/* relay_smtp_close - QUIT, close and free */
void
relay_smtp_close(struct relay_smtp **rp)
{
	struct relay_smtp *r = *rp;

	if (r == NULL)
		return;
	if (r->curl != NULL)
		curl_easy_cleanup(r->curl);
	free(r);
	*rp = NULL;
}
