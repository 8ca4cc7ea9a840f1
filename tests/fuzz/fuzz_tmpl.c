/*
 * fuzz_tmpl - the template renderer (msg/tmpl.c) with a fuzzed template
 * and fuzzed values.  The input is the template, a NUL, then value
 * lines: "name=value" sets a variable, "[list]" starts a new item of
 * the list "list" (the following lines fill it), "[]" goes back to the
 * top set.  The same values also fill one shipped template, so hostile
 * values meet the real notices too.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "tmpl.h"
#include "xalloc.h"

#ifndef TEMPLATES_DIR
#error TEMPLATES_DIR must name the templates directory of the source tree
#endif

static char *dir;     /* holds en/fuzz.html */
static char *en_path; /* dir/en */

static const char *const shipped[] = {
    "approve-request", "bounce-probe", "confirm", "digest",
    "mod-notice",      "reply",	       "report",  "welcome",
};

void
fuzz_tmpl_cleanup(void)
{
	char *f;

	if (dir == NULL)
		return;
	f = xasprintf("%s/fuzz.html", en_path);
	unlink(f);
	free(f);
	rmdir(en_path);
	rmdir(dir);
	free(en_path);
	free(dir);
	dir = en_path = NULL;
}

static void
fuzz_tmpl_init(void)
{
	const char *tmp = getenv("TMPDIR");
	char *t;

	t = xasprintf("%s/mlistd-fuzz-tmpl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(t) == NULL) {
		perror(t);
		abort();
	}
	dir = t;
	en_path = xasprintf("%s/en", dir);
	if (mkdir(en_path, 0700) < 0) {
		perror(en_path);
		abort();
	}
	atexit(fuzz_tmpl_cleanup);
}

/* fuzz_tmpl_vars - the value lines of s into a new set */
static struct tmpl_vars *
fuzz_tmpl_vars(char *s)
{
	struct tmpl_vars *top = tmpl_vars_new(), *cur = top;
	char *save = NULL;

	for (char *line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq;
		size_t n = strlen(line);

		if (line[0] == '[' && line[n - 1] == ']') {
			line[n - 1] = '\0';
			cur = line[1] ? tmpl_vars_list_add(top, line + 1) : top;
		} else if ((eq = strchr(line, '=')) != NULL) {
			*eq = '\0';
			tmpl_vars_set(cur, line, eq + 1);
		}
	}
	return top;
}

static void
fuzz_tmpl_check(int r, char *html, char *text, char *subject, char *err)
{
	if (r == 0) {
		fuzz_check(html && text && subject, "tmpl_render left a NULL");
		fuzz_check(strpbrk(subject, "\r\n") == NULL,
			   "a rendered subject holds a line break");
	} else
		fuzz_check(err != NULL, "tmpl_render failed without a reason");
	free(html);
	free(text);
	free(subject);
	free(err);
}

void
fuzz_tmpl(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *values = nul ? fuzz_cstr(nul + 1, size - tlen - 1) : xstrdup("");
	struct tmpl_dirs mine, ours = {NULL, TEMPLATES_DIR};
	struct tmpl_vars *v;
	char *path, *html = NULL, *text = NULL, *subject = NULL, *err = NULL;
	FILE *f;
	int r;

	if (dir == NULL)
		fuzz_tmpl_init();
	mine.local = NULL;
	mine.shipped = dir;
	path = xasprintf("%s/fuzz.html", en_path);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(data, 1, tlen, f) != tlen || fclose(f) != 0) {
		perror(path);
		abort();
	}
	free(path);
	v = fuzz_tmpl_vars(values);
	r = tmpl_render(&mine, "en", "fuzz", v, &html, &text, &subject, &err);
	fuzz_tmpl_check(r, html, text, subject, err);
	html = text = subject = err = NULL;
	r = tmpl_render(&ours, size % 2 ? "fr" : "en",
			shipped[size % (sizeof(shipped) / sizeof(shipped[0]))],
			v, &html, &text, &subject, &err);
	fuzz_tmpl_check(r, html, text, subject, err);
	tmpl_vars_free(&v);
	free(values);
}
