/*
 * test-post_policy - the posting decisions of SPEC.md 7, case by case.
 */
#include <stdlib.h>
#include <string.h>

#include "post_policy.h"
#include "tap.h"

static const char *
verdict(const struct post_facts *f, const char **reasons)
{
	static const char *const names[] = {"relay", "hold", "reject",
					    "discard", "keep"};
	static char joined[128];
	struct post_decision d;

	post_policy_decide(f, &d);
	joined[0] = '\0';
	for (int i = 0; i < d.nreasons; i++) {
		if (i)
			strcat(joined, ",");
		strcat(joined, d.reasons[i]);
	}
	*reasons = joined;
	return names[d.verdict];
}

#define CASE(f, want_v, want_r, name)                                          \
	do {                                                                   \
		const char *r;                                                 \
		is_str(verdict(&(f), &r), want_v, name);                       \
		is_str(r, want_r, name " (reasons)");                          \
	} while (0)

int
main(void)
{
	struct post_facts base = {.domain = "lists.example.org",
				  .moderation = "newcomers",
				  .nonmember = "hold"};
	struct post_facts f;
	struct post_decision d;
	char *json;

	tap_init();
	f = base;
	f.is_member = true;
	CASE(f, "relay", "", "a member past moderation");
	f.is_moderated = true;
	CASE(f, "hold", "newcomer", "a newcomer's post is held");
	f.is_animator = true;
	CASE(f, "relay", "", "an animator is never moderated");
	f = base;
	CASE(f, "hold", "nonmember", "a non-member: hold by default");
	f.nonmember = "reject";
	CASE(f, "reject", "nonmember", "nonmember = reject");
	f.is_auto = true;
	CASE(f, "hold", "auto,nonmember",
	     "an auto-reply is never rejected (no backscatter): held");
	f.is_auto = false;
	f.nonmember = "discard";
	CASE(f, "discard", "nonmember", "nonmember = discard");
	f = base;
	f.is_member = true;
	f.moderation = "all";
	CASE(f, "hold", "moderated", "moderation = all");
	f.moderation = "emergency";
	CASE(f, "hold", "emergency", "moderation = emergency");
	f.is_animator = true;
	CASE(f, "relay", "", "emergency lets animators through");
	f.is_animator = false;
	f.moderation = "none";
	f.is_moderated = true;
	CASE(f, "relay", "", "moderation = none ignores the newcomer flag");
	f.is_auto = true;
	CASE(f, "hold", "auto", "an auto-reply from a member is held");
	f.is_animator = true;
	CASE(f, "hold", "auto", "even from an animator");
	f = base;
	f.is_member = true;
	f.list_id = "acme.lists.example.org";
	CASE(f, "keep", "loop", "our own List-Id: a loop, kept");
	f.list_id = "other.LISTS.example.org";
	CASE(f, "keep", "loop", "another club of ours, any case");
	f.list_id = "lists.example.org";
	CASE(f, "relay", "", "the bare domain is no club's id");
	f.list_id = "acme.badlists.example.org";
	CASE(f, "relay", "", "a look-alike domain is not ours");
	f.list_id = "dev.example.net";
	CASE(f, "relay", "", "another list's mail is a post like any other");
	f.list_id = NULL;
	f.is_bounce = true;
	CASE(f, "keep", "bounce", "a bounce to the post address is kept");
	f = base;
	f.is_auto = true;
	post_policy_decide(&f, &d);
	json = post_policy_reasons_json(&d);
	is_str(json, "[\"auto\",\"nonmember\"]", "reasons as JSON");
	free(json);
	ok(!post_policy_is_ours(NULL, "x.org"), "no List-Id is not ours");
	tap_done();
}
