/*
 * test-relay_smtp - relay_smtp against real Postfix smtp-sink processes
 * on 127.0.0.1: what arrives (envelope, dot-stuffed lines, body byte for
 * byte), connection reuse (100 sends, few sessions), every reply the
 * sink can be told to give (4xx/5xx to MAIL, RCPT, DATA, end of data,
 * 421 and hang-ups), transport errors (refused, timeout, AUTH, TLS), the
 * end-of-data reply's own time limit, and each outcome's relay_policy
 * verdict.
 *
 * Each sink runs under timeout(1) so that none outlives a crashed test;
 * each is stopped by its PID (kill + waitpid), also on early exit.  No
 * shell is involved.  Only the timeout case depends on time (1 s).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "relay_policy.h"
#include "relay_smtp.h"
#include "tap.h"

#define SINK_BIN "/usr/sbin/smtp-sink"
#define TIMEOUT_BIN "/usr/bin/timeout"
#define SINK_LIFETIME "60" /* seconds: no sink outlives a crashed test */
#define TEST_LIFETIME 120  /* seconds for the whole test */
#define MAX_SINKS 8
#define FROM "acme+bounce-x1@lists.example.org"
#define RCPT "alice@example.org"

struct sink {
	pid_t pid;
	int port;
	char dumps[512];    /* directory of -d dumps */
	char counters[512]; /* its stdout: the -c counters */
};

static char base[] = "/tmp/test-relay_smtp.XXXXXX";
static pid_t live[MAX_SINKS];
static int nsinks; /* sinks started, for unique directories */

/* a message with lines smtp needs to dot-stuff */
static const char msg_dots[] = "From: Bob <bob@example.org>\r\n"
			       "Subject: dots\r\n"
			       "\r\n"
			       ".leading dot\r\n"
			       "..two dots\r\n"
			       ".\r\n"
			       "last line\r\n";
static const char msg_small[] = "Subject: hi\r\n\r\nhello\r\n";

/* stop_pid - SIGTERM, then SIGKILL if it lingers; always reaped */
static void
stop_pid(pid_t pid)
{
	int i;

	kill(pid, SIGTERM);
	for (i = 0; i < 300; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* rm_one - nftw callback: remove whatever it is */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* cleanup - at exit: no sink left running, no files left */
static void
cleanup(void)
{
	int i;

	for (i = 0; i < MAX_SINKS; i++)
		if (live[i] > 0) {
			stop_pid(live[i]);
			live[i] = 0;
		}
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* on_signal - time is up (alarm) or the test is killed (SIGPIPE from a
   closed pipe, ^C): stop the sinks before dying.  SIGTERM, not SIGKILL:
   timeout(1) passes it on to its smtp-sink, and would not pass SIGKILL.
   XXX the temporary directory is left behind on this path. */
static void
on_signal(int sig)
{
	int i;

	(void)sig;
	for (i = 0; i < MAX_SINKS; i++)
		if (live[i] > 0)
			kill(live[i], SIGTERM);
	_exit(2);
}

/* free_port - a port nothing listens on now (bind port 0, let go) */
static int
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* accepting - the sink takes connections (a probe counts as a session) */
static bool
accepting(const struct sink *s)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int i, fd, rc;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)s->port);
	for (i = 0; i < 500; i++) {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
			return false;
		fd = socket(AF_INET, SOCK_STREAM, 0);
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
		if (rc == 0)
			return true;
		usleep(10000);
	}
	return false;
}

