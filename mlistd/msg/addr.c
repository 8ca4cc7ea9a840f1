/*
 * addr - mail addresses and the club address forms (see addr.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "addr.h"
#include "strutil.h"
#include "xalloc.h"

static const struct {
	const char *name; /* subaddress, or the prefix before "-" */
	enum addr_role role;
	bool has_arg;
} addr_forms[] = {
    {"subscribe", ADDR_SUBSCRIBE, false},
    {"unsubscribe", ADDR_UNSUBSCRIBE, false},
    {"help", ADDR_HELP, false},
    {"owner", ADDR_OWNER, false},
    {"request", ADDR_REQUEST, false},
    {"confirm", ADDR_CONFIRM, true},
    {"mod", ADDR_MOD, true},
    {"bounce", ADDR_BOUNCE, true},
    {"r", ADDR_REPLY, true},
    {"unsub", ADDR_UNSUB, true},
    {"weekly", ADDR_WEEKLY, true},
};
#define ADDR_NFORMS (sizeof(addr_forms) / sizeof(addr_forms[0]))

const char *
addr_role_name(enum addr_role role)
{
	if (role == ADDR_POST)
		return "post";
	for (size_t i = 0; i < ADDR_NFORMS; i++)
		if (addr_forms[i].role == role)
			return addr_forms[i].name;
	return "?";
}

bool
addr_role_has_token(enum addr_role role)
{
	return role == ADDR_CONFIRM || role == ADDR_MOD ||
	       role == ADDR_BOUNCE || role == ADDR_UNSUB || role == ADDR_WEEKLY;
}

bool
addr_valid_club(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > ADDR_CLUB_MAX)
		return false;
	if (!islower((unsigned char)name[0]) &&
	    !isdigit((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!islower(c) && !isdigit(c) && c != '.' && c != '_' &&
		    c != '-')
			return false;
	}
	return true;
}

int
addr_parse_rcpt(const char *addr, const char *domain, char delim,
		struct addr_rcpt *r, const char **why_r)
{
	const char *at = strrchr(addr, '@');
	char local[65], *ext;
	size_t llen;

	memset(r, 0, sizeof(*r));
	if (at == NULL || strcasecmp(at + 1, domain) != 0) {
		*why_r = "not a list address of this domain";
		return -1;
	}
	llen = (size_t)(at - addr);
	if (llen == 0 || llen > 64) {
		*why_r = "bad local part";
		return -1;
	}
	memcpy(local, addr, llen);
	local[llen] = '\0';
	str_lower(local);
	if ((ext = strchr(local, delim)) != NULL)
		*ext++ = '\0';
	if (!addr_valid_club(local)) {
		*why_r = "no such club";
		return -1;
	}
	strcpy(r->club, local);
	if (ext == NULL) {
		r->role = ADDR_POST;
		return 0;
	}
	for (size_t i = 0; i < ADDR_NFORMS; i++) {
		size_t n = strlen(addr_forms[i].name);

		if (strncmp(ext, addr_forms[i].name, n) != 0)
			continue;
		if (!addr_forms[i].has_arg && ext[n] == '\0') {
			r->role = addr_forms[i].role;
			return 0;
		}
		if (addr_forms[i].has_arg && ext[n] == '-' && ext[n + 1]) {
			const char *arg = ext + n + 1;

			if (strspn(arg,
				   "abcdefghijklmnopqrstuvwxyz0123456789.") !=
			    strlen(arg)) {
				*why_r = "malformed token";
				return -1;
			}
			r->role = addr_forms[i].role;
			strcpy(r->arg, arg);
			return 0;
		}
	}
	*why_r = "no such address";
	return -1;
}

char *
addr_normalize(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t n = strlen(s);

	if (at == NULL || at == s || at[1] == '\0' || n > 254 ||
	    (size_t)(at - s) > 64 || strchr(at + 1, '.') == NULL)
		return NULL;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		/* quoted local parts are not supported: one '@' only */
		if (c <= ' ' || c >= 0x7f || strchr("<>()[],;:\\\"", c) ||
		    (c == '@' && p != at))
			return NULL;
	}
	for (const char *p = at + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return NULL;
	if (at[1] == '.' || s[n - 1] == '.' || strstr(at, ".."))
		return NULL;
	return str_lower(xstrdup(s));
}

int
addr_parse_line(const char *line, char **addr_r, char **name_r)
{
	char *copy = xstrdup(line), *t = str_trim(copy), *lt, *gt;

	*addr_r = *name_r = NULL;
	lt = strrchr(t, '<');
	if (lt != NULL) {
		if ((gt = strchr(lt, '>')) == NULL || *str_trim(gt + 1)) {
			free(copy);
			return -1;
		}
		*gt = '\0';
		*addr_r = addr_normalize(str_trim(lt + 1));
		*lt = '\0';
		t = str_trim(t);
		if (*t == '"' && strlen(t) >= 2 && t[strlen(t) - 1] == '"') {
			t[strlen(t) - 1] = '\0';
			t++;
		}
		if (*t)
			*name_r = xstrdup(t);
	} else
		*addr_r = addr_normalize(t);
	free(copy);
	if (*addr_r == NULL) {
		free(*name_r);
		*name_r = NULL;
		return -1;
	}
	return 0;
}

char *
addr_strip_brackets(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return xstrndup(s + 1, n - 2);
	return xstrndup(s, n);
}

size_t
addr_intl_char(const char *s, size_t avail)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t n;

	if (avail == 0 || (unsigned char)s[0] < 0x80)
		return 0;
	n = utf8proc_iterate((const utf8proc_uint8_t *)s,
			     (utf8proc_ssize_t)avail, &c);
	/* U+2E80 on: CJK, kana, hangul, full-width forms (and beyond) */
	if (n <= 0 || c >= 0x2e80)
		return 0;
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ND:
		return (size_t)n;
	default:
		return 0;
	}
}
