/*
 * mlistd - the daemon: LMTP listeners in front of the store.
 *
 * Usage: mlistd [-c FILE] [-f] [-t] [-V] [-h]
 *
 * Startup order matters: configuration, bind (needs root for Postfix's
 * private directory), drop privileges, then the secret and the database,
 * so every file mlistd creates belongs to the unprivileged user.
 * SIGTERM stops accepting, lets open transactions finish (30 s at most)
 * and exits 0; SIGHUP rereads the configuration and keeps the old one
 * when the new one is invalid.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "deliver.h"
#include "lmtp_server.h"
#include "lmtp_session.h"
#include "log.h"
#include "privs.h"
#include "store.h"
#include "secret.h"
#include "xalloc.h"

#define MAX_SESSIONS 256
#define STOP_GRACE 30

static int sig_pipe[2] = {-1, -1};
static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sessions_cond = PTHREAD_COND_INITIALIZER;
static int nsessions;
static const struct conf *current_conf;
static struct deliver *deliver;

/* Sessions run on a pool of threads that stay for the next connection,
   so a connection does not pay for creating and tearing down a thread. */
static int queue_fds[MAX_SESSIONS];
static size_t queue_head, queue_len;
static int nworkers, nidle;

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

static void *
session_worker(void *p)
{
	(void)p;
	pthread_mutex_lock(&sessions_lock);
	for (;;) {
		int fd;

		nidle++;
		while (queue_len == 0)
			pthread_cond_wait(&sessions_cond, &sessions_lock);
		nidle--;
		fd = queue_fds[queue_head];
		queue_head = (queue_head + 1) % MAX_SESSIONS;
		queue_len--;
		pthread_mutex_unlock(&sessions_lock);
		lmtp_session_run(fd, current_conf, deliver);
		pthread_mutex_lock(&sessions_lock);
		nsessions--;
		pthread_cond_broadcast(&sessions_cond);
	}
	return NULL;
}

/* accept_one - hand a new connection on lfd to an idle worker */
static void
accept_one(int lfd)
{
	static const char busy[] = "421 4.3.2 too many sessions, "
				   "try again later\r\n";
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	pthread_mutex_lock(&sessions_lock);
	if (nsessions >= MAX_SESSIONS) {
		pthread_mutex_unlock(&sessions_lock);
		(void)!write(fd, busy, sizeof(busy) - 1);
		close(fd);
		return;
	}
	if (nidle == 0 && nworkers < MAX_SESSIONS) {
		pthread_attr_t attr;
		pthread_t t;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&t, &attr, session_worker, NULL) == 0)
			nworkers++;
		pthread_attr_destroy(&attr);
		if (nworkers == 0) {
			pthread_mutex_unlock(&sessions_lock);
			log_warn("cannot start a session thread");
			(void)!write(fd, busy, sizeof(busy) - 1);
			close(fd);
			return;
		}
	}
	nsessions++;
	queue_fds[(queue_head + queue_len) % MAX_SESSIONS] = fd;
	queue_len++;
	pthread_cond_broadcast(&sessions_cond);
	pthread_mutex_unlock(&sessions_lock);
}

/* Configurations replaced by SIGHUP stay allocated until exit: sessions
   that started under one may still read it. */
static struct conf **retired;
static size_t nretired;

/* reload - SIGHUP: a valid new configuration replaces the old one.
   XXX: listener changes need a restart. */
static void
reload(const char *path)
{
	struct conf *conf;
	char *err;

	if (conf_load(path, &conf, &err) < 0) {
		log_error("reload failed, keeping the running configuration: %s",
			  err);
		free(err);
		return;
	}
	retired = xrealloc(retired, (nretired + 1) * sizeof(*retired));
	retired[nretired++] = (struct conf *)current_conf;
	current_conf = conf;
	deliver_set_conf(deliver, conf);
	log_info("configuration reloaded from %s", path);
}

/* stop - wait for sessions in a transaction, then force the rest;
   returns how many sessions are still running */
static int
stop(void)
{
	struct timespec until;
	int c;

	atomic_store(&lmtp_stopping, 1);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_GRACE;
	pthread_mutex_lock(&sessions_lock);
	while (nsessions > 0 &&
	       pthread_cond_timedwait(&sessions_cond, &sessions_lock, &until) !=
		   ETIMEDOUT)
		;
	if (nsessions > 0) {
		atomic_store(&lmtp_stop_now, 1);
		until.tv_sec += 5;
		while (nsessions > 0 &&
		       pthread_cond_timedwait(&sessions_cond, &sessions_lock,
					      &until) != ETIMEDOUT)
			;
	}
	c = nsessions;
	pthread_mutex_unlock(&sessions_lock);
	return c;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: mlistd [-c FILE] [-f] [-t] [-V] [-h]\n"
		    "  -c FILE  configuration file (default %s)\n"
		    "  -f       stay in the foreground and log to stderr\n"
		    "  -t       check the configuration and exit\n"
		    "  -V       print the version\n",
		conf_default_path());
}

