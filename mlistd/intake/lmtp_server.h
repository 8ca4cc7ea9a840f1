/*
 * lmtp_server - the listening sockets: unix (mode and group set, stale
 * socket replaced) and inet, bound before privileges drop; and the event
 * loop that serves every connection from one thread (epoll), handing
 * messages to the committer and taking its completions back.
 */
#ifndef MLISTD_LMTP_SERVER_H
#define MLISTD_LMTP_SERVER_H

#include <stddef.h>

struct conf;
struct intake;

struct lmtp_listener {
	int fd;
	char *unix_path; /* removed at close */
};

/* lmtp_server_bind - one listener per conf->listen entry; -1 with
 *error_r (caller frees) when any cannot be bound */
int lmtp_server_bind(const struct conf *conf, struct lmtp_listener *l,
		     size_t *n_r, char **error_r);
void lmtp_server_close(struct lmtp_listener *l, size_t n);

#define LMTP_MAX_SESSIONS 256 /* more are answered 421 and closed */
#define LMTP_STOP_GRACE 30    /* seconds for open transactions at SIGTERM */

struct lmtp_server_ops {
	struct intake *intake;
	int sig_fd; /* self-pipe: one byte per signal number */
	/* the configuration for new sessions */
	const struct conf *(*conf)(void);
	/* SIGHUP: reload; sessions keep the configuration they began with */
	void (*reload)(void);
};

/* lmtp_server_run - serve the listeners until SIGTERM or SIGINT, then
   close them, let transactions finish (LMTP_STOP_GRACE s at most) and
   return once every session is gone and every submitted message has
   been answered */
void lmtp_server_run(struct lmtp_listener *l, size_t n,
		     const struct lmtp_server_ops *ops);

#endif
