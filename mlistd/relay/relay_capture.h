/*
 * relay_capture - the test relay: SMTP transactions become files (SPEC 3).
 *
 * "relay = capture:DIR" sends nothing.  Each transaction that would have
 * gone to the relay becomes a pair of files in DIR:
 *
 *   NNNNNNNN.eml   the message as it would go on the wire: CRLF line
 *                  ends (a bare LF becomes CRLF, an existing CRLF stays,
 *                  a bare CR stays), a final CRLF added when the message
 *                  does not end with one (the SMTP client must add it
 *                  before the terminating dot), no dot-stuffing;
 *   NNNNNNNN.json  {"mail_from":"...","rcpt_to":["...",...]}, no white
 *                  space, no final newline, strings escaped as JSON.
 *
 * Both are written atomically (temporary name in DIR, fsync, rename or
 * link) and the .json comes last: its appearance marks the pair complete,
 * so readers wait for it and ignore the dot-files (temporaries).  N is a
 * zero-padded 8-digit counter continuing after the highest N of any
 * NNNNNNNN.eml or NNNNNNNN.json already in DIR; other names are ignored.
 *
 * Threads of one process may call relay_capture_send() concurrently, and
 * so may several processes writing to the same DIR: no pair is ever
 * overwritten (see relay_capture.c for how).  Pairs of concurrent callers
 * may complete out of numbering order.
 *
 * Errors are returned, never logged: int + error_r (caller frees).
 */
#ifndef MLISTD_RELAY_CAPTURE_H
#define MLISTD_RELAY_CAPTURE_H

#include <stddef.h>

/* relay_capture_send - write one transaction (len bytes of msg, any line
   ends, may hold NULs; nrcpts recipients, none NULL; mail_from "" or
   NULL for the null sender <>) as the next pair in dir, which is
   created (0755, its parent must exist) if missing.  Returns 0, or -1
   with *error_r naming the path. */
int relay_capture_send(const char *dir, const char *mail_from,
		       const char *const *rcpts, size_t nrcpts, const char *msg,
		       size_t len, char **error_r);

#endif
