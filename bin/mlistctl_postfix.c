/*
 * mlistctl_postfix - "mlistctl postfix": the commands that plug this
 * installation into Postfix (SPEC.md section 11).
 *
 * The output is a sh script an admin reads and runs as root.  It only adds
 * to Postfix's configuration: lists of values are extended with
 * "$(postconf -nh KEY)" (what main.cf sets, not the computed default), the maps
 * and the master.cf transport are mlistd's own, and recipient verification is
 * reached through check_recipient_access for the lists domain only.  Its line
 * forms are few and fixed (man mlistctl(1) lists them) so that tests/postfix.sh
 * can apply them without a shell.  Postfix's current queue_directory and
 * recipient_delimiter are read with "postconf -h" (argv, no shell) when
 * postconf is at hand, and so are its config_directory (where the maps
 * go) and the lists it appends to: a value main.cf already has is not
 * appended again, so the script can be printed and run twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "mlistctl.h"

#define POSTFIX_CONFIG "/etc/postfix"
#define POSTFIX_QUEUE "/var/spool/postfix"
#define POSTFIX_RCPT_LIMIT 1000

extern char **environ;

/* postfix_param - Postfix's value of param ("postconf FLAG", -h for the
   value in use, -nh for what main.cf sets; postconf inherits MAIL_CONFIG)
   in out; false when postconf cannot tell */
static bool
postfix_param(const char *flag, const char *param, char *out, size_t size)
{
	char *argv[] = {"postconf", (char *)flag, (char *)param, NULL};
	posix_spawn_file_actions_t fa;
	size_t n = 0;
	ssize_t r;
	int fds[2], status;
	pid_t pid;
	bool ok;

	if (pipe(fds) < 0)
		return false;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
					 O_WRONLY, 0);
	ok = posix_spawnp(&pid, "postconf", &fa, NULL, argv, environ) == 0;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (ok && n + 1 < size &&
	       (r = read(fds[0], out + n, size - 1 - n)) > 0)
		n += (size_t)r;
	close(fds[0]);
	if (!ok)
		return false;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* safe_path - s can be written unquoted in a Postfix map and in sh */
static bool
safe_path(const char *s)
{
	return s[0] != '\0' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789/._+-") == strlen(s);
}

/* listener_name - the listener as mlistd.conf writes it */
static void
listener_name(const struct conf_listen *l, char *out, size_t size)
{
	if (l->unix_path)
		snprintf(out, size, "unix:%s", l->unix_path);
	else
		snprintf(out, size, "inet:%s:%s", l->host, l->port);
}

/* in_chroot - l's path relative to the chroot queue, or NULL */
static const char *
in_chroot(const struct conf_listen *l, const char *queue)
{
	size_t n = strlen(queue);

	while (n > 1 && queue[n - 1] == '/')
		n--;
	if (!l->unix_path || strncmp(l->unix_path, queue, n) != 0 ||
	    l->unix_path[n] != '/' || l->unix_path[n + 1] == '\0')
		return NULL;
	return l->unix_path + n + 1;
}

/* pick_listener - the listener the transport uses: the first unix socket
   inside Postfix's chroot (no port to guard, and Debian's lmtp runs
   chrooted), else the first inet one, else the first unix socket (then the
   transport cannot run chrooted); *why says so in comment lines */
static size_t
pick_listener(const struct conf *conf, const char *queue, const char **why)
{
	for (size_t i = 0; i < conf->nlisten; i++)
		if (in_chroot(&conf->listen[i], queue)) {
			*why = "the first unix socket inside Postfix's queue "
			       "directory\n# (%s), where Debian runs the lmtp "
			       "client chrooted.";
			return i;
		}
	for (size_t i = 0; i < conf->nlisten; i++)
		if (!conf->listen[i].unix_path) {
			*why = "the first inet listener: no unix socket is "
			       "inside Postfix's queue\n# directory (%s).";
			return i;
		}
	*why = "the first unix socket, outside Postfix's queue directory "
	       "(%s):\n# the transport runs without chroot to reach it.";
	return 0;
}

/* has_item - list (Postfix's comma- or space-separated) holds value,
   which may be several words, as whole items */
