/*
 * msg_mbox - read the messages of an mbox file (archive import).
 *
 * Read-only, no lock file is made.  A line starting with "From " begins
 * a message, with or without a blank line before it (as Python's mailbox
 * module and mutt read mbox files).
 */
#ifndef MLISTD_MSG_MBOX_H
#define MLISTD_MSG_MBOX_H

#include <stddef.h>
#include <time.h>

/* msg_mbox_foreach - call fn for each message of the mbox at path, with
   its raw bytes (no "From " line, mboxrd ">From " unquoted) and the date
   of its "From " line (0 if unreadable).  Returns 0, -1 with *error_r
   (the caller frees; a file that is not an mbox is named by line), or
   the first non-zero value fn returned (then it stops). */
int msg_mbox_foreach(const char *path,
		     int (*fn)(void *ctx, const char *raw, size_t len,
			       time_t from_line_date),
		     void *ctx, char **error_r);

#endif
