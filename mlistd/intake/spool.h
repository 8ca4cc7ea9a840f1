/*
 * spool - a message being received, in memory while small, then in an
 * unnamed temporary file, so that a session holds at most SPOOL_MEM_MAX
 * bytes of it whatever its size (as Dovecot's LMTP spools DATA).
 *
 * The file is made in the database's directory: it is writable by the
 * user mlistd runs as (SQLite writes its WAL there), and unlike $TMPDIR
 * it is never a tmpfs, which would keep the bytes in memory after all.
 * It is opened with O_TMPFILE (no name at all) or, where the file system
 * refuses that, created and unlinked at once; closing the descriptor is
 * all the cleanup there is, so a crash leaves nothing behind.
 */
#ifndef MLISTD_SPOOL_H
#define MLISTD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SPOOL_MEM_MAX (64 * 1024)

struct spool {
	struct buf mem; /* the message while small; then a write buffer */
	int fd;		/* -1 until the message outgrows memory */
	size_t len;	/* bytes of the message so far */
	int error;	/* errno of the first failure (0: none) */
};

/* spool_start - an empty message (fd must be -1 or an open spool file,
   which is closed) */
void spool_start(struct spool *sp);
/* spool_write - append n bytes; past SPOOL_MEM_MAX they go to a file in
   dir.  A failure is remembered (spool_finish reports it) and later
   bytes are only counted. */
void spool_write(struct spool *sp, const char *dir, const char *p, size_t n);
/* spool_finish - flush: 0, or -1 with errno when the message could not
   be kept.  A spooled file then holds the len bytes and one NUL. */
int spool_finish(struct spool *sp);
/* spool_clear - drop the message (closes the file) */
void spool_clear(struct spool *sp);

/* spool_map - the len bytes (followed by a NUL) of a finished spool
   file, read-only; NULL with errno on failure.  spool_unmap releases. */
const char *spool_map(int fd, size_t len);
void spool_unmap(const char *p, size_t len);

#endif
