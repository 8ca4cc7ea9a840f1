/*
 * test-msg_rewrite - the relayed copy (SPEC 7): headers, subject prefix,
 * DMARC policies, footer placement and encodings, hostile input.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "msg_rewrite.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define BIG_WORDS 10000
#else
#define BIG_WORDS 100000
#endif
#include "xalloc.h"

#define FOOT "To leave: mailto:acme+unsubscribe@lists.example.org"

static struct msg_rewrite_opts
opts(void)
{
	return (struct msg_rewrite_opts){
	    .club = "acme",
	    .domain = "lists.example.org",
	    .delim = '+',
	    .title = "Acme Club",
	    .prefix = "[acme]",
	    .reply_to = MSG_REWRITE_REPLY_LIST,
	    .dmarc = MSG_REWRITE_DMARC_MUNGE,
	    .footer = NULL,
	};
}

static size_t last_personal;

/* rw - the copy as a string */
static char *
rw(const char *raw, const struct msg_rewrite_opts *o)
{
	struct buf out = BUF_INIT;
	char *err = NULL;

	if (msg_rewrite(raw, strlen(raw), o, &out, &last_personal, &err) != 0) {
		printf("# error: %s\n", err);
		free(err);
	}
	buf_putc(&out, '\0');
	out.len--;
	return buf_steal(&out);
}

static char *
hdr(const char *out, const char *name)
{
	return msg_header_value(out, strlen(out), name);
}

/* hdr_is - the copy of raw has field name with value want */
static void
hdr_is(const char *raw, const struct msg_rewrite_opts *o, const char *name,
       const char *want, const char *what)
{
	char *out = rw(raw, o), *v = hdr(out, name);

	is_str(v, want, "%s", what);
	free(v);
	free(out);
}

/* lacks - the copy of raw does not contain needle */
static void
lacks(const char *raw, const struct msg_rewrite_opts *o, const char *needle,
      const char *what)
{
	char *out = rw(raw, o);

	ok(strstr(out, needle) == NULL, "%s", what);
	free(out);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* crlf_ok - every line end is CRLF, and no line over max bytes */
static bool
crlf_ok(const char *s, size_t len, size_t max)
{
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return false;
		if (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))
			return false;
		col = s[i] == '\n' ? 0 : col + 1;
		if (col > max + 1)
			return false;
	}
	return true;
}

/* header_lines_ok - the header block's lines are all under max */
static bool
header_lines_ok(const char *out, size_t max)
{
	const char *end = strstr(out, "\r\n\r\n");

	return end && crlf_ok(out, (size_t)(end - out) + 2, max);
}

static void
test_subjects(void)
{
	static const char *const cases[][2] = {
	    {"x", "[acme] x"},
	    {"Re: x", "Re: [acme] x"},
	    {"[acme] Re: [acme] x", "Re: [acme] x"},
	    {"Re: [acme] Re: x", "Re: [acme] x"},
	    {"RE : Réf : AW: x", "Re: [acme] x"},
	    {"TR: Re: x", "Re: [acme] x"},
	    {"Fwd: x", "Fwd: [acme] x"},
	    {"Fwd: [acme] x", "Fwd: [acme] x"},
	    {"[ACME] x", "[acme] x"},
	    {"[acme] [acme] x", "[acme] x"},
	    {"[acme]x", "[acme] x"},
	    {"a [acme] b", "[acme] a b"},
	    {"Re[2]: x", "Re: [acme] x"},
	    {"Re:", "Re: [acme]"},
	    {"", "[acme]"},
	    {"Reunion: x", "[acme] Reunion: x"},
	    {NULL, NULL},
	};
	char *s;

	for (int i = 0; cases[i][0]; i++) {
		s = msg_rewrite_subject(cases[i][0], "[acme]");
		is_str(s, cases[i][1], "subject '%s'", cases[i][0]);
		free(s);
	}
	s = msg_rewrite_subject(NULL, "[acme]");
	is_str(s, "[acme]", "missing subject is the prefix alone");
	free(s);
}