/* sink_exec - in the child: smtp-sink with opts, under timeout(1) */
static void
sink_exec(const struct sink *s, const char *const *opts)
{
	const char *argv[32];
	char listen[64], dump[600];
	int n = 0, fd;

	fd = open(s->counters, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(127);
	if ((fd = open("/dev/null", O_WRONLY)) >= 0)
		dup2(fd, 2);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", s->port);
	snprintf(dump, sizeof(dump), "%s/%%H%%M%%S.", s->dumps);
	argv[n++] = "timeout";
	argv[n++] = "-k";
	argv[n++] = "5";
	argv[n++] = SINK_LIFETIME;
	argv[n++] = SINK_BIN;
	if (geteuid() == 0) {
		argv[n++] = "-u";
		argv[n++] = "nobody";
	}
	argv[n++] = "-c";
	argv[n++] = "-d";
	argv[n++] = dump;
	while (opts != NULL && *opts != NULL && n < 28)
		argv[n++] = *opts++;
	argv[n++] = listen;
	argv[n++] = "16";
	argv[n] = NULL;
	execv(TIMEOUT_BIN, (char *const *)argv);
	_exit(127);
}

/* sink_start - a sink on port (0: a free one), ready to accept; false
   when it would not start */
static bool
sink_start(struct sink *s, int port, const char *const *opts)
{
	int slot;

	for (slot = 0; slot < MAX_SINKS && live[slot] > 0; slot++)
		;
	if (slot == MAX_SINKS)
		return false;
	memset(s, 0, sizeof(*s));
	s->port = port > 0 ? port : free_port();
	snprintf(s->dumps, sizeof(s->dumps), "%s/dump%d", base, nsinks);
	snprintf(s->counters, sizeof(s->counters), "%s/counters%d", base,
		 nsinks++);
	/* the sink writes its dumps as nobody */
	if (mkdir(s->dumps, 0700) < 0 || chmod(s->dumps, 01777) < 0)
		return false;
	if ((s->pid = fork()) < 0)
		return false;
	if (s->pid == 0)
		sink_exec(s, opts);
	live[slot] = s->pid;
	return accepting(s);
}

/* sink_stop - stop it by its PID */
static void
sink_stop(struct sink *s)
{
	int i;

	if (s->pid <= 0)
		return;
	stop_pid(s->pid);
	for (i = 0; i < MAX_SINKS; i++)
		if (live[i] == s->pid)
			live[i] = 0;
	s->pid = 0;
}

/* sink_restart - the same port with other options: the old sink's
   connections die with it */
static bool
sink_restart(struct sink *s, const char *const *opts)
{
	int port = s->port;

	sink_stop(s);
	return sink_start(s, port, opts);
}

/* sink_counters - the last "sess=N quit=N mesg=N" the sink printed,
   once it shows at least want_quit QUITs: the sink may print after its
   221 reply reached us, so wait for that (3 s at most) */
static bool
sink_counters(const struct sink *s, int want_quit, int *sess, int *quit,
	      int *mesg)
{
	size_t len;
	char *all, *p, *last;
	bool got = false;
	int i;

	for (i = 0; i < 300 && !(got && *quit >= want_quit); i++) {
		if (i > 0)
			usleep(10000);
		all = tap_slurp(s->counters, &len);
		for (last = NULL, p = all; p && (p = strstr(p, "sess=")); p++)
			last = p;
		got = last && sscanf(last, "sess=%d quit=%d mesg=%d", sess,
				     quit, mesg) == 3;
		free(all);
	}
	return got;
}

/* sink_dump - the dump holding needle (a heap copy), and how many do */
static char *
sink_dump(const struct sink *s, const char *needle, int *count_r)
{
	DIR *d = opendir(s->dumps);
	struct dirent *e;
	char path[1200], *found = NULL, *text;
	size_t len;

	*count_r = 0;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dumps, e->d_name);
		if ((text = tap_slurp(path, &len)) == NULL)
			continue;
		if (strstr(text, needle) != NULL && ++*count_r == 1) {
			found = text;
			continue;
		}
		free(text);
	}
	if (d)
		closedir(d);
	return found;
}

/* dump_body - the message in a dump: after smtp-sink's three-line
   Received header */
static const char *
dump_body(const char *dump)
{
	const char *p = strstr(dump, "\nReceived: ");
	int i;

	for (i = 0; p && i < 3; i++)
		p = strchr(p + 1, '\n');
	return p ? p + 1 : "";
}

/* as_dumped - msg as smtp-sink writes it: LF line ends, then the empty
   line it appends (msg must end in CRLF) */
