/*
 * wgate - who writes next (see wgate.h).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "store.h"
#include "wgate.h"
#include "xalloc.h"

struct wgate {
	pthread_mutex_t lock;
	pthread_cond_t free; /* held went false, or want went down */
	bool held;
	int want; /* intake jobs submitted, not yet committed */
};

struct wgate *
wgate_new(void)
{
	struct wgate *g = xcalloc(1, sizeof(*g));

	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->free, NULL);
	return g;
}

void
wgate_free(struct wgate **gp)
{
	struct wgate *g = *gp;

	if (g == NULL)
		return;
	pthread_cond_destroy(&g->free);
	pthread_mutex_destroy(&g->lock);
	free(g);
	*gp = NULL;
}

void
wgate_want(struct wgate *g, int n)
{
	pthread_mutex_lock(&g->lock);
	g->want += n;
	if (g->want <= 0) {
		g->want = 0;
		pthread_cond_broadcast(&g->free);
	}
	pthread_mutex_unlock(&g->lock);
}

void
wgate_lock_intake(struct wgate *g)
{
	pthread_mutex_lock(&g->lock);
	while (g->held)
		pthread_cond_wait(&g->free, &g->lock);
	g->held = true;
	pthread_mutex_unlock(&g->lock);
}

void
wgate_lock_relay(struct wgate *g)
{
	struct timespec until;
	bool yield = true;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += WGATE_YIELD_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&g->lock);
	while (g->held || (yield && g->want > 0)) {
		if (!yield)
			pthread_cond_wait(&g->free, &g->lock);
		else if (pthread_cond_timedwait(&g->free, &g->lock, &until) !=
			 0)
			yield = false; /* intake never paused: take turns */
	}
	g->held = true;
	pthread_mutex_unlock(&g->lock);
}

void
wgate_unlock(struct wgate *g)
{
	pthread_mutex_lock(&g->lock);
	g->held = false;
	pthread_cond_broadcast(&g->free);
	pthread_mutex_unlock(&g->lock);
}

/* wgate_begin - the gate and a write transaction.  The gate is never
   held while another process (mlistctl) holds SQLite's write lock, or
   intake would wait behind that wait too: the writer lets go and tries
   again, for as long as the store's busy timeout */
int
wgate_begin(struct wgate *g, struct store *s)
{
	int64_t until = clock_now_ms() + WGATE_BUSY_MS;
	int rc;

	for (;;) {
		wgate_lock_relay(g);
		if ((rc = store_begin_try(s)) == 0)
			return 0;
		wgate_unlock(g);
		if (rc < 0 || clock_now_ms() >= until)
			return -1;
		usleep(WGATE_BUSY_STEP_MS * 1000);
	}
}
