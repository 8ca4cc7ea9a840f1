/*
 * test-relay_policy - every classification case of relay_policy.h, the
 * whole retry schedule attempt by attempt up to the exact 5-day expiry,
 * late attempts, and the delivery-outcome log line.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "relay_policy.h"
#include "tap.h"

#define M 60
#define H (60 * M)
#define D (24 * H)

static const struct ccase {
	int code;
	const char *enh;
	int transport;
	enum relay_verdict want;
	const char *why;
} ccases[] = {
    {250, NULL, 0, RELAY_SENT, "250"},
    {250, "2.0.0", 0, RELAY_SENT, "250 2.0.0"},
    {251, "2.1.5", 0, RELAY_SENT, "251 forwarded"},
    {250, "5.0.0", 0, RELAY_SENT, "2xx wins over an odd enhanced code"},
    {421, NULL, 0, RELAY_RETRY, "421 service closing"},
    {421, "4.3.2", 0, RELAY_RETRY, "421 4.3.2 shutting down"},
    {421, "5.7.0", 0, RELAY_RETRY, "421 with 5.x.x: the 4xx promise"},
    {450, "4.2.0", 0, RELAY_RETRY, "450 greylisted"},
    {451, "4.3.0", 0, RELAY_RETRY, "451 local error"},
    {451, "4.7.1", 0, RELAY_RETRY, "451 4.7.1 try later"},
    {452, NULL, 0, RELAY_RETRY, "452 insufficient storage"},
    {452, "4.5.3", 0, RELAY_RETRY, "452 too many recipients"},
    {452, "4.2.2", 0, RELAY_RETRY, "452 4.2.2 mailbox full (temporary)"},
    {450, "5.1.1", 0, RELAY_RETRY, "4xx with 5.x.x still retries"},
    {454, "4.7.0", 0, RELAY_RETRY, "454 TLS not available"},
    {550, NULL, 0, RELAY_BOUNCE, "550 without enhanced code"},
    {550, "5.1.1", 0, RELAY_BOUNCE, "550 5.1.1 user unknown"},
    {551, "5.1.6", 0, RELAY_BOUNCE, "551 moved"},
    {552, "5.2.2", 0, RELAY_BOUNCE, "552 5.2.2 mailbox full"},
    {552, "5.3.4", 0, RELAY_BOUNCE, "552 5.3.4 too big"},
    {552, NULL, 0, RELAY_BOUNCE, "552 without enhanced code"},
    {552, "4.5.3", 0, RELAY_RETRY, "552 4.5.3: enhanced class 4 wins"},
    {550, "4.7.1", 0, RELAY_RETRY, "550 4.7.1: enhanced class 4 wins"},
    {553, "5.1.3", 0, RELAY_BOUNCE, "553 bad address syntax"},
    {554, "5.7.1", 0, RELAY_BOUNCE, "554 5.7.1 rejected for policy"},
    {556, "5.1.10", 0, RELAY_BOUNCE, "556 domain takes no mail (RFC 7504)"},
    {521, "5.3.2", 0, RELAY_BOUNCE, "521 host takes no mail"},
    {550, "2.0.0", 0, RELAY_BOUNCE, "class 2 on 5xx is ignored"},
    {550, "4.7", 0, RELAY_BOUNCE, "malformed 4.7 is ignored"},
    {550, "4.7.1234", 0, RELAY_BOUNCE, "4-digit detail is malformed"},
    {550, "4.7.1x", 0, RELAY_BOUNCE, "trailing junk is malformed"},
    {550, "3.1.1", 0, RELAY_BOUNCE, "class 3 does not exist"},
    {550, "", 0, RELAY_BOUNCE, "empty enhanced code"},
    {550, "4.123.456 later", 0, RELAY_RETRY, "code followed by text"},
    {354, NULL, 0, RELAY_RETRY, "354 where a final reply was due"},
    {0, NULL, 0, RELAY_RETRY, "no reply at all"},
    {199, NULL, 0, RELAY_RETRY, "1xx"},
    {600, NULL, 0, RELAY_RETRY, "out of range"},
    {-1, NULL, 0, RELAY_RETRY, "negative"},
    {0, NULL, RELAY_TRANSPORT_REFUSED, RELAY_RETRY, "connection refused"},
    {0, NULL, RELAY_TRANSPORT_TIMEOUT, RELAY_RETRY, "timeout"},
    {0, NULL, RELAY_TRANSPORT_DNS, RELAY_RETRY, "DNS failure"},
    {0, NULL, RELAY_TRANSPORT_UNREACH, RELAY_RETRY, "network unreachable"},
    {0, NULL, RELAY_TRANSPORT_TLS, RELAY_RETRY, "TLS failure"},
    {535, "5.7.8", RELAY_TRANSPORT_AUTH, RELAY_RETRY,
     "AUTH refused is our trouble, not the recipient's"},
    {0, NULL, RELAY_TRANSPORT_PROTOCOL, RELAY_RETRY, "garbled reply"},
    {550, "5.1.1", RELAY_TRANSPORT_OTHER, RELAY_RETRY,
     "a transport error wins over a reply"},
};

/* When attempt N (1-based: attempt 1 is the first try) is due, in
   seconds after the first try; the last row is the deadline itself. */