static char *
as_dumped(const char *msg, size_t len)
{
	char *out = malloc(len + 2), *o = out;
	size_t i;

	if (out == NULL)
		abort();
	for (i = 0; i < len; i++)
		if (!(msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n'))
			*o++ = msg[i];
	*o++ = '\n';
	*o = '\0';
	return out;
}

/* relay_with - a handle for the sink at port with options o */
static struct relay_smtp *
relay_with(struct relay_smtp_opts *o, int port)
{
	struct relay_smtp *r = NULL;
	char url[64], *error = NULL;

	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	o->url = url;
	o->helo = "lists.example.org";
	o->connect_timeout_s = 5;
	if (relay_smtp_open(o, &r, &error) < 0) {
		printf("# relay_smtp_open: %s\n", error);
		free(error);
		abort();
	}
	return r;
}

/* relay_to - a handle for the sink at port */
static struct relay_smtp *
relay_to(int port, const char *tls, const char *user, long timeout_s)
{
	struct relay_smtp_opts o = {
	    .tls = tls,
	    .user = user,
	    .password = "secret",
	    .timeout_s = timeout_s ? timeout_s : 10,
	};

	return relay_with(&o, port);
}

/* send_msg - one send; shows what came back */
static struct relay_result
send_msg(struct relay_smtp *r, const char *from, const char *msg)
{
	struct relay_result res;

	relay_smtp_send(r, from, RCPT, msg, strlen(msg), &res);
	printf("# -> code=%d enhanced='%s' transport=%d reply='%s'\n", res.code,
	       res.enhanced, res.transport, res.reply);
	return res;
}

/* expect - transport, code, enhanced code (NULL: any) and verdict */
static void
expect(const char *what, const struct relay_result *res, int transport,
       int code, const char *enhanced, enum relay_verdict verdict)
{
	is_int(res->transport, transport, "%s: transport", what);
	is_int(res->code, code, "%s: code", what);
	if (enhanced != NULL)
		is_str(res->enhanced, enhanced, "%s: enhanced code", what);
	is_int(relay_policy_classify(res->code, res->enhanced, res->transport),
	       verdict, "%s: verdict %s", what,
	       relay_policy_verdict_name(verdict));
}

/* test_delivered - envelope, EHLO name, dot-stuffed lines and body
   arrive as sent; the null sender is <> */
static void
test_delivered(void)
{
	struct sink s;
	struct relay_smtp *r;
	struct relay_result res;
	char *dump, *want;
	int n, sess, quit, mesg;

	ok(sink_start(&s, 0, NULL), "sink started on port %d", s.port);
	r = relay_to(s.port, "try", NULL, 0);
	res = send_msg(r, FROM, msg_dots);
	expect("delivery", &res, RELAY_TRANSPORT_NONE, 250, "2.0.0",
	       RELAY_SENT);
	ok(strstr(res.reply, "Ok") != NULL, "delivery: reply text kept");
	res = send_msg(r, "", msg_small);
	expect("null sender", &res, RELAY_TRANSPORT_NONE, 250, "2.0.0",
	       RELAY_SENT);
	relay_smtp_close(&r);
	ok(r == NULL, "close clears the handle");
	/* its QUIT counted, the sink is done with the dumps */
	ok(sink_counters(&s, 1, &sess, &quit, &mesg), "sink saw QUIT");
	is_int(mesg, 2, "sink got 2 messages");

	dump = sink_dump(&s, "X-Mail-Args: <" FROM ">\n", &n);
	is_int(n, 1, "one transaction from " FROM);
	ok(dump && strstr(dump, "X-Rcpt-Args: <" RCPT ">\n"),
	   "RCPT TO arrived");
	ok(dump && strstr(dump, "X-Helo-Args: lists.example.org\n"),
	   "EHLO names the list domain");
	want = as_dumped(msg_dots, sizeof(msg_dots) - 1);
	is_str(dump ? dump_body(dump) : NULL, want,
	       "body byte-exact, dot-stuffed lines restored");
	free(want);
	free(dump);
	dump = sink_dump(&s, "X-Mail-Args: <>\n", &n);
	is_int(n, 1, "null sender sent as MAIL FROM:<>");
	free(dump);
	sink_stop(&s);
}

/* big_message - n bytes of numbered lines, some starting with a dot */
static char *
big_message(size_t n)
{
	char *m = malloc(n + 64);
	size_t len = 0;
	int i;

	if (m == NULL)
		abort();
	len += (size_t)sprintf(m, "Subject: big\r\n\r\n");
	for (i = 0; len < n; i++)
		len += (size_t)sprintf(m + len, "%s%08d abcdefghijklmnop\r\n",
				       i % 7 == 0 ? "." : "", i);
	return m;
}

/* test_big - a message above the upload buffer arrives whole */
static void
test_big(void)
{
	struct sink s;
	struct relay_smtp *r;
	struct relay_result res;
	char *msg = big_message(700000), *dump, *want;
	int n, sess, quit, mesg;

	ok(sink_start(&s, 0, NULL), "sink started");
	r = relay_to(s.port, "off", NULL, 0);
	res = send_msg(r, FROM, msg);
	expect("700 kB message", &res, RELAY_TRANSPORT_NONE, 250, "2.0.0",
	       RELAY_SENT);
	relay_smtp_close(&r);
	ok(sink_counters(&s, 1, &sess, &quit, &mesg), "sink saw QUIT");
	dump = sink_dump(&s, "Subject: big", &n);
	want = as_dumped(msg, strlen(msg));
	ok(dump && strcmp(dump_body(dump), want) == 0,
	   "700 kB body byte-exact");
	free(want);
	free(dump);
	free(msg);
	sink_stop(&s);
}

/* test_reuse - 100 sends on one handle use one session, and a handle
   whose server went away reconnects */
static void
test_reuse(void)
{
	struct sink s;
	struct relay_smtp *r;
	struct relay_result res;
	int i, sent = 0, sess = -1, quit = -1, mesg = -1;

	ok(sink_start(&s, 0, NULL), "sink started");
	r = relay_to(s.port, "try", NULL, 0);
	for (i = 0; i < 100; i++) {
		relay_smtp_send(r, FROM, RCPT, msg_small, strlen(msg_small),
				&res);
		sent += relay_policy_classify(res.code, res.enhanced,
					      res.transport) == RELAY_SENT;
	}
	is_int(sent, 100, "100 sends on one handle");

	/* the server closes the kept connection: the next send reconnects */
	ok(sink_restart(&s, NULL), "sink restarted on the same port");
	res = send_msg(r, FROM, msg_small);
	expect("after the server closed", &res, RELAY_TRANSPORT_NONE, 250,
	       "2.0.0", RELAY_SENT);
	relay_smtp_close(&r);
	/* counters of the second sink: the probe's session and ours */
	ok(sink_counters(&s, 1, &sess, &quit, &mesg), "counters read");
	sink_stop(&s);
	is_int(mesg, 1, "restarted sink got the message");
	is_int(quit, 1, "closing the handle sent QUIT");

	/* the 100, counted on their own sink */
	ok(sink_start(&s, 0, NULL), "sink started");
	r = relay_to(s.port, "try", NULL, 0);
	for (i = 0; i < 100; i++)
		relay_smtp_send(r, FROM, RCPT, msg_small, strlen(msg_small),
				&res);
	relay_smtp_close(&r);
	ok(sink_counters(&s, 1, &sess, &quit, &mesg), "counters read");
	sink_stop(&s);
	is_int(mesg, 100, "sink got 100 messages");
	/* sess counts sessions ended at the last update: the probe's (and
	   ours, if it ended before the print); without reuse it would be
	   near 100 */
	ok(sess >= 0 && sess <= 2, "few sessions ended (%d)", sess);
	is_int(quit, 1, "one session carried them all (one QUIT)");
}

/* One sink option set, the reply it causes and its verdict. */
static const struct reply_case {
	const char *why;
	const char *opts[5];
	int code;
	const char *enhanced;
	const char *text; /* in the reply, or NULL */
	enum relay_verdict verdict;
} reply_cases[] = {
    {"RCPT 550 5.1.1",
     {"-f", "RCPT", "-B", "550 5.1.1 <" RCPT ">: User unknown", NULL},
     550,
     "5.1.1",
     "User unknown",
     RELAY_BOUNCE},
    /* a multi-line reply: argv carries the CRLF, smtp-sink sends it */
    {"RCPT multi-line 550",
     {"-f", "RCPT", "-B", "550-5.7.1 first line\r\n550 5.7.1 second line",
      NULL},
     550,
     "5.7.1",
     "first line second line",
     RELAY_BOUNCE},
    {"RCPT 4xx",
     {"-r", "RCPT", NULL},
     450,
     "4.3.0",
     "command failed",
     RELAY_RETRY},
    {"MAIL 4xx", {"-r", "MAIL", NULL}, 450, "4.3.0", NULL, RELAY_RETRY},
    {"MAIL 5xx", {"-f", "MAIL", NULL}, 500, "5.3.0", NULL, RELAY_BOUNCE},
    {"DATA 5xx", {"-f", "DATA", NULL}, 500, "5.3.0", NULL, RELAY_BOUNCE},
    {"end of data 5xx",
     {"-f", ".", "-B", "554 5.7.1 spam rejected", NULL},
     554,
     "5.7.1",
     "spam rejected",
     RELAY_BOUNCE},
    {"end of data 4xx", {"-r", ".", NULL}, 450, "4.3.0", NULL, RELAY_RETRY},
};

/* test_replies - each refusal reported as the server's reply, twice on
   the same handle (a failure leaves it usable) */
static void
test_replies(void)
{
	size_t i;
	int k;

	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];
		struct sink s;
		struct relay_smtp *r;
		struct relay_result res;

		ok(sink_start(&s, 0, c->opts), "%s: sink started", c->why);
		r = relay_to(s.port, "try", NULL, 0);
		for (k = 0; k < 2; k++) {
			res = send_msg(r, FROM, msg_small);
			expect(c->why, &res, RELAY_TRANSPORT_NONE, c->code,
			       c->enhanced, c->verdict);
		}
		if (c->text != NULL)
			ok(strstr(res.reply, c->text) != NULL, "%s: reply text",
			   c->why);
		relay_smtp_close(&r);
		sink_stop(&s);
	}
}

