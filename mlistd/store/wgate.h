/*
 * wgate - who writes next: intake before the relay.
 *
 * SQLite has one writer.  Inside mlistd the committer (intake) and the
 * relay's dispatcher take this gate around their write transactions, so
 * neither meets SQLITE_BUSY from the other (whose busy handler sleeps in
 * steps of milliseconds), and the relay yields while intake has posts
 * waiting for their 250, for up to WGATE_YIELD_MS: the relay's records
 * can wait, a client waiting for its 250 should not.  Other processes
 * (mlistctl) still meet SQLite's own lock.  The periodic jobs (periodic.c)
 * write as the relay does, through wgate_begin.
 */
#ifndef MLISTD_WGATE_H
#define MLISTD_WGATE_H

#define WGATE_YIELD_MS 100
#define WGATE_BUSY_MS 10000 /* a write waits this long for mlistctl */
#define WGATE_BUSY_STEP_MS 20

struct store;
struct wgate;

struct wgate *wgate_new(void);
void wgate_free(struct wgate **g);
/* wgate_want - n more (or fewer, n < 0) intake jobs wait to commit */
void wgate_want(struct wgate *g, int n);
/* wgate_lock_intake - the gate, as soon as it is free */
void wgate_lock_intake(struct wgate *g);
/* wgate_lock_relay - the gate once no intake job waits (or after
   WGATE_YIELD_MS of them) */
void wgate_lock_relay(struct wgate *g);
void wgate_unlock(struct wgate *g);
/* wgate_begin - the gate as the relay takes it, and a write transaction
   on s (0); -1: neither, store_error(s) says why.  End the transaction,
   then wgate_unlock */
int wgate_begin(struct wgate *g, struct store *s);

#endif
