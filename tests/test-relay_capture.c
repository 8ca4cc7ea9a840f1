/*
 * test-relay_capture - the capture relay's files byte for byte (CRLF,
 * no dot-stuffing, JSON escaping), its counter, and its safety: 4 threads
 * and 3 processes writing at once never lose or overwrite a pair.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "relay_capture.h"
#include "tap.h"

#define NTHREADS 4
#define PER_THREAD 50
#define NPROCS 3
#define PER_PROC 30

static char base[] = "/tmp/test-relay_capture.XXXXXX";

static const struct wcase {
	const char *why;
	const char *msg;
	size_t len;
	const char *want;
	size_t want_len;
} wcases[] = {
#define W(why, m, w)                                                           \
	{                                                                      \
		why, m, sizeof(m) - 1, w, sizeof(w) - 1                        \
	}
    W("bare LF becomes CRLF", "A: 1\n\nbody\n", "A: 1\r\n\r\nbody\r\n"),
    W("CRLF kept", "A: 1\r\n\r\nbody\r\n", "A: 1\r\n\r\nbody\r\n"),
    W("mixed", "A: 1\r\nB: 2\n\r\nx\ny\r\n", "A: 1\r\nB: 2\r\n\r\nx\r\ny\r\n"),
    W("no dot-stuffing", "A: 1\n\n.\n..x\n.\r\n",
      "A: 1\r\n\r\n.\r\n..x\r\n.\r\n"),
    W("bare CR kept", "A: 1\n\na\rb\r\r\n", "A: 1\r\n\r\na\rb\r\r\n"),
    W("final CRLF added", "A: 1\n\nlast", "A: 1\r\n\r\nlast\r\n"),
    W("final CR completed", "A: 1\n\nlast\r", "A: 1\r\n\r\nlast\r\r\n"),
    W("NUL kept", "A: 1\n\na\0b\n", "A: 1\r\n\r\na\0b\r\n"),
    W("LF first", "\nx", "\r\nx\r\n"),
    W("empty message", "", ""),
#undef W
};

/* rm_one - nftw callback: remove whatever it is */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

/* path_in - dir/name in a static buffer per slot */
static const char *
path_in(int slot, const char *dir, const char *name)
{
	static char p[4][1024];

	snprintf(p[slot], sizeof(p[slot]), "%s/%s", dir, name);
	return p[slot];
}

/* touch - an empty file */
static void
touch(const char *dir, const char *name)
{
	int fd = open(path_in(0, dir, name), O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		abort();
	close(fd);
}

/* file_is - path holds exactly want_len bytes of want */
static bool
file_is(const char *path, const char *want, size_t want_len)
{
	size_t len;
	char *got = tap_slurp(path, &len);
	bool eq = got && len == want_len && memcmp(got, want, len) == 0;

	if (got && !eq)
		printf("#   %s: got %zu bytes '%s'\n", path, len, got);
	free(got);
	return eq;
}

/* count_entries - names in dir, and how many are dot-files */
static int
count_entries(const char *dir, int *dots_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	*dots_r = 0;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (de->d_name[0] == '.')
			(*dots_r)++;
	}
	closedir(d);
	return n;
}

/* send1 - one message from mail_from to rcpt; 0 or -1 (error printed) */
static int
send1(const char *dir, const char *from, const char *rcpt, const char *msg)
{
	const char *rcpts[1] = {rcpt};
	char *err = NULL;
	int r = relay_capture_send(dir, from, rcpts, 1, msg, strlen(msg), &err);

	if (r < 0) {
		printf("# %s\n", err);
		free(err);
	}
	return r;
}

/* test_wire - each message shape, one pair each, in order */
static void
test_wire(void)
{
	char dir[512], name[32];
	const char *rcpts[1] = {"b@example.org"};
	const char *json = "{\"mail_from\":\"a@example.org\","
			   "\"rcpt_to\":[\"b@example.org\"]}";
	struct stat st;
	size_t i;
	int dots;

	snprintf(dir, sizeof(dir), "%s/wire", base);
	for (i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
		const struct wcase *c = &wcases[i];
		char *err = NULL;
		int r = relay_capture_send(dir, "a@example.org", rcpts, 1,
					   c->msg, c->len, &err);

		is_int(r, 0, "wire: %s: sent%s%s", c->why, err ? ": " : "",
		       err ? err : "");
		free(err);
		snprintf(name, sizeof(name), "%08zu.eml", i + 1);
		ok(file_is(path_in(0, dir, name), c->want, c->want_len),
		   "wire: %s: %s byte for byte", c->why, name);
		snprintf(name, sizeof(name), "%08zu.json", i + 1);
		ok(file_is(path_in(0, dir, name), json, strlen(json)),
		   "wire: %s: %s", c->why, name);
	}
	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "missing dir created");
	is_int(count_entries(dir, &dots), 2 * (int)i, "only the pairs");
	is_int(dots, 0, "no temporary left");
}

