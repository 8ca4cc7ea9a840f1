/*
 * test-addr - recipient forms, club names and member addresses.
 */
#include "addr.h"
#include "tap.h"

static const struct {
	const char *addr;
	int rc;
	const char *club;
	enum addr_role role;
	const char *arg;
} rcpts[] = {
    {"acme@lists.example.org", 0, "acme", ADDR_POST, ""},
    {"ACME@Lists.Example.ORG", 0, "acme", ADDR_POST, ""},
    {"acme+subscribe@lists.example.org", 0, "acme", ADDR_SUBSCRIBE, ""},
    {"acme+unsubscribe@lists.example.org", 0, "acme", ADDR_UNSUBSCRIBE, ""},
    {"acme+help@lists.example.org", 0, "acme", ADDR_HELP, ""},
    {"acme+owner@lists.example.org", 0, "acme", ADDR_OWNER, ""},
    {"acme+request@lists.example.org", 0, "acme", ADDR_REQUEST, ""},
    {"acme+confirm-ab1.c2.k3@lists.example.org", 0, "acme", ADDR_CONFIRM,
     "ab1.c2.k3"},
    {"acme+mod-x.y.z@lists.example.org", 0, "acme", ADDR_MOD, "x.y.z"},
    {"acme+bounce-1.2.3@lists.example.org", 0, "acme", ADDR_BOUNCE, "1.2.3"},
    {"acme+r-1a2b3c4d@lists.example.org", 0, "acme", ADDR_REPLY, "1a2b3c4d"},
    {"acme+unsub-q.w.e@lists.example.org", 0, "acme", ADDR_UNSUB, "q.w.e"},
    {"my.club_2-x@lists.example.org", 0, "my.club_2-x", ADDR_POST, ""},
    {"acme+nope@lists.example.org", -1, "", ADDR_POST, ""},
    {"acme+help-x@lists.example.org", -1, "", ADDR_POST, ""},
    {"acme+r-@lists.example.org", -1, "", ADDR_POST, ""},
    {"acme+bounce-a/b@lists.example.org", -1, "", ADDR_POST, ""},
    {"acme@other.example.org", -1, "", ADDR_POST, ""},
    {"acme", -1, "", ADDR_POST, ""},
    {"@lists.example.org", -1, "", ADDR_POST, ""},
    {"-acme@lists.example.org", -1, "", ADDR_POST, ""},
    {"abcdefghijklmnopqrstuvwxy@lists.example.org", -1, "", ADDR_POST, ""},
};

static const struct {
	const char *in;
	const char *addr;
	const char *name;
} lines[] = {
    {"alice@example.com", "alice@example.com", NULL},
    {"  Bob@Example.COM  ", "bob@example.com", NULL},
    {"Alice Martin <alice@example.com>", "alice@example.com", "Alice Martin"},
    {"\"Martin, Alice\" <alice@example.com>", "alice@example.com",
     "Martin, Alice"},
    {"<carol@example.fr>", "carol@example.fr", NULL},
    {"not an address", NULL, NULL},
    {"a@b", NULL, NULL},
    {"Alice <alice@example.com", NULL, NULL},
    {"x y@example.com", NULL, NULL},
    {"a@exa mple.com", NULL, NULL},
    {"a@@example.com", NULL, NULL},
    {"a@example..com", NULL, NULL},
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
		struct addr_rcpt r;
		const char *why = NULL;
		int rc = addr_parse_rcpt(rcpts[i].addr, "lists.example.org",
					 '+', &r, &why);

		is_int(rc, rcpts[i].rc, "rcpt %s", rcpts[i].addr);
		if (rc == 0 && rcpts[i].rc == 0) {
			is_str(r.club, rcpts[i].club, "  club");
			is_int(r.role, rcpts[i].role, "  role %s",
			       addr_role_name(r.role));
			is_str(r.arg, rcpts[i].arg, "  argument");
		} else if (rc < 0)
			ok(why != NULL, "  with a reason (%s)", why ? why : "");
	}
	{
		struct addr_rcpt r;
		const char *why;

		ok(addr_parse_rcpt("acme-help@lists.example.org",
				   "lists.example.org", '-', &r, &why) == 0 &&
		       r.role == ADDR_HELP,
		   "the delimiter is configurable");
	}
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *addr, *name;
		int rc = addr_parse_line(lines[i].in, &addr, &name);

		if (lines[i].addr == NULL) {
			is_int(rc, -1, "line '%s' refused", lines[i].in);
			continue;
		}
		is_int(rc, 0, "line '%s' accepted", lines[i].in);
		is_str(addr, lines[i].addr, "  address");
		is_str(name, lines[i].name, "  name");
		free(addr);
		free(name);
	}
	ok(addr_role_has_token(ADDR_BOUNCE) && !addr_role_has_token(ADDR_REPLY),
	   "token forms are known");
	/* addr_intl_char: letters of spaced scripts, not CJK nor ASCII */
	ok(addr_intl_char("\xc3\xa9x", 3) == 2, "é is an address letter");
	ok(addr_intl_char("\xd0\xb6", 2) == 2, "Cyrillic ж is one");
	ok(addr_intl_char("\xe3\x81\xb8", 3) == 0, "kana へ is not");
	ok(addr_intl_char("\xef\xbc\x9a", 3) == 0, "a full-width colon is not");
	ok(addr_intl_char("\xc2\xa0", 2) == 0, "a no-break space is not");
	ok(addr_intl_char("\xc3", 1) == 0, "a cut sequence is not");
	ok(addr_intl_char("a", 1) == 0, "ASCII is the caller's");
	tap_done();
}
