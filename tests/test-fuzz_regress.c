/*
 * test-fuzz_regress - every committed input of the fuzz targets
 * (tests/fuzz/seeds/NAME and tests/fuzz/regress/NAME: the minimized
 * inputs of crashes found and fixed) through the same entry points
 * libFuzzer calls, built by the normal compiler (and under
 * --enable-sanitizers, with ASan and UBSan).  A target that breaks one
 * of its invariants aborts: the test then dies with the input named on
 * its last diagnostic line.
 */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "buf.h"
#include "fuzz/fuzz.h"
#include "tap.h"
#include "xalloc.h"

#ifndef FUZZ_DIR
#error FUZZ_DIR must name tests/fuzz in the source tree
#endif

struct target {
	const char *name;
	void (*fn)(const uint8_t *, size_t);
};

static const struct target targets[] = {
    {"lmtp", fuzz_lmtp},       {"msg", fuzz_msg},   {"addr", fuzz_addr},
    {"command", fuzz_command}, {"tmpl", fuzz_tmpl}, {"dsn", fuzz_dsn},
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* replay - every file of FUZZ_DIR/kind/name, each named on a "#" line
   when say; returns how many */
static size_t
replay(const struct target *t, const char *kind, bool say)
{
	char *d = xasprintf("%s/%s/%s", FUZZ_DIR, kind, t->name);
	DIR *dh = opendir(d);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (dh == NULL) {
		printf("# %s: not found\n", d);
		free(d);
		return 0;
	}
	while ((e = readdir(dh)) != NULL)
		if (e->d_name[0] != '.') {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xasprintf("%s/%s", d, e->d_name);
		}
	closedir(dh);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		struct buf b = BUF_INIT;
		FILE *f = fopen(names[i], "rb");
		char chunk[4096];
		size_t k;

		if (f == NULL) {
			ok(0, "%s: cannot read", names[i]);
			continue;
		}
		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&b, chunk, k);
		fclose(f);
		if (say)
			printf("# fuzz_%s: %s (%zu bytes)\n", t->name, names[i],
			       b.len);
		/* a copy of its own size, so a read past the end is seen */
		{
			uint8_t *copy = xmalloc(b.len ? b.len : 1);

			if (b.len)
				memcpy(copy, b.data, b.len);
			t->fn(copy, b.len);
			free(copy);
		}
		buf_free(&b);
		free(names[i]);
	}
	free(names);
	free(d);
	return n;
}

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* replay_alarmed - fuzz_lmtp's seeds again under a 1 ms interval timer,
   as libFuzzer's -timeout alarm runs: a wait for the committer that a
   signal interrupts (poll is never restarted) goes on waiting */
static void
replay_alarmed(void)
{
	struct sigaction sa;
	struct itimerval tv = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
	size_t n = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &tv, NULL);
	/* until many signals have landed (bounded: a machine too fast for
	   the timer still ends) */
	for (int round = 0; round < 1000 && alarms < 200; round++)
		n += replay(&targets[0], "seeds", false);
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	ok(n > 0 && alarms >= 200,
	   "fuzz_lmtp: %zu seeds replayed through %d timer signals", n,
	   (int)alarms);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		size_t seeds = replay(&targets[i], "seeds", true);
		size_t regress = replay(&targets[i], "regress", true);

		ok(seeds > 0,
		   "fuzz_%s: %zu seeds and %zu regression inputs "
		   "replayed",
		   targets[i].name, seeds, regress);
	}
	replay_alarmed();
	fuzz_lmtp_cleanup();
	fuzz_tmpl_cleanup();
	tap_done();
}
