/*
 * lmtp_session - one LMTP conversation (RFC 2033) as a state machine:
 * LHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT with PIPELINING,
 * ENHANCEDSTATUSCODES, 8BITMIME and SIZE; one reply per accepted
 * recipient after DATA.  It owns no socket: the event loop
 * (lmtp_server) feeds it the bytes it read and writes the replies it
 * buffered, so one thread can serve every connection.
 */
#ifndef MLISTD_LMTP_SESSION_H
#define MLISTD_LMTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct conf;
struct intake;

#define LMTP_LINE_MAX 512 /* command line incl. CRLF (RFC 5321) */
#define LMTP_MAX_RCPTS 1000
#define LMTP_IDLE_TIMEOUT 300 /* seconds without input */
#define LMTP_DATA_TIMEOUT 600 /* seconds for a whole message */
#define LMTP_MAX_HEADER_FIELDS 1000
#define LMTP_MAX_HEADER_BYTES (2 * 1024 * 1024)

/* Seconds a command line may take, counted from the previous reply (so
   also the longest silence between commands), and seconds the message
   after DATA may take in all, however it trickles in; past either the
   session is closed with 421 4.4.2.  Tests shorten both with
   MLISTD_IDLE_TIMEOUT (the message then gets twice as long). */
extern int lmtp_idle_timeout;
extern int lmtp_data_timeout;

enum lmtp_state {
	LMTP_OPEN,	 /* reading commands or message data */
	LMTP_COMMITTING, /* DATA submitted: input waits for the commit */
	LMTP_CLOSING,	 /* write what is buffered, then close */
};

struct lmtp_session;

/* lmtp_session_new - a session with its greeting buffered; owner is what
   the intake completion hands back (see lmtp_session_committed) */
struct lmtp_session *lmtp_session_new(const struct conf *conf, struct intake *d,
				      void *owner);
void lmtp_session_free(struct lmtp_session **s);

/* lmtp_session_feed - consume input; returns how many bytes were used.
   What is left over is an incomplete piece the session needs more bytes
   to decide on, or input that arrived while it is not LMTP_OPEN: feed
   it again later, with what is read next appended. */
size_t lmtp_session_feed(struct lmtp_session *s, const char *p, size_t n);

/* lmtp_session_committed - the submitted DATA is stored (or failed):
   buffer one reply per recipient and accept input again */
void lmtp_session_committed(struct lmtp_session *s);

/* lmtp_session_close - buffer "421 text" and move to LMTP_CLOSING */
void lmtp_session_close(struct lmtp_session *s, const char *text);

enum lmtp_state lmtp_session_state(const struct lmtp_session *s);
/* lmtp_session_in_transaction - MAIL given and not finished */
bool lmtp_session_in_transaction(const struct lmtp_session *s);
/* lmtp_session_steps - commands and messages completed so far: the
   event loop starts a step's clock when this changes */
unsigned long lmtp_session_steps(const struct lmtp_session *s);
/* lmtp_session_in_data - reading a message after DATA */
bool lmtp_session_in_data(const struct lmtp_session *s);
/* lmtp_session_output - the replies buffered so far; the caller writes
   and removes them */
struct buf *lmtp_session_output(struct lmtp_session *s);

#endif
