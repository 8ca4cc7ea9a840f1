/*
 * msg_mbox - read the messages of an mbox file (archive import).
 *
 * Read-only, through libetpan's mailmbox parser; no lock file is made.
 */
#ifndef MLISTD_MSG_MBOX_H
#define MLISTD_MSG_MBOX_H

#include <stddef.h>
#include <time.h>

/* msg_mbox_foreach - call fn for each message of the mbox at path, with
   its raw bytes (no "From " line, mboxrd ">From " unquoted) and the date
   of its "From " line (0 if unreadable).  Returns 0, -1 with a static
   *error_r, or the first non-zero value fn returned (then it stops). */
int msg_mbox_foreach(const char *path,
		     int (*fn)(void *ctx, const char *raw, size_t len,
			       time_t from_line_date),
		     void *ctx, const char **error_r);

#endif