static bool
has_item(const char *list, const char *value)
{
	size_t n = strlen(value);

	for (const char *p = list; (p = strstr(p, value)) != NULL; p++) {
		bool start = p == list || strchr(" \t,", p[-1]) != NULL;

		if (start && (p[n] == '\0' || strchr(" \t,", p[n]) != NULL))
			return true;
	}
	return false;
}

/* print_append - a postconf -e that adds value to key's current list,
   or a comment when main.cf has it already: the script run twice does
   not add it twice */
static void
print_append(const char *key, const char *value)
{
	char cur[8192];

	if (postfix_param("-nh", key, cur, sizeof(cur)) &&
	    has_item(cur, value)) {
		printf("# %s already has %s: left as it is.\n", key, value);
		return;
	}
	printf("postconf -e \"%s = $(postconf -nh %s) %s\"\n", key, key, value);
}

/* print_map - the sh lines that write and index map file dir/name */
static void
print_map(const char *dir, const char *name, const char *key, const char *value)
{
	printf("cat > %s/%s <<'EOF'\n%s\t%s\nEOF\n", dir, name, key, value);
	printf("postmap %s/%s\n", dir, name);
}

/* print_delimiter - recipient_delimiter keeping the admin's characters and
   adding mlistd's; warns on stderr when Postfix used another one */
static void
print_delimiter(char delim)
{
	char cur[64], val[80];

	/* a value sh would expand inside "..." is not copied */
	if (!postfix_param("-h", "recipient_delimiter", cur, sizeof(cur)) ||
	    strpbrk(cur, "\"$`\\") != NULL) {
		printf("# (postconf could not tell the current "
		       "recipient_delimiter: if one is set,\n"
		       "# keep its characters beside %c.)\n",
		       delim);
		cur[0] = '\0';
	}
	if (strchr(cur, delim) != NULL)
		snprintf(val, sizeof(val), "%s", cur);
	else
		snprintf(val, sizeof(val), "%s%c", cur, delim);
	if (cur[0] != '\0' && strchr(cur, delim) == NULL) {
		fprintf(stderr,
			"mlistctl: warning: Postfix's recipient_delimiter is "
			"\"%s\" but mlistd's delimiter is \"%c\"; the "
			"printed line keeps both (\"%s\").\n",
			cur, delim, val);
		printf("# Postfix used \"%s\", mlistd uses \"%c\": both are "
		       "kept, so your other domains\n# keep their address "
		       "extensions.\n",
		       cur, delim);
	}
	printf("postconf -e \"recipient_delimiter = %s\"\n", val);
}

