/*
 * fuzz_lmtp - the bytes are what an LMTP client sends: commands,
 * pipelined or not, and message data.  They reach a real session
 * (lmtp_session.c, which owns no socket) in pieces of varying sizes, as
 * a socket would deliver them, over a real intake and SQLite database
 * with one club (acme, two members), so RCPT decisions, DATA, the
 * committer's parse and store and the per-recipient replies all run.
 * Set up once per process; fuzz_lmtp_cleanup (also at exit) stops the
 * intake and removes the directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "fuzz.h"
#include "intake.h"
#include "lmtp_session.h"
#include "log.h"
#include "secret.h"
#include "store.h"
#include "wgate.h"
#include "xalloc.h"

#ifndef TEMPLATES_DIR
#error TEMPLATES_DIR must name the templates directory of the source tree
#endif

static char *dir;
static struct conf *conf;
static struct wgate *gate;
static struct intake *intake;
static struct lmtp_session *session; /* the owner of every submission */

/* fuzz_lmtp_rmdir - remove dir and the files in it (database, WAL,
   secret, spool files: no subdirectories) */
static void
fuzz_lmtp_rmdir(const char *d)
{
	DIR *dh = opendir(d);
	struct dirent *e;

	if (dh == NULL)
		return;
	while ((e = readdir(dh)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", d, e->d_name);
		unlink(p);
		free(p);
	}
	closedir(dh);
	rmdir(d);
}

void
fuzz_lmtp_cleanup(void)
{
	if (dir == NULL)
		return;
	intake_close(&intake);
	wgate_free(&gate);
	conf_free(&conf);
	fuzz_lmtp_rmdir(dir);
	free(dir);
	dir = NULL;
}

static void
fuzz_lmtp_fail(const char *what, char *err)
{
	fprintf(stderr, "fuzz_lmtp: %s: %s\n", what, err ? err : "failed");
	abort();
}

/* fuzz_lmtp_club - club acme with a member and an animator */
static void
fuzz_lmtp_club(const char *db)
{
	struct store *s;
	int64_t club;
	char *err = NULL;

	if (store_open(db, STORE_CREATE, &s, &err) < 0)
		fuzz_lmtp_fail(db, err);
	if (store_club_create(s, "acme", time(NULL), &club) < 0 ||
	    store_member_add(s, club, "alice@example.com", "Alice", "member",
			     "each", time(NULL)) < 0 ||
	    store_member_add(s, club, "anna@example.com", "Anna", "animator",
			     "each", time(NULL)) < 0)
		fuzz_lmtp_fail("club acme", xstrdup(store_error(s)));
	store_close(&s);
}

static void
fuzz_lmtp_init(void)
{
	const char *tmp = getenv("TMPDIR");
	unsigned char key[TOKEN_KEY_LEN];
	char *t, *path, *db, *err = NULL;
	FILE *f;

	t = xasprintf("%s/mlistd-fuzz-lmtp.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(t) == NULL)
		fuzz_lmtp_fail(t, NULL);
	dir = t;
	atexit(fuzz_lmtp_cleanup);
	path = xasprintf("%s/mlistd.conf", dir);
	db = xasprintf("%s/mlistd.db", dir);
	if ((f = fopen(path, "w")) == NULL)
		fuzz_lmtp_fail(path, NULL);
	fprintf(f,
		"domain = lists.example.org\n"
		"database = %s\n"
		"listen = inet:127.0.0.1:0\n"
		"relay = capture:%s/outbox\n"
		"secret_file = %s/secret\n"
		"templates = %s\n"
		"max_message_size = 64k\n"
		"log = stderr\n",
		db, dir, dir, TEMPLATES_DIR);
	if (fclose(f) != 0 || conf_load(path, &conf, &err) < 0)
		fuzz_lmtp_fail(path, err);
	if (secret_load(conf->secret_file, 1, key, &err) < 0)
		fuzz_lmtp_fail("secret", err);
	fuzz_lmtp_club(db);
	gate = wgate_new();
	if (intake_open(conf, key, gate, &intake, &err) < 0)
		fuzz_lmtp_fail("intake", err);
	free(db);
	free(path);
}

static void
fuzz_lmtp_done(void *owner)
{
	lmtp_session_committed(*(struct lmtp_session **)owner);
}

static int64_t
fuzz_lmtp_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* fuzz_lmtp_wait - the session submitted DATA: wait for the committer,
   as the event loop does.  libFuzzer's -timeout alarm interrupts poll
   every timeout/2+1 seconds: EINTR is not an answer, nor a hang */
static void
fuzz_lmtp_wait(struct lmtp_session *s)
{
	/* generous: a loaded machine's fsync is slow; a hang is not */
	int64_t until = fuzz_lmtp_now_ms() + 60000;

	while (lmtp_session_state(s) == LMTP_COMMITTING) {
		struct pollfd p = {intake_event_fd(intake), POLLIN, 0};
		int64_t left = until - fuzz_lmtp_now_ms();
		int n;

		if (left <= 0)
			fuzz_lmtp_fail("intake", xstrdup("no answer in 60 s"));
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fuzz_lmtp_fail("intake poll", xstrdup(strerror(errno)));
		if (n > 0)
			intake_reap(intake, fuzz_lmtp_done);
	}
}

/* fuzz_lmtp_reply_ok - every buffered reply line is "DDD[ -]..." */
static void
fuzz_lmtp_replies(struct buf *out)
{
	const char *p = out->data, *end = out->data + out->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		fuzz_check(nl && nl > p && nl[-1] == '\r',
			   "a reply line without CRLF");
		fuzz_check(nl - p >= 5 && p[0] >= '2' && p[0] <= '5' &&
			       (p[3] == ' ' || p[3] == '-'),
			   "a reply line that is not \"DDD text\"");
		fuzz_check(memchr(p, '\r', (size_t)(nl - p - 1)) == NULL,
			   "a CR inside a reply line");
		p = nl + 1;
	}
	out->len = 0;
}

void
fuzz_lmtp(const uint8_t *data, size_t size)
{
	struct lmtp_session *s;
	struct buf pending = BUF_INIT;
	uint32_t x = (uint32_t)size * 2654435761u + 1;
	size_t off = 0;

	if (dir == NULL)
		fuzz_lmtp_init();
	s = session = lmtp_session_new(conf, intake, &session);
	fuzz_lmtp_replies(lmtp_session_output(s));
	while (lmtp_session_state(s) != LMTP_CLOSING) {
		size_t piece, used;

		if (off == size && pending.len == 0)
			break;
		x = x * 1103515245u + 12345u;
		piece = (x >> 16) % 4 == 0 ? size - off : 1 + (x >> 16) % 64;
		if (piece > size - off)
			piece = size - off;
		if (piece == 0 && pending.len == 0)
			break;
		buf_append(&pending, (const char *)data + off, piece);
		off += piece;
		used = lmtp_session_feed(s, pending.data, pending.len);
		fuzz_check(used <= pending.len, "the session used too much");
		if (used > 0) {
			memmove(pending.data, pending.data + used,
				pending.len - used);
			pending.len -= used;
		}
		fuzz_lmtp_wait(s);
		fuzz_lmtp_replies(lmtp_session_output(s));
		if (piece == 0 && used == 0)
			break; /* input ended inside a line */
	}
	buf_free(&pending);
	lmtp_session_free(&s);
	session = NULL;
}
