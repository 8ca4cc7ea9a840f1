/*
 * test-bounce - bounce_parse() on hand-written reports, one of each shape
 * SPEC 8 distinguishes, plus hostile input that must give "none" without
 * a crash (run under -fsanitize=address,undefined too).  The fixtures of
 * tests/fixtures/bounces (one or more per MTA or provider family, and
 * the mail that must not be read as a bounce) are listed with their
 * expected kind, failed addresses and status in its expected.tsv.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "tap.h"
#include "xalloc.h"

struct bcase {
	const char *name;
	const char *raw;
	enum bounce_kind kind;
	const char *addr;   /* first recipient, or NULL for none */
	const char *status; /* its status, or NULL not to check */
	bool dmarc;
};

#define DSN_HEAD                                                               \
	"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"        \
	"To: acme+bounce-XYZ@lists.example.org\r\n"                            \
	"Subject: Undelivered Mail Returned to Sender\r\n"                     \
	"MIME-Version: 1.0\r\n"                                                \
	"Content-Type: multipart/report; report-type=delivery-status;\r\n"     \
	"\tboundary=\"B\"\r\n\r\n"                                             \
	"--B\r\nContent-Type: text/plain\r\n\r\n"                              \
	"This is the mail system at host mx.example.net.\r\n\r\n"              \
	"--B\r\nContent-Type: message/delivery-status\r\n\r\n"                 \
	"Reporting-MTA: dns; mx.example.net\r\n\r\n"

#define DSN_TAIL                                                               \
	"\r\n--B\r\nContent-Type: message/rfc822\r\n\r\n"                      \
	"From: Alice <alice@example.com>\r\nTo: acme@lists.example.org\r\n"    \
	"Subject: hello\r\n\r\nHi all\r\n--B--\r\n"