int
main(int argc, char **argv)
{
	const char *path = conf_default_path();
	struct lmtp_listener listeners[CONF_MAX_LISTEN];
	size_t nl = 0;
	unsigned char key[TOKEN_KEY_LEN];
	struct conf *conf;
	const char *cerr;
	char *err;
	int foreground = 0, test = 0, c;

	while ((c = getopt(argc, argv, "c:ftVh")) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("mlistd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (clock_init(&cerr) < 0) {
		fprintf(stderr, "mlistd: %s\n", cerr);
		return EX_USAGE;
	}
	if (getenv("MLISTD_IDLE_TIMEOUT"))
		lmtp_idle_timeout = atoi(getenv("MLISTD_IDLE_TIMEOUT")) > 0
					? atoi(getenv("MLISTD_IDLE_TIMEOUT"))
					: LMTP_IDLE_TIMEOUT;
	if (conf_load(path, &conf, &err) < 0) {
		fprintf(stderr, "mlistd: %s\n", err);
		free(err);
		return EX_CONFIG;
	}
	if (test) {
		printf("mlistd: %s: configuration is valid\n", path);
		conf_free(&conf);
		return 0;
	}
	log_open("mlistd", foreground || strcmp(conf->log, "stderr") == 0
			       ? LOG_SINK_STDERR
			       : LOG_SINK_SYSLOG);
	current_conf = conf;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		log_fatal(EX_OSERR, "pipe: %s", strerror(errno));
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
	if (lmtp_server_bind(conf, listeners, &nl, &err) < 0)
		log_fatal(EX_UNAVAILABLE, "%s", err);
	if (privs_drop(conf->user, &err) < 0)
		log_fatal(EX_CONFIG, "%s", err);
	if (secret_load(conf->secret_file, 1, key, &err) < 0)
		log_fatal(EX_CANTCREAT, "secret_file %s", err);
	/* open the database once before detaching, so a bad database is
	   reported to whoever started us; threads start after the fork */
	if (!foreground) {
		struct store *probe;

		if (store_open(conf->database, STORE_CREATE, &probe, &err) < 0)
			log_fatal(EX_UNAVAILABLE, "database %s", err);
		store_close(&probe);
		/* XXX: keeps the working directory so relative paths in the
		   configuration stay valid */
		if (daemon(1, 0) < 0)
			log_fatal(EX_OSERR, "daemon: %s", strerror(errno));
	}
	if (deliver_open(conf, key, &deliver, &err) < 0)
		log_fatal(EX_UNAVAILABLE, "database %s", err);
	log_info("mlistd %s started, domain %s", PACKAGE_VERSION, conf->domain);

	for (;;) {
		struct pollfd p[CONF_MAX_LISTEN + 1];
		unsigned char sig;
		bool done = false;

		p[0].fd = sig_pipe[0];
		p[0].events = POLLIN;
		for (size_t i = 0; i < nl; i++) {
			p[i + 1].fd = listeners[i].fd;
			p[i + 1].events = POLLIN;
		}
		if (poll(p, nl + 1, -1) < 0 && errno != EINTR)
			log_fatal(EX_OSERR, "poll: %s", strerror(errno));
		while (read(sig_pipe[0], &sig, 1) == 1) {
			if (sig == SIGHUP)
				reload(path);
			else
				done = true;
		}
		if (done)
			break;
		for (size_t i = 0; i < nl; i++)
			if (p[i + 1].revents & POLLIN)
				accept_one(listeners[i].fd);
	}
	log_info("stopping: no new connections, finishing open sessions");
	lmtp_server_close(listeners, nl);
	if (stop() > 0) {
		/* a stuck peer: its transaction was never acknowledged */
		log_warn("sessions still open after the grace period; exiting");
		return 0;
	}
	deliver_close(&deliver);
	log_info("stopped");
	for (size_t i = 0; i < nretired; i++)
		conf_free(&retired[i]);
	free(retired);
	conf = (struct conf *)current_conf;
	conf_free(&conf);
	return 0;
}
