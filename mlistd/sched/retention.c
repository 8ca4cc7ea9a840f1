/*
 * retention - expiry and purge of unauthenticated mail (see retention.h).
 */
#include <string.h>

#include "retention.h"
#include "store.h"
#include "wgate.h"
#include "xalloc.h"

/* rows a transaction deletes: raw mail is up to max_message_size a row,
   and freeing its pages is the cost, so batches stay small */
#define RETENTION_BATCH 32
#define RETENTION_BATCHES 64 /* per kind and pass: 2,048 rows */

/* purge - one kind, batch by batch, until none is left or the pass's
   share is done */
static int
purge(struct store *s, struct wgate *g, enum store_purge what, time_t before,
      int64_t *n_r)
{
	for (int i = 0; i < RETENTION_BATCHES; i++) {
		int64_t n = 0;

		/* the gate per batch: intake's posts go between them */
		if (wgate_begin(g, s) < 0)
			return -1;
		if (store_purge(s, what, before, RETENTION_BATCH, &n) < 0 ||
		    store_commit(s) < 0) {
			store_rollback(s);
			wgate_unlock(g);
			return -1;
		}
		wgate_unlock(g);
		*n_r += n;
		if (n < RETENTION_BATCH)
			break;
	}
	return 0;
}

int
retention_run(struct store *s, struct wgate *g, time_t now,
	      struct retention_done *done_r, char **error_r)
{
	memset(done_r, 0, sizeof(*done_r));
	if (purge(s, g, STORE_PURGE_DECIDED, now - RETENTION_DECIDED,
		  &done_r->decided) < 0 ||
	    purge(s, g, STORE_PURGE_KEPT, now - RETENTION_DECIDED,
		  &done_r->kept) < 0 ||
	    purge(s, g, STORE_PURGE_COPIES, now - RETENTION_DECIDED,
		  &done_r->copies) < 0 ||
	    purge(s, g, STORE_PURGE_DIGESTS, now - RETENTION_DECIDED,
		  &done_r->copies) < 0 ||
	    purge(s, g, STORE_PURGE_CONTROL, now - RETENTION_CONTROL,
		  &done_r->control) < 0 ||
	    purge(s, g, STORE_PURGE_PENDING, now - RETENTION_PENDING,
		  &done_r->pending) < 0 ||
	    purge(s, g, STORE_PURGE_REPLIES, now - now % 86400 - 86400,
		  &done_r->pending) < 0 ||
	    purge(s, g, STORE_PURGE_DEPARTURES, now - RETENTION_DEPARTURES,
		  &done_r->departures) < 0) {
		*error_r = xstrdup(store_error(s));
		return -1;
	}
	return 0;
}
