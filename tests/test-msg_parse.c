/*
 * test-msg_parse - msg_parse(), msg_header_value(), msg_generated_id(),
 * msg_to_json(), msg_mbox_foreach() and msg_parse_parts() on small
 * hand-written messages, hostile ones included (run it under
 * -fsanitize=address,undefined).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "msg_mbox.h"
#include "tap.h"
#include "xalloc.h"

static bool
has_problem(const struct msg *m, const char *p)
{
	for (size_t i = 0; i < m->nproblems; i++)
		if (strcmp(m->problems[i], p) == 0)
			return true;
	return false;
}

static struct msg *
parse(const char *s)
{
	return msg_parse(s, strlen(s));
}

static void
test_headers(void)
{
	struct msg *m = parse(
	    "From: =?utf-8?q?Chlo=C3=A9?= Martin <Chloe@Example.ORG>\r\n"
	    "Message-ID:\r\n <abc.123@host.example>\r\n"
	    "In-Reply-To: <p1@x> (Alice's message of Monday) <p2@x>\r\n"
	    "References: <r1@x> garbage <r2@x>\r\n\t<r3\r\n @x>\r\n"
	    "Subject: =?ISO-8859-1?Q?R=E9union?= de =?UTF-8?B?bWFycw==?=\r\n"
	    "Date: Mon, 10 Mar 2025 09:00:00 +0100\r\n"
	    "List-Id: Entreprendre <e35.lists.example.org>\r\n"
	    "\r\n"
	    "Bonjour\r\n");

	is_str(m->message_id, "<abc.123@host.example>", "folded Message-ID");
	ok(!m->message_id_generated, "id not generated");
	is_str(m->in_reply_to, "<p1@x>", "first In-Reply-To id");
	is_int(m->nrefs, 3, "three references");
	if (m->nrefs == 3) {
		is_str(m->refs[0], "<r1@x>", "ref 1");
		is_str(m->refs[1], "<r2@x>", "ref 2 after garbage");
		is_str(m->refs[2], "<r3@x>", "ref 3 folded inside");
	}
	is_str(m->from_addr, "chloe@example.org", "from lower-cased");
	is_str(m->from_name, "Chloé Martin", "from name decoded");
	is_str(m->subject, "Réunion de mars", "subject RFC 2047");
	ok(m->has_date && m->date == 1741593600, "date to UTC");
	is_str(m->list_id, "e35.lists.example.org", "list id");
	is_str(m->text, "Bonjour\n", "text");
	is_int(m->nproblems, 0, "no problems");
	ok(!m->is_auto && !m->is_bounce, "not auto, not bounce");
	msg_free(&m);
	ok(m == NULL, "msg_free clears the pointer");
}

static void
test_missing(void)
{
	const char *raw = "Subject: hi\n\nbody";
	struct msg *m = parse(raw);
	char *id = msg_generated_id(raw, strlen(raw));

	ok(m->message_id_generated, "no Message-ID: generated");
	is_str(m->message_id, id, "generated id is msg_generated_id");
	ok(strlen(id) == 1 + 32 + strlen("@generated.mlistd>") &&
	       strstr(id, "@generated.mlistd>") != NULL,
	   "generated id shape %s", id);
	ok(has_problem(m, "no-message-id") && has_problem(m, "no-from") &&
	       has_problem(m, "no-date"),
	   "no-message-id, no-from, no-date");
	ok(m->from_addr == NULL && !m->has_date, "absent from and date");
	is_str(m->text, "body", "bare LF body");
	free(id);
	msg_free(&m);

	m = parse("Message-ID: not an id at all\n\nx");
	ok(m->message_id_generated, "unparsable Message-ID: generated");
	msg_free(&m);
	m = parse("Message-ID: bare@host\n\nx");
	is_str(m->message_id, "<bare@host>", "bare id gets brackets");
	msg_free(&m);
}

static void
test_hostile(void)
{
	static const char nul[] =
	    "From: a@b\r\nSubject: x\0y\r\n\r\nab\0cd\r\n";
	struct msg *m = msg_parse(nul, sizeof(nul) - 1);
	struct buf big = BUF_INIT;

	ok(has_problem(m, "nul-byte"), "nul-byte");
	is_str(m->subject, "x y", "NUL in header blanked");
	is_str(m->text, "ab cd\n", "NUL in body blanked");
	msg_free(&m);

	m = parse("From: a@b\rSubject: cr only\r\rline1\rline2\r");
	is_str(m->subject, "cr only", "CR-only line ends");
	is_str(m->text, "line1\nline2\n", "CR-only body");
	msg_free(&m);

	m = parse("From: Jos\xe9 <j@b>\nSubject: caf\xe9 cr\xe8me\n\n"
		  "d\xe9j\xe0\n");
	ok(has_problem(m, "8bit-header"), "8bit-header");
	is_str(m->subject, "café crème", "latin1 subject");
	is_str(m->from_name, "José", "latin1 name");
	is_str(m->text, "déjà\n", "undeclared latin1 body");
	msg_free(&m);

	m = parse("Subject: d\xc3\xa9j\xc3\xa0 vu\n\n\xe2\x82\xac\n");
	is_str(m->subject, "déjà vu", "raw UTF-8 subject kept");
	is_str(m->text, "€\n", "raw UTF-8 body kept");
	msg_free(&m);

	buf_puts(&big, "From: a@b\r\nSubject: ");
	for (int i = 0; i < 1024 * 1024; i++)
		buf_putc(&big, 'x');
	buf_puts(&big, "\r\nX-Long: =?utf-8?q?");
	for (int i = 0; i < 100000; i++)
		buf_puts(&big, "=C3=A9");
	buf_puts(&big, "\r\n\r\nbody\r\n");
	m = msg_parse(big.data, big.len);
	ok(has_problem(m, "long-line"), "1 MB header line: long-line");
	ok(m->subject && strlen(m->subject) == 1024 * 1024,
	   "1 MB subject kept");
	msg_free(&m);
	buf_free(&big);

	m = msg_parse("", 0);
	ok(m->message_id && m->text, "empty input");
	msg_free(&m);
	m = msg_parse(NULL, 0);
	ok(m->message_id != NULL, "NULL input");
	msg_free(&m);
	m = parse("\r\n\r\n");
	ok(m->text != NULL, "only blank lines");
	msg_free(&m);
	m = parse("no colon header line\nanother\n");
	ok(m->message_id != NULL, "garbage header block");
	msg_free(&m);
}

static void
test_mime(void)
{
	struct msg *m;

	m = parse("From: a@b\r\nContent-Type: multipart/alternative; "
		  "boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\n"
		  "Content-Type: text/plain; charset=iso-8859-15\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		  "Co=FBt: 5 =A4\r\n--XX\r\nContent-Type: text/html\r\n\r\n"
		  "<p>html</p>\r\n--XX--\r\n");
	is_str(m->text, "Coût: 5 €", "alternative: text/plain, QP, 8859-15");
	ok(!has_problem(m, "bad-boundary") && !has_problem(m, "bad-charset") &&
	       !has_problem(m, "bad-encoding"),
	   "clean multipart");
	msg_free(&m);

	m = parse(
	    "From: a@b\r\nContent-Type: multipart/mixed; boundary=B\r\n"
	    "\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nQm9uam91ciDDoCB0b3Vz\r\n"
	    "--B\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Disposition: attachment; filename=x.txt\r\n\r\n"
	    "attached\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
	    "second\r\n--B--\r\n");
	is_str(m->text, "Bonjour à tous\nsecond",
	       "mixed: inline parts joined, attachment skipped");
	msg_free(&m);

	m = parse("From: a@b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
		  "<html><head><style>p{}</style></head><body><p>Bonjour "
		  "&amp; merci&nbsp;!</p><ul><li>un</li><li>deux</li></ul>"
		  "</body></html>\r\n");
	is_str(m->text, "Bonjour & merci\xc2\xa0!\n\n- un\n- deux",
	       "HTML-only converted");
	msg_free(&m);

	m = parse("From: a@b\r\nContent-Type: text/plain; charset=x-klingon\r\n"
		  "\r\nQ\xe9\r\n");
	ok(has_problem(m, "bad-charset"), "unknown charset: bad-charset");
	is_str(m->text, "Qé\n", "unknown charset read as latin1");
	msg_free(&m);

	m = parse("From: a@b\r\nContent-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\nQm9u!!!amo=\r\n");
	ok(has_problem(m, "bad-encoding"), "bad base64: bad-encoding");
	msg_free(&m);

	m = parse("From: a@b\r\nContent-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		  "a=ZZb =\r\nc\xff\r\n");
	ok(has_problem(m, "bad-encoding"), "bad QP: bad-encoding");
	ok(strstr(m->text, "\xef\xbf\xbd") != NULL, "invalid UTF-8 -> U+FFFD");
	msg_free(&m);

	m = parse("From: a@b\r\nContent-Type: multipart/mixed; boundary=B\r\n"
		  "\r\n--B\r\nContent-Type: text/plain\r\n\r\ntruncated "
		  "message");
	ok(has_problem(m, "bad-boundary"), "no close: bad-boundary");
	is_str(m->text, "truncated message", "truncated multipart read");
	msg_free(&m);

	m = parse("From: a@b\r\nContent-Type: multipart/mixed\r\n\r\n"
		  "no boundary at all\r\n");
	ok(has_problem(m, "bad-boundary"), "no boundary parameter");
	ok(strstr(m->text, "no boundary at all") != NULL, "body kept as text");
	msg_free(&m);

	m = parse("From: a@b\r\nContent-Type: multipart/mixed; boundary=Q\r\n"
		  "\r\nnothing matches here\r\n");
	ok(has_problem(m, "bad-boundary"), "boundary never used");
	ok(strstr(m->text, "nothing matches here") != NULL, "kept raw");
	msg_free(&m);
}

static void
test_flags(void)
{
	static const struct {
		const char *hdrs;
		bool is_auto, is_bounce;
	} t[] = {
	    {"Auto-Submitted: auto-replied\n", true, false},
	    {"Auto-Submitted: no\n", false, false},
	    {"Precedence: bulk\n", true, false},
	    {"Precedence: list\n", false, false},
	    {"X-Autoreply: yes\n", true, false},
	    {"X-Autorespond: x\n", true, false},
	    {"Subject: Réponse automatique : absent\n", true, false},
	    {"Subject: Out of Office: back monday\n", true, false},
	    {"Subject: Re: out of office?\n", false, false},
	    {"Content-Type: multipart/report; report-type=delivery-status; "
	     "boundary=b\n",
	     false, true},
	    {"From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail "
	     "Returned to Sender\n",
	     false, true},
	    {"From: postmaster@x\nSubject: hello\n", false, false},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *raw = xasprintf("%s\nbody\n", t[i].hdrs);
		struct msg *m = parse(raw);

		ok(m->is_auto == t[i].is_auto && m->is_bounce == t[i].is_bounce,
		   "flags of case %zu", i);
		msg_free(&m);
		free(raw);
	}
}

static void
test_header_value(void)
{
	const char raw[] = "X-A: one\r\nx-b:  two\r\n   more\r\nX-C:\r\n\r\n"
			   "X-D: body\r\n";

	char *v = msg_header_value(raw, strlen(raw), "x-a");
	is_str(v, "one", "case-insensitive name");
	free(v);
	v = msg_header_value(raw, strlen(raw), "X-B");
	is_str(v, "two   more", "unfolded and trimmed");
	free(v);
	v = msg_header_value(raw, strlen(raw), "X-C");
	is_str(v, "", "empty value");
	free(v);
	v = msg_header_value(raw, strlen(raw), "X-D");
	ok(v == NULL, "body is not headers");
	free(v);
	v = msg_header_value(raw, 6, "X-A");
	is_str(v, "o", "stays inside len");
	free(v);
}

static void
test_json(void)
{
	struct msg *m =
	    parse("From: Alice <alice@example.org>\nMessage-ID: <m1@x>\n"
		  "Subject: Quel logiciel de facturation utilisez-vous ?\n"
		  "Date: Tue, 04 Mar 2025 11:00:00 +0100\n\n"
		  "Bonjour,\nune question \"simple\".\n\n"
		  "Le lun. 3 mars 2025, Bob <b@x> a écrit :\n> old\n");
	struct buf b = BUF_INIT;

	msg_to_json(m, &b);
	is_str(
	    b.data,
	    "{\"message_id\":\"<m1@x>\",\"in_reply_to\":null,"
	    "\"references\":[],\"from\":\"alice@example.org\","
	    "\"from_name\":\"Alice\",\"subject\":\"Quel logiciel de "
	    "facturation utilisez-vous ?\",\"date\":\"2025-03-04T10:00:00Z\","
	    "\"text\":\"Bonjour,\\nune question \\\"simple\\\".\\n\\nLe lun. "
	    "3 mars 2025, Bob <b@x> a écrit :\\n> old\\n\","
	    "\"stripped_text\":\"Bonjour,\\nune question \\\"simple\\\".\","
	    "\"is_auto\":false,\"is_bounce\":false,\"is_question\":true,"
	    "\"ack_only\":false,\"problems\":[]}",
	    "inspect message JSON");
	buf_free(&b);
	msg_free(&m);
}

/* test_parse_parts - one parse gives what msg_parse and msg_parts give */
static void
test_parse_parts(void)
{
	static const char *const raws[] = {
	    "From: a@x\r\nSubject: s\r\n\r\nbody\r\n",
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=B\n\n--B\nContent-Type: text/plain\n\nsorry\n"
	    "--B\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n"
	    "--B\nContent-Type: message/rfc822\n\nSubject: o\n\nhi\n--B--\n",
	    "Content-Type: multipart/mixed; boundary=B\n\n--B\n\ncut\0off",
	    "no header at all", ""};

	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		size_t len = strlen(raws[i]), n1, n2;
		struct msg_part *p1, *p2;
		struct msg *m1 = msg_parse(raws[i], len);
		struct msg *m2 = msg_parse_parts(raws[i], len, &p2, &n2);
		struct buf j1 = BUF_INIT, j2 = BUF_INIT;
		bool same;

		n1 = msg_parts(raws[i], len, &p1);
		msg_to_json(m1, &j1);
		msg_to_json(m2, &j2);
		same = n1 == n2 && strcmp(buf_cstr(&j1), buf_cstr(&j2)) == 0;
		for (size_t k = 0; same && k < n1; k++)
			same = strcmp(p1[k].type, p2[k].type) == 0 &&
			       strcmp(p1[k].text, p2[k].text) == 0 &&
			       p1[k].depth == p2[k].depth &&
			       !p1[k].report_type == !p2[k].report_type;
		ok(same, "parse_parts = parse + parts (%zu: %zu parts)", i, n2);
		buf_free(&j1);
		buf_free(&j2);
		msg_parts_free(&p1, n1);
		msg_parts_free(&p2, n2);
		msg_free(&m1);
		msg_free(&m2);
	}
}