static const long long sched[] = {
    0,
    1 * M,
    5 * M,
    15 * M,
    30 * M,
    1 * H + 30 * M,
    3 * H + 30 * M,
    6 * H + 30 * M,
    10 * H + 30 * M,
    14 * H + 30 * M,
    18 * H + 30 * M,
    22 * H + 30 * M,
    1 * D + 2 * H + 30 * M,
    1 * D + 6 * H + 30 * M,
    1 * D + 10 * H + 30 * M,
    1 * D + 14 * H + 30 * M,
    1 * D + 18 * H + 30 * M,
    1 * D + 22 * H + 30 * M,
    2 * D + 2 * H + 30 * M,
    2 * D + 6 * H + 30 * M,
    2 * D + 10 * H + 30 * M,
    2 * D + 14 * H + 30 * M,
    2 * D + 18 * H + 30 * M,
    2 * D + 22 * H + 30 * M,
    3 * D + 2 * H + 30 * M,
    3 * D + 6 * H + 30 * M,
    3 * D + 10 * H + 30 * M,
    3 * D + 14 * H + 30 * M,
    3 * D + 18 * H + 30 * M,
    3 * D + 22 * H + 30 * M,
    4 * D + 2 * H + 30 * M,
    4 * D + 6 * H + 30 * M,
    4 * D + 10 * H + 30 * M,
    4 * D + 14 * H + 30 * M,
    4 * D + 18 * H + 30 * M,
    4 * D + 22 * H + 30 * M,
    5 * D, /* the last chance, exactly at the deadline */
};
#define NSCHED (sizeof(sched) / sizeof(sched[0]))

/* Odd moments: { attempts_done, now, want, expired } in seconds after
   the first try. */
static const struct ncase {
	int done;
	long long now, want;
	bool expired;
	const char *why;
} ncases[] = {
    {0, 0, 0, false, "not tried yet: due at the first try"},
    {0, 3 * D, 0, false, "not tried yet, even late"},
    {1, 20, 1 * M, false, "first attempt took 20 s"},
    {1, 2 * M, 5 * M, false, "missed slot skipped, no burst"},
    {2, 1 * D, 1 * D + 2 * H + 30 * M, false, "down a day: next slot"},
    {3, 15 * M, 30 * M, false, "a slot exactly at now is past"},
    {9, 5 * M, 14 * H + 30 * M, false, "never before attempts_done's"},
    {1, 5 * D - 1, 5 * D, false, "one second before the deadline"},
    {1, 4 * D + 23 * H, 5 * D, false, "last gap shortened"},
    {1, 5 * D, 5 * D, true, "failure at the deadline expires"},
    {36, 5 * D + 1, 5 * D, true, "after the deadline"},
    {1000000, 1 * H, 5 * D, false, "more attempts than slots"},
    {1, -1 * H, 1 * M, false, "clock behind the first try"},
};

