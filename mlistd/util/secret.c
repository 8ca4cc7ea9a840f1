/*
 * secret - the installation secret (see secret.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "strutil.h"
#include "xalloc.h"

/* secret_create - write a fresh random secret; O_EXCL so two starting
   programs cannot both create one */
static int
secret_create(const char *path, char **error_r)
{
	unsigned char raw[TOKEN_KEY_LEN];
	char hex[2 * TOKEN_KEY_LEN + 2];
	int fd;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		*error_r = xasprintf("getrandom: %s", strerror(errno));
		return -1;
	}
	str_hex(raw, sizeof(raw), hex);
	strcat(hex, "\n");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		*error_r =
		    xasprintf("%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) ||
	    fsync(fd) < 0) {
		*error_r = xasprintf("%s: write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

int
secret_load(const char *path, int create, unsigned char key[TOKEN_KEY_LEN],
	    char **error_r)
{
	char hex[2 * TOKEN_KEY_LEN + 8];
	FILE *fp;
	size_t n;

	*error_r = NULL;
	if (create && access(path, F_OK) < 0 && errno == ENOENT &&
	    secret_create(path, error_r) < 0)
		return -1;
	if ((fp = fopen(path, "re")) == NULL) {
		*error_r =
		    xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	n = fread(hex, 1, sizeof(hex) - 1, fp);
	fclose(fp);
	hex[n] = '\0';
	while (n && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
		hex[--n] = '\0';
	if (n != 2 * TOKEN_KEY_LEN) {
		*error_r = xasprintf("%s: expected 64 hex digits", path);
		return -1;
	}
	for (size_t i = 0; i < TOKEN_KEY_LEN; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			*error_r =
			    xasprintf("%s: expected 64 hex digits", path);
			return -1;
		}
		key[i] = (unsigned char)v;
	}
	return 0;
}
