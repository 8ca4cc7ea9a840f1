/*
 * post_policy - may a post reach the club's members (see post_policy.h).
 */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "post_policy.h"

bool
post_policy_is_ours(const char *list_id, const char *domain)
{
	size_t n, d;

	if (list_id == NULL || domain == NULL)
		return false;
	n = strlen(list_id);
	d = strlen(domain);
	/* "acme.lists.example.org": a club name, a dot, our domain */
	return n > d + 1 && list_id[n - d - 1] == '.' &&
	       strcasecmp(list_id + n - d, domain) == 0;
}

static void
add(struct post_decision *d, const char *reason)
{
	if (d->nreasons < POST_MAX_REASONS)
		d->reasons[d->nreasons++] = reason;
}

void
post_policy_decide(const struct post_facts *f, struct post_decision *d)
{
	const char *mod = f->moderation ? f->moderation : "newcomers";
	const char *nm = f->nonmember ? f->nonmember : "hold";

	memset(d, 0, sizeof(*d));
	d->verdict = POST_RELAY;
	if (post_policy_is_ours(f->list_id, f->domain)) {
		add(d, "loop");
		d->verdict = POST_KEEP;
		return;
	}
	if (f->is_bounce) {
		add(d, "bounce");
		d->verdict = POST_KEEP;
		return;
	}
	if (f->is_auto)
		add(d, "auto");
	if (!f->is_member) {
		if (strcmp(nm, "reject") == 0 && !f->is_auto) {
			add(d, "nonmember");
			d->verdict = POST_REJECT;
			return;
		}
		if (strcmp(nm, "discard") == 0) {
			add(d, "nonmember");
			d->verdict = POST_DISCARD;
			return;
		}
		add(d, "nonmember");
	} else if (!f->is_animator) {
		if (strcmp(mod, "emergency") == 0)
			add(d, "emergency");
		else if (strcmp(mod, "all") == 0)
			add(d, "moderated");
		else if (strcmp(mod, "newcomers") == 0 && f->is_moderated)
			add(d, "newcomer");
	}
	if (d->nreasons > 0)
		d->verdict = POST_HOLD;
}

char *
post_policy_reasons_json(const struct post_decision *d)
{
	struct buf b = BUF_INIT;

	buf_putc(&b, '[');
	for (int i = 0; i < d->nreasons; i++) {
		if (i)
			buf_putc(&b, ',');
		buf_json_str(&b, d->reasons[i]);
	}
	buf_putc(&b, ']');
	return buf_steal(&b);
}
