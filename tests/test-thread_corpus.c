/*
 * test-thread_corpus - threading on the real threads of the shared
 * corpus (threads/notmuch), checked against the expected results shipped
 * there, in file order and in several shuffled orders.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "intake.h"
#include "msg_hash.h"
#include "msg.h"
#include "store.h"
#include "tap.h"
#include "xalloc.h"

struct file {
	char *raw;
	size_t len;
	struct msg *msg;
};

static struct file *files;
static size_t nfiles;

static int
skip_name(const char *n)
{
	const char *dot = strrchr(n, '.');

	return n[0] == '.' ||
	       (dot && (!strcmp(dot, ".txt") || !strcmp(dot, ".json") ||
			!strcmp(dot, ".tsv")));
}

static void
load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;

		if (skip_name(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			load_dir(path);
		} else if (S_ISREG(st.st_mode)) {
			FILE *fp = fopen(path, "rb");
			struct file *f;

			if (fp == NULL)
				continue;
			files = xrealloc(files, (nfiles + 1) * sizeof(*files));
			f = &files[nfiles++];
			f->raw = xmalloc((size_t)st.st_size + 1);
			f->len = fread(f->raw, 1, (size_t)st.st_size, fp);
			fclose(fp);
			f->msg = msg_parse(f->raw, f->len);
		}
	}
	closedir(d);
}

static void
free_files(void)
{
	for (size_t i = 0; i < nfiles; i++) {
		free(files[i].raw);
		msg_free(&files[i].msg);
	}
	free(files);
	files = NULL;
	nfiles = 0;
}

static char dbpath[] = "/tmp/mlt-corpus-XXXXXX";

/* close_db - close and remove the current test database */
static void
close_db(struct store **s)
{
	store_close(s);
	tap_unlink_db(dbpath);
}

/* thread_all - a fresh store with every file inserted in order[] */
static struct store *
thread_all(const size_t *order, int64_t *club_r)
{
	struct store *s;
	struct intake_rcpt r;
	char *err;
	int fd;

	strcpy(dbpath, "/tmp/mlt-corpus-XXXXXX");
	fd = mkstemp(dbpath);
	close(fd);
	unlink(dbpath);
	if (store_open(dbpath, STORE_CREATE, &s, &err) < 0) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	memset(&r, 0, sizeof(r));
	store_club_create(s, "corpus", 0, &r.club);
	r.addr = "corpus@lists.example.org";
	r.form.role = ADDR_POST;
	store_begin(s);
	for (size_t i = 0; i < nfiles; i++) {
		struct file *f = &files[order[i]];
		struct store_msg_in in;
		char hash[65], *problems;
		bool dup;

		msg_body_sha256(f->raw, f->len, hash);
		intake_fill_in(&in, f->msg, f->raw, f->len, hash, &r,
			       (int64_t)f->msg->date * 1000, &problems);
		if (store_msg_insert(s, &in, NULL, &dup) < 0)
			printf("# insert failed: %s\n", store_error(s));
		free(problems);
	}
	store_commit(s);
	*club_r = r.club;
	return s;
}

/* collapse - white space runs to one space, trimmed, and a leading
   "Re: " removed (notmuch shows thread subjects without it), in place */