/* test_hangups - 421 and a silent hang-up; then the same handle sends
   through a normal sink on the same port */
static void
test_hangups(void)
{
	static const char *const q_mail[] = {"-Q", "MAIL", NULL};
	static const char *const q_data[] = {"-q", "DATA", NULL};
	struct sink s;
	struct relay_smtp *r;
	struct relay_result res;

	ok(sink_start(&s, 0, q_mail), "sink -Q MAIL started");
	r = relay_to(s.port, "try", NULL, 0);
	res = send_msg(r, FROM, msg_small);
	expect("421 to MAIL", &res, RELAY_TRANSPORT_NONE, 421, NULL,
	       RELAY_RETRY);
	ok(sink_restart(&s, NULL), "normal sink on the same port");
	res = send_msg(r, FROM, msg_small);
	expect("send after 421", &res, RELAY_TRANSPORT_NONE, 250, "2.0.0",
	       RELAY_SENT);

	ok(sink_restart(&s, q_data), "sink -q DATA on the same port");
	res = send_msg(r, FROM, msg_small);
	expect("hang-up after DATA", &res, RELAY_TRANSPORT_PROTOCOL, 0, "",
	       RELAY_RETRY);
	ok(res.reply[0] != '\0', "hang-up: curl's error as text");
	ok(sink_restart(&s, NULL), "normal sink on the same port");
	res = send_msg(r, FROM, msg_small);
	expect("send after hang-up", &res, RELAY_TRANSPORT_NONE, 250, "2.0.0",
	       RELAY_SENT);
	relay_smtp_close(&r);
	sink_stop(&s);
}