int
mlistctl_postfix_cmd(struct mlistctl *c)
{
	const struct conf *conf = c->conf;
	const char *dom = conf->domain, *why, *rel;
	char queue[512], cfg[512], name[640], nexthop[600];
	bool chroot = true;
	size_t pick;

	if (c->argc != 0)
		return mlistctl_usage("postfix takes no arguments");
	if (conf->nlisten == 0)
		return mlistctl_fail(EX_CONFIG, "mlistd.conf has no listen "
						"entry for Postfix to reach.");
	if (!postfix_param("-h", "queue_directory", queue, sizeof(queue)) ||
	    queue[0] != '/')
		snprintf(queue, sizeof(queue), "%s", POSTFIX_QUEUE);
	/* the maps go where this Postfix reads its main.cf (MAIL_CONFIG,
	   a second instance), so the lists can be compared as they are */
	if (!postfix_param("-h", "config_directory", cfg, sizeof(cfg)) ||
	    cfg[0] != '/' || !safe_path(cfg))
		snprintf(cfg, sizeof(cfg), "%s", POSTFIX_CONFIG);
	pick = pick_listener(conf, queue, &why);
	{
		const struct conf_listen *l = &conf->listen[pick];

		if ((rel = in_chroot(l, queue)) != NULL)
			snprintf(nexthop, sizeof(nexthop), "unix:%s", rel);
		else if (l->unix_path) {
			snprintf(nexthop, sizeof(nexthop), "unix:%s",
				 l->unix_path);
			chroot = false;
		} else if (strchr(l->host, ':'))
			snprintf(nexthop, sizeof(nexthop), "inet:[%s]:%s",
				 l->host, l->port);
		else
			snprintf(nexthop, sizeof(nexthop), "inet:%s:%s",
				 l->host, l->port);
		if (l->unix_path && !safe_path(l->unix_path))
			return mlistctl_fail(
			    EX_CONFIG,
			    "the socket path %s cannot be written in a "
			    "Postfix transport map; use letters, digits and "
			    "/._+- only.",
			    l->unix_path);
	}

	printf("# mlistctl postfix: plug %s into Postfix.\n"
	       "# Run these lines as root on the Postfix host (or save them "
	       "and run them\n"
	       "# with sh).  They add to main.cf and master.cf, never remove "
	       "what is there,\n# and add nothing twice.\n#\n"
	       "# mlistd listens on (%s):\n",
	       dom, conf->path ? conf->path : "mlistd.conf");
	for (size_t i = 0; i < conf->nlisten; i++) {
		listener_name(&conf->listen[i], name, sizeof(name));
		printf("#   %s%s\n", name,
		       i == pick ? "   <- the transport uses this one" : "");
	}
	printf("# The transport uses ");
	printf(why, queue); /* one of pick_listener's literals: one %s */
	putchar('\n');

	printf(
	    "\n# 1. A transport of its own, an lmtp client whose recipient "
	    "limit\n"
	    "#    (mlistd_lmtp_destination_recipient_limit, the per-transport "
	    "form of\n"
	    "#    lmtp_destination_recipient_limit) leaves other LMTP "
	    "deliveries alone.\n"
	    "#    Not named \"mlistd\": master.cf services own "
	    "private/NAME, mlistd's socket.\n");
	/* its own syslog name: its lines say postfix/mlistd_lmtp */
	printf("postconf -M -e \"mlistd_lmtp/unix = mlistd_lmtp unix - - %c - "
	       "- lmtp -o syslog_name=postfix/mlistd_lmtp\"\n",
	       chroot ? 'y' : 'n');
	printf("postconf -e \"mlistd_lmtp_destination_recipient_limit = %d\"\n",
	       POSTFIX_RCPT_LIMIT);

	printf("\n# 2. Mail for %s goes to mlistd over LMTP.\n", dom);
	snprintf(name, sizeof(name), "mlistd_lmtp:%s", nexthop);
	print_map(cfg, "mlistd_transport", dom, name);
	print_append("relay_domains", dom);
	snprintf(name, sizeof(name), "hash:%s/mlistd_transport", cfg);
	print_append("transport_maps", name);

	printf("\n# 3. Unknown club addresses are refused during the SMTP "
	       "session (550 5.1.1):\n"
	       "#    Postfix asks mlistd first, for %s only; other domains "
	       "are\n"
	       "#    never probed.  Postfix remembers a refusal (that is how "
	       "smtpd learns\n"
	       "#    it) and asks again after 10 minutes, not 3 hours: a club "
	       "created after a\n"
	       "#    refused test works soon.  If your "
	       "smtpd_recipient_restrictions ends\n"
	       "#    with \"permit\", move the check before it.\n",
	       dom);
	print_map(cfg, "mlistd_recipient_access", dom, "mlistd_verify");
	print_append("smtpd_restriction_classes", "mlistd_verify");
	printf("postconf -e \"mlistd_verify = reject_unverified_recipient\"\n");
	snprintf(name, sizeof(name),
		 "check_recipient_access hash:%s/mlistd_recipient_access", cfg);
	print_append("smtpd_recipient_restrictions", name);
	printf("postconf -e \"unverified_recipient_reject_code = 550\"\n");
	printf("postconf -e \"address_verify_negative_refresh_time = 10m\"\n");

	printf("\n# 4. Address extensions: mlistd's delimiter is \"%c\" "
	       "(acme%cowner@%s).\n",
	       conf->delimiter, conf->delimiter, dom);
	print_delimiter(conf->delimiter);

	printf("\n# Then check and reload:  postfix check && systemctl reload "
	       "postfix\n");
	return 0;
}