/* test_json - envelopes that need escaping */
static void
test_json(void)
{
	char dir[512];
	const char *odd[] = {
	    "\"odd \\\"quoted\\\" local\"@example.org",
	    "back\\slash@example.org",
	    "ctl\x01"
	    "char@example.org",
	    "\xc3\xa9lodie@exemple.fr",
	    "bad\xff"
	    "utf8@example.org",
	    "tab\there@example.org",
	};
	const char *want = "{\"mail_from\":\"\","
			   "\"rcpt_to\":[\"\\\"odd \\\\\\\"quoted\\\\\\\" "
			   "local\\\"@example.org\","
			   "\"back\\\\slash@example.org\","
			   "\"ctl\\u0001char@example.org\","
			   "\"\xc3\xa9lodie@exemple.fr\","
			   "\"bad\\ufffdutf8@example.org\","
			   "\"tab\\there@example.org\"]}";
	char *err = NULL;

	snprintf(dir, sizeof(dir), "%s/json", base);
	is_int(relay_capture_send(dir, "", odd, 6, "x\n", 2, &err), 0,
	       "json: sent");
	free(err);
	ok(file_is(path_in(0, dir, "00000001.json"), want, strlen(want)),
	   "json: odd addresses escaped, null sender as \"\"");
	err = NULL;
	is_int(relay_capture_send(dir, NULL, odd, 0, "x\n", 2, &err), 0,
	       "json: no recipients, NULL sender");
	free(err);
	want = "{\"mail_from\":\"\",\"rcpt_to\":[]}";
	ok(file_is(path_in(0, dir, "00000002.json"), want, strlen(want)),
	   "json: empty list");
}

/* test_counter - continues after what is there, ignoring other names */
static void
test_counter(void)
{
	char dir[512];
	static const char *const junk[] = {
	    ".tmp-1-2.eml", "00000099.eml.tmp", "00000050.txt",
	    "123.eml",	    "000000100.eml",	"0000000a.eml",
	    "00000060.EML", ".00000070.json",
	};
	const char *m = "Subject: n\n\nx\n";
	size_t i;

	snprintf(dir, sizeof(dir), "%s/counter", base);
	mkdir(dir, 0755);
	touch(dir, "00000007.eml");
	touch(dir, "00000007.json");
	touch(dir, "00000003.eml");
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		touch(dir, junk[i]);
	is_int(send1(dir, "a@x.org", "b@x.org", m), 0, "counter: sent");
	ok(file_is(path_in(0, dir, "00000008.eml"), "Subject: n\r\n\r\nx\r\n",
		   17),
	   "counter: 00000008.eml after 00000007, leftovers ignored");
	ok(access(path_in(0, dir, "00000008.json"), F_OK) == 0,
	   "counter: 00000008.json");
	is_int(send1(dir, "a@x.org", "b@x.org", m), 0, "counter: sent again");
	ok(access(path_in(0, dir, "00000009.json"), F_OK) == 0,
	   "counter: then 00000009");
	ok(file_is(path_in(0, dir, "00000007.eml"), "", 0),
	   "counter: existing pair untouched");

	/* a lone .json counts too: its .eml may be on its way */
	snprintf(dir, sizeof(dir), "%s/counter2", base);
	mkdir(dir, 0755);
	touch(dir, "00000020.json");
	is_int(send1(dir, "a@x.org", "b@x.org", m), 0, "counter: sent");
	ok(access(path_in(0, dir, "00000021.json"), F_OK) == 0,
	   "counter: a lone 00000020.json is followed by 00000021");
}

struct worker {
	const char *dir;
	int id, failures;
};

/* worker_run - PER_THREAD messages whose body and recipient carry the
   same tag, so a pair can be checked to belong together */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char msg[128], rcpt[64];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(msg, sizeof(msg), "Subject: t%d-%d\n\nbody\n", w->id,
			 i);
		snprintf(rcpt, sizeof(rcpt), "t%d-%d@example.org", w->id, i);
		if (send1(w->dir, "a@example.org", rcpt, msg) < 0)
			w->failures++;
	}
	return NULL;
}

/* check_pairs - 1..n all complete, each .json matching its .eml, each
   tag seen once; returns the number of good pairs */
static int
check_pairs(const char *dir, int n, int ntags, int per)
{
	char name[32], tag[64], *seen = calloc((size_t)ntags * per, 1);
	int good = 0, i, a, b;

	for (i = 1; i <= n; i++) {
		size_t len;
		char *eml, *json;

		snprintf(name, sizeof(name), "%08d.eml", i);
		eml = tap_slurp(path_in(0, dir, name), &len);
		snprintf(name, sizeof(name), "%08d.json", i);
		json = tap_slurp(path_in(1, dir, name), &len);
		if (eml && json &&
		    sscanf(eml, "Subject: t%d-%d\r\n", &a, &b) == 2 && a >= 0 &&
		    a < ntags && b >= 0 && b < per && !seen[a * per + b]) {
			snprintf(tag, sizeof(tag), "\"t%d-%d@example.org\"", a,
				 b);
			if (strstr(json, tag)) {
				seen[a * per + b] = 1;
				good++;
			}
		}
		free(eml);
		free(json);
	}
	free(seen);
	return good;
}