static const struct bcase cases[] = {
    {"DSN hard 5.1.1",
     DSN_HEAD
     "Final-Recipient: rfc822; Bob@Example.ORG\r\n"
     "Original-Recipient: rfc822;bob@example.org\r\n"
     "Action: failed\r\nStatus: 5.1.1\r\n"
     "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: Recipient\r\n"
     "    address rejected: User unknown in local recipient table\r\n" DSN_TAIL,
     BOUNCE_HARD, "bob@example.org", "5.1.1", false},
    {"DSN delayed",
     DSN_HEAD "Final-Recipient: rfc822; carol@example.org\r\n"
	      "Action: delayed\r\nStatus: 4.4.1\r\n"
	      "Diagnostic-Code: X-Postfix; connect to mx.example.org: "
	      "Connection timed out\r\n" DSN_TAIL,
     BOUNCE_DELAYED, "carol@example.org", "4.4.1", false},
    {"DSN mailbox full",
     DSN_HEAD "Final-Recipient: rfc822; dave@example.org\r\n"
	      "Action: failed\r\nStatus: 5.2.2\r\n"
	      "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n" DSN_TAIL,
     BOUNCE_SOFT, "dave@example.org", "5.2.2", false},
    {"DSN success notice",
     DSN_HEAD "Final-Recipient: rfc822; erin@example.org\r\n"
	      "Action: delivered\r\nStatus: 2.0.0\r\n" DSN_TAIL,
     BOUNCE_NONE, NULL, NULL, false},
    {"DSN DMARC rejection",
     DSN_HEAD
     "Final-Recipient: rfc822; frank@example.org\r\n"
     "Action: failed\r\nStatus: 5.7.1\r\n"
     "Diagnostic-Code: smtp; 550 5.7.1 Unauthenticated email from "
     "example.com is not accepted due to domain's DMARC policy\r\n" DSN_TAIL,
     BOUNCE_SOFT, "frank@example.org", "5.7.1", true},
    {"qmail",
     "From: MAILER-DAEMON@mx.example.net\n"
     "Subject: failure notice\n\n"
     "Hi. This is the qmail-send program at mx.example.net.\n"
     "I'm afraid I wasn't able to deliver your message to the following "
     "addresses.\nThis is a permanent error; I've given up. Sorry it "
     "didn't work out.\n\n"
     "<gina@example.org>:\n"
     "Sorry, no mailbox here by that name. (#5.1.1)\n\n"
     "--- Below this line is a copy of the message.\n\n"
     "Return-Path: <acme+bounce-XYZ@lists.example.org>\n"
     "From: alice@example.com\nTo: acme@lists.example.org\n\nHi\n",
     BOUNCE_HARD, "gina@example.org", "5.1.1", false},
    {"Exim",
     "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
     "Subject: Mail delivery failed: returning message to sender\n"
     "Auto-Submitted: auto-replied\n\n"
     "This message was created automatically by mail delivery software.\n"
     "\nA message that you sent could not be delivered to one or more of "
     "its\nrecipients. This is a permanent error. The following "
     "address(es) failed:\n\n"
     "  hank@example.org\n"
     "    SMTP error from remote mail server after RCPT TO:"
     "<hank@example.org>:\n"
     "    host mx.example.org [192.0.2.1]: 550 5.1.1 User unknown\n\n"
     "------ This is a copy of the message, including all the headers. "
     "------\n\nFrom: alice@example.com\nTo: acme@lists.example.org\n\n"
     "Hi\n",
     BOUNCE_HARD, "hank@example.org", "5.1.1", false},
    {"French",
     "From: postmaster@orange.example\n"
     "Subject: Message non remis\n\n"
     "Votre message n'a pas pu être remis.\n\n"
     "Adresse destinataire invalide : ines@orange.example\n\n"
     "----- Message d'origine -----\n"
     "From: alice@example.com\nTo: acme@lists.example.org\n",
     BOUNCE_HARD, "ines@orange.example", "5.1.1", false},
    {"vacation auto-reply",
     "From: Jack <jack@example.org>\nTo: acme@lists.example.org\n"
     "Subject: Out of Office: hello\nAuto-Submitted: auto-replied\n\n"
     "I am away until Monday and will read your mail then.\n",
     BOUNCE_NONE, NULL, NULL, false},
    {"ARF feedback report",
     "From: abuse@isp.example\nTo: acme+bounce-XYZ@lists.example.org\n"
     "Subject: Abuse report\nMIME-Version: 1.0\n"
     "Content-Type: multipart/report; report-type=feedback-report; "
     "boundary=\"A\"\n\n"
     "--A\nContent-Type: text/plain\n\nThis is an abuse report.\n"
     "--A\nContent-Type: message/feedback-report\n\n"
     "Feedback-Type: abuse\nUser-Agent: SomeGenerator/1.0\nVersion: 1\n"
     "Original-Rcpt-To: <kate@isp.example>\n"
     "--A\nContent-Type: message/rfc822\n\n"
     "From: alice@example.com\nTo: kate@isp.example\n\nHi\n--A--\n",
     BOUNCE_NONE, NULL, NULL, false},
    {"ordinary mail",
     "From: Liam <liam@example.org>\nTo: acme@lists.example.org\n"
     "Subject: Re: meeting\n\nThe room is booked, see you there.\n",
     BOUNCE_NONE, NULL, NULL, false},
    {"empty", "", BOUNCE_NONE, NULL, NULL, false},
    {"headers only", "Subject: x\n", BOUNCE_NONE, NULL, NULL, false},
    {"garbage", "\x01\x02@@@\xff\xfe<<<>>>::;;\n\n\n@\n--\n", BOUNCE_NONE, NULL,
     NULL, false},
};

/* hostile - NULs, huge lines, broken MIME, many recipients: no crash */
static void
hostile(void)
{
	static const char nul[] = "From: MAILER-DAEMON@x.example\0\n"
				  "Subject: Undeliverable\n\n\0<a@\0b.c>:\0\n";
	struct buf big = BUF_INIT;
	struct bounce *b;

	bounce_parse(nul, sizeof(nul) - 1, &b);
	ok(b != NULL, "NUL bytes: parsed");
	bounce_free(&b);
	ok(b == NULL, "bounce_free clears the pointer");

	bounce_parse(NULL, 0, &b);
	ok(b && !b->is_bounce, "NULL input is none");
	bounce_free(&b);

	buf_puts(&big, DSN_HEAD);
	for (int i = 0; i < 1000; i++)
		buf_printf(&big,
			   "Final-Recipient: rfc822; u%d@example.org\n"
			   "Action: failed\nStatus: 5.1.1\n\n",
			   i);
	for (int i = 0; i < 100000; i++)
		buf_puts(&big, "@@@@@@@@@@");
	buf_puts(&big, "\n--B\nContent-Type: message/delivery-status\n\n"
		       "Final-Recipient: rfc822;\nAction:\nStatus: 9.9\n"
		       "Diagnostic-Code:\n");
	bounce_parse(big.data, big.len, &b);
	ok(b->nrcpts <= 200, "recipient count is bounded (%zu)", b->nrcpts);
	bounce_free(&b);
	buf_free(&big);
}

