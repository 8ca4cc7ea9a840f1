/*
 * relay_smtp - send one copy through the SMTP relay (SPEC 3, 7).
 *
 * The only module that includes curl/curl.h (STYLE 7.3): no curl type
 * reaches this header.  One struct relay_smtp is one connection to the
 * relay, kept open between sends; the relay worker runs
 * relay_concurrency of them, each used by one thread at a time.
 *
 * A send is one transaction: MAIL FROM, one RCPT TO, DATA.  Its outcome
 * is a struct relay_result for relay_policy_classify(): either the
 * server's reply that decided the transaction (transport NONE), or a
 * transport error (the relay unreachable, slow, its TLS or our AUTH
 * failing, the connection lost without a reply).
 *
 * Errors are returned, never logged.
 */
#ifndef MLISTD_RELAY_SMTP_H
#define MLISTD_RELAY_SMTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct relay_smtp_opts {
	const char *url;      /* smtp://host:port or smtps://host:port */
	const char *tls;      /* "off" | "try" | "require": STARTTLS on
				 smtp://; only "require" verifies the
				 certificate and host name (smtps://
				 too); NULL = "try" */
	const char *ca_file;  /* NULL/"" = system default */
	const char *user;     /* NULL/"" = no AUTH */
	const char *password; /* read by the caller from relay_password_file */
	const char *helo;     /* name for EHLO (the list domain); NULL/"" =
				 this host's name */
	long connect_timeout_s;	 /* TCP connect (and TLS handshake);
				    0 = 30 s */
	long timeout_s;		 /* each wait for a reply but the end-of-data
				    one, and any stall sending; 0 = 300 s */
	long dot_timeout_s;	 /* the end-of-data reply; 0 = 600 s (RFC
				    5321 4.5.3.2.6: a relay may filter the
				    message before it answers) */
	const atomic_bool *stop; /* once true, a send ends at once (the
				    copy is left to a later try) unless
				    it waits for its end-of-data reply:
				    that wait goes on stop_grace_s more;
				    NULL = never */
	long stop_grace_s;
};

struct relay_result {
	int code;	   /* final SMTP reply code, 0 if none */
	char enhanced[16]; /* "5.1.1" or "" */
	char reply[512];   /* the reply's text without code or enhanced
			      code, lines of a multi-line reply joined by
			      one space; or the transport error */
	int transport;	   /* enum relay_transport (relay_policy.h) */
	char stage[8];	   /* the command the reply answered: "MAIL",
			      "RCPT", "DATA", "DOT" (end of data), or "" */
	bool stopped;	   /* a stop ended the send before any verdict:
			      nothing to judge, the copy is tried again */
};

struct relay_smtp;

/* relay_smtp_global_init - libcurl's process-wide setup, done once
   whatever the number of calls or threads; relay_smtp_open calls it */
void relay_smtp_global_init(void);

/* relay_smtp_open - a handle for the relay in o (its strings are copied,
   o may go away); nothing is connected yet.  Returns 0, or -1 with
   *error_r (caller frees) when o is unusable. */
int relay_smtp_open(const struct relay_smtp_opts *o, struct relay_smtp **r_r,
		    char **error_r);

/* relay_smtp_send - one transaction: MAIL FROM:<mail_from> ("" or NULL =
   the null sender <>), RCPT TO:<rcpt>, DATA with the len bytes of msg
   (CRLF line ends, NOT dot-stuffed: that is done here).  Reuses the
   handle's connection when it is still open, else opens one.  Always
   fills *res; returns 0. */
int relay_smtp_send(struct relay_smtp *r, const char *mail_from,
		    const char *rcpt, const char *msg, size_t len,
		    struct relay_result *res);

/* relay_smtp_check - what a send would meet before MAIL FROM: connect,
   EHLO, STARTTLS and AUTH as configured.  Fills *res as a send would
   (transport NONE and the last reply when all went well); returns 0.
   The handle is then good for nothing but relay_smtp_close. */
int relay_smtp_check(struct relay_smtp *r, struct relay_result *res);

/* relay_smtp_close - QUIT, close and free; *r becomes NULL */
void relay_smtp_close(struct relay_smtp **r);

#endif
