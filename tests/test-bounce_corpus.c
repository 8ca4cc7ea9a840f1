/*
 * test-bounce_corpus - bounce_parse() over the real bounces of the shared
 * corpus (SPEC 1, SOURCES.md sections 3 and 4), against their expected
 * results, with the thresholds of the bounce issue: at least 95% read as
 * bounces, 90% with the right failed addresses, 85% with the right kind,
 * and every non-bounce (auto-replies, ARF reports, the not-bounce sample)
 * read as none.  Misses are printed as diagnostics by category.
 *
 * Expectations and how they map to our kinds:
 *   flufl expected.tsv: "permanent" -> hard or soft (flufl does not tell
 *     them apart, only failed from warned), "temporary" -> delayed; the
 *     address set must match exactly (compared lower-case).  dumbass_01
 *     (no address detectable) and bounce_01 (no expectation) are only run.
 *   sisimai expected.tsv, one row per recipient (dos/ and mac/ copies
 *     share the rows of their LF original):
 *     hardbounce=true -> hard;
 *     feedback (ARF), vacation, delivered -> none;
 *     suspend -> hard or soft (sisimai calls a disabled mailbox not hard,
 *       SPEC 8 calls it hard);
 *     onhold, undefined -> hard or soft (sisimai could not decide);
 *     filtered -> hard or soft (sisimai files "550 Unknown user" refused
 *       after DATA under filtered, with content filters; SPEC 8 calls an
 *       unknown user hard);
 *     expired with a 4.x.x status -> soft or delayed (sisimai reads an
 *       "Action: delayed" warning and a give-up after retries the same);
 *     every other reason (mailboxfull, filtered, blocked, spamdetected,
 *       expired, rejected, policyviolation, ...) -> soft.
 *     A file's kind is the strongest of its rows (hard > soft > delayed).
 *     Sisimai gives no addresses: the recipient count must equal the
 *     number of rows and each address must occur in the message.
 *     Files without a row (named at the end of the TSV, newer/): arf-*
 *     must be none, the others must be bounces; only the address check
 *     (present in the message) and recognition apply.
 *   autoreplies (sisimai rfc3834, discourse) and not-bounce/ -> none.
 *   threads/ (mailing-list posts, maildir files and mbox archives): every
 *   message is a member's ordinary post and must read as none.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bounce.h"
#include "buf.h"
#include "msg.h"
#include "msg_mbox.h"
#include "tap.h"
#include "xalloc.h"

/* acceptable kinds, as a bit set */
#define K(k) (1u << (k))

struct expect {
	char *file;	/* base name */
	unsigned kinds; /* acceptable kinds; 0 = no expectation */
	int nrcpts;	/* sisimai rows; -1 = unknown */
	char *addrs;	/* flufl: ",a,b," lower-case; NULL = none given */
	bool from_flufl;
};

static struct expect *exps;
static size_t nexps;

/* counters: bounces expected, recognised; address checks, right;
   kind checks, right; non-bounces expected, right */
static int n_bounce, n_recog, n_addr, n_addr_ok, n_kind, n_kind_ok;
static int n_none, n_none_ok, n_files, n_parsed, n_parsed_same;

static struct expect *
exp_find(const char *file, bool flufl)
{
	for (size_t i = 0; i < nexps; i++)
		if (exps[i].from_flufl == flufl &&
		    strcmp(exps[i].file, file) == 0)
			return &exps[i];
	return NULL;
}

static struct expect *
exp_get(const char *file, bool flufl)
{
	struct expect *e = exp_find(file, flufl);

	if (e)
		return e;
	exps = xrealloc(exps, (nexps + 1) * sizeof(*exps));
	e = &exps[nexps++];
	memset(e, 0, sizeof(*e));
	e->file = xstrdup(file);
	e->from_flufl = flufl;
	e->nrcpts = flufl ? -1 : 0;
	return e;
}