/* cpu_seconds - CPU time of this process: the bound below holds on a
   loaded machine too, where wall time would not */
static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
too_slow(int sig)
{
	static const char msg[] = "not ok - bounce_parse still running "
				  "after 20 s (quadratic?)\nBail out!\n";

	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(1);
}

/* timed - bounce_parse raw, failing (not hanging) when it is slow */
static double
timed(const struct buf *raw, struct bounce **b_r)
{
	double t0 = cpu_seconds();

	alarm(20);
	bounce_parse(raw->data, raw->len, b_r);
	alarm(0);
	return cpu_seconds() - t0;
}

/* crafted - the reports anyone holding a copy's VERP address can send:
   one line of 300,000 addresses (1.8 MB), and the same with a
   delivery-status part of 50,000 groups.  Time grows with the bytes
   examined, which are capped: far under a second (was hours). */
static void
crafted(void)
{
	struct buf raw = BUF_INIT, addrs = BUF_INIT;
	struct bounce *b;
	double t;

	signal(SIGALRM, too_slow);
	for (int i = 0; i < 300000; i++)
		buf_printf(&addrs, "%c@b.c ", 'a' + i % 26);
	buf_puts(&raw, "From: MAILER-DAEMON@mx.example.net\r\n"
		       "Subject: Undelivered Mail Returned to Sender\r\n\r\n"
		       "Delivery failed for: ");
	buf_append(&raw, addrs.data, addrs.len);
	buf_puts(&raw, "\r\n");
	t = timed(&raw, &b);
	ok(t < 1.0, "300,000 addresses on one line: %.3f s CPU", t);
	ok(b->is_bounce && b->nrcpts > 0 && b->nrcpts <= 200,
	   "still a bounce, recipients capped (%zu)", b->nrcpts);
	bounce_free(&b);

	buf_reset(&raw);
	buf_puts(&raw, DSN_HEAD);
	for (int i = 0; i < 50000; i++)
		buf_printf(&raw,
			   "Final-Recipient: rfc822; u%d@example.org\n"
			   "Action: failed\nStatus: 5.1.1\n\n",
			   i);
	buf_puts(&raw, "\n--B\nContent-Type: text/plain\n\n");
	buf_append(&raw, addrs.data, addrs.len);
	buf_puts(&raw, "\n--B--\n");
	t = timed(&raw, &b);
	ok(t < 1.0, "50,000 DSN groups and 300,000 addresses: %.3f s CPU", t);
	is_str(b->nrcpts ? b->rcpts[0].address : NULL, "u0@example.org",
	       "the DSN's first recipient is read");
	bounce_free(&b);

	/* what lies past the examined text is not read: the cap is real */
	buf_reset(&raw);
	buf_puts(&raw, "From: MAILER-DAEMON@mx.example.net\n"
		       "Subject: Undelivered Mail Returned to Sender\n\n");
	for (int i = 0; i < 2000; i++)
		buf_puts(&raw, "This line says nothing about anyone at all.\n");
	buf_puts(&raw, "<late@example.org>: user unknown\n");
	t = timed(&raw, &b);
	is_int(b->nrcpts, 0, "an address after 64 KB of text is not examined");
	bounce_free(&b);
	buf_free(&raw);
	buf_free(&addrs);
}

/* rcpt_set - the recipients as "a,b" in report order */
static char *
rcpt_set(const struct bounce *b)
{
	struct buf s = BUF_INIT;

	for (size_t i = 0; i < b->nrcpts; i++)
		buf_printf(&s, "%s%s", i ? "," : "", b->rcpts[i].address);
	return b->nrcpts ? buf_steal(&s) : xstrdup("-");
}