/* A sink that makes the relay fail before the recipient side answers:
   a transport error, and nothing delivered. */
static const struct transport_case {
	const char *why;
	const char *opts[3];
	const char *tls;
	const char *user;
	long timeout_s;
	int transport;
	int code; /* the server's reply to AUTH, when it gave one */
} transport_cases[] = {
    {"no reply within 1 s",
     {"-w", "3", NULL},
     "try",
     NULL,
     1,
     RELAY_TRANSPORT_TIMEOUT,
     0},
    /* smtp-sink answers "AUTH PLAIN" with 250, not 334: login fails */
    {"AUTH not completed", {NULL}, "try", "user", 0, RELAY_TRANSPORT_AUTH, 0},
    {"AUTH refused with 5xx",
     {"-f", "AUTH", NULL},
     "try",
     "user",
     0,
     RELAY_TRANSPORT_AUTH,
     500},
    {"relay_user set, no AUTH offered",
     {"-a", NULL},
     "try",
     "user",
     0,
     RELAY_TRANSPORT_AUTH,
     0},
    /* the relay refusing us is not the recipient's answer */
    {"greeting 5xx",
     {"-f", "CONNECT", NULL},
     "try",
     NULL,
     0,
     RELAY_TRANSPORT_PROTOCOL,
     500},
    {"TLS required, no STARTTLS",
     {NULL},
     "require",
     NULL,
     0,
     RELAY_TRANSPORT_TLS,
     0},
};

