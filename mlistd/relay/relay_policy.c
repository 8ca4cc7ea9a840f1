/*
 * relay_policy - what a relay attempt's outcome means (see relay_policy.h,
 * which documents the rules; the tables below are their only statement
 * in code).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "enhcode.h"
#include "relay_policy.h"
#include "strutil.h"

#define MIN 60
#define HOUR (60 * MIN)

/* First match wins; reply and enh are class digits, '*' matches any
   enhanced class and none.  A reply matching no rule is no final reply. */
static const struct policy_rule {
	char reply;
	char enh;
	enum relay_verdict verdict;
} policy_rules[] = {
    {.reply = '2', .enh = '*', .verdict = RELAY_SENT},
    {.reply = '4', .enh = '*', .verdict = RELAY_RETRY},
    {.reply = '5', .enh = '4', .verdict = RELAY_RETRY},
    {.reply = '5', .enh = '*', .verdict = RELAY_BOUNCE},
};

/* Seconds after the first attempt of each retry in turn; after the last
   one, every POLICY_RETRY_EVERY until the deadline (SPEC 7). */
static const long long policy_retry_at[] = {
    1 * MIN, /* then 5, 15 and 30 minutes */
    5 * MIN,
    15 * MIN,
    30 * MIN,
    1 * HOUR + 30 * MIN, /* then gaps of 1, 2, 3 and 4 hours */
    3 * HOUR + 30 * MIN,
    6 * HOUR + 30 * MIN,
    10 * HOUR + 30 * MIN,
};
#define POLICY_RETRIES (sizeof(policy_retry_at) / sizeof(policy_retry_at[0]))
#define POLICY_RETRY_EVERY (4 * HOUR)

#define POLICY_REPLY_MAX 300 /* bytes of reply text in a log line */

/* relay_policy_classify - sent, retry or bounce */
enum relay_verdict
relay_policy_classify(int smtp_code, const char *enhanced, int transport_error)
{
	const struct policy_rule *r;
	char reply, enh;

	if (transport_error != RELAY_TRANSPORT_NONE)
		return RELAY_RETRY;
	if (smtp_code < 200 || smtp_code > 599)
		return RELAY_RETRY;
	reply = (char)('0' + smtp_code / 100);
	enh = enhcode_class(enhanced); /* a malformed code says nothing */
	for (r = policy_rules;
	     r < policy_rules + sizeof(policy_rules) / sizeof(policy_rules[0]);
	     r++)
		if (r->reply == reply && (r->enh == '*' || r->enh == enh))
			return r->verdict;
	/* 3xx: an intermediate reply where a final one was due */
	return RELAY_RETRY;
}

/* relay_policy_ours - our side's trouble, not the member's address */
bool
relay_policy_ours(int transport, int smtp_code, const char *enhanced,
		  const char *stage, const char *reply)
{
	static const char *const denied[] = {"relay access denied",
					     "relaying denied"};

	if (transport != RELAY_TRANSPORT_NONE || smtp_code == 421)
		return true;
	if (stage == NULL ||
	    (strcmp(stage, "RCPT") != 0 && strcmp(stage, "DOT") != 0))
		return true;
	/* x.1.7, x.1.8: our sender's address */
	if (enhanced && enhcode_class(enhanced) && enhcode_is_sender(enhanced))
		return true;
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (reply && strcasestr(reply, denied[i]))
			return true;
	return false;
}

/* relay_policy_verdict_name - the status= word */
const char *
relay_policy_verdict_name(enum relay_verdict v)
{
	switch (v) {
	case RELAY_SENT:
		return "sent";
	case RELAY_RETRY:
		return "deferred";
	case RELAY_BOUNCE:
		return "bounced";
	}
	return "deferred";
}

/* policy_retry_offset - seconds after first_try of the k-th retry (k >= 1) */
static long long
policy_retry_offset(int k)
{
	if ((size_t)k <= POLICY_RETRIES)
		return policy_retry_at[k - 1];
	return policy_retry_at[POLICY_RETRIES - 1] +
	       (long long)(k - (int)POLICY_RETRIES) * POLICY_RETRY_EVERY;
}

/* relay_policy_next_attempt - when to try a copy again, or expired */
time_t
relay_policy_next_attempt(time_t first_try, int attempts_done, time_t now,
			  bool *expired_r)
{
	time_t deadline = first_try + RELAY_POLICY_LIFETIME;
	long long t;
	int k;

	*expired_r = false;
	if (attempts_done < 1)
		return first_try;
	if (now >= deadline) {
		*expired_r = true;
		return deadline;
	}
	/* past slots were missed (downtime, a slow queue): skip them
	   rather than fire them back to back */
	k = attempts_done;
	t = first_try + policy_retry_offset(k);
	while (t <= now && t < deadline)
		t = first_try + policy_retry_offset(++k);
	/* the last chance is the deadline itself, not a slot beyond it */
	if (t > deadline)
		t = deadline;
	return (time_t)t;
}

/* policy_put_field - s with control characters as '?': one log line */
static void
policy_put_field(struct buf *out, const char *s)
{
	if (s == NULL || *s == '\0') {
		buf_puts(out, "none");
		return;
	}
	for (; *s; s++)
		buf_putc(out,
			 (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* policy_put_reply - a server's reply (multi-line, hostile, any bytes) as
   a bounded piece of one valid UTF-8 line */
static void
policy_put_reply(struct buf *out, const char *s)
{
	size_t start = out->len, n;
	bool space = false;

	for (s = s ? s : ""; *s; s += n ? n : 1) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == 0x7f) {
			space = true;
			n = 1;
			continue;
		}
		/* at most 4 bytes are read, and the NUL stops it early */
		n = c < 0x80 ? 1 : str_utf8_seq(s, 4);
		if (out->len - start + space + (n ? n : 1) > POLICY_REPLY_MAX) {
			buf_puts(out, "...");
			return;
		}
		if (space && out->len > start)
			buf_putc(out, ' ');
		space = false;
		if (n == 0)
			buf_putc(out, '?');
		else
			buf_append(out, s, n);
	}
	if (out->len == start)
		buf_puts(out, "none");
}

/* relay_policy_log_line - append the delivery-outcome line */
void
relay_policy_log_line(struct buf *out, const char *store_id, const char *club,
		      const char *rcpt, const char *relay, const char *dsn,
		      const char *status, const char *reply)
{
	policy_put_field(out, store_id);
	buf_puts(out, ": club=");
	policy_put_field(out, club);
	buf_puts(out, " to=<");
	policy_put_field(out, rcpt);
	buf_puts(out, "> relay=");
	policy_put_field(out, relay);
	buf_puts(out, " dsn=");
	policy_put_field(out, dsn);
	buf_puts(out, " status=");
	policy_put_field(out, status);
	buf_puts(out, " (");
	policy_put_reply(out, reply);
	buf_putc(out, ')');
}