struct mbox_seen {
	int n;
	char *texts[4];
	time_t dates[4];
};

static int
mbox_cb(void *ctx, const char *raw, size_t len, time_t date)
{
	struct mbox_seen *s = ctx;
	struct msg *m = msg_parse(raw, len);

	if (s->n < 4) {
		s->texts[s->n] = xstrdup(m->text);
		s->dates[s->n] = date;
	}
	s->n++;
	ok(strncmp(raw, "From ", 5) != 0, "no From line in message %d", s->n);
	msg_free(&m);
	return s->n == 3 ? 7 : 0;
}

static void
test_mbox(void)
{
	char path[] = "/tmp/test-mbox-XXXXXX";
	int fd = mkstemp(path);
	char *err = NULL;
	struct mbox_seen s = {0};
	static const char mbox[] =
	    "From alice@example.org Mon Mar 10 08:00:00 2025\n"
	    "From: alice@example.org\nSubject: one\n\nline\n>From here\n"
	    ">>From there\n\n"
	    "From bob@example.org Tue Mar 11 09:30:15 2025\n"
	    "From: bob@example.org\nSubject: two\n\nsecond\n\n"
	    "From nobody garbage date\n"
	    "Subject: three\n\nthird\n\n"
	    "From x@y Wed Mar 12 00:00:00 2025\nSubject: four\n\nfour\n";
	int r;

	ok(fd >= 0 &&
	       write(fd, mbox, sizeof(mbox) - 1) == (ssize_t)(sizeof(mbox) - 1),
	   "temp mbox written");
	close(fd);
	r = msg_mbox_foreach(path, mbox_cb, &s, &err);
	is_int(r, 7, "callback's non-zero value stops and is returned");
	is_int(s.n, 3, "stopped at the third message");
	ok(s.texts[0] &&
	       strcmp(s.texts[0], "line\nFrom here\n>From there\n") == 0,
	   "mboxrd >From unquoted");
	is_int(s.dates[0], 1741593600, "From line date");
	is_int(s.dates[1], 1741685415, "second From line date");
	is_int(s.dates[2], 0, "unreadable From line date is 0");
	for (int i = 0; i < 4; i++)
		free(s.texts[i]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	close(fd);
	s.n = 0;
	is_int(msg_mbox_foreach(path, mbox_cb, &s, &err), 0, "empty mbox");
	is_int(s.n, 0, "empty mbox has no message");
	unlink(path);
	r = msg_mbox_foreach("/nonexistent/mbox", mbox_cb, &s, &err);
	ok(r == -1 && err != NULL, "missing file: -1 and an error (%s)",
	   err ? err : "");
	free(err);
}

struct mbox_all {
	int n;
	char *raw[4];
};

static int
mbox_all_cb(void *ctx, const char *raw, size_t len, time_t date)
{
	struct mbox_all *a = ctx;

	(void)date;
	if (a->n < 4)
		a->raw[a->n] = xstrndup(raw, len);
	a->n++;
	return 0;
}

/* mbox_file - path of a temporary file holding text */
static void
mbox_file(char path[32], const char *text)
{
	int fd;

	snprintf(path, 32, "/tmp/test-mbox-XXXXXX");
	fd = mkstemp(path);
	ok(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
	   "temp mbox written");
	close(fd);
}

/* a "From " line right after the previous message, without the blank
   line, still starts a message (Python's mailbox, mutt) */
static void
test_mbox_no_blank(void)
{
	static const char mbox[] =
	    "From a@example.org Mon Mar 10 08:00:00 2025\n"
	    "Subject: one\n\nfirst\n"
	    "From b@example.org Mon Mar 10 09:00:00 2025\n"
	    "Subject: two\n\nsecond\n>From quoted\n\n\n"
	    "From c@example.org Mon Mar 10 10:00:00 2025\r\n"
	    "Subject: three\r\n\r\nthird\r\n\r\n";
	struct mbox_all a = {0};
	char path[32], *err = NULL;

	mbox_file(path, mbox);
	is_int(msg_mbox_foreach(path, mbox_all_cb, &a, &err), 0, "read");
	is_int(a.n, 3, "every From line starts a message");
	is_str(a.raw[0], "Subject: one\n\nfirst\n",
	       "the first ends where the next From line starts");
	is_str(a.raw[1], "Subject: two\n\nsecond\nFrom quoted\n\n",
	       "one blank line before From is the separator");
	is_str(a.raw[2], "Subject: three\r\n\r\nthird\r\n",
	       "CRLF: the last blank line is the separator");
	for (int i = 0; i < 4; i++)
		free(a.raw[i]);
	unlink(path);

	/* something else is refused with its line, not read as nothing */
	mbox_file(path, "\nSubject: not an mbox\n\nFrom x@y Mon Mar 10 "
			"08:00:00 2025\n\nbody\n");
	memset(&a, 0, sizeof(a));
	is_int(msg_mbox_foreach(path, mbox_all_cb, &a, &err), -1,
	       "text before the first From line is refused");
	ok(err && strstr(err, "line 2") != NULL, "naming its line (%s)",
	   err ? err : "");
	is_int(a.n, 0, "and nothing is read");
	free(err);
	unlink(path);
}

int
main(void)
{
	test_headers();
	test_missing();
	test_hostile();
	test_mime();
	test_flags();
	test_header_value();
	test_json();
	test_parse_parts();
	test_mbox();
	test_mbox_no_blank();
	tap_done();
}
