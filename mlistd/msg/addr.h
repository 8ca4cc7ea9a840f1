/*
 * addr - mail addresses: validation, normalisation, and the club address
 * forms of SPEC.md section 4 (acme@, acme+request@, acme+bounce-TOKEN@...).
 */
#ifndef MLISTD_ADDR_H
#define MLISTD_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define ADDR_CLUB_MAX 24

/* What a recipient address asks for; the names are the subaddresses. */
enum addr_role {
	ADDR_POST,	  /* acme@ */
	ADDR_SUBSCRIBE,	  /* acme+subscribe@ */
	ADDR_UNSUBSCRIBE, /* acme+unsubscribe@ */
	ADDR_HELP,	  /* acme+help@ */
	ADDR_OWNER,	  /* acme+owner@ */
	ADDR_REQUEST,	  /* acme+request@ */
	ADDR_CONFIRM,	  /* acme+confirm-TOKEN@ */
	ADDR_MOD,	  /* acme+mod-TOKEN@ */
	ADDR_BOUNCE,	  /* acme+bounce-TOKEN@ */
	ADDR_REPLY,	  /* acme+r-KEY@ */
	ADDR_UNSUB,	  /* acme+unsub-TOKEN@ */
	ADDR_WEEKLY,	  /* acme+weekly-TOKEN@: keep weekly highlights */
};

struct addr_rcpt {
	char club[ADDR_CLUB_MAX + 1];
	enum addr_role role;
	char arg[65]; /* TOKEN or KEY, lower-case; "" if none */
};

/* addr_role_name - "post", "request", "bounce", ... */
const char *addr_role_name(enum addr_role role);
/* addr_role_has_token - the argument is an HMAC token */
bool addr_role_has_token(enum addr_role role);

/* addr_valid_club - [a-z0-9][a-z0-9._-]{0,23} */
bool addr_valid_club(const char *name);

/* addr_parse_rcpt - split a recipient of our domain into club, role and
   argument.  Returns 0, or -1 with *why_r when the address is not one of
   ours or names no known form (the caller answers 550 5.1.1). */
int addr_parse_rcpt(const char *addr, const char *domain, char delim,
		    struct addr_rcpt *r, const char **why_r);

/* addr_normalize - a lower-cased copy of a plausible addr-spec
   (local@domain), or NULL when s is not one.  Caller frees. */
char *addr_normalize(const char *s);

/* addr_parse_line - "addr" or "Name <addr>" (member import lines);
   returns 0 with owned *addr_r and *name_r (NULL if none), or -1 */
int addr_parse_line(const char *line, char **addr_r, char **name_r);

/* addr_strip_brackets - "<a@b>" -> "a@b" in a new string; "<>" -> "" */
char *addr_strip_brackets(const char *s);

/* addr_intl_char - the length of the UTF-8 character at s (avail bytes)
   when an internationalized address (RFC 6531: josé@exemple.fr) may hold
   it where report text can touch the address: a letter, digit or mark
   of a script written with spaces between words.  0 for ASCII, invalid
   UTF-8, punctuation, and CJK, kana, hangul and full-width forms, which
   sit next to addresses with no space between. */
size_t addr_intl_char(const char *s, size_t avail);

#endif