static char *
collapse(char *s)
{
	char *w = s, *r = s;

	if (!strncmp(r, "Re: ", 4))
		r += 4;
	while (*r == ' ')
		r++;
	for (; *r; r++)
		if (*r != ' ' || (r[1] != ' ' && r[1] != '\0'))
			*w++ = *r;
	*w = '\0';
	return s;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* signature - sorted "count|root subject" lines of the threads */
static char *
signature(struct store *s, int64_t club)
{
	struct store_thread *t;
	size_t n;
	char **lines;
	struct buf b = BUF_INIT;

	store_thread_list(s, club, 0, 0, &t, &n);
	lines = xcalloc(n ? n : 1, sizeof(*lines));
	for (size_t i = 0; i < n; i++) {
		char *subj = xstrdup(t[i].subject ? t[i].subject : "");

		lines[i] = xasprintf("%d|%s", t[i].messages, collapse(subj));
		free(subj);
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	store_thread_list_free(t, n);
	return buf_steal(&b);
}

/* expected_signature - the same from notmuch's search-threads output:
   "  DATE [m/n]   AUTHORS  SUBJECT (tags)" */
static char *
expected_signature(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[2048];
	char **lines = NULL;
	size_t n = 0;
	struct buf b = BUF_INIT;

	if (fp == NULL)
		return NULL;
	while (fgets(line, sizeof(line), fp)) {
		char *br = strchr(line, '['), *p, *tags;
		int m, total;

		if (br == NULL || sscanf(br, "[%d/%d]", &m, &total) != 2)
			continue;
		p = strchr(br, ']') + 1;
		while (*p == ' ')
			p++;
		{
			/* authors are padded to 20 columns; longer ones end
			   with two spaces */
			char *two = strstr(p, "  ");

			if (two && two - p <= 20)
				p = two;
			else if (strlen(p) > 21 && p[20] == ' ')
				p += 20;
			else if (two)
				p = two;
			else
				continue;
		}
		tags = strrchr(p, '(');
		if (tags)
			*tags = '\0';
		lines = xrealloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = xasprintf("%d|%s", total, collapse(p));
	}
	fclose(fp);
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return buf_steal(&b);
}

/* shuffle - a deterministic permutation for seed */
static void
shuffle(size_t *order, unsigned seed)
{
	for (size_t i = 0; i < nfiles; i++)
		order[i] = i;
	srand(seed);
	for (size_t i = nfiles; i > 1; i--) {
		size_t j = (size_t)rand() % i, t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
}

/* subject_to_id - Message-ID of the loaded message with that subject */
static const char *
subject_to_id(const char *subject)
{
	for (size_t i = 0; i < nfiles; i++) {
		char *s;
		int eq;

		if (files[i].msg->subject == NULL)
			continue;
		s = collapse(xstrdup(files[i].msg->subject));
		eq = strcmp(s, subject) == 0;
		free(s);
		if (eq)
			return files[i].msg->message_id;
	}
	return NULL;
}

/* check_tree - one "(tree view)" block of threading.tree.txt: every
   line's parent is the nearest line above one level up */
static void
check_tree(struct store *s, int64_t club, FILE *fp, const char *label,
	   const char *order_name)
{
	char line[2048];
	char *subj[64] = {0};
	int depth[64];
	int n = 0, bad = 0;
	ptrdiff_t col0 = 0;

	while (fgets(line, sizeof(line), fp) && strncmp(line, "End", 3)) {
		char *arrow = strstr(line, "\xe2\x96\xba"); /* the arrow */
		char *d, *tags;
		int first_branch = -1, col = 0, tees = 0;

		if (arrow == NULL || n == 64)
			continue;
		/* the drawing starts where the first line's does: at its
		   first box-drawing character; deeper lines indent in it */
		if (n == 0)
			for (d = line; d < arrow; d++)
				if (d[0] == '\xe2' &&
				    (d[1] == '\x94' || d[1] == '\x95')) {
					col0 = d - line;
					break;
				}
		d = line + col0;
		for (char *p = d; p < arrow; col++) {
			if (!strncmp(p, "\xe2\x94\x9c", 3) ||
			    !strncmp(p, "\xe2\x95\xb0", 3)) {
				if (first_branch < 0)
					first_branch = col;
			}
			if (!strncmp(p, "\xe2\x94\xac", 3))
				tees++;
			p += (*p & 0x80) ? 3 : 1;
		}
		depth[n] = first_branch >= 0 ? first_branch + 1
			   : tees > 1	     ? tees - 1
					     : 0;
		tags = strrchr(arrow, '(');
		if (tags)
			*tags = '\0';
		subj[n++] = collapse(xstrdup(arrow + 3));
	}
	for (int i = 0; i < n; i++) {
		const char *id = subject_to_id(subj[i]), *want = NULL;
		char *got = NULL;

		for (int j = i - 1; j >= 0; j--)
			if (depth[j] == depth[i] - 1) {
				want = subject_to_id(subj[j]);
				break;
			}
		if (id == NULL || store_msg_parent(s, club, id, &got) != 0 ||
		    !((got == NULL && want == NULL) ||
		      (got && want && strcmp(got, want) == 0))) {
			printf("# %s: '%s' parent %s, want %s\n", label,
			       subj[i], got ? got : "none",
			       want ? want : "none");
			bad++;
		}
		free(got);
	}
	for (int i = 0; i < n; i++)
		free(subj[i]);
	ok(n > 0 && bad == 0, "%s (%s): %d parents as expected", label,
	   order_name, n);
}

/* check_threading - each tree block of expected/threading.tree.txt
   against the directory it describes */
static void
check_threading(const char *corpus, const char *sub, const char *block)
{
	char path[4096], line[2048];
	size_t *order;

	snprintf(path, sizeof(path), "%s/threads/notmuch/threading/%s", corpus,
		 sub);
	load_dir(path);
	order = xcalloc(nfiles, sizeof(*order));
	for (unsigned seed = 0; seed < 4; seed++) {
		struct store *s;
		int64_t club;
		FILE *fp;
		char name[32];

		shuffle(order, seed);
		if (seed == 0)
			for (size_t i = 0; i < nfiles; i++)
				order[i] = i;
		snprintf(name, sizeof(name), seed ? "shuffle %u" : "file order",
			 seed);
		s = thread_all(order, &club);
		snprintf(path, sizeof(path),
			 "%s/threads/notmuch/expected/threading.tree.txt",
			 corpus);
		if ((fp = fopen(path, "r")) == NULL) {
			ok(0, "%s: cannot read", path);
			close_db(&s);
			break;
		}
		while (fgets(line, sizeof(line), fp))
			if (!strncmp(line, "== ", 3) && strstr(line, block))
				check_tree(s, club, fp, block, name);
		fclose(fp);
		close_db(&s);
	}
	free(order);
	free_files();
}

int
main(void)
{
	const char *corpus = tap_corpus();
	char path[4096], *want;
	size_t *order;
	struct stat st;

	if (corpus == NULL || stat(corpus, &st) < 0)
		tap_skip_all("corpus not found (set MLISTD_CORPUS)");

	/* default corpus: the thread groups of notmuch's search output */
	snprintf(path, sizeof(path), "%s/threads/notmuch/default", corpus);
	load_dir(path);
	snprintf(path, sizeof(path),
		 "%s/threads/notmuch/expected/default.search-threads.txt",
		 corpus);
	want = expected_signature(path);
	ok(want != NULL && nfiles == 53,
	   "default corpus: %zu messages, "
	   "expected threads read",
	   nfiles);
	order = xcalloc(nfiles, sizeof(*order));
	for (unsigned seed = 0; seed < 6 && want; seed++) {
		int64_t club;
		struct store *s;
		char *got;

		shuffle(order, seed);
		if (seed == 0)
			for (size_t i = 0; i < nfiles; i++)
				order[i] = i;
		s = thread_all(order, &club);
		got = signature(s, club);
		ok(strcmp(got, want) == 0,
		   "default corpus threads match notmuch (%s %u)",
		   seed ? "shuffle" : "file order", seed);
		if (strcmp(got, want) != 0)
			printf("# got:\n%s# want:\n%s", got, want);
		free(got);
		close_db(&s);
	}
	free(order);
	free(want);
	free_files();

	check_threading(corpus, "ghost-root", "reply to ghost (tree view)");
	check_threading(corpus, "ghost-root", "reply to ghost (RT/tree view)");
	check_threading(corpus, "parent-priority",
			"trusting reply-to (tree view)");
	tap_done();
}
