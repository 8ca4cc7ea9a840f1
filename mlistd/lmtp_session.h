/*
 * lmtp_session - one LMTP conversation (RFC 2033) on a connected socket:
 * LHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT with PIPELINING,
 * ENHANCEDSTATUSCODES, 8BITMIME and SIZE; one reply per accepted
 * recipient after DATA.  Blocking I/O in the session's own thread.
 */
#ifndef MLISTD_LMTP_SESSION_H
#define MLISTD_LMTP_SESSION_H

#include <stdatomic.h>

struct conf;
struct deliver;

#define LMTP_LINE_MAX 512	/* command line incl. CRLF (RFC 5321) */
#define LMTP_MAX_RCPTS 1000
#define LMTP_IDLE_TIMEOUT 300	/* seconds without input */

/* Seconds of silence before a session is closed with 421 4.4.2; tests
   shorten it with MLISTD_IDLE_TIMEOUT. */
extern int lmtp_idle_timeout;

/* Set by the daemon on SIGTERM: sessions without an open transaction
   answer 421 4.3.2 and close; after the grace period all of them do. */
extern atomic_int lmtp_stopping;
extern atomic_int lmtp_stop_now;

/* lmtp_session_run - serve fd until QUIT, timeout or shutdown; closes fd */
void lmtp_session_run(int fd, const struct conf *conf, struct deliver *d);

#endif
