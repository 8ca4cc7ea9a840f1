/*
 * spool - a message in memory while small, then in an unnamed file
 * (see spool.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "xalloc.h"

void
spool_start(struct spool *sp)
{
	buf_reset(&sp->mem);
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
	sp->len = 0;
	sp->error = 0;
}

/* spool_open - an unnamed file in dir, readable and writable */
static int
spool_open(const char *dir)
{
	char *path;
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 ||
	    (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	path = xasprintf("%s/.mlistd-spool.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

/* spool_flush - write what memory holds to the file */
static int
spool_flush(struct spool *sp, const char *dir)
{
	const char *p = sp->mem.data;
	size_t n = sp->mem.len;

	if (sp->fd < 0 && (sp->fd = spool_open(dir)) < 0)
		return -1;
	while (n > 0) {
		ssize_t w = write(sp->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	buf_reset(&sp->mem);
	return 0;
}

void
spool_write(struct spool *sp, const char *dir, const char *p, size_t n)
{
	sp->len += n;
	if (sp->error)
		return;
	buf_append(&sp->mem, p, n);
	if (sp->mem.len >= SPOOL_MEM_MAX && spool_flush(sp, dir) < 0) {
		sp->error = errno ? errno : EIO;
		buf_reset(&sp->mem);
	}
}

int
spool_finish(struct spool *sp)
{
	if (sp->error == 0 && sp->fd >= 0) {
		/* the NUL the parsers may read past the end, as after a buf */
		buf_putc(&sp->mem, '\0');
		if (spool_flush(sp, NULL) < 0)
			sp->error = errno ? errno : EIO;
	}
	if (sp->error) {
		errno = sp->error;
		return -1;
	}
	return 0;
}

void
spool_clear(struct spool *sp)
{
	spool_start(sp);
	buf_free(&sp->mem);
}

const char *
spool_map(int fd, size_t len)
{
	struct stat st;
	void *p;

	/* a file shorter than the mapping faults (SIGBUS) when read */
	if (fstat(fd, &st) < 0)
		return NULL;
	if ((size_t)st.st_size < len + 1) {
		errno = EIO;
		return NULL;
	}
	p = mmap(NULL, len + 1, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* read once, front to back: let the kernel read ahead and drop */
	(void)madvise(p, len + 1, MADV_SEQUENTIAL);
	return p;
}

void
spool_unmap(const char *p, size_t len)
{
	if (p != NULL)
		munmap((void *)p, len + 1);
}