static const struct lcase {
	const char *f[7]; /* id, club, rcpt, relay, dsn, status, reply */
	const char *want;
} lcases[] = {
    {{"M1F3A", "dev", "a@example.org", "[10.0.0.5]:25", "2.0.0", "sent",
      "250 ok"},
     "M1F3A: club=dev to=<a@example.org> relay=[10.0.0.5]:25 dsn=2.0.0 "
     "status=sent (250 ok)"},
    {{"M1F3A", "dev", "b@example.org", "[10.0.0.5]:25", "5.1.1", "bounced",
      "550-5.1.1 The email account\r\n550-5.1.1 does not\t "
      "exist.\r\n"},
     "M1F3A: club=dev to=<b@example.org> relay=[10.0.0.5]:25 dsn=5.1.1 "
     "status=bounced (550-5.1.1 The email account 550-5.1.1 does not "
     "exist.)"},
    {{"M2", "dev", "c@example.org", NULL, "4.4.1", "deferred", NULL},
     "M2: club=dev to=<c@example.org> relay=none dsn=4.4.1 "
     "status=deferred (none)"},
    {{"M3", "dev", "d\r\n@x.org", "", "4.4.1", "deferred", "  \r\n "},
     "M3: club=dev to=<d??@x.org> relay=none dsn=4.4.1 status=deferred "
     "(none)"},
    {{"M4", "dev", "e@x.org", "h:25", "4.0.0", "deferred",
      "451 caf\xc3\xa9 \xff\xfe\x01ok\x7f"},
     "M4: club=dev to=<e@x.org> relay=h:25 dsn=4.0.0 status=deferred "
     "(451 caf\xc3\xa9 ?? ok)"},
};

/* test_schedule - every attempt at its time, failing on time and a bit
   late, down to the expiry */
static void
test_schedule(time_t t0)
{
	size_t k;
	bool exp;
	time_t got;
	int late;

	for (k = 1; k <= NSCHED; k++) {
		for (late = 0; late <= 7; late += 7) {
			exp = true;
			got = relay_policy_next_attempt(
			    t0, (int)k, t0 + sched[k - 1] + late, &exp);
			if (k < NSCHED) {
				is_int(got - t0, sched[k],
				       "attempt %zu failed %ds late: next at "
				       "+%llds",
				       k, late, sched[k]);
				ok(!exp, "attempt %zu: not expired", k);
			} else {
				ok(exp,
				   "attempt %zu at the deadline failed "
				   "%ds late: expired",
				   k, late);
			}
		}
	}
	is_int(NSCHED, 37, "37 attempts in 5 days");
	is_int(sched[NSCHED - 1], RELAY_POLICY_LIFETIME, "lifetime");
}