/* test_transport - refused, timeout, AUTH, TLS: all retried */
static void
test_transport(void)
{
	struct relay_smtp *r;
	struct relay_result res;
	size_t i;
	int n;

	r = relay_to(free_port(), "try", NULL, 0);
	res = send_msg(r, FROM, msg_small);
	expect("nothing listening", &res, RELAY_TRANSPORT_REFUSED, 0, "",
	       RELAY_RETRY);
	ok(res.reply[0] != '\0', "refused: curl's error as text");
	relay_smtp_close(&r);

	for (i = 0; i < sizeof(transport_cases) / sizeof(transport_cases[0]);
	     i++) {
		const struct transport_case *c = &transport_cases[i];
		struct sink s;
		time_t t0;

		ok(sink_start(&s, 0, c->opts), "%s: sink started", c->why);
		r = relay_to(s.port, c->tls, c->user, c->timeout_s);
		t0 = time(NULL);
		res = send_msg(r, FROM, msg_small);
		expect(c->why, &res, c->transport, c->code, NULL, RELAY_RETRY);
		ok(res.reply[0] != '\0', "%s: a reason", c->why);
		ok(time(NULL) - t0 < 10, "%s: no long wait", c->why);
		relay_smtp_close(&r);
		free(sink_dump(&s, "X-Mail-Args", &n));
		is_int(n, 0, "%s: nothing delivered", c->why);
		sink_stop(&s);
	}
}

/* relay_slow_dot - a handle whose replies get timeout_s, the
   end-of-data one dot_s */
static struct relay_smtp *
relay_slow_dot(int port, long timeout_s, long dot_s)
{
	struct relay_smtp_opts o = {
	    .tls = "off", .timeout_s = timeout_s, .dot_timeout_s = dot_s};

	return relay_with(&o, port);
}

/* test_slow_dot - the end-of-data reply has its own limit (RFC 5321
   4.5.3.2.6), longer than the other replies'; one that runs out leaves
   no connection behind whose late reply would answer the next send */
