/*
 * msg_mbox - read the messages of an mbox file (archive import).
 *
 * libetpan's mailmbox finds the message boundaries; we open the folder
 * read-only, hand each message to the caller without its "From " line and
 * with mboxrd quoting (">From " -> "From ") undone, since libetpan leaves
 * the bytes as they are in the file.
 *
 * XXX mailmbox_init() takes a read lock, and Debian's libetpan makes that
 * a dot-lock file (liblockfile) beside the mbox: it writes into the
 * archive's directory, and fails outright when that is not writable (an
 * import run as the unprivileged user).  So we do what mailmbox_init()
 * does minus the lock: open, map, parse.  mailmbox_parse() is exported by
 * libetpan but its header is not installed, hence the declaration below.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "msg_mbox.h"
#include "xalloc.h"

int mailmbox_parse(struct mailmbox_folder *folder);

/* num - up to maxdigits decimal digits at *p, or -1 */
static int
num(const char **p, int maxdigits)
{
	int v = 0, n = 0;

	while (n < maxdigits && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n ? v : -1;
}

/* from_line_date - the asctime date of "From sender Mon Mar 10 08:00:00
   2025" (an optional zone before or after the year); 0 if unreadable */
static time_t
from_line_date(const char *line, size_t len)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char buf[256];
	const char *p;
	struct tm tm = {0};
	int zone = 0, mon = -1;

	if (len < 5 || len >= sizeof(buf))
		return 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	p = buf + 5;
	p += strcspn(p, " \t"); /* the envelope sender */
	/* find "Mmm" followed by a day number */
	for (; *p; p++) {
		const char *m;

		if (!isalpha((unsigned char)p[0]) || p[3] != ' ' ||
		    !isalpha((unsigned char)p[1]) ||
		    !isalpha((unsigned char)p[2]))
			continue;
		for (m = months; *m; m += 3)
			if (strncasecmp(p, m, 3) == 0)
				break;
		if (*m) {
			mon = (int)(m - months) / 3;
			p += 4;
			break;
		}
	}
	if (mon < 0)
		return 0;
	while (*p == ' ')
		p++;
	tm.tm_mon = mon;
	if ((tm.tm_mday = num(&p, 2)) < 1 || *p++ != ' ')
		return 0;
	while (*p == ' ')
		p++;
	if ((tm.tm_hour = num(&p, 2)) < 0 || *p++ != ':' ||
	    (tm.tm_min = num(&p, 2)) < 0)
		return 0;
	if (*p == ':' && (p++, (tm.tm_sec = num(&p, 2)) < 0))
		return 0;
	while (*p == ' ')
		p++;
	/* "+0100 2025", "UTC 2025" or "2025 +0100" */
	for (int i = 0; i < 3 && *p; i++) {
		const char *t = p;
		int v;

		if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;

			p++;
			v = num(&p, 4);
			if (v >= 0)
				zone =
				    sign * ((v / 100) * 3600 + (v % 100) * 60);
		} else if (isdigit((unsigned char)*p) &&
			   (v = num(&p, 4)) >= 1900) {
			tm.tm_year = v - 1900;
		} else {
			p += strcspn(p, " ");
		}
		if (p == t)
			p++;
		while (*p == ' ')
			p++;
	}
	if (tm.tm_year == 0 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return 0;
	return timegm(&tm) - zone;
}

/* unquote - the message with one '>' taken off every ">...>From " line */
static void
unquote(struct buf *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) + 1 : n;
		size_t q = i;

		while (q < end && s[q] == '>')
			q++;
		if (q > i && end - q >= 5 && memcmp(s + q, "From ", 5) == 0)
			i++;
		buf_append(out, s + i, end - i);
		i = end;
	}
}

int
msg_mbox_foreach(const char *path,
		 int (*fn)(void *ctx, const char *raw, size_t len,
			   time_t from_line_date),
		 void *ctx, const char **error_r)
{
	struct mailmbox_folder *folder = NULL;
	struct buf b = BUF_INIT;
	struct stat st;
	int r, ret = 0;

	/* an empty file is an empty mbox; mmap() would refuse it */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
		return 0;
	folder = mailmbox_folder_new(path);
	if (folder == NULL) {
		*error_r = "out of memory opening the mbox";
		return -1;
	}
	folder->mb_read_only = 1;
	folder->mb_no_uid = 1;
	if (mailmbox_open(folder) != MAILMBOX_NO_ERROR) {
		mailmbox_folder_free(folder);
		*error_r = "cannot open the mbox file";
		return -1;
	}
	r = mailmbox_map(folder);
	if (r == MAILMBOX_NO_ERROR)
		r = mailmbox_parse(folder);
	if (r != MAILMBOX_NO_ERROR) {
		if (folder->mb_mapping)
			mailmbox_unmap(folder);
		mailmbox_close(folder);
		mailmbox_folder_free(folder);
		*error_r = "cannot read the file as an mbox";
		return -1;
	}
	for (unsigned int i = 0; i < carray_count(folder->mb_tab); i++) {
		struct mailmbox_msg_info *info = carray_get(folder->mb_tab, i);
		char *data;
		size_t len;
		time_t date;

		if (info == NULL || info->msg_deleted)
			continue;
		/* the mapping stays valid until mailmbox_done(); the "From "
		   line sits before the headers */
		date = from_line_date(folder->mb_mapping + info->msg_start,
				      info->msg_start_len);
		if (mailmbox_fetch_msg_no_lock(folder, info->msg_uid, &data,
					       &len) != MAILMBOX_NO_ERROR)
			continue;
		buf_reset(&b);
		unquote(&b, data, len);
		ret = fn(ctx, buf_cstr(&b), b.len, date);
		if (ret != 0)
			break;
	}
	buf_free(&b);
	mailmbox_unmap(folder);
	mailmbox_close(folder);
	mailmbox_folder_free(folder);
	return ret;
}