static void
test_subject_headers(void)
{
	struct msg_rewrite_opts o = opts();
	char *out, *v;
	struct msg *m;
	char longsubj[400];

	out = rw("From: a@example.com\r\nSubject: "
		 "=?iso-8859-1?Q?R=E9f_=3A_=5Bacme=5D_caf=E9?=\r\n\r\nhi\r\n",
		 &o);
	m = msg_parse(out, strlen(out));
	is_str(m->subject, "Re: [acme] café",
	       "encoded subject decoded, "
	       "prefixed, re-encoded");
	v = hdr(out, "Subject");
	ok(v && strstr(v, "=?UTF-8?B?"), "non-ASCII subject as encoded words");
	free(v);
	msg_free(&m);
	free(out);

	memset(longsubj, 0, sizeof(longsubj));
	for (int i = 0; i < 40; i++)
		strcat(longsubj, "word1234 ");
	strcat(longsubj, "end");
	v = xasprintf("From: a@example.com\r\nSubject: Re: %s\r\n\r\nhi\r\n",
		      longsubj);
	out = rw(v, &o);
	free(v);
	m = msg_parse(out, strlen(out));
	v = xasprintf("Re: [acme] %s", longsubj);
	is_str(m->subject, v, "long ASCII subject kept");
	free(v);
	ok(header_lines_ok(out, 78), "long subject folded under 78 columns");
	v = hdr(out, "Subject");
	ok(v && !strstr(v, "=?"), "ASCII subject not encoded");
	free(v);
	msg_free(&m);
	free(out);

	/* a long non-ASCII subject: several encoded words, folded */
	v = xasprintf("From: a@example.com\r\nSubject: %s\r\n\r\nhi\r\n",
		      "été été été été été été été été été été été été été "
		      "été été été été été été été été été été été été été");
	out = rw(v, &o);
	free(v);
	m = msg_parse(out, strlen(out));
	ok(m->subject && strncmp(m->subject, "[acme] été été", 17) == 0 &&
	       count(m->subject, "été") == 26,
	   "long UTF-8 subject round-trips (%s)", m->subject);
	ok(header_lines_ok(out, 78), "encoded words folded under 78");
	msg_free(&m);
	free(out);

	hdr_is("From: a@example.com\r\n\r\nhi\r\n", &o, "Subject", "[acme]",
	       "missing Subject becomes the prefix");

	o.prefix = "";
	o.dmarc = MSG_REWRITE_DMARC_NONE;
	out = rw("From: a@example.com\r\nSubject: =?utf-8?q?x?=\r\n  y\r\n\r\n"
		 "hi\r\n",
		 &o);
	ok(strstr(out, "Subject: =?utf-8?q?x?=\r\n  y\r\n") != NULL,
	   "no prefix: Subject copied byte for byte");
	free(out);
}

static const char *post =
    "Return-Path: <alice@example.com>\r\n"
    "Delivered-To: acme@lists.example.org\r\n"
    "X-Original-To: acme@lists.example.org\r\n"
    "Received: from mx by lists.example.org;\r\n"
    "\tWed, 1 Jan 2025 10:00:00 +0000\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com;\r\n"
    "  b=abc\r\n"
    "ARC-Seal: i=1; a=rsa-sha256; cv=none\r\n"
    "From: Alice Martin <alice@example.com>\r\n"
    "To: acme@lists.example.org\r\n"
    "Cc: bob@example.net\r\n"
    "Subject: Re: [acme] hello\r\n"
    "Date: Wed, 1 Jan 2025 10:00:00 +0000\r\n"
    "Message-ID: <m1@example.com>\r\n"
    "In-Reply-To: <m0@example.com>\r\n"
    "References: <r1@example.com>\r\n"
    " <m0@example.com>\r\n"
    "List-Id: Other list <other.example.net>\r\n"
    "List-Unsubscribe: <mailto:other-unsub@example.net>\r\n"
    "Precedence: bulk\r\n"
    "X-Custom: kept\r\n"
    "\r\n"
    "Hello everyone,\r\n"
    "this is the body.\r\n";

static const char *const list_fields[][2] = {
    {"List-Post", "<mailto:acme@lists.example.org>"},
    {"List-Help", "<mailto:acme+help@lists.example.org>"},
    {"List-Subscribe", "<mailto:acme+subscribe@lists.example.org>"},
    {"List-Owner", "<mailto:acme+owner@lists.example.org>"},
    {NULL, NULL},
};