/* split_tab - the n tab-separated fields of line (in place) */
static int
split_tab(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (line == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

/* sisimai_kinds - a row's acceptable kinds (see the header comment) */
static unsigned
sisimai_kinds(const char *status, const char *reason, const char *hard)
{
	if (strcmp(hard, "true") == 0)
		return K(BOUNCE_HARD);
	if (!strcmp(reason, "feedback") || !strcmp(reason, "vacation") ||
	    !strcmp(reason, "delivered"))
		return K(BOUNCE_NONE);
	if (!strcmp(reason, "suspend") || !strcmp(reason, "onhold") ||
	    !strcmp(reason, "undefined") || !strcmp(reason, "filtered"))
		return K(BOUNCE_HARD) | K(BOUNCE_SOFT);
	if (!strcmp(reason, "expired") && status[0] == '4')
		return K(BOUNCE_SOFT) | K(BOUNCE_DELAYED);
	return K(BOUNCE_SOFT);
}

/* file_kinds - combine a row into a file's kinds: strongest wins */
static unsigned
file_kinds(unsigned have, unsigned row)
{
	if (have == 0)
		return row;
	if (have == K(BOUNCE_HARD) || row == K(BOUNCE_HARD))
		return K(BOUNCE_HARD);
	if (have & K(BOUNCE_HARD) || row & K(BOUNCE_HARD))
		return K(BOUNCE_HARD) | K(BOUNCE_SOFT);
	if (have == K(BOUNCE_SOFT) || row == K(BOUNCE_SOFT))
		return K(BOUNCE_SOFT);
	return have | row;
}

static void
load_sisimai(const char *path)
{
	size_t len;
	char *t = tap_slurp(path, &len), *line, *save = NULL;

	if (t == NULL)
		return;
	for (line = strtok_r(t, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[8];
		struct expect *e;

		if (line[0] == '#' || split_tab(line, f, 8) < 6 ||
		    strcmp(f[0], "file") == 0)
			continue;
		e = exp_get(f[0], false);
		e->kinds =
		    file_kinds(e->kinds, sisimai_kinds(f[2], f[4], f[5]));
		e->nrcpts++;
	}
	free(t);
}

static void
load_flufl(const char *path)
{
	size_t len;
	char *t = tap_slurp(path, &len), *line, *save = NULL;

	if (t == NULL)
		return;
	for (line = strtok_r(t, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[5] = {0};
		struct expect *e;
		int n;

		if (line[0] == '#' || (n = split_tab(line, f, 5)) < 3 ||
		    strcmp(f[0], "file") == 0 || f[2][0] == '\0')
			continue;
		/* a file asserted by two detectors: the one that finds
		   addresses says what the message holds */
		e = exp_get(f[0], true);
		e->kinds = strcmp(f[2], "temporary") == 0
			       ? K(BOUNCE_DELAYED)
			       : K(BOUNCE_HARD) | K(BOUNCE_SOFT);
		if (n >= 4 && f[3][0] && e->addrs == NULL) {
			char *a = xasprintf(",%s,", f[3]);

			for (char *p = a; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			e->addrs = a;
		}
	}
	free(t);
}

/* addr_set_eq - the recipients are exactly the ",a,b," set */
static bool
addr_set_eq(const struct bounce *b, const char *set)
{
	size_t n = 0;

	for (const char *p = set + 1; *p; p++)
		if (*p == ',')
			n++;
	if (n != b->nrcpts)
		return false;
	for (size_t i = 0; i < b->nrcpts; i++) {
		char *needle = xasprintf(",%s,", b->rcpts[i].address);
		bool in = strstr(set, needle) != NULL;

		free(needle);
		if (!in)
			return false;
	}
	return true;
}

static void
show(const char *cat, const char *path, const struct bounce *b)
{
	struct buf j = BUF_INIT;

	bounce_to_json(b, &j);
	printf("# MISS %s %s %.400s\n", cat, path, buf_cstr(&j));
	buf_free(&j);
}

/* same_parsed - intake's way (one msg_parse_parts shared with the
   store) must read the report as bounce_parse does */
static void
same_parsed(const char *raw, size_t len, const struct bounce *b)
{
	struct msg_part *parts = NULL;
	struct bounce *b2;
	struct buf j1 = BUF_INIT, j2 = BUF_INIT;
	struct msg *m;
	size_t n = 0;

	if (len > 5 && memcmp(raw, "From ", 5) == 0)
		return;
	m = msg_parse_parts(raw, len, &parts, &n);
	bounce_parse_parsed(raw, len, m, parts, n, &b2);
	bounce_to_json(b, &j1);
	bounce_to_json(b2, &j2);
	n_parsed++;
	if (strcmp(buf_cstr(&j1), buf_cstr(&j2)) == 0)
		n_parsed_same++;
	buf_free(&j1);
	buf_free(&j2);
	bounce_free(&b2);
	msg_parts_free(&parts, n);
	msg_free(&m);
}

/* check_file - one message against its expectation (e may be NULL) */
static void
check_file(const char *path, const char *base, const struct expect *e,
	   bool must_none, bool flufl)
{
	size_t len;
	char *raw = tap_slurp(path, &len);
	struct bounce *b;
	bool want_bounce;

	if (raw == NULL)
		return;
	n_files++;
	bounce_parse(raw, len, &b);
	same_parsed(raw, len, b);
	want_bounce = !must_none && (e == NULL || e->kinds == 0 ||
				     (e->kinds & ~K(BOUNCE_NONE)) != 0);
	if (!want_bounce) {
		n_none++;
		if (!b->is_bounce)
			n_none_ok++;
		else
			show("not-none", path, b);
	} else {
		n_bounce++;
		if (b->is_bounce)
			n_recog++;
		else
			show("not-recognised", path, b);
	}
	if (e && e->kinds) {
		n_kind++;
		if (e->kinds & K(b->kind))
			n_kind_ok++;
		else if (b->is_bounce) {
			printf("# want%s%s%s%s\n",
			       e->kinds & K(BOUNCE_HARD) ? " hard" : "",
			       e->kinds & K(BOUNCE_SOFT) ? " soft" : "",
			       e->kinds & K(BOUNCE_DELAYED) ? " delayed" : "",
			       e->kinds & K(BOUNCE_NONE) ? " none" : "");
			show("kind", path, b);
		}
	}
	if (want_bounce && flufl && e && e->addrs) {
		n_addr++;
		if (addr_set_eq(b, e->addrs))
			n_addr_ok++;
		else
			show("addresses", path, b);
	} else if (want_bounce && !flufl &&
		   strcmp(base, "dumbass_01.txt") != 0) {
		bool good = b->nrcpts > 0;

		/* sisimai counts recipients; others only need a real one */
		if (e && e->nrcpts > 0 && (int)b->nrcpts != e->nrcpts)
			good = false;
		for (size_t i = 0; good && i < b->nrcpts; i++)
			if (memmem(raw, len, b->rcpts[i].address,
				   strlen(b->rcpts[i].address)) == NULL &&
			    !strcasestr(raw, b->rcpts[i].address))
				good = false;
		n_addr++;
		if (good)
			n_addr_ok++;
		else
			show("addresses", path, b);
	}
	bounce_free(&b);
	free(raw);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* walk - every message file of dir (not recursing) */
static void
walk(const char *dir, int mode)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t nn = 0;

	if (d == NULL) {
		printf("# cannot open %s\n", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, "expected.tsv") == 0 ||
		    (l > 3 && strcmp(de->d_name + l - 3, ".md") == 0))
			continue;
		names = xrealloc(names, (nn + 1) * sizeof(*names));
		names[nn++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof(*names), name_cmp);
	for (size_t i = 0; i < nn; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct stat st;

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			const char *n = names[i];

			if (mode == 0) { /* flufl */
				const struct expect *e = exp_find(n, true);

				check_file(path, n, e, false, true);
			} else if (mode == 1) { /* sisimai and copies */
				const struct expect *e = exp_find(n, false);

				check_file(path, n, e,
					   e == NULL &&
					       (strncmp(n, "arf-", 4) == 0 ||
						strncmp(n, "rfc3834-", 8) == 0),
					   false);
			} else { /* must be none */
				check_file(path, n, NULL, true, false);
			}
		}
		free(path);
		free(names[i]);
	}
	free(names);
}

/* posts: the ordinary mail of threads/ that must never read as a
   bounce (SPEC 8: intake never takes a member's post for one) */
static int n_posts, n_posts_ok;

static void
post_check(const char *what, const char *raw, size_t len)
{
	struct bounce *b;

	bounce_parse(raw, len, &b);
	n_posts++;
	if (!b->is_bounce)
		n_posts_ok++;
	else
		show("post-read-as-bounce", what, b);
	bounce_free(&b);
}

static int
post_mbox_one(void *ctx, const char *raw, size_t len, time_t date)
{
	(void)date;
	post_check(ctx, raw, len);
	return 0;
}

static void
post_file(void *ctx, const char *path)
{
	size_t len = strlen(path);
	char *raw, *err = NULL;

	(void)ctx;
	if (len > 5 && strcmp(path + len - 5, ".mbox") == 0) {
		if (msg_mbox_foreach(path, post_mbox_one, (void *)path, &err))
			printf("# %s: %s\n", path, err ? err : "unreadable");
		free(err);
		return;
	}
	if ((raw = tap_slurp(path, &len)) == NULL)
		return;
	post_check(path, raw, len);
	free(raw);
}

/* rate - percentage, or 0 of nothing */
static double
rate(int ok, int all)
{
	return all ? 100.0 * ok / all : 0.0;
}

int
main(void)
{
	const char *corpus = tap_corpus();
	struct stat st;
	char *p;

	if (corpus == NULL || stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode))
		tap_skip_all("no corpus (set MLISTD_CORPUS)");
	p = xasprintf("%s/bounces/flufl/expected.tsv", corpus);
	load_flufl(p);
	free(p);
	p = xasprintf("%s/bounces/sisimai/expected.tsv", corpus);
	load_sisimai(p);
	free(p);
	ok(nexps > 300, "expectations loaded (%zu files)", nexps);

	static const struct {
		const char *dir;
		int mode;
	} dirs[] = {
	    {"bounces/flufl", 0},	  {"bounces/sisimai", 1},
	    {"bounces/sisimai/dos", 1},	  {"bounces/sisimai/mac", 1},
	    {"bounces/sisimai/newer", 1}, {"bounces/sisimai/not-bounce", 2},
	    {"autoreplies/sisimai", 2},	  {"autoreplies/discourse", 2},
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		p = xasprintf("%s/%s", corpus, dirs[i].dir);
		walk(p, dirs[i].mode);
		free(p);
	}
	p = xasprintf("%s/threads", corpus);
	tap_walk(p, post_file, NULL);
	free(p);
	printf("# %d files\n", n_files);
	printf("# recognised as bounces: %d/%d = %.1f%%\n", n_recog, n_bounce,
	       rate(n_recog, n_bounce));
	printf("# right failed addresses: %d/%d = %.1f%%\n", n_addr_ok, n_addr,
	       rate(n_addr_ok, n_addr));
	printf("# right kind: %d/%d = %.1f%%\n", n_kind_ok, n_kind,
	       rate(n_kind_ok, n_kind));
	printf("# non-bounces read as none: %d/%d\n", n_none_ok, n_none);
	printf("# ordinary posts (threads/) read as none: %d/%d\n", n_posts_ok,
	       n_posts);
	ok(n_files > 400, "corpus has the bounce files (%d)", n_files);
	ok(rate(n_recog, n_bounce) >= 95.0,
	   "at least 95%% recognised as bounces (%.1f%%)",
	   rate(n_recog, n_bounce));
	ok(rate(n_addr_ok, n_addr) >= 90.0,
	   "at least 90%% with the right failed addresses (%.1f%%)",
	   rate(n_addr_ok, n_addr));
	ok(rate(n_kind_ok, n_kind) >= 85.0,
	   "at least 85%% with the right kind (%.1f%%)",
	   rate(n_kind_ok, n_kind));
	is_int(n_none_ok, n_none, "every non-bounce is none");
	ok(n_posts > 250 && n_posts_ok == n_posts,
	   "every ordinary post of threads/ is none (%d of %d)", n_posts_ok,
	   n_posts);
	ok(n_parsed > 400 && n_parsed_same == n_parsed,
	   "a report parsed once for intake reads as bounce_parse reads it "
	   "(%d of %d)",
	   n_parsed_same, n_parsed);
	for (size_t i = 0; i < nexps; i++) {
		free(exps[i].file);
		free(exps[i].addrs);
	}
	free(exps);
	tap_done();
}