/* fixture - one row of expected.tsv: file, kind, addresses, status */
static void
fixture(const char *dir, char **f)
{
	char *path = xasprintf("%s/%s", dir, f[0]), *raw, *got;
	struct bounce *b;
	size_t len;

	raw = tap_slurp(path, &len);
	if (raw == NULL) {
		ok(false, "fixture %s: cannot be read", path);
		free(path);
		return;
	}
	bounce_parse(raw, len, &b);
	got = rcpt_set(b);
	printf("# fixture %s (%s): kind %s, recipients %s\n", f[0], f[4],
	       bounce_kind_name(b->kind), got);
	is_str(bounce_kind_name(b->kind), f[1], "%s: kind", f[0]);
	is_str(got, f[2], "%s: failed addresses", f[0]);
	if (strcmp(f[3], "-") != 0)
		is_str(b->nrcpts ? b->rcpts[0].status : NULL, f[3],
		       "%s: status", f[0]);
	free(got);
	bounce_free(&b);
	free(raw);
	free(path);
}

/* fixtures - every row of tests/fixtures/bounces/expected.tsv */
static void
fixtures(void)
{
	const char *tests = getenv("MLISTD_TESTS");
	char *dir = xasprintf("%s/fixtures/bounces", tests ? tests : ".");
	char *tsv = xasprintf("%s/expected.tsv", dir), *t, *line, *save;
	int n = 0, nbounce = 0;
	size_t len;

	t = tap_slurp(tsv, &len);
	ok(t != NULL, "fixture list %s is read", tsv);
	for (line = t ? strtok_r(t, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[5];
		int nf = 0;

		if (line[0] == '#')
			continue;
		for (char *p = line, *tab; nf < 5 && p; p = tab) {
			tab = strchr(p, '\t');
			if (tab)
				*tab++ = '\0';
			f[nf++] = p;
		}
		if (nf < 5) {
			ok(false, "expected.tsv: a row of %d fields", nf);
			continue;
		}
		fixture(dir, f);
		n++;
		if (strcmp(f[1], "none") != 0)
			nbounce++;
	}
	printf("# fixtures: %d (%d bounces, %d not bounces)\n", n, nbounce,
	       n - nbounce);
	ok(n >= 30, "at least 30 fixtures (%d)", n);
	free(t);
	free(tsv);
	free(dir);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase *c = &cases[i];
		struct bounce *b = NULL;
		struct buf json = BUF_INIT;

		is_int(bounce_parse(c->raw, strlen(c->raw), &b), 0,
		       "%s: parses", c->name);
		is_str(bounce_kind_name(b->kind), bounce_kind_name(c->kind),
		       "%s: kind", c->name);
		ok(b->is_bounce == (c->kind != BOUNCE_NONE), "%s: is_bounce",
		   c->name);
		if (c->addr) {
			is_str(b->nrcpts ? b->rcpts[0].address : NULL, c->addr,
			       "%s: address", c->name);
			is_int(b->nrcpts, 1, "%s: one recipient", c->name);
		} else {
			is_int(b->nrcpts, 0, "%s: no recipient", c->name);
		}
		if (c->status && b->nrcpts)
			is_str(b->rcpts[0].status, c->status, "%s: status",
			       c->name);
		ok(b->dmarc == c->dmarc, "%s: dmarc flag", c->name);
		bounce_to_json(b, &json);
		ok(strncmp(buf_cstr(&json), "{\"is_bounce\":", 13) == 0,
		   "%s: JSON shape", c->name);
		buf_free(&json);
		bounce_free(&b);
	}

	/* the exact SPEC 2 shape (plus added fields) for one case */
	{
		struct bounce *b;
		struct buf json = BUF_INIT;

		bounce_parse(cases[0].raw, strlen(cases[0].raw), &b);
		bounce_to_json(b, &json);
		ok(strstr(buf_cstr(&json),
			  "{\"is_bounce\":true,\"kind\":\"hard\",") ==
			   buf_cstr(&json) &&
		       strstr(
			   buf_cstr(&json),
			   "\"recipients\":[{\"address\":\"bob@example.org\","
			   "\"status\":\"5.1.1\",\"diagnostic\":\"550 5.1.1 "
			   "<bob@example.org>: Recipient address rejected: "
			   "User unknown in local recipient table\"") != NULL,
		   "JSON: %s", buf_cstr(&json));
		buf_free(&json);
		bounce_free(&b);
	}
	fixtures();
	hostile();
	crafted();
	tap_done();
}