static void
test_headers(void)
{
	struct msg_rewrite_opts o = opts();
	char *out = rw(post, &o), *v;
	struct msg *m = msg_parse(out, strlen(out));

	v = hdr(out, "List-Id");
	is_str(v, "\"Acme Club\" <acme.lists.example.org>", "List-Id");
	free(v);
	is_int(count(out, "List-Id:"), 1, "old List-Id gone");
	for (int i = 0; list_fields[i][0]; i++) {
		v = hdr(out, list_fields[i][0]);
		is_str(v, list_fields[i][1], "%s", list_fields[i][0]);
		free(v);
	}
	v = hdr(out, "Precedence");
	is_str(v, "list", "Precedence: list replaces bulk");
	free(v);
	is_int(count(out, "Precedence:"), 1, "one Precedence");
	ok(!strstr(out, "List-Unsubscribe"), "old List-Unsubscribe gone");
	ok(!strstr(out, "Return-Path") && !strstr(out, "Delivered-To") &&
	       !strstr(out, "X-Original-To"),
	   "previous hop's Return-Path, Delivered-To, X-Original-To gone");
	ok(!strstr(out, "DKIM-Signature") && !strstr(out, "ARC-Seal"),
	   "DKIM and ARC removed from a modified copy");
	ok(!strstr(out, "\r\nSender:") && !strstr(out, "Errors-To"),
	   "no Sender or Errors-To");
	ok(strstr(out,
		  "References: <r1@example.com>\r\n <m0@example.com>\r\n") !=
	       NULL,
	   "folded References kept byte for byte");
	ok(strstr(out, "Received: from mx by lists.example.org;\r\n\tWed") !=
	       NULL,
	   "Received kept");
	ok(strstr(out, "X-Custom: kept\r\n") && strstr(out, "To: acme@lists") &&
	       strstr(out, "Date: Wed, 1 Jan 2025"),
	   "other headers kept");
	is_str(m->message_id, "<m1@example.com>", "Message-ID kept");
	is_str(m->in_reply_to, "<m0@example.com>", "In-Reply-To kept");
	is_int(m->nrefs, 2, "References kept");
	is_str(m->subject, "Re: [acme] hello", "prefix once");
	is_str(m->list_id, "acme.lists.example.org", "List-Id parses");
	ok(strstr(m->text, "Hello everyone,\nthis is the body.") != NULL,
	   "body intact");
	/* the caller's per-recipient lines go at personal_at */
	ok(last_personal >= 2 && !memcmp(out + last_personal - 2, "\r\n", 2) &&
	       !memcmp(out + last_personal, "\r\n", 2),
	   "personal_at is at the end of the header block");
	{
		struct buf b = BUF_INIT;

		buf_append(&b, out, last_personal);
		buf_puts(&b, "List-Unsubscribe: <mailto:acme+unsub-T@x>\r\n");
		buf_puts(&b, out + last_personal);
		v = hdr(b.data, "List-Unsubscribe");
		is_str(v, "<mailto:acme+unsub-T@x>",
		       "a line inserted at personal_at is a header");
		free(v);
		msg_free(&m);
		m = msg_parse(b.data, b.len);
		ok(strstr(m->text, "Hello everyone") == m->text,
		   "and the body is still the body");
		buf_free(&b);
	}
	msg_free(&m);
	free(out);

	/* title: non-ASCII, quotes, none */
	o.title = "Club Été";
	out = rw(post, &o);
	v = hdr(out, "List-Id");
	ok(v && strstr(v, "=?UTF-8?B?") &&
	       strstr(v, "<acme.lists.example.org>"),
	   "non-ASCII title encoded (%s)", v);
	free(v);
	m = msg_parse(out, strlen(out));
	is_str(m->list_id, "acme.lists.example.org", "encoded List-Id parses");
	msg_free(&m);
	free(out);
	o.title = "The \"best\" club";
	hdr_is(post, &o, "List-Id",
	       "\"The \\\"best\\\" club\" <acme.lists.example.org>",
	       "title quoted-string escaped");
	o.title = "";
	hdr_is(post, &o, "List-Id", "<acme.lists.example.org>", "no title");

	/* DKIM stays when nothing the author signed changes */
	o = opts();
	o.dmarc = MSG_REWRITE_DMARC_NONE;
	o.prefix = "";
	out = rw(post, &o);
	ok(strstr(out, "DKIM-Signature: v=1; a=rsa-sha256; d=example.com;\r\n"
		       "  b=abc\r\n") &&
	       strstr(out, "ARC-Seal:"),
	   "none without prefix or footer keeps DKIM and ARC");
	ok(strstr(out, "Subject: Re: [acme] hello\r\n") != NULL,
	   "and the Subject as it was");
	free(out);
	o.prefix = "[acme]";
	lacks(post, &o, "DKIM-Signature", "none with a prefix drops DKIM");
	o.prefix = "";
	o.footer = FOOT;
	lacks(post, &o, "DKIM-Signature", "none with a footer drops DKIM");
}

