/*
 * relay_capture - the test relay (see relay_capture.h).
 *
 * Claiming a number: the .eml is first written whole under a temporary
 * name, then link()ed to NNNNNNNN.eml.  link() refuses a name that
 * exists (EEXIST), so it is the O_EXCL that rename() lacks: when another
 * process took N between our scan and our link, we move on to N+1
 * instead of overwriting its message.  Within one process a mutex
 * serialises the scan and the link, so our own threads never even
 * compete for a number; it is not held while writing or syncing.  The
 * .json then goes in with rename(): its number is ours since the link.
 *
 * XXX DIR is scanned on every call, O(files in DIR).  That is fine for
 * tests and demos, the only users of this backend, and it lets the
 * counter follow whatever other processes or a test harness did to DIR.
 * link() needs a file system with hard links (not vfat).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "relay_capture.h"
#include "xalloc.h"

#define CAPTURE_MAX 99999999UL /* 8 digits */
#define CAPTURE_TRIES 1000     /* numbers taken by other processes in a row */

static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong capture_seq;

/* capture_wire - msg with bare LF turned into CRLF and a final CRLF, as
   the SMTP client puts it on the wire before the terminating dot */
static void
capture_wire(struct buf *out, const char *msg, size_t len)
{
	size_t start = 0, i;

	if (len == 0)
		return;
	buf_reserve(out, len + len / 32 + 2);
	for (i = 0; i < len; i++) {
		if (msg[i] != '\n' || (i > 0 && msg[i - 1] == '\r'))
			continue;
		buf_append(out, msg + start, i - start);
		buf_append(out, "\r\n", 2);
		start = i + 1;
	}
	buf_append(out, msg + start, len - start);
	/* every LF is now part of a CRLF, so this is the only test needed */
	if (msg[len - 1] != '\n')
		buf_append(out, "\r\n", 2);
}

/* capture_json - the envelope object of the .json file */
static void
capture_json(struct buf *out, const char *mail_from, const char *const *rcpts,
	     size_t nrcpts)
{
	size_t i;

	buf_puts(out, "{\"mail_from\":");
	/* the null reverse-path <> is an empty string, never JSON null */
	buf_json_str(out, mail_from ? mail_from : "");
	buf_puts(out, ",\"rcpt_to\":[");
	for (i = 0; i < nrcpts; i++) {
		if (i > 0)
			buf_putc(out, ',');
		buf_json_str(out, rcpts[i] ? rcpts[i] : "");
	}
	buf_puts(out, "]}");
}

/* capture_name_num - N when name is exactly NNNNNNNN.eml or NNNNNNNN.json */
static bool
capture_name_num(const char *name, unsigned long *n_r)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < 8; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		n = n * 10 + (unsigned long)(name[i] - '0');
	}
	if (strcmp(name + 8, ".eml") != 0 && strcmp(name + 8, ".json") != 0)
		return false;
	*n_r = n;
	return true;
}

