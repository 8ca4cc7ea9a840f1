/*
 * fuzz_msg - one message through everything that reads a post: the MIME
 * parser (msg_parse_parts), the text normalizer (msg_text), the subject
 * rules and the relay's rewrite.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "msg.h"
#include "msg_rewrite.h"
#include "msg_text.h"
#include "subject.h"

static void
fuzz_msg_text(const struct msg *m)
{
	char *stripped = msg_text_strip(m->text);
	char *folded = msg_text_fold(m->text);
	char *norm = subject_normalize(m->subject, "[acme]");
	static const char *const phrases[] = {"thank you", "merci", NULL};
	bool reply, fwd;

	fuzz_check(strlen(stripped) <= (m->text ? strlen(m->text) : 0),
		   "msg_text_strip returned more than it read");
	(void)msg_text_ack_only(stripped);
	(void)msg_text_is_question(m->subject, stripped);
	(void)msg_text_is_auto_subject(m->subject);
	(void)msg_text_has_phrase(folded, phrases);
	/* subject_markers takes no NULL (its callers test first) */
	if (m->subject)
		fuzz_check(subject_markers(m->subject, &reply, &fwd) <=
			       strlen(m->subject),
			   "subject_markers ran past the subject");
	free(norm);
	free(folded);
	free(stripped);
}

static void
fuzz_msg_rewrite(const char *raw, size_t len)
{
	struct msg_rewrite_opts o = {
	    .club = "acme",
	    .domain = "lists.example.org",
	    .delim = '+',
	    .title = "Acme",
	    .prefix = "[acme]",
	    .reply_to = MSG_REWRITE_REPLY_LIST,
	    .dmarc =
		(len & 1) ? MSG_REWRITE_DMARC_WRAP : MSG_REWRITE_DMARC_MUNGE,
	    .footer = "-- \nacme: https://lists.example.org/acme",
	};
	struct buf out = BUF_INIT;
	size_t at = 0;
	char *err = NULL;

	if (msg_rewrite(raw, len, &o, &out, &at, &err) == 0)
		fuzz_check(at <= out.len, "personal header offset past output");
	free(err);
	buf_free(&out);
}

void
fuzz_msg(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data;
	struct msg_part *parts = NULL;
	size_t nparts = 0;
	struct msg *m = msg_parse_parts(raw, size, &parts, &nparts);
	struct buf json = BUF_INIT;
	char *v;

	fuzz_check(m->message_id != NULL, "msg_parse left no Message-ID");
	for (size_t i = 0; i < nparts; i++)
		fuzz_check(strlen(parts[i].text) == parts[i].len,
			   "msg_part len is not its text's length");
	msg_to_json(m, &json);
	fuzz_msg_text(m);
	v = msg_header_value(raw, size, "Subject");
	free(v);
	fuzz_msg_rewrite(raw, size);
	buf_free(&json);
	msg_parts_free(&parts, nparts);
	msg_free(&m);
}
