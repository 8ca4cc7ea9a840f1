/*
 * lmtp_server - the listening sockets (see lmtp_server.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "lmtp_server.h"
#include "xalloc.h"

/* bind_unix - a unix socket with the configured mode and group */
static int
bind_unix(const struct conf *conf, const char *path, char **error_r)
{
	struct sockaddr_un sun;
	struct group *gr;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		*error_r = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	/* a socket left by a previous run; refuse to remove anything else */
	{
		struct stat st;

		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		*error_r = xasprintf("unix:%s: bind: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, conf->socket_mode) < 0) {
		*error_r = xasprintf("unix:%s: chmod: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if ((gr = getgrnam(conf->socket_group)) != NULL) {
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0 && geteuid() == 0) {
			*error_r = xasprintf("unix:%s: chown: %s", path,
					     strerror(errno));
			close(fd);
			return -1;
		}
	} else if (geteuid() == 0) {
		*error_r = xasprintf("socket_group %s: no such group",
				     conf->socket_group);
		close(fd);
		return -1;
	}
	return fd;
}

/* bind_inet - a TCP socket on host:port */
static int
bind_inet(const char *host, const char *port, char **error_r)
{
	struct addrinfo hints, *res;
	int fd, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		*error_r = xasprintf("inet:%s:%s: %s", host, port,
				     gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
		    res->ai_protocol);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
		*error_r = xasprintf("inet:%s:%s: bind: %s", host, port,
				     strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
lmtp_server_bind(const struct conf *conf, struct lmtp_listener *l,
		 size_t *n_r, char **error_r)
{
	size_t n = 0;

	*error_r = NULL;
	for (size_t i = 0; i < conf->nlisten; i++) {
		const struct conf_listen *c = &conf->listen[i];
		int fd = c->unix_path ? bind_unix(conf, c->unix_path, error_r)
				      : bind_inet(c->host, c->port, error_r);

		if (fd < 0 || listen(fd, 128) < 0) {
			if (fd >= 0) {
				*error_r = xasprintf("listen: %s",
						     strerror(errno));
				close(fd);
			}
			lmtp_server_close(l, n);
			return -1;
		}
		l[n].fd = fd;
		l[n].unix_path = c->unix_path ? xstrdup(c->unix_path) : NULL;
		n++;
	}
	*n_r = n;
	return 0;
}

void
lmtp_server_close(struct lmtp_listener *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (l[i].fd >= 0)
			close(l[i].fd);
		if (l[i].unix_path) {
			unlink(l[i].unix_path);
			free(l[i].unix_path);
		}
		l[i].fd = -1;
		l[i].unix_path = NULL;
	}
}