static void
test_slow_dot(void)
{
	static const char *const slow[] = {"-W", ".:3", NULL};
	struct relay_smtp *r;
	struct relay_result res;
	struct sink s;
	time_t t0;

	ok(sink_start(&s, 0, slow), "sink -W .:3 started");
	r = relay_slow_dot(s.port, 1, 10);
	res = send_msg(r, FROM, msg_small);
	expect("end of data answered in 3 s, replies get 1 s", &res,
	       RELAY_TRANSPORT_NONE, 250, "2.0.0", RELAY_SENT);
	relay_smtp_close(&r);

	r = relay_slow_dot(s.port, 10, 1);
	t0 = time(NULL);
	res = send_msg(r, FROM, msg_small);
	expect("end of data answered after its 1 s", &res,
	       RELAY_TRANSPORT_TIMEOUT, 0, "", RELAY_RETRY);
	is_str(res.stage, "DOT", "timed out waiting for the end of data");
	ok(time(NULL) - t0 < 3, "after 1 s, not 3");
	res = send_msg(r, FROM, msg_small);
	expect("the next send, on a new connection", &res,
	       RELAY_TRANSPORT_TIMEOUT, 0, "", RELAY_RETRY);
	is_str(res.stage, "DOT", "its own end of data, in step");
	t0 = time(NULL);
	relay_smtp_close(&r);
	ok(time(NULL) - t0 < 2, "close does not wait for the late reply");
	sink_stop(&s);
}

/* test_check - relay_smtp_check meets what a send would before MAIL,
   and sends nothing */
static void
test_check(void)
{
	static const char *const no_auth[] = {"-a", NULL};
	struct relay_smtp *r;
	struct relay_result res;
	struct sink s;
	int n;

	r = relay_to(free_port(), "try", NULL, 0);
	relay_smtp_check(r, &res);
	is_int(res.transport, RELAY_TRANSPORT_REFUSED, "check: refused");
	is_str(res.reply, "cannot connect: Connection refused",
	       "check: the cause in words");
	relay_smtp_close(&r);

	ok(sink_start(&s, 0, NULL), "check: sink started");
	r = relay_to(s.port, "try", NULL, 0);
	relay_smtp_check(r, &res);
	is_int(res.transport, RELAY_TRANSPORT_NONE, "check: a working relay");
	relay_smtp_close(&r);
	r = relay_to(s.port, "require", NULL, 0);
	relay_smtp_check(r, &res);
	is_int(res.transport, RELAY_TRANSPORT_TLS,
	       "check: require, no STARTTLS offered");
	relay_smtp_close(&r);
	ok(sink_restart(&s, no_auth), "check: sink -a");
	r = relay_to(s.port, "try", "user", 0);
	relay_smtp_check(r, &res);
	is_int(res.transport, RELAY_TRANSPORT_AUTH,
	       "check: relay_user set, no AUTH offered");
	relay_smtp_close(&r);
	free(sink_dump(&s, "X-Mail-Args", &n));
	is_int(n, 0, "check: nothing sent");
	sink_stop(&s);
}

/* test_open - options refused before any connection */
static void
test_open(void)
{
	static const struct relay_smtp_opts bad[] = {
	    {.url = "http://127.0.0.1:25"},
	    {.url = NULL},
	    {.url = "smtp://127.0.0.1:25", .tls = "maybe"},
	    {.url = "smtp://127.0.0.1:25", .helo = "a/b?c"},
	};
	struct relay_smtp_opts good = {.url = "smtps://127.0.0.1:465",
				       .tls = "off"};
	struct relay_smtp *r = NULL;
	char *error = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		is_int(relay_smtp_open(&bad[i], &r, &error), -1,
		       "bad options %zu refused", i);
		ok(r == NULL && error != NULL && *error, "with a reason: %s",
		   error ? error : "(none)");
		free(error);
	}
	is_int(relay_smtp_open(&good, &r, &error), 0, "smtps:// accepted");
	relay_smtp_close(&r);
	relay_smtp_close(&r);
	ok(r == NULL, "close twice is harmless");
}

int
main(void)
{
	if (access(SINK_BIN, X_OK) != 0 || access(TIMEOUT_BIN, X_OK) != 0)
		tap_skip_all("needs " SINK_BIN " and " TIMEOUT_BIN);
	if (mkdtemp(base) == NULL || chmod(base, 0755) < 0) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	atexit(cleanup);
	signal(SIGALRM, on_signal);
	signal(SIGPIPE, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	alarm(TEST_LIFETIME);
	relay_smtp_global_init();

	test_open();
	test_delivered();
	test_big();
	test_reuse();
	test_replies();
	test_hangups();
	test_transport();
	test_slow_dot();
	test_check();
	tap_done();
}