/* test_threads - NTHREADS writers at once */
static void
test_threads(void)
{
	char dir[512];
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];
	int i, failures = 0, dots;

	snprintf(dir, sizeof(dir), "%s/threads", base);
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){.dir = dir, .id = i};
		if (pthread_create(&th[i], NULL, worker_run, &w[i]) != 0)
			abort();
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	is_int(failures, 0, "threads: no failure");
	is_int(check_pairs(dir, NTHREADS * PER_THREAD, NTHREADS, PER_THREAD),
	       NTHREADS * PER_THREAD,
	       "threads: %d complete distinct pairs 1..%d",
	       NTHREADS * PER_THREAD, NTHREADS * PER_THREAD);
	is_int(count_entries(dir, &dots), 2 * NTHREADS * PER_THREAD,
	       "threads: nothing else");
	is_int(dots, 0, "threads: no temporary left");
}

/* test_procs - NPROCS processes at once: only link()'s EEXIST keeps
   them from overwriting one another */
static void
test_procs(void)
{
	char dir[512], msg[128], rcpt[64];
	pid_t pid[NPROCS];
	int i, j, st, bad = 0, dots;

	snprintf(dir, sizeof(dir), "%s/procs", base);
	mkdir(dir, 0755);
	fflush(stdout);
	for (i = 0; i < NPROCS; i++) {
		if ((pid[i] = fork()) < 0)
			abort();
		if (pid[i] > 0)
			continue;
		for (j = 0; j < PER_PROC; j++) {
			snprintf(msg, sizeof(msg), "Subject: t%d-%d\n\nx\n", i,
				 j);
			snprintf(rcpt, sizeof(rcpt), "t%d-%d@example.org", i,
				 j);
			if (send1(dir, "a@example.org", rcpt, msg) < 0)
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < NPROCS; i++)
		if (waitpid(pid[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			bad++;
	is_int(bad, 0, "processes: all succeeded");
	is_int(check_pairs(dir, NPROCS * PER_PROC, NPROCS, PER_PROC),
	       NPROCS * PER_PROC, "processes: %d complete distinct pairs",
	       NPROCS * PER_PROC);
	is_int(count_entries(dir, &dots), 2 * NPROCS * PER_PROC,
	       "processes: nothing else");
	is_int(dots, 0, "processes: no temporary left");
}

/* test_errors - a directory that cannot be made or written */
static void
test_errors(void)
{
	char file[512], dir[600];
	const char *rcpts[1] = {"b@x.org"};
	char *err = NULL;
	int r;

	snprintf(file, sizeof(file), "%s/plainfile", base);
	touch(base, "plainfile");
	snprintf(dir, sizeof(dir), "%s/out", file);
	r = relay_capture_send(dir, "a@x.org", rcpts, 1, "x\n", 2, &err);
	is_int(r, -1, "errors: dir under a regular file");
	ok(err && strstr(err, dir), "errors: message names %s: %s", dir,
	   err ? err : "(null)");
	free(err);

	err = NULL;
	r = relay_capture_send(file, "a@x.org", rcpts, 1, "x\n", 2, &err);
	is_int(r, -1, "errors: dir is a regular file");
	ok(err && strstr(err, file), "errors: message names %s: %s", file,
	   err ? err : "(null)");
	free(err);

	snprintf(dir, sizeof(dir), "%s/readonly", base);
	mkdir(dir, 0555);
	if (geteuid() == 0) {
		/* root writes anyway: try it as nobody in a child */
		struct passwd *pw = getpwnam("nobody");
		pid_t pid;
		int status = -1;

		chmod(base, 0755);
		if (pw == NULL) {
			ok(0, "errors: read-only dir: no user nobody");
			return;
		}
		if ((pid = fork()) == 0) {
			if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
				_exit(2);
			r = relay_capture_send(dir, "a@x.org", rcpts, 1, "x\n",
					       2, &err);
			_exit(r == -1 && err && strstr(err, dir) ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "errors: read-only dir refused with its path (as nobody)");
		return;
	}
	err = NULL;
	r = relay_capture_send(dir, "a@x.org", rcpts, 1, "x\n", 2, &err);
	is_int(r, -1, "errors: read-only dir");
	ok(err && strstr(err, dir), "errors: message names %s: %s", dir,
	   err ? err : "(null)");
	free(err);
}

int
main(void)
{
	if (mkdtemp(base) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_wire();
	test_json();
	test_counter();
	test_threads();
	test_procs();
	test_errors();
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	ok(access(base, F_OK) < 0, "temporary directory removed");
	tap_done();
}
