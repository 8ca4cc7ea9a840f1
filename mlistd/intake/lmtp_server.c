/*
 * lmtp_server - the listening sockets and the event loop (see
 * lmtp_server.h).
 *
 * One thread multiplexes listeners, connections, the signal self-pipe
 * and the committer's completion eventfd with epoll, so a round trip
 * costs system calls but no thread wake-up.  Connections are
 * edge-triggered: a connection is read until the kernel has nothing more
 * (or its turn is up), which lets the loop leave input unread while a
 * session waits for its commit or for the peer to take its replies.
 * Timers (idle timeout, SIGTERM grace) are a sweep once a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "intake.h"
#include "lmtp_server.h"
#include "lmtp_session.h"
#include "log.h"
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
		*error_r =
		    xasprintf("unix:%s: bind: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, conf->socket_mode) < 0) {
		*error_r =
		    xasprintf("unix:%s: chmod: %s", path, strerror(errno));
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
		*error_r =
		    xasprintf("inet:%s:%s: %s", host, port, gai_strerror(rc));
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
lmtp_server_bind(const struct conf *conf, struct lmtp_listener *l, size_t *n_r,
		 char **error_r)
{
	size_t n = 0;

	*error_r = NULL;
	for (size_t i = 0; i < conf->nlisten; i++) {
		const struct conf_listen *c = &conf->listen[i];
		int fd = c->unix_path ? bind_unix(conf, c->unix_path, error_r)
				      : bind_inet(c->host, c->port, error_r);

		if (fd < 0 || listen(fd, 128) < 0) {
			if (fd >= 0) {
				*error_r =
				    xasprintf("listen: %s", strerror(errno));
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

/* epoll tags below this are not connections */
enum {
	TAG_SIGNAL,
	TAG_INTAKE,
	TAG_LISTENER, /* + listener index */
};

#define READ_BUDGET 8	 /* reads per connection per turn */
#define ACCEPT_BUDGET 64 /* accepts per listener per turn */

struct lmtp_loop;

struct lmtp_conn {
	struct lmtp_loop *loop;
	int fd;
	struct lmtp_session *session;
	char in[16384]; /* read, not yet consumed by the session */
	size_t in_len;
	size_t out_off;	     /* bytes of the session's output written */
	bool want_write;     /* EPOLLOUT registered: the peer is slow */
	bool eof;	     /* the peer closed its side */
	bool broken;	     /* a write failed: close when possible */
	bool ready;	     /* turn ended with input maybe left */
	int64_t last_input;  /* monotonic ms */
	unsigned long steps; /* the session's, when step_start was set */
	int64_t step_start;  /* the current command or message began */
	struct lmtp_conn *prev, *next;
};

struct lmtp_loop {
	int ep;
	const struct lmtp_server_ops *ops;
	struct lmtp_listener *l;
	size_t nl;
	struct lmtp_conn *conns; /* every open connection */
	size_t nconns;
	size_t nready;
	struct lmtp_conn *graveyard; /* closed during this turn */
	bool stopping;		     /* SIGTERM seen */
	bool stop_now;		     /* the grace period is over */
	int64_t stop_deadline;
	int64_t now; /* monotonic ms, once per turn */
};

/* now_ms - monotonic milliseconds */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* conn_close - close the socket now; the memory waits for the end of
   the turn, since events for it may still be in this turn's batch */