/* whose side a failure is on: ours never counts against the member */
static const struct scase {
	int transport;
	int code;
	const char *enh, *stage, *reply;
	bool ours;
	const char *why;
} scases[] = {
    {RELAY_TRANSPORT_REFUSED, 0, "", "", "cannot connect", true,
     "relay unreachable"},
    {RELAY_TRANSPORT_TLS, 0, "", "", "certificate", true, "TLS"},
    {RELAY_TRANSPORT_AUTH, 535, "5.7.8", "", "bad password", true, "AUTH"},
    {RELAY_TRANSPORT_TIMEOUT, 0, "", "DOT", "no reply", true,
     "timeout at end of data"},
    {0, 451, "4.3.0", "MAIL", "try later", true, "4xx at MAIL"},
    {0, 553, "5.1.8", "MAIL", "sender refused", true, "5xx at MAIL"},
    {0, 451, "4.3.0", "DATA", "not now", true, "4xx to DATA itself"},
    {0, 421, "4.7.0", "RCPT", "closing", true, "421 at RCPT"},
    {0, 450, "4.1.8", "RCPT", "sender domain", true, "4.1.8 at RCPT"},
    {0, 450, "4.3.0", "RCPT", "command failed", false,
     "4.3.0 at RCPT (smtp-sink -r RCPT)"},
    {0, 454, "4.7.1", "RCPT", "<a@b>: Relay access denied", true,
     "relay access denied"},
    {0, 450, "4.2.0", "RCPT", "greylisted", false, "4xx at RCPT"},
    {0, 452, "4.2.2", "RCPT", "mailbox full", false, "mailbox full"},
    {0, 450, "", "RCPT", "try again", false, "4xx at RCPT, no enhanced"},
    {0, 451, "4.7.1", "DOT", "content deferred", false,
     "4xx after the end of data"},
    {0, 550, "5.1.1", "RCPT", "no such user", false, "5xx at RCPT"},
    {0, 450, "4.1.17", "RCPT", "odd detail", false, "4.1.17 is not 4.1.7"},
};

int
main(void)
{
	time_t t0 = 1741593600; /* 2025-03-10T08:00:00Z */
	size_t i;

	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		const struct ccase *c = &ccases[i];

		is_int(relay_policy_classify(c->code, c->enh, c->transport),
		       c->want, "classify: %s", c->why);
	}
	is_str(relay_policy_verdict_name(RELAY_SENT), "sent", "sent");
	is_str(relay_policy_verdict_name(RELAY_RETRY), "deferred", "deferred");
	is_str(relay_policy_verdict_name(RELAY_BOUNCE), "bounced", "bounced");

	for (i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		const struct scase *c = &scases[i];

		is_int(relay_policy_ours(c->transport, c->code, c->enh,
					 c->stage, c->reply),
		       c->ours, "side: %s: %s", c->why,
		       c->ours ? "ours" : "the member's");
	}
	test_schedule(t0);
	for (i = 0; i < sizeof(ncases) / sizeof(ncases[0]); i++) {
		const struct ncase *c = &ncases[i];
		bool exp = !c->expired;
		time_t got =
		    relay_policy_next_attempt(t0, c->done, t0 + c->now, &exp);

		ok(exp == c->expired, "next attempt: %s: expired=%d", c->why,
		   c->expired);
		if (!c->expired)
			is_int(got - t0, c->want, "next attempt: %s: time",
			       c->why);
	}

	for (i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++) {
		const struct lcase *c = &lcases[i];
		struct buf b = BUF_INIT;

		buf_puts(&b, "x ");
		relay_policy_log_line(&b, c->f[0], c->f[1], c->f[2], c->f[3],
				      c->f[4], c->f[5], c->f[6]);
		ok(strncmp(buf_cstr(&b), "x ", 2) == 0, "log line %zu appends",
		   i);
		is_str(buf_cstr(&b) + 2, c->want, "log line %zu", i);
		buf_free(&b);
	}
	/* a long reply is cut, and never in the middle of a character */
	{
		struct buf b = BUF_INIT, r = BUF_INIT;
		const char *p;
		int j;

		buf_puts(&r, "550 ");
		for (j = 0; j < 400; j++)
			buf_puts(&r, "\xc3\xa9");
		relay_policy_log_line(&b, "M5", "dev", "f@x.org", "h", "5.0.0",
				      "bounced", buf_cstr(&r));
		p = strchr(buf_cstr(&b), '(');
		ok(p && strlen(p) <= 300 + 5, "long reply cut (%zu bytes)",
		   p ? strlen(p) : 0);
		ok(p && strcmp(p + strlen(p) - 6, "\xc3\xa9...)") == 0,
		   "cut after a whole character");
		ok(!strchr(buf_cstr(&b), '\n'), "one line");
		buf_free(&b);
		buf_free(&r);
	}
	tap_done();
}
