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
 * when the new one is invalid.  Every LMTP connection is served by the
 * event loop in this thread (lmtp_server_run); the store's committer
 * and checkpointer and the relay's dispatcher and senders (relay.c) are
 * the other threads, all started after daemon().
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "intake.h"
#include "lmtp_server.h"
#include "lmtp_session.h"
#include "log.h"
#include "privs.h"
#include "relay.h"
#include "store.h"
#include "secret.h"
#include "wgate.h"
#include "xalloc.h"

static int sig_pipe[2] = {-1, -1};
static const char *conf_path;
static const struct conf *current_conf;
static struct intake *intake;
static struct relay *relay;
static struct wgate *gate; /* intake writes before the relay */

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

/* session_conf - the configuration new sessions start with */
static const struct conf *
session_conf(void)
{
	return current_conf;
}

/* Configurations replaced by SIGHUP stay allocated until exit: sessions
   that started under one may still read it. */
static struct conf **retired;
static size_t nretired;

/* reload - SIGHUP: a valid new configuration replaces the old one.
   One that changes what only a restart can apply (sockets, database,
   secret, user) is refused whole: half-applying it would, say, let
   readers open another database than the writer. */
static void
reload(void)
{
	const char *path = conf_path, *key;
	struct conf *conf;
	char *err;

	if (conf_load(path, &conf, &err) < 0) {
		log_error(
		    "reload failed, keeping the running configuration: %s",
		    err);
		free(err);
		return;
	}
	if ((key = conf_restart_key(current_conf, conf)) != NULL) {
		log_error("reload refused, keeping the running configuration: "
			  "%s: %s changed; restart mlistd to apply it",
			  path, key);
		conf_free(&conf);
		return;
	}
	retired = xrealloc(retired, (nretired + 1) * sizeof(*retired));
	retired[nretired++] = (struct conf *)current_conf;
	current_conf = conf;
	intake_set_conf(intake, conf);
	relay_set_conf(relay, conf);
	log_info("configuration reloaded from %s", path);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: mlistd [-c FILE] [-f] [-t] [-V] [-h]\n"
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
	/* tests shorten the idle timeout; anything but a positive number
	   keeps the default */
	if ((cerr = getenv("MLISTD_IDLE_TIMEOUT")) != NULL && atoi(cerr) > 0) {
		lmtp_idle_timeout = atoi(cerr);
		lmtp_data_timeout = 2 * lmtp_idle_timeout;
	}
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
	conf_path = path;
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
	gate = wgate_new();
	if (intake_open(conf, key, gate, &intake, &err) < 0)
		log_fatal(EX_UNAVAILABLE, "database %s", err);
	if (relay_open(conf, key, gate, &relay, &err) < 0)
		log_fatal(EX_UNAVAILABLE, "relay: %s", err);
	intake_set_kick(intake, relay_kick, relay);
	log_info("mlistd %s started, domain %s", PACKAGE_VERSION, conf->domain);

	{
		struct lmtp_server_ops ops = {
		    .intake = intake,
		    .sig_fd = sig_pipe[0],
		    .conf = session_conf,
		    .reload = reload,
		};

		/* returns after SIGTERM, once every session is done */
		lmtp_server_run(listeners, nl, &ops);
	}
	lmtp_server_close(listeners, nl);
	intake_close(&intake);
	relay_close(&relay);
	wgate_free(&gate);
	log_info("stopped");
	for (size_t i = 0; i < nretired; i++)
		conf_free(&retired[i]);
	free(retired);
	conf = (struct conf *)current_conf;
	conf_free(&conf);
	return 0;
}
