/*
 * mlistctl_threads - "mlistctl threads" and "mlistctl postfix".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "club.h"
#include "conf.h"
#include "mlistctl.h"
#include "store.h"

int
mlistctl_threads_cmd(struct mlistctl *c)
{
	const char *since_s, *at_s;
	time_t since = 0, at = 0;
	struct store_thread *t;
	struct buf out = BUF_INIT;
	char *tz;
	int64_t club;
	size_t n;
	int rc;

	if (mlistctl_opt(c, "since", &since_s) < 0 ||
	    mlistctl_opt(c, "at", &at_s) < 0)
		return mlistctl_usage("--since and --at need a DATETIME");
	if (mlistctl_flag(c, "open-debates") || mlistctl_flag(c, "unanswered"))
		return mlistctl_fail(
		    69, "--open-debates and --unanswered come with "
			"digests; not available in this version");
	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 1)
		return mlistctl_usage("threads needs CLUB");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	tz = club_get(c->store, c->conf, club, c->argv[0], "timezone");
	if ((since_s && mlistctl_parse_datetime(since_s, tz, &since) < 0) ||
	    (at_s && mlistctl_parse_datetime(at_s, tz, &at) < 0)) {
		free(tz);
		return mlistctl_usage("DATETIME is RFC 3339 "
				      "(2025-03-10T08:00:00Z) or YYYY-MM-DD");
	}
	free(tz);
	if (store_thread_list(c->store, club, since, at, &t, &n) < 0)
		return mlistctl_db_error(c, "threads");
	if (c->json)
		buf_putc(&out, '[');
	for (size_t i = 0; i < n; i++) {
		char first[21], last[21];

		clock_format(t[i].first, first);
		clock_format(t[i].last, last);
		if (!c->json) {
			buf_printf(&out, "%s\t%s\t%d\t%d\t", t[i].key, last,
				   t[i].messages, t[i].participants);
			mlistctl_field(&out, t[i].subject);
			buf_putc(&out, '\n');
			continue;
		}
		buf_printf(&out, "%s{\"key\":\"%s\",\"subject\":", i ? "," : "",
			   t[i].key);
		buf_json_str(&out, t[i].subject);
		buf_printf(
		    &out,
		    ",\"messages\":%d,\"participants\":%d,\"first\":\"%s\","
		    "\"last\":\"%s\",\"message_ids\":[",
		    t[i].messages, t[i].participants, first, last);
		for (size_t j = 0; j < t[i].nmessage_ids; j++) {
			if (j)
				buf_putc(&out, ',');
			buf_json_str(&out, t[i].message_ids[j]);
		}
		buf_puts(&out, "]}");
	}
	if (c->json)
		buf_puts(&out, "]\n");
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	store_thread_list_free(t, n);
	return 0;
}

int
mlistctl_postfix_cmd(struct mlistctl *c)
{
	const struct conf *conf = c->conf;
	const char *nexthop = "inet:127.0.0.1:8024";
	char buf[300];

	if (c->argc != 0)
		return mlistctl_usage("postfix takes no arguments");
	if (conf->nlisten > 0) {
		const struct conf_listen *l = &conf->listen[0];
		const char *chroot = "/var/spool/postfix/";

		if (l->unix_path &&
		    strncmp(l->unix_path, chroot, strlen(chroot)) == 0)
			snprintf(buf, sizeof(buf), "unix:%s",
				 l->unix_path + strlen(chroot));
		else if (l->unix_path)
			snprintf(buf, sizeof(buf), "unix:%s", l->unix_path);
		else
			snprintf(buf, sizeof(buf), "inet:%s:%s", l->host,
				 l->port);
		nexthop = buf;
	}
	printf("# main.cf: add with postconf -e (merge with values you already "
	       "have)\n"
	       "relay_domains = %s\n"
	       "transport_maps = hash:/etc/postfix/mlistd_transport\n"
	       "recipient_delimiter = %c\n"
	       "lmtp_destination_recipient_limit = 1000\n"
	       "# refuse unknown club addresses during the SMTP session: "
	       "Postfix asks mlistd\n"
	       "smtpd_recipient_restrictions = permit_mynetworks, "
	       "reject_unauth_destination, reject_unverified_recipient\n"
	       "unverified_recipient_reject_code = 550\n"
	       "\n"
	       "# /etc/postfix/mlistd_transport, then: postmap "
	       "/etc/postfix/mlistd_transport\n"
	       "%s\tlmtp:%s\n",
	       conf->domain, conf->delimiter, conf->domain, nexthop);
	return 0;
}
