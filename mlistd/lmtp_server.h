/*
 * lmtp_server - the listening sockets: unix (mode and group set, stale
 * socket replaced) and inet.  Binding happens before privileges drop.
 */
#ifndef MLISTD_LMTP_SERVER_H
#define MLISTD_LMTP_SERVER_H

#include <stddef.h>

struct conf;

struct lmtp_listener {
	int fd;
	char *unix_path;	/* removed at close */
};

/* lmtp_server_bind - one listener per conf->listen entry; -1 with
   *error_r (caller frees) when any cannot be bound */
int lmtp_server_bind(const struct conf *conf, struct lmtp_listener *l,
		     size_t *n_r, char **error_r);
void lmtp_server_close(struct lmtp_listener *l, size_t n);

#endif
