/*
 * tap - a tiny TAP producer for the unit tests.
 */
#ifndef MLISTD_TAP_H
#define MLISTD_TAP_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int tap_n, tap_failed;

/* line-buffered, so TAP lines survive a sanitizer's exit */
__attribute__((constructor)) static void
tap_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

#define ok(cond, ...)                                                          \
	do {                                                                   \
		int ok_c_ = !!(cond);                                          \
		printf("%sok %d - ", ok_c_ ? "" : "not ", ++tap_n);            \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		if (!ok_c_) {                                                  \
			tap_failed++;                                          \
			printf("#   at %s:%d\n", __FILE__, __LINE__);          \
		}                                                              \
	} while (0)

#define is_int(got, want, ...)                                                 \
	do {                                                                   \
		long long g_ = (got), w_ = (want);                             \
		ok(g_ == w_, __VA_ARGS__);                                     \
		if (g_ != w_)                                                  \
			printf("#   got %lld, want %lld\n", g_, w_);           \
	} while (0)

#define is_str(got, want, ...)                                                 \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		int e_ = (g_ == NULL && w_ == NULL) ||                         \
			 (g_ && w_ && strcmp(g_, w_) == 0);                    \
		ok(e_, __VA_ARGS__);                                           \
		if (!e_)                                                       \
			printf("#   got '%s', want '%s'\n",                    \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");        \
	} while (0)

#define tap_done()                                                             \
	do {                                                                   \
		printf("1..%d\n", tap_n);                                      \
		return tap_failed ? 1 : 0;                                     \
	} while (0)

/* tap_skip_all - nothing to test here; under CI=true a failure instead:
   CI installs every dependency and the corpus, so a skip there hides a
   broken setup (SPEC.md section 1) */
#define tap_skip_all(reason)                                                   \
	do {                                                                   \
		const char *tci_ = getenv("CI");                               \
                                                                               \
		if (tci_ && strcmp(tci_, "true") == 0) {                       \
			printf("Bail out! %s (required under CI=true)\n",      \
			       reason);                                        \
			return 1;                                              \
		}                                                              \
		printf("1..0 # SKIP %s\n", reason);                            \
		return 0;                                                      \
	} while (0)

/* tap_unlink_db - remove an SQLite file and its WAL companions */
static inline void
tap_unlink_db(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* tap_slurp - a whole file, NUL-terminated, in memory the caller frees;
   NULL when it cannot be read */
static inline char *
tap_slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536 + 1;
			if ((p = realloc(p, cap)) == NULL)
				abort();
		}
		n = fread(p + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	p[len] = '\0';
	*len_r = len;
	return p;
}

/* tap_corpus - the shared corpus directory, or NULL (SPEC.md section 1) */
static inline const char *
tap_corpus(void)
{
	const char *c = getenv("MLISTD_CORPUS");

	return c && *c ? c : NULL;
}

/* tap_require_corpus - set corpus (a const char *) to the corpus
   directory; without one, skip every test (fail under CI=true; a macro:
   it returns from main) */
#define tap_require_corpus(corpus)                                             \
	do {                                                                   \
		struct stat st_;                                               \
                                                                               \
		(corpus) = tap_corpus();                                       \
		if ((corpus) != NULL && stat((corpus), &st_) == 0 &&           \
		    S_ISDIR(st_.st_mode))                                      \
			break;                                                 \
		tap_skip_all("no corpus (set MLISTD_CORPUS)");                 \
	} while (0)

/* tap_skipped_name - expectation and documentation files of the corpus */
static inline bool
tap_skipped_name(const char *name)
{
	static const char *const ext[] = {".json", ".yaml", ".txt",
					  ".tsv",  ".md",   NULL};
	size_t n = strlen(name);

	for (int i = 0; ext[i]; i++) {
		size_t e = strlen(ext[i]);

		if (n >= e && strcmp(name + n - e, ext[i]) == 0)
			return true;
	}
	return false;
}

/* tap_walk - call file(ctx, path) for every regular file under dir whose
   name tap_skipped_name() lets through, in directory order, recursively */
static inline void
tap_walk(const char *dir, void (*file)(void *ctx, const char *path), void *ctx)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t nn = 0;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(dir) + strlen(e->d_name) + 2;

		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		names = realloc(names, (nn + 1) * sizeof(*names));
		if (names == NULL || (names[nn] = malloc(n)) == NULL)
			abort();
		snprintf(names[nn], n, "%s/%s", dir, e->d_name);
		nn++;
	}
	closedir(d);
	for (size_t i = 0; i < nn; i++) {
		struct stat st;
		const char *base = strrchr(names[i], '/') + 1;

		if (lstat(names[i], &st) != 0)
			;
		else if (S_ISDIR(st.st_mode))
			tap_walk(names[i], file, ctx);
		else if (S_ISREG(st.st_mode) && !tap_skipped_name(base))
			file(ctx, names[i]);
		free(names[i]);
	}
	free(names);
}

#endif