/* capture_highest - the highest N already in dir (0 when none) */
static int
capture_highest(const char *dir, unsigned long *n_r, char **error_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned long max = 0, n;

	if (d == NULL) {
		*error_r =
		    xasprintf("%s: cannot read: %s", dir, strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (capture_name_num(de->d_name, &n) && n > max)
			max = n;
	}
	if (errno != 0) {
		*error_r =
		    xasprintf("%s: cannot read: %s", dir, strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	*n_r = max;
	return 0;
}

/* capture_write_tmp - len bytes of data into a new, synced temporary
   file of dir, whose name is left in tmp; nothing is left behind on
   failure */
static int
capture_write_tmp(const char *dir, const char *ext, const char *data,
		  size_t len, struct buf *tmp, char **error_r)
{
	size_t done = 0;
	ssize_t n;
	int fd = -1, tries;

	/* a leftover of a dead process with our pid is skipped, not reused */
	for (tries = 0; tries < CAPTURE_TRIES && fd < 0; tries++) {
		buf_reset(tmp);
		buf_printf(tmp, "%s/.tmp-%ld-%lu.%s", dir, (long)getpid(),
			   atomic_fetch_add(&capture_seq, 1), ext);
		fd = open(tmp->data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		*error_r = xasprintf("%s: cannot create: %s", tmp->data,
				     strerror(errno));
		return -1;
	}
	while (done < len) {
		n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	*error_r =
	    xasprintf("%s: cannot write: %s", tmp->data, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp->data);
	return -1;
}

/* capture_claim - link the temporary .eml to the next free number's name
   (left in path) and return that number in *n_r */
static int
capture_claim(const char *dir, const char *tmp, unsigned long *n_r,
	      struct buf *path, char **error_r)
{
	unsigned long n;
	int tries;

	if (capture_highest(dir, &n, error_r) < 0)
		return -1;
	for (tries = 0; tries < CAPTURE_TRIES; tries++) {
		if (n >= CAPTURE_MAX) {
			*error_r = xasprintf("%s: no capture number left "
					     "after %08lu",
					     dir, n);
			return -1;
		}
		n++;
		buf_reset(path);
		buf_printf(path, "%s/%08lu.eml", dir, n);
		if (link(tmp, path->data) == 0) {
			*n_r = n;
			return 0;
		}
		if (errno != EEXIST) {
			*error_r = xasprintf("%s: cannot create: %s",
					     path->data, strerror(errno));
			return -1;
		}
	}
	*error_r = xasprintf("%s: no free capture number after %d tries", dir,
			     CAPTURE_TRIES);
	return -1;
}

/* capture_sync_dir - make dir's new entries durable, in the order they
   were made: the .json must never outlive a crash without its .eml */
static int
capture_sync_dir(const char *dir, char **error_r)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		*error_r =
		    xasprintf("%s: cannot sync: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* relay_capture_send - write one transaction as the next pair in dir */
int
relay_capture_send(const char *dir, const char *mail_from,
		   const char *const *rcpts, size_t nrcpts, const char *msg,
		   size_t len, char **error_r)
{
	struct buf eml = BUF_INIT, json = BUF_INIT;
	struct buf tmp = BUF_INIT, path = BUF_INIT;
	unsigned long n = 0;
	int ret = -1, r;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		*error_r = xasprintf("%s: cannot create directory: %s", dir,
				     strerror(errno));
		return -1;
	}
	capture_wire(&eml, msg, len);
	capture_json(&json, mail_from, rcpts, nrcpts);

	if (capture_write_tmp(dir, "eml", eml.data, eml.len, &tmp, error_r) < 0)
		goto out;
	pthread_mutex_lock(&capture_lock);
	r = capture_claim(dir, tmp.data, &n, &path, error_r);
	pthread_mutex_unlock(&capture_lock);
	/* linked or not, the temporary name has served */
	unlink(tmp.data);
	if (r < 0)
		goto out;
	if (capture_sync_dir(dir, error_r) < 0)
		goto drop_eml;

	r = capture_write_tmp(dir, "json", json.data, json.len, &tmp, error_r);
	if (r < 0)
		goto drop_eml;
	buf_reset(&path);
	buf_printf(&path, "%s/%08lu.json", dir, n);
	if (rename(tmp.data, path.data) < 0) {
		*error_r = xasprintf("%s: cannot rename to %s: %s", tmp.data,
				     path.data, strerror(errno));
		unlink(tmp.data);
		goto drop_eml;
	}
	/* XXX if this fails the pair may still be complete: the caller
	   retries, as after a lost reply to DATA, and the copy comes twice */
	if (capture_sync_dir(dir, error_r) < 0)
		goto out;
	ret = 0;
	goto out;
drop_eml:
	/* a lone .eml is no transaction; free its number for the next one */
	buf_reset(&path);
	buf_printf(&path, "%s/%08lu.eml", dir, n);
	unlink(path.data);
out:
	buf_free(&eml);
	buf_free(&json);
	buf_free(&tmp);
	buf_free(&path);
	return ret;
}
