/*
 * mlistctl_archive - "mlistctl import", "export" and "inspect message|bounce".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "buf.h"
#include "clock.h"
#include "club.h"
#include "conf.h"
#include "mlistctl.h"
#include "intake.h"
#include "msg_hash.h"
#include "msg.h"
#include "msg_mbox.h"
#include "store.h"
#include "xalloc.h"

struct import_ctx {
	struct mlistctl *c;
	struct intake_rcpt r;
	unsigned added, dups;
	int error;
};

/* import_one - store one archived message, dated by its Date: header */
static int
import_one(void *arg, const char *raw, size_t len, time_t from_line_date)
{
	struct import_ctx *ctx = arg;
	struct msg *m = msg_parse(raw, len);
	struct store_msg_in in;
	char hash[65], *problems;
	time_t date = m->has_date      ? m->date
		      : from_line_date ? from_line_date
				       : clock_now();
	bool dup;
	int rc;

	msg_body_sha256(raw, len, hash);
	intake_fill_in(&in, m, raw, len, hash, &ctx->r, (int64_t)date * 1000,
		       &problems);
	rc = store_msg_insert(ctx->c->store, &in, NULL, &dup);
	free(problems);
	msg_free(&m);
	if (rc < 0) {
		ctx->error = 1;
		return 1;
	}
	if (dup)
		ctx->dups++;
	else
		ctx->added++;
	return 0;
}

int
mlistctl_import_cmd(struct mlistctl *c)
{
	struct import_ctx ctx;
	char *err = NULL;
	int64_t club;
	int rc;

	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 2)
		return mlistctl_usage("import needs CLUB FILE.mbox");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	memset(&ctx, 0, sizeof(ctx));
	ctx.c = c;
	ctx.r.addr = xasprintf("%s@%s", c->argv[0], c->conf->domain);
	ctx.r.form.role = ADDR_POST;
	snprintf(ctx.r.form.club, sizeof(ctx.r.form.club), "%s", c->argv[0]);
	ctx.r.club = club;
	ctx.r.club_tag =
	    club_get(c->store, c->conf, club, c->argv[0], "subject_prefix");
	if (store_begin(c->store) < 0) {
		intake_rcpt_clear(&ctx.r);
		return mlistctl_db_error(c, "begin");
	}
	rc = msg_mbox_foreach(c->argv[1], import_one, &ctx, &err);
	intake_rcpt_clear(&ctx.r);
	if (ctx.error) {
		store_rollback(c->store);
		return mlistctl_db_error(c, "import");
	}
	if (rc < 0) {
		store_rollback(c->store);
		rc = mlistctl_fail(65, "%s: %s", c->argv[1], err);
		free(err);
		return rc;
	}
	/* members the archive shows posting are no newcomers */
	if (store_member_unmoderate_posters(c->store, club) < 0) {
		store_rollback(c->store);
		return mlistctl_db_error(c, "import");
	}
	if (store_commit(c->store) < 0)
		return mlistctl_db_error(c, "commit");
	printf("%u %s imported, %u already there\n", ctx.added,
	       ctx.added == 1 ? "message" : "messages", ctx.dups);
	return 0;
}

/* export_one - one mboxrd entry: From_ line, LF line ends, >From */
static int
export_one(void *arg, const char *raw, size_t len, const char *from,
	   time_t date)
{
	struct buf *out = arg;
	struct tm tm;
	char when[32];
	size_t i = 0;

	gmtime_r(&date, &tm);
	strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	buf_printf(out, "From %s %s\n", from && *from ? from : "MAILER-DAEMON",
		   when);
	while (i < len) {
		const char *nl = memchr(raw + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (raw + i)) : len - i;
		size_t k = 0;

		while (k < n && raw[i + k] == '>')
			k++;
		if (n - k >= 5 && memcmp(raw + i + k, "From ", 5) == 0)
			buf_putc(out, '>');
		buf_append(out, raw + i,
			   n && raw[i + n - 1] == '\r' ? n - 1 : n);
		buf_putc(out, '\n');
		i += n + 1;
	}
	buf_putc(out, '\n');
	if (out->len > 1 << 20) {
		if (fwrite(out->data, 1, out->len, stdout) != out->len)
			return -1;
		buf_reset(out);
	}
	return 0;
}

int
mlistctl_export_cmd(struct mlistctl *c)
{
	const char *member;
	struct buf out = BUF_INIT;
	int64_t club;
	int rc;

	if (mlistctl_opt(c, "member", &member) < 0)
		return mlistctl_usage("--member needs ADDR");
	if ((rc = mlistctl_leftover(c)) != 0)
		return rc;
	if (c->argc != 1)
		return mlistctl_usage("export needs CLUB");
	if ((rc = mlistctl_club(c, c->argv[0], &club)) != 0)
		return rc;
	rc = store_msg_foreach_raw(c->store, club, member, export_one, &out);
	if (rc == 0 &&
	    fwrite(out.data ? out.data : "", 1, out.len, stdout) != out.len)
		rc = -1;
	buf_free(&out);
	if (rc < 0 || fflush(stdout) != 0)
		return mlistctl_fail(74, "export: write error");
	return 0;
}

int
mlistctl_inspect_cmd(struct mlistctl *c, const char *what)
{
	struct buf raw = BUF_INIT, out = BUF_INIT;
	bool bounce = strcmp(what, "bounce") == 0;
	char chunk[65536];
	size_t n;
	FILE *fp;

	if (!bounce && strcmp(what, "message") != 0)
		return mlistctl_usage("inspect message|bounce FILE");
	if (c->argc != 1)
		return mlistctl_usage(bounce ? "inspect bounce needs FILE"
					     : "inspect message needs FILE");
	if (strcmp(c->argv[0], "-") == 0)
		fp = stdin;
	else if ((fp = fopen(c->argv[0], "rb")) == NULL)
		return mlistctl_fail(74, "%s: cannot open: %s", c->argv[0],
				     strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&raw, chunk, n);
	if (ferror(fp)) {
		if (fp != stdin)
			fclose(fp);
		buf_free(&raw);
		return mlistctl_fail(74, "%s: read error", c->argv[0]);
	}
	if (fp != stdin)
		fclose(fp);
	if (bounce) {
		struct bounce *b;

		bounce_parse(buf_cstr(&raw), raw.len, &b);
		bounce_to_json(b, &out);
		bounce_free(&b);
	} else {
		struct msg *m = msg_parse(buf_cstr(&raw), raw.len);

		msg_to_json(m, &out);
		msg_free(&m);
	}
	puts(buf_cstr(&out));
	buf_free(&raw);
	buf_free(&out);
	return 0;
}