static void
test_policies(void)
{
	struct msg_rewrite_opts o = opts();
	struct msg *m;
	char *out, *v;

	/* munge + list */
	out = rw(post, &o);
	m = msg_parse(out, strlen(out));
	is_str(m->from_addr, "acme@lists.example.org", "munge: From is list");
	is_str(m->from_name, "Alice Martin via acme", "munge: via name");
	is_int(count(out, "\r\nFrom:"), 1, "one From");
	msg_free(&m);
	free(out);
	hdr_is(post, &o, "Reply-To", "<acme@lists.example.org>",
	       "munge+list: Reply-To list");
	hdr_is(post, &o, "Cc",
	       "bob@example.net, \"Alice Martin\" <alice@example.com>",
	       "munge+list: author added to Cc");

	/* munge + list, no Cc, author already named: no duplicate */
	out = rw("From: alice@example.com\r\nSubject: x\r\n\r\nhi\r\n", &o);
	v = hdr(out, "Cc");
	is_str(v, "<alice@example.com>", "munge+list: Cc added");
	free(v);
	m = msg_parse(out, strlen(out));
	is_str(m->from_name, "alice@example.com via acme",
	       "munge without name: address via club");
	msg_free(&m);
	free(out);
	hdr_is("From: Alice <alice@example.com>\r\nCc: ALICE@example.com\r\n"
	       "\r\nhi\r\n",
	       &o, "Cc", "ALICE@example.com",
	       "author already in Cc not added again");
	/* whole addresses: al@ is not named by sal@ nor by al@x.org.uk */
	hdr_is("From: Al <al@example.com>\r\nCc: sal@example.com, "
	       "al@example.com.uk\r\n\r\nhi\r\n",
	       &o, "Cc",
	       "sal@example.com, al@example.com.uk, \"Al\" <al@example.com>",
	       "author added when only longer addresses contain theirs");
	hdr_is("From: Al <al@example.com>\r\nCc: Sal <sal@example.com>,\r\n"
	       " Team: \"Al\" <AL@Example.com>;\r\n\r\nhi\r\n",
	       &o, "Cc",
	       "Sal <sal@example.com>, Team: \"Al\" <AL@Example.com>;",
	       "author named in a group of Cc: not added again");

	/* non-ASCII author name */
	out = rw("From: =?utf-8?q?Zo=C3=A9_=C3=89lise?= <z@example.com>\r\n"
		 "\r\nhi\r\n",
		 &o);
	m = msg_parse(out, strlen(out));
	is_str(m->from_name, "Zoé Élise via acme", "encoded via name");
	ok(header_lines_ok(out, 78), "From folded");
	msg_free(&m);
	free(out);

	/* munge + author */
	o.reply_to = MSG_REWRITE_REPLY_AUTHOR;
	hdr_is(post, &o, "Reply-To", "\"Alice Martin\" <alice@example.com>",
	       "munge+author: Reply-To author");
	hdr_is(post, &o, "Cc", "bob@example.net", "munge+author: Cc untouched");
	hdr_is("From: Alice <alice@example.com>\r\nReply-To: "
	       "home@example.org\r\n\r\nhi\r\n",
	       &o, "Reply-To", "home@example.org",
	       "munge+author: author's Reply-To kept");

	/* none + list / author */
	o.dmarc = MSG_REWRITE_DMARC_NONE;
	o.reply_to = MSG_REWRITE_REPLY_LIST;
	out = rw("From: Alice <alice@example.com>\r\nReply-To: "
		 "home@example.org\r\n\r\nhi\r\n",
		 &o);
	m = msg_parse(out, strlen(out));
	is_str(m->from_addr, "alice@example.com", "none: From unchanged");
	ok(strstr(out, "From: Alice <alice@example.com>\r\n") != NULL,
	   "none: From byte for byte");
	v = hdr(out, "Reply-To");
	is_str(v, "<acme@lists.example.org>", "none+list: Reply-To replaced");
	free(v);
	is_int(count(out, "Reply-To:"), 1, "one Reply-To");
	ok(!strstr(out, "Cc:"), "none+list: no Cc added");
	msg_free(&m);
	free(out);
	o.reply_to = MSG_REWRITE_REPLY_AUTHOR;
	hdr_is("From: Alice <alice@example.com>\r\nReply-To: "
	       "home@example.org\r\n\r\nhi\r\n",
	       &o, "Reply-To", "home@example.org",
	       "none+author: Reply-To as set");
	lacks("From: Alice <alice@example.com>\r\n\r\nhi\r\n", &o, "Reply-To",
	      "none+author: no Reply-To added");
}

static void
test_wrap(void)
{
	struct msg_rewrite_opts o = opts();
	struct msg_part *parts;
	struct msg *m;
	char *out, *v;
	size_t n;

	o.dmarc = MSG_REWRITE_DMARC_WRAP;
	o.footer = FOOT;
	out = rw(post, &o);
	m = msg_parse(out, strlen(out));
	is_str(m->from_addr, "acme@lists.example.org", "wrap: From is list");
	is_str(m->from_name, "Alice Martin via acme", "wrap: via name");
	is_str(m->subject, "Re: [acme] hello", "wrap: prefixed subject");
	is_str(m->message_id, "<m1@example.com>", "wrap: Message-ID copied");
	is_str(m->in_reply_to, "<m0@example.com>", "wrap: In-Reply-To");
	is_int(m->nrefs, 2, "wrap: References");
	ok(m->has_date, "wrap: Date");
	v = hdr(out, "Cc");
	ok(v && strstr(v, "bob@example.net") && strstr(v, "alice@example.com"),
	   "wrap+list: author in Cc");
	free(v);
	v = hdr(out, "Reply-To");
	is_str(v, "<acme@lists.example.org>", "wrap+list: Reply-To list");
	free(v);
	ok(strstr(out, post) != NULL, "wrap: the original inside, unchanged");
	is_int(count(out, "DKIM-Signature"), 1,
	       "wrap: inner keeps DKIM, outer has none");
	ok(strstr(m->text, FOOT) != NULL, "wrap: footer part");
	n = msg_parts(out, strlen(out), &parts);
	ok(n >= 4 && strcmp(parts[0].type, "multipart/mixed") == 0 &&
	       strcmp(parts[1].type, "text/plain") == 0 &&
	       strcmp(parts[2].type, "message/rfc822") == 0,
	   "wrap: mixed, footer first, then message/rfc822");
	ok(!memcmp(out + last_personal - 2, "\r\n\r\n", 4),
	   "wrap: personal_at before the empty line");
	msg_parts_free(&parts, n);
	msg_free(&m);
	free(out);

	o.reply_to = MSG_REWRITE_REPLY_AUTHOR;
	o.footer = NULL;
	hdr_is(post, &o, "Reply-To", "\"Alice Martin\" <alice@example.com>",
	       "wrap+author: Reply-To author");
	hdr_is(post, &o, "Cc", "bob@example.net", "wrap+author: Cc copied");
	out = rw(post, &o);
	n = msg_parts(out, strlen(out), &parts);
	ok(n >= 2 && strcmp(parts[1].type, "message/rfc822") == 0,
	   "wrap without footer: the original only");
	msg_parts_free(&parts, n);
	free(out);
}

