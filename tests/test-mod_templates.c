/*
 * test-mod_templates - the moderation templates (mod-notice, mod-reply,
 * held-rejected, held-expired) render in English and French, text and
 * HTML, every value filled and escaped: a "<script>" stays text and a
 * newline never reaches the subject.  Shipped templates are read from
 * TEMPLATES_DIR (the source tree).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tmpl.h"

#ifndef TEMPLATES_DIR
#error TEMPLATES_DIR must name the templates directory of the source tree
#endif

#define EVIL "<script>alert(1)</script>\r\nBcc: evil@attacker.test"

static const char *const flags[] = {"reason_newcomer",
				    "reason_nonmember",
				    "reason_moderated",
				    "reason_emergency",
				    "approved",
				    "rejected",
				    "already",
				    "unknown",
				    "expired",
				    "refused",
				    "gone",
				    "now_held",
				    "now_accepted",
				    "now_rejected",
				    "now_expired",
				    NULL};

/* vars - every variable the four templates know, hostile where a
   stranger chooses it (subject, author, reason, word) */
static struct tmpl_vars *
vars(bool full)
{
	struct tmpl_vars *v = tmpl_vars_new();

	tmpl_vars_set(v, "club_title", "Club Test");
	tmpl_vars_set(v, "post_subject", "Subj " EVIL);
	tmpl_vars_set(v, "post_date", "2031-01-02 03:04 UTC");
	tmpl_vars_set(v, "held_id", "4242");
	if (!full)
		return v;
	tmpl_vars_set(v, "author_address", "au\"thor@x.test<b>");
	tmpl_vars_set(v, "author_name", "Zoé " EVIL);
	tmpl_vars_set(v, "reason", "Because " EVIL);
	tmpl_vars_set(v, "word", "wörd<i>");
	tmpl_vars_set(v, "decided_by", "deci@der.test");
	tmpl_vars_set(v, "decided_at", "2031-01-03 05:06 UTC");
	tmpl_vars_set(v, "expiry_date", "2031-01-16 03:04 UTC");
	tmpl_vars_set(v, "reply_address", "club+mod-tok@lists.test");
	tmpl_vars_set(v, "reply_url", "mailto:club+mod-tok@lists.test");
	for (int i = 0; flags[i]; i++)
		tmpl_vars_set(v, flags[i], "yes");
	return v;
}

int
main(void)
{
	static const char *const langs[] = {"en", "fr"};
	static const char *const names[] = {"mod-notice", "mod-reply",
					    "held-rejected", "held-expired"};
	struct tmpl_dirs d = {NULL, TEMPLATES_DIR};

	for (int f = 0; f < 2; f++) {
		struct tmpl_vars *v = vars(f == 1);

		for (size_t l = 0; l < 2; l++)
			for (size_t n = 0; n < 4; n++) {
				const char *L = langs[l], *N = names[n];
				char *html = NULL, *text = NULL,
				     *subject = NULL, *error = NULL;
				int rc = tmpl_render(&d, L, N, v, &html, &text,
						     &subject, &error);

				is_int(rc, 0, "%s/%s renders (%s variables)", L,
				       N, f ? "all" : "few");
				if (rc) {
					printf("#   %s\n", error);
					free(error);
					continue;
				}
				ok(strstr(subject, "[Club Test]") &&
				       strstr(subject, "{{") == NULL &&
				       strpbrk(subject, "\r\n") == NULL,
				   "%s/%s: subject filled, one line: %s", L, N,
				   subject);
				ok(strstr(html, "data-") == NULL &&
				       strstr(html, "&lt;script&gt;") &&
				       strstr(html, "<script") == NULL &&
				       strstr(html, "<b>") == NULL &&
				       strstr(html, "<i>") == NULL,
				   "%s/%s: HTML filled, values escaped", L, N);
				/* mod-reply says nothing without an outcome */
				ok((f == 0 && n == 1) ||
				       (strstr(text, "Subj <script>alert(1)") &&
					strstr(text, "Club Test")),
				   "%s/%s: text has the values as text", L, N);
				ok(strstr(text, "example.org") == NULL &&
				       strstr(text, "Entreprendre") == NULL &&
				       strstr(text, "2026") == NULL,
				   "%s/%s: no sample text left", L, N);
				ok(strstr(html,
					  l ? "lang=\"fr\"" : "lang=\"en\""),
				   "%s/%s: in its language", L, N);
				if (f == 1 && (n == 1 || n == 2))
					ok(strstr(text, n == 1 ? "deci@der.test"
							       : "Because"),
					   "%s/%s: decision details shown", L,
					   N);
				if (f == 1 && n == 0)
					ok(strstr(text,
						  "club+mod-tok@lists.test") &&
					       strstr(text, "4242"),
					   "%s/%s: reply address and held id",
					   L, N);
				free(html);
				free(text);
				free(subject);
			}
		tmpl_vars_free(&v);
	}
	tap_done();
}