static void
conn_close(struct lmtp_conn *c)
{
	struct lmtp_loop *loop = c->loop;

	close(c->fd);
	c->fd = -1;
	lmtp_session_free(&c->session);
	if (c->ready) {
		c->ready = false;
		loop->nready--;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		loop->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	loop->nconns--;
	c->next = loop->graveyard;
	loop->graveyard = c;
}

/* want_write - watch EPOLLOUT only while replies are stuck: on a unix
   socket every read by the peer would otherwise wake the loop */
static void
want_write(struct lmtp_conn *c, bool on)
{
	struct epoll_event ev = {.data.ptr = c};

	if (c->want_write == on)
		return;
	c->want_write = on;
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (on ? EPOLLOUT : 0);
	(void)epoll_ctl(c->loop->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* conn_flush - write the session's replies; 0 when all written or the
   socket is full (want_write set), -1 on a write error */
static int
conn_flush(struct lmtp_conn *c)
{
	struct buf *out = lmtp_session_output(c->session);

	while (c->out_off < out->len) {
		ssize_t n =
		    write(c->fd, out->data + c->out_off, out->len - c->out_off);

		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			want_write(c, true);
			return 0;
		}
		return -1;
	}
	buf_reset(out);
	c->out_off = 0;
	want_write(c, false);
	return 0;
}

/* conn_run - feed the session what was read, write its replies, read
   more; until the socket is drained, the session waits for a commit or
   the peer, or the connection is done.  maybe_more: the socket may hold
   input (false when the last read already came back short). */
static void
conn_run(struct lmtp_conn *c, bool maybe_more)
{
	int reads = 0;

	if (c->ready) {
		c->ready = false;
		c->loop->nready--;
	}
	for (;;) {
		enum lmtp_state st;
		size_t room;
		ssize_t n;

		if (c->in_len > 0) {
			size_t k =
			    lmtp_session_feed(c->session, c->in, c->in_len);

			if (k > 0) {
				memmove(c->in, c->in + k, c->in_len - k);
				c->in_len -= k;
			}
		}
		st = lmtp_session_state(c->session);
		if (lmtp_session_steps(c->session) != c->steps) {
			c->steps = lmtp_session_steps(c->session);
			c->step_start = c->loop->now;
		}
		/* everything complete has been answered: write (PIPELINING) */
		if (!c->broken && conn_flush(c) < 0)
			c->broken = true;
		if (st == LMTP_COMMITTING)
			return; /* the completion resumes it */
		if (c->broken || st == LMTP_CLOSING || c->eof) {
			if (c->want_write && !c->broken)
				return; /* last words still to write */
			conn_close(c);
			return;
		}
		if (c->want_write || !maybe_more)
			return;
		if (reads == READ_BUDGET) {
			/* let the others have a turn; more next turn */
			c->ready = true;
			c->loop->nready++;
			return;
		}
		room = sizeof(c->in) - c->in_len;
		if (room == 0) {
			/* cannot happen: an open session consumes all but
			   the two bytes of a possible ".\r" */
			log_warn("lmtp: input buffer full, closing");
			conn_close(c);
			return;
		}
		n = read(c->fd, c->in + c->in_len, room);
		if (n > 0) {
			c->in_len += (size_t)n;
			c->last_input = c->loop->now;
			/* a short read drained the socket: edge-triggered
			   epoll reports whatever arrives after it */
			maybe_more = (size_t)n == room;
			reads++;
		} else if (n == 0)
			c->eof = true;
		else if (errno == EAGAIN)
			maybe_more = false;
		else if (errno != EINTR)
			c->broken = true;
	}
}

/* conn_shut - answer 421 and close once written */
static void
conn_shut(struct lmtp_conn *c, const char *text)
{
	if (lmtp_session_state(c->session) == LMTP_OPEN)
		lmtp_session_close(c->session, text);
	conn_run(c, false);
}

/* on_committed - a session's DATA is answered by the committer */
static void
on_committed(void *owner)
{
	struct lmtp_conn *c = owner;

	/* waiting for the database is not the peer being idle */
	c->last_input = c->loop->now;
	lmtp_session_committed(c->session);
	if (c->loop->stop_now)
		lmtp_session_close(c->session,
				   "4.3.2 shutting down, try again later");
	conn_run(c, true);
}

/* accept_some - new connections on listener i */
static void
accept_some(struct lmtp_loop *loop, size_t i)
{
	static const char busy[] = "421 4.3.2 too many sessions, "
				   "try again later\r\n";

	for (int k = 0; k < ACCEPT_BUDGET; k++) {
		struct epoll_event ev;
		struct lmtp_conn *c;
		int fd = accept4(loop->l[i].fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (loop->nconns >= LMTP_MAX_SESSIONS) {
			(void)!write(fd, busy, sizeof(busy) - 1);
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->loop = loop;
		c->fd = fd;
		c->last_input = c->step_start = loop->now;
		c->session =
		    lmtp_session_new(loop->ops->conf(), loop->ops->intake, c);
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = c;
		if (epoll_ctl(loop->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("epoll_ctl: %s", strerror(errno));
			lmtp_session_free(&c->session);
			close(fd);
			free(c);
			continue;
		}
		c->next = loop->conns;
		if (c->next)
			c->next->prev = c;
		loop->conns = c;
		loop->nconns++;
		/* the greeting; input already waiting is reported by epoll */
		conn_run(c, false);
	}
}

/* begin_stop - SIGTERM: no new connections, idle sessions told 421 */
static void
begin_stop(struct lmtp_loop *loop)
{
	struct lmtp_conn *c, *next;

	if (loop->stopping)
		return;
	log_info("stopping: no new connections, finishing open sessions");
	loop->stopping = true;
	loop->stop_deadline = loop->now + LMTP_STOP_GRACE * 1000;
	lmtp_server_close(loop->l, loop->nl);
	for (c = loop->conns; c; c = next) {
		next = c->next;
		if (lmtp_session_state(c->session) == LMTP_OPEN &&
		    !lmtp_session_in_transaction(c->session))
			conn_shut(c, "4.3.2 shutting down, try again later");
	}
}

/* sweep - once a second: idle timeouts, and while stopping the sessions
   whose transaction is over or whose grace period ran out */
static void
sweep(struct lmtp_loop *loop)
{
	struct lmtp_conn *c, *next;

	if (loop->stopping && !loop->stop_now &&
	    loop->now >= loop->stop_deadline) {
		loop->stop_now = true;
		if (loop->nconns > 0)
			log_warn("grace period over: closing %zu sessions",
				 loop->nconns);
	}
	for (c = loop->conns; c; c = next) {
		enum lmtp_state st = lmtp_session_state(c->session);
		int64_t quiet = loop->now - c->last_input;
		bool in_data = lmtp_session_in_data(c->session);
		int64_t bound =
		    (int64_t)(in_data ? lmtp_data_timeout : lmtp_idle_timeout) *
		    1000;

		next = c->next;
		if (st == LMTP_COMMITTING)
			continue;
		if (loop->stop_now ||
		    (loop->stopping &&
		     !lmtp_session_in_transaction(c->session) &&
		     quiet >= 1000)) {
			if (st == LMTP_CLOSING)
				conn_close(c);
			else
				conn_shut(c, "4.3.2 shutting down, try again "
					     "later");
		} else if (quiet >= (int64_t)lmtp_idle_timeout * 1000) {
			if (st == LMTP_CLOSING)
				conn_close(c); /* the peer reads nothing */
			else
				conn_shut(c, "4.4.2 idle timeout");
		} else if (loop->now - c->step_start >= bound) {
			/* input trickling in keeps a session busy, not alive
			   for ever */
			if (st == LMTP_CLOSING)
				conn_close(c);
			else
				conn_shut(c, in_data ? "4.4.2 timeout: message "
						       "not complete in time"
						     : "4.4.2 timeout: command "
						       "not complete in time");
		}
	}
}

/* on_signals - drain the self-pipe */
static void
on_signals(struct lmtp_loop *loop)
{
	unsigned char sig;

	while (read(loop->ops->sig_fd, &sig, 1) == 1) {
		if (sig == SIGHUP)
			loop->ops->reload();
		else
			begin_stop(loop);
	}
}

/* watch - add a level-triggered fd with a tag */
static void
watch(struct lmtp_loop *loop, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	if (epoll_ctl(loop->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		log_fatal(EX_OSERR, "epoll_ctl: %s", strerror(errno));
}

void
lmtp_server_run(struct lmtp_listener *l, size_t n,
		const struct lmtp_server_ops *ops)
{
	struct lmtp_loop loop = {.ops = ops, .l = l, .nl = n};
	struct epoll_event evs[64];
	int64_t last_sweep;

	if ((loop.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		log_fatal(EX_OSERR, "epoll_create1: %s", strerror(errno));
	watch(&loop, ops->sig_fd, TAG_SIGNAL);
	watch(&loop, intake_event_fd(ops->intake), TAG_INTAKE);
	for (size_t i = 0; i < n; i++) {
		(void)fcntl(l[i].fd, F_SETFL,
			    fcntl(l[i].fd, F_GETFL) | O_NONBLOCK);
		watch(&loop, l[i].fd, TAG_LISTENER + i);
	}
	loop.now = last_sweep = now_ms();
	while (!loop.stopping || loop.nconns > 0) {
		int timeout = (int)(last_sweep + 1000 - loop.now);
		int ne;

		if (loop.nready > 0 || timeout < 0)
			timeout = 0;
		ne = epoll_wait(loop.ep, evs, 64, timeout);
		if (ne < 0 && errno != EINTR)
			log_fatal(EX_OSERR, "epoll_wait: %s", strerror(errno));
		loop.now = now_ms();
		for (int i = 0; i < ne; i++) {
			uint64_t tag = evs[i].data.u64;
			struct lmtp_conn *c;

			if (tag == TAG_SIGNAL)
				on_signals(&loop);
			else if (tag == TAG_INTAKE)
				intake_reap(ops->intake, on_committed);
			else if (tag < TAG_LISTENER + n) {
				if (!loop.stopping)
					accept_some(&loop, tag - TAG_LISTENER);
			} else {
				c = evs[i].data.ptr;
				if (c->fd >= 0)
					conn_run(c, true);
			}
		}
		if (loop.nready > 0) {
			struct lmtp_conn *c, *next;

			for (c = loop.conns; c; c = next) {
				next = c->next;
				if (c->ready)
					conn_run(c, true);
			}
		}
		if (loop.now - last_sweep >= 1000) {
			last_sweep = loop.now;
			sweep(&loop);
		}
		while (loop.graveyard) {
			struct lmtp_conn *c = loop.graveyard;

			loop.graveyard = c->next;
			free(c);
		}
	}
	close(loop.ep);
}
