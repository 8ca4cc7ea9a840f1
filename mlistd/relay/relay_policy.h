/*
 * relay_policy - what a relay attempt's outcome means (SPEC 7, STYLE 7.6).
 *
 * Pure functions, no I/O, no curl: the relay backend turns its library's
 * errors into enum relay_transport, and the relay worker asks here
 * whether a copy was sent, is retried (and when) or bounced, and formats
 * the one delivery-outcome log line (STYLE 7.7).
 *
 * Classification (relay_policy_classify), first match wins:
 *   - any transport error: retry.  Nothing was refused by the recipient's
 *     side; the relay being down, slow, unreachable, its TLS or our AUTH
 *     being wrong is temporary trouble for the copy (STYLE 7.6).
 *   - 2xx: sent, whatever enhanced code comes with it.
 *   - 4xx: retry.  The server promised a later attempt may succeed, even
 *     if its enhanced code says 5.x.x (basic and enhanced disagree: we
 *     keep the promise; a copy that never gets through expires after 5
 *     days and then counts as a soft bounce anyway).  So 421 (service
 *     closing; the connection is lost too) and 452 (insufficient storage,
 *     too many recipients, 4.2.2 mailbox full) retry.
 *   - 5xx: bounce, unless the enhanced code is of class 4: RFC 3463 makes
 *     the enhanced code the precise statement, and RFC 5321 4.5.3.1.10
 *     asks clients to treat 552 "too many recipients" as temporary, which
 *     servers spell "552 4.5.3".  So 552 4.x.x and 550 4.x.x retry, while
 *     552 5.2.2 (mailbox full) and 552 5.3.4 (too big) bounce.
 *   - anything else (1xx, 3xx, 0, out of range: no final reply): retry,
 *     a protocol error is the relay's trouble, not the recipient's.
 * Whose side a failure is on (relay_policy_ours), SPEC 7: a copy that
 * expires counts as a soft bounce only if the member's own address was
 * refused at some attempt.  Ours (the relay, our configuration, our
 * domain; never counted, however long it lasts, and a 5xx of ours is
 * retried, not bounced): every transport error (unreachable, timeout,
 * TLS, AUTH, a connection lost), a reply to anything but RCPT or the end
 * of data (the greeting, EHLO, MAIL: our envelope sender, DATA: the
 * transaction), a 421 (the relay closing), enhanced codes x.1.7/x.1.8
 * (our sender's address) and 4.3.x (the relay's own system: storage,
 * queue), and relaying refused ("relay access denied", "relaying
 * denied").  The member's: any other refusal at RCPT or after the end of
 * data, from a relay that accepted our envelope.
 *
 * In short: a copy bounces only when the reply is 5xx and no well-formed
 * enhanced code of class 4 contradicts it.  An enhanced code is used only
 * when it is well-formed (RFC 3463: class 2, 4 or 5, "." subject of 1-3
 * digits, "." detail of 1-3 digits, then the end or white space); one of
 * class 2 on a failure reply is ignored as inconsistent.
 *
 * Retry schedule (relay_policy_next_attempt), SPEC 7 "Retries after 1, 5,
 * 15 and 30 minutes, then every hour up to 4 hours apart, for 5 days;
 * then the copy expires and counts as a soft bounce", read as:
 *   - times count from the first attempt (first_try), taken as the first
 *     failure: retries at +1 min, +5 min, +15 min, +30 min;
 *   - then gaps growing by one hour up to 4 hours: +1h30 (1 h after the
 *     30-minute one), +3h30, +6h30, +10h30, then every 4 hours (+14h30,
 *     +18h30, ...);
 *   - "for 5 days": no attempt is scheduled after first_try + 5 days; the
 *     last regular retry (+4d22h30) is followed by a last one exactly at
 *     the deadline.  A failure at or after the deadline expires the copy.
 *   - a late attempt (the daemon was down) does not cause a burst: the
 *     next retry is the first scheduled time after now, never earlier
 *     than the one attempts_done entitles to.
 */
#ifndef MLISTD_RELAY_POLICY_H
#define MLISTD_RELAY_POLICY_H

#include <stdbool.h>
#include <time.h>

struct buf;

enum relay_verdict {
	RELAY_SENT,
	RELAY_RETRY,
	RELAY_BOUNCE,
};

/* Transport failures, before or instead of a usable SMTP reply; the relay
   backend maps its library's errors onto these. */
enum relay_transport {
	RELAY_TRANSPORT_NONE = 0, /* a reply was read: judge it */
	RELAY_TRANSPORT_REFUSED,  /* connection refused or reset */
	RELAY_TRANSPORT_TIMEOUT,  /* connect or reply timed out */
	RELAY_TRANSPORT_DNS,	  /* relay host name does not resolve */
	RELAY_TRANSPORT_UNREACH,  /* no route, network down */
	RELAY_TRANSPORT_TLS,	  /* handshake or certificate failure */
	RELAY_TRANSPORT_AUTH,	  /* SMTP AUTH refused: our configuration */
	RELAY_TRANSPORT_PROTOCOL, /* garbled reply, connection lost midway */
	RELAY_TRANSPORT_OTHER,	  /* anything else the library reports */
};

#define RELAY_POLICY_LIFETIME (5 * 24 * 60 * 60) /* SPEC 7: 5 days */

/* relay_policy_classify - sent, retry or bounce for a final SMTP reply
   (smtp_code, with its enhanced status code or NULL) or a transport error
   (an enum relay_transport; smtp_code is then ignored) */
enum relay_verdict relay_policy_classify(int smtp_code, const char *enhanced,
					 int transport_error);

/* relay_policy_ours - a failed attempt is our side's trouble, not a
   refusal of the member's address: transport (enum relay_transport),
   the reply's code, enhanced code and text, and stage, the command it
   answered ("MAIL", "RCPT", "DATA", "DOT" or "") */
bool relay_policy_ours(int transport, int smtp_code, const char *enhanced,
		       const char *stage, const char *reply);

/* relay_policy_verdict_name - "sent", "deferred" or "bounced", the
   status= word of the outcome line */
const char *relay_policy_verdict_name(enum relay_verdict v);

/* relay_policy_next_attempt - when to try a copy again after its
   attempts_done-th attempt failed at now (first_try: when the first
   attempt was made).  attempts_done < 1 means not tried yet: due at
   first_try.  Sets *expired_r; when true the copy is past its 5 days and
   the returned time (the deadline) is not to be used. */
time_t relay_policy_next_attempt(time_t first_try, int attempts_done,
				 time_t now, bool *expired_r);

/* relay_policy_log_line - append the delivery-outcome line (STYLE 7.7):
   "M1F3A: club=dev to=<a@example.org> relay=[10.0.0.5]:25 dsn=2.0.0
   status=sent (250 ok)".  reply is made one line (controls and runs of
   white space become one space, invalid UTF-8 becomes '?', cut to 300
   bytes with "..."); the other fields get controls replaced by '?'.  A
   NULL or empty field prints as "none". */
void relay_policy_log_line(struct buf *out, const char *store_id,
			   const char *club, const char *rcpt,
			   const char *relay, const char *dsn,
			   const char *status, const char *reply);

#endif