/* footed - rewrite with the footer; the parsed copy */
static struct msg *
footed(const char *raw, const char *footer, char **out_r)
{
	struct msg_rewrite_opts o = opts();

	o.footer = footer;
	*out_r = rw(raw, &o);
	return msg_parse(*out_r, strlen(*out_r));
}

#define PLAIN_UTF8                                                             \
	"From: a@example.com\r\nMIME-Version: 1.0\r\n"                         \
	"Content-Type: text/plain; charset=utf-8\r\n"

#define HTML_UTF8                                                              \
	"From: a@example.com\r\nMIME-Version: 1.0\r\n"                         \
	"Content-Type: text/html; charset=utf-8\r\n"

#define LATIN1                                                                 \
	"From: a@example.com\r\nMIME-Version: 1.0\r\n"                         \
	"Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"

/* one footer case: the copy's field hname contains hwant, its raw text
   contains raw_want, and its parsed text contains text */
struct fcase {
	const char *what, *in, *footer;
	const char *hname, *hwant, *raw_want, *text;
};

static const struct fcase fcases[] = {
    {"plain: after the author's signature",
     "From: a@example.com\r\nSubject: x\r\n\r\nHello\r\n-- \r\nAlice\r\n", FOOT,
     NULL, NULL, NULL, "Hello\n-- \nAlice\n-- \n" FOOT},
    {"plain: body without final line end",
     "From: a@example.com\r\nSubject: x\r\n\r\nno final newline", FOOT, NULL,
     NULL, NULL, "no final newline\n-- \n" FOOT},
    {"QP: original untouched, footer encoded to match",
     PLAIN_UTF8 "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"caf=C3=A9 and a soft=\r\n break, a=3Db\r\n",
     "Désinscription = ici", "Content-Transfer-Encoding", "quoted-printable",
     "caf=C3=A9 and a soft=\r\n break, a=3Db\r\n--=20\r\n"
     "D=C3=A9sinscription =3D ici",
     "café and a soft break, a=b\n-- \nDésinscription = ici"},
    {"base64: decoded, footer appended, re-encoded",
     PLAIN_UTF8 "Content-Transfer-Encoding: base64\r\n\r\n"
		"SGVsbG8gd29ybGQsIGNhZsOpCg==\r\n",
     "Pied de page é", "Content-Transfer-Encoding", "base64", NULL,
     "Hello world, café\n-- \nPied de page é"},
    {"7bit part with a non-ASCII footer becomes 8bit",
     PLAIN_UTF8 "Content-Transfer-Encoding: 7bit\r\n\r\nplain\r\n",
     "Désinscription", "Content-Transfer-Encoding", "8bit", NULL,
     "plain\n-- \nDésinscription"},
    {"undeclared part declared utf-8",
     "From: a@example.com\r\nSubject: x\r\n\r\nplain\r\n", "Désinscription",
     "Content-Type", "text/plain; charset=utf-8", "\r\nMIME-Version: 1.0\r\n",
     "plain\n-- \nDésinscription"},
    {"latin-1 part: footer converted to latin-1",
     LATIN1 "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9 cr\xe8me\r\n",
     "Désabonnement", "Content-Type", "iso-8859-1", "D\xe9sabonnement",
     "café crème\n-- \nDésabonnement"},
    {"footer not in latin-1: part converted to utf-8",
     LATIN1 "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9 cr\xe8me\r\n",
     "Désabonnement → ici ✓", "Content-Type", "text/plain; charset=utf-8",
     "caf\xc3\xa9 cr\xc3\xa8me", "café crème\n-- \nDésabonnement → ici ✓"},
    {"charset parameter found after a look-alike",
     "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: text/plain;"
     " x-charsetinfo=1;\r\n\tcharset=us-ascii\r\n\r\nplain\r\n",
     "✓", "Content-Type", "x-charsetinfo=1;\tcharset=utf-8", NULL,
     "plain\n-- \n✓"},
    {"base64 latin-1 converted to utf-8",
     LATIN1 "Content-Transfer-Encoding: base64\r\n\r\nY2Fm6Q0K\r\n", "✓",
     "Content-Type", "charset=utf-8", NULL, "café\n-- \n✓"},
    {"HTML: escaped footer before </body>",
     HTML_UTF8 "\r\n<html><BODY><p>Hi there</p></BODY></html>\r\n",
     "a <b> & \"c\"\nline 2", NULL, NULL,
     "<p>Hi there</p>\r\n<hr><p>a &lt;b&gt; &amp; &quot;c&quot;"
     "<br>\r\nline 2</p>\r\n</BODY></html>",
     "line 2"},
    {"HTML QP: footer inserted encoded",
     HTML_UTF8 "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	       "<p>Hi =\r\nthere</p></body>\r\n",
     "Désinscription", NULL, NULL,
     "<p>Hi =\r\nthere</p>=\r\n<hr><p>D=C3=A9sinscription</p>\r\n</body>",
     "Désinscription"},
    {"HTML without </body>: footer at the end",
     HTML_UTF8 "\r\n<p>no body tag</p>\r\n", FOOT, NULL, NULL,
     "<p>no body tag</p>\r\n<hr><p>" FOOT "</p>\r\n", "no body tag"},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

static void
test_footer_cases(void)
{
	for (const struct fcase *c = fcases; c->what; c++) {
		char *out, *v = NULL;
		struct msg *m = footed(c->in, c->footer, &out);
		bool good = strstr(m->text, c->text) != NULL;

		if (c->hname) {
			v = hdr(out, c->hname);
			good = good && v && strstr(v, c->hwant);
		}
		if (c->raw_want)
			good = good && strstr(out, c->raw_want);
		ok(good && crlf_ok(out, strlen(out), 76), "%s", c->what);
		if (!good)
			printf("#   %s: '%s'\n#   text: '%s'\n", c->hname,
			       v ? v : "", m->text);
		free(v);
		msg_free(&m);
		free(out);
	}
}

static void
test_footer_multipart(void)
{
	struct msg *m;
	char *out;
	const char *alt =
	    "From: a@example.com\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"AA\"\r\n\r\n"
	    "--AA\r\nContent-Type: text/plain\r\n\r\nplain text\r\n"
	    "--AA\r\nContent-Type: text/html\r\n\r\n"
	    "<html><body>html text</body></html>\r\n--AA--\r\n";
	const char *mixed =
	    "From: a@example.com\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"MM\"\r\n\r\n"
	    "preamble\r\n"
	    "--MM\r\nContent-Type: text/plain\r\n\r\nmain text\r\n"
	    "--MM\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=a.pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
	    "--MM\r\nContent-Type: text/plain; name=notes.txt\r\n\r\n"
	    "attached notes\r\n"
	    "--MM\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: b@example.com\r\nSubject: inner\r\n\r\ninner text\r\n"
	    "--MM--\r\nepilogue\r\n";
	const char *signed_ =
	    "From: a@example.com\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/signed; boundary=\"SS\";\r\n"
	    " protocol=\"application/pgp-signature\"\r\n\r\n"
	    "--SS\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n"
	    "--SS\r\nContent-Type: application/pgp-signature\r\n\r\n"
	    "-----BEGIN PGP SIGNATURE-----\r\nxx\r\n"
	    "-----END PGP SIGNATURE-----\r\n--SS--\r\n";
	const char *related =
	    "From: a@example.com\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"M1\"\r\n\r\n"
	    "--M1\r\nContent-Type: multipart/alternative; boundary=\"A1\"\r\n"
	    "\r\n--A1\r\nContent-Type: text/plain\r\n\r\nalt plain\r\n"
	    "--A1\r\nContent-Type: multipart/related; boundary=\"R1\"\r\n\r\n"
	    "--R1\r\nContent-Type: text/html\r\n\r\n<p>rel html</p>\r\n"
	    "--R1\r\nContent-Type: image/png\r\n\r\nPNG\r\n--R1--\r\n"
	    "--A1--\r\n--M1--\r\n";

	m = footed(alt, FOOT, &out);
	is_int(count(out, FOOT), 2, "alternative: footer in both versions");
	ok(strstr(out, "plain text\r\n-- \r\n" FOOT "\r\n\r\n--AA") != NULL,
	   "alternative: text version");
	ok(strstr(out, "html text\r\n<hr><p>" FOOT "</p>\r\n</body>") != NULL,
	   "alternative: HTML version");
	ok(strstr(m->text, "plain text\n-- \n" FOOT) != NULL,
	   "alternative parses");
	msg_free(&m);
	free(out);

	m = footed(mixed, FOOT, &out);
	is_int(count(out, FOOT), 1, "mixed: footer once");
	ok(strstr(out, "main text\r\n-- \r\n" FOOT) != NULL,
	   "mixed: in the main text");
	ok(strstr(out, "JVBERi0xLjQK\r\n--MM\r\n") &&
	       strstr(out, "attached notes\r\n--MM\r\n") &&
	       strstr(out, "inner text\r\n--MM--\r\nepilogue\r\n") &&
	       strstr(out, "\r\n\r\npreamble\r\n--MM\r\n"),
	   "mixed: attachments, rfc822, preamble, epilogue untouched");
	msg_free(&m);
	free(out);

	m = footed(signed_, FOOT, &out);
	ok(!strstr(out, FOOT), "signed: no footer");
	ok(strstr(out, strstr(signed_, "\r\n\r\n") + 4) != NULL,
	   "signed: body byte for byte");
	msg_free(&m);
	free(out);

	m = footed(related, FOOT, &out);
	is_int(count(out, FOOT), 2, "nested: plain and related HTML");
	ok(strstr(out, "<p>rel html</p>\r\n<hr><p>") != NULL &&
	       strstr(out, "PNG\r\n--R1--") != NULL,
	   "nested: HTML root of related, not the image");
	msg_free(&m);
	free(out);
}

static void
test_malformed(void)
{
	struct msg *m;
	char *out;
	const char *unclosed =
	    "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
	    "--XX\r\nContent-Type: text/plain\r\n\r\ntruncated text\r\n";
	const char *noboundary =
	    "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed\r\n\r\nsome text\r\n";
	const char *unknown =
	    "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644\r\n";

	m = footed(unclosed, FOOT, &out);
	ok(!strstr(out, FOOT), "no closing boundary: no footer");
	ok(strstr(out, strstr(unclosed, "\r\n\r\n") + 4) != NULL,
	   "no closing boundary: body as it was");
	is_str(m->subject, "[acme] x", "no closing boundary: headers done");
	msg_free(&m);
	free(out);
	m = footed(noboundary, FOOT, &out);
	ok(!strstr(out, FOOT), "multipart without boundary: no footer");
	msg_free(&m);
	free(out);
	m = footed(unknown, FOOT, &out);
	ok(!strstr(out, FOOT), "unknown encoding: no footer");
	ok(strstr(out, "\r\n\r\nbegin 644\r\n") != NULL,
	   "unknown encoding: body as it was");
	msg_free(&m);
	free(out);
}

/* rw_raw - rewrite len bytes; checks what must hold for any input */
static void
rw_raw(const char *what, const char *raw, size_t len, size_t maxline)
{
	struct msg_rewrite_opts o = opts();
	const enum msg_rewrite_dmarc d[] = {MSG_REWRITE_DMARC_MUNGE,
					    MSG_REWRITE_DMARC_WRAP,
					    MSG_REWRITE_DMARC_NONE};

	o.footer = "Pied de page — é";
	for (int i = 0; i < 3; i++) {
		struct buf out = BUF_INIT;
		size_t pa = 0;
		char *err = NULL;
		int r;
		struct msg *m;

		o.dmarc = d[i];
		r = msg_rewrite(raw, len, &o, &out, &pa, &err);
		m = msg_parse(out.data, out.len);
		ok(r == 0 && crlf_ok(out.data, out.len, maxline) &&
		       pa <= out.len && pa >= 2 &&
		       !memcmp(out.data + pa - 2, "\r\n", 2) && m->subject &&
		       strstr(m->subject, "[acme]"),
		   "%s (dmarc %d): CRLF, lines, personal_at, subject", what, i);
		msg_free(&m);
		buf_free(&out);
		free(err);
	}
}

static void
test_hostile(void)
{
	static const char nul[] =
	    "From: a@example.com\nSubject: x\0y\n\nbo\0dy\n";
	const char *lf = "From: Alice <a@example.com>\nSubject: Re: hi\n"
			 "References: <a@x>\n <b@x>\n\nline one\nline two\n";
	const char *hi8 = "From: J\xe9r\xf4me <j@example.com>\r\n"
			  "Subject: caf\xe9\r\n\r\nx\r\n";
	const char *cr = "Subject: x\rFrom: a@b.c\r\rbody\r";
	struct msg_rewrite_opts o = opts();
	char *big, *out, *err = NULL;
	struct buf b = BUF_INIT;
	size_t pa;
	struct msg *m;

	rw_raw("NUL bytes", nul, sizeof(nul) - 1, 998);
	rw_raw("empty", "", 0, 998);
	rw_raw("no header", "\r\njust a body\r\n", 15, 998);
	rw_raw("headers only", "Subject: x", 10, 998);
	rw_raw("8-bit header", hi8, strlen(hi8), 998);
	rw_raw("LF", lf, strlen(lf), 998);
	rw_raw("lone CR", cr, strlen(cr), 998);
	o.footer = FOOT;
	out = rw(lf, &o);
	ok(crlf_ok(out, strlen(out), 998), "LF input: CRLF output");
	ok(strstr(out, "References: <a@x>\r\n <b@x>\r\n") != NULL,
	   "LF input: folded lines kept");
	m = msg_parse(out, strlen(out));
	ok(strstr(m->text, "line one\nline two\n-- \n" FOOT) != NULL,
	   "LF input: footer");
	msg_free(&m);
	free(out);

	/* a 1 MB Subject and a 1 MB From name (100 KB under
	   AddressSanitizer: libetpan grows a display name word by word with
	   realloc, which glibc extends in place but ASan copies every time,
	   so 1 MB takes hours there) */
	buf_puts(&b, "From: ");
	for (int i = 0; i < BIG_WORDS; i++)
		buf_puts(&b, "Alice Bob ");
	buf_puts(&b, "<a@example.com>\r\nSubject: ");
	for (int i = 0; i < BIG_WORDS; i++)
		buf_puts(&b, "été x1234 ");
	buf_puts(&b, "\r\nX-Long: ");
	for (int i = 0; i < BIG_WORDS; i++)
		buf_puts(&b, "0123456789");
	buf_puts(&b, "\r\n\r\nbody\r\n");
	big = buf_steal(&b);
	rw_raw("1 MB header lines", big, strlen(big), 13 * BIG_WORDS);
	{
		struct buf out2 = BUF_INIT;
		const char *x;

		msg_rewrite(big, strlen(big), &o, &out2, &pa, &err);
		x = strstr(out2.data, "\r\nX-Long: ");
		/* everything but the copied X-Long line is short */
		ok(x && crlf_ok(out2.data, (size_t)(x - out2.data) + 2, 998),
		   "generated lines under 998 with 1 MB input lines");
		buf_free(&out2);
	}
	free(big);

	o.club = NULL;
	ok(msg_rewrite("x", 1, &o, &b, &pa, &err) == -1 && err != NULL,
	   "no club: error");
	free(err);
	buf_free(&b);
}

/* test_stored_author - the relay passes From and Subject as intake
   stored them (msg_parse of the raw post): the copy is the one that
   parsing the post again gives */
static void
test_stored_author(void)
{
	static const char *const posts[] = {
	    "From: \"Alice\" <Alice@Example.com>\r\nSubject: Re: hi\r\n"
	    "Message-ID: <a@x>\r\n\r\nbody\r\n",
	    "From: =?utf-8?q?Ren=C3=A9?= <rene@example.org>\nSubject: =?utf-8?"
	    "q?caf=C3=A9?=\n\nlf only\n",
	    "From: bob@example.net\rSubject: \tfolded\r more\r\rcr only\r",
	    "Subject: no from\r\n\r\nx\r\n",
	    "From: x\r\n\r\n",
	    ""};
	static const enum msg_rewrite_dmarc modes[] = {MSG_REWRITE_DMARC_MUNGE,
						       MSG_REWRITE_DMARC_WRAP,
						       MSG_REWRITE_DMARC_NONE};
	struct msg_rewrite_opts o = opts();
	struct msg_rewrite_author au;
	char *a, *b;

	o.footer = FOOT;
	for (size_t i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
		struct msg *m = msg_parse(posts[i], strlen(posts[i]));

		au = (struct msg_rewrite_author){m->from_addr, m->from_name,
						 m->subject};
		for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
			o.dmarc = modes[k];
			o.author = NULL;
			a = rw(posts[i], &o);
			o.author = &au;
			b = rw(posts[i], &o);
			is_str(b, a,
			       "stored author = parsed (post %zu, mode %zu)", i,
			       k);
			free(a);
			free(b);
		}
		msg_free(&m);
	}
	/* and what is passed is what is used */
	o = opts();
	au =
	    (struct msg_rewrite_author){"carol@example.com", "Carol", "stored"};
	o.author = &au;
	a = rw(posts[0], &o);
	ok(strstr(a, "Subject: [acme] stored\r\n") &&
	       strstr(a, "From: \"Carol via acme\""),
	   "the stored values are the ones written");
	free(a);
}

static void
test_generated_id(void)
{
	const char *raw = "From: a@example.com\nSubject: x\n\nno id\n";
	char *id = msg_generated_id(raw, strlen(raw));
	struct msg_rewrite_opts o = opts();

	hdr_is(raw, &o, "Message-ID", id,
	       "munge: store's id for a post "
	       "without Message-ID");
	o.dmarc = MSG_REWRITE_DMARC_WRAP;
	hdr_is(raw, &o, "Message-ID", id, "wrap: the same id");
	o.dmarc = MSG_REWRITE_DMARC_NONE;
	hdr_is(post, &o, "Message-ID", "<m1@example.com>",
	       "an existing Message-ID is kept");
	free(id);
}

int
main(void)
{
	test_subjects();
	test_subject_headers();
	test_headers();
	test_policies();
	test_wrap();
	test_generated_id();
	test_stored_author();
	test_footer_cases();
	test_footer_multipart();
	test_malformed();
	test_hostile();
	tap_done();
}
