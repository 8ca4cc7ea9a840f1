/*
 * test-digest_select - the club vocabulary, passive members, affinity
 * and the nudge's limits (DIGEST.md 1.6), ties from history, and the
 * subject line in both languages (2.3).
 */
#include <stdio.h>
#include <stdlib.h>

#include "digest_fixture.h"
#include "tap.h"

static struct digest_params p;

#define VOCAB                                                                  \
	"RH: recrut, alternan, embauch, salarié; compta: compta, factur, "    \
	"tva, expert-comptable; com: communication, marketing, agence"

static void
test_vocab(void)
{
	struct digest_vocab v;

	digest_vocab_parse(&v, VOCAB);
	is_int(v.ntags, 3, "three tags");
	is_int(digest_vocab_match(&v, "recruter un alternant"), 1,
	       "recrut and alternan are prefixes: RH");
	is_int(digest_vocab_match(&v, "un expert-comptable pour une sas"), 2,
	       "expert-comptable: compta");
	is_int(digest_vocab_match(&v, "surrecrutement et hypermarketing"), 0,
	       "a keyword inside a word does not match");
	is_int(digest_vocab_match(&v, "embauche d'un salarie, agence"), 5,
	       "salarié matches folded, two tags at once");
	is_int(digest_vocab_member(&v, "rh, Com"), 5,
	       "member tags match names whatever the case");
	is_int(digest_vocab_member(&v, "juridique"), 0,
	       "a tag outside the vocabulary is none");
	digest_vocab_free(&v);
	digest_vocab_parse(&v, NULL);
	is_int(v.ntags, 0, "no vocabulary, no tags");
	digest_vocab_free(&v);
}

/* club - u (passive, RH) was answered by a long ago; t1: a debate of a,
   b, c on recruiting; t2: a newcomer's first post (e), unanswered */
static void
club(struct store_digest *d, const char *old_reply)
{
	fx_member(d, "a@x", "member", "each", NOW - 900 * DAY, "");
	fx_member(d, "b@x", "member", "each", NOW - 900 * DAY, "");
	fx_member(d, "c@x", "member", "each", NOW - 900 * DAY, "");
	fx_member(d, "e@x", "member", "each", NOW - 5 * DAY, "");
	fx_member(d, "u@x", "member", "each", NOW - 900 * DAY, "RH");
	fx_thread(d, 9, "old", 90);
	fx_thread(d, 1, "t1", 1);
	fx_thread(d, 2, "t2", 20);
	fx_msg(d, 90, 9, 0, NOW - 200 * DAY, "u@x", "Un CDI",
	       "Notre premier contrat, des conseils ?");
	fx_msg(d, 91, 9, 90, NOW - 199 * DAY, "a@x", "Re", old_reply);
	fx_msg(d, 1, 1, 0, NOW - 100 * H, "a@x", "Recruter un alternant ?",
	       "Est-ce une bonne idée pour nous ?");
	fx_msg(d, 2, 1, 1, NOW - 90 * H, "b@x", "Re",
	       "Pas vraiment, cela "
	       "prend beaucoup de temps.");
	fx_msg(d, 3, 1, 1, NOW - 80 * H, "c@x", "Re",
	       "Chez nous cela a "
	       "très bien marché.");
	fx_msg(d, 4, 1, 2, NOW - 70 * H, "a@x", "Re",
	       "Nous avons une "
	       "tutrice disponible.");
	fx_msg(d, 5, 1, 4, NOW - 60 * H, "b@x", "Re",
	       "Cela change tout, "
	       "alors je suis d'accord.");
	fx_msg(d, 6, 1, 5, NOW - 50 * H, "c@x", "Re",
	       "Pensez aussi aux "
	       "aides de l'Etat.");
	fx_msg(d, 20, 2, 0, NOW - 30 * H, "e@x", "Présentation",
	       "Je dirige une petite agence a Rennes depuis cinq ans.");
}

static void
test_affinity(void)
{
	struct store_digest d = {0};
	struct digest_club c;
	struct digest_issue is;
	int u, t1, t2, names[2];

	club(&d, "Prévoyez un parcours d'accueil écrit, cela aide.");
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	u = digest_member_find(&c, "u@x");
	t1 = fx_find(&c, 1);
	t2 = fx_find(&c, 2);
	ok(c.thr[t1].m.open, "t1 is an open debate");
	ok(c.thr[t2].listed && c.thr[t2].intro,
	   "t2 is a newcomer's first post waiting");
	ok(digest_tied(&c, u, 0), "u and a are tied by a reply 199 days ago");
	ok(!digest_tied(&c, u, 1), "u and b are not");
	is_int(digest_affinity(&c, u, t1, false), 5, "t1: tie 3 + interest 2");
	is_int(digest_affinity(&c, u, t2, true), 3,
	       "t2: waiting 2 + newcomer 1");
	ok(digest_passive(&c, u), "u is passive and may be nudged");
	is_int(digest_nudge_names(&c, u, t1, names), 2, "two names");
	ok(names[0] == 0, "the tied participant first");
	digest_select(&c, u, 0, &is);
	ok(is.skip == NULL && is.npv == 1 && is.pv[0].kind == DIGEST_NUDGE &&
	       is.pv[0].thread == t1,
	   "the nudge is t1");
	ok(is.ndebats == 0 && is.nattente == 1 && is.attente[0] == t2,
	   "t1 leaves Débats ouverts, t2 waits");
	is_int(is.n_debates, 1, "the nudge counts as a debate");
	digest_club_free(&c);

	/* the nudge's limits */
	d.states[u].last_nudge_at = NOW - 10 * DAY;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	ok(!digest_passive(&c, u), "nudged 10 days ago: no nudge");
	digest_select(&c, u, 0, &is);
	ok(is.npv == 0 && is.ndebats == 1, "without a nudge t1 is in Débats");
	digest_club_free(&c);
	d.states[u].last_nudge_at = NOW - 28 * DAY;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	ok(digest_passive(&c, u), "nudged 28 days ago: nudge again");
	digest_club_free(&c);
	d.states[u].ignored_nudges = 3;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	ok(!digest_passive(&c, u), "3 nudges ignored: no more");
	digest_club_free(&c);
	d.states[u].ignored_nudges = 0;
	free(d.members[u].highlights);
	d.members[u].highlights = xstrdup("off");
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	ok(!digest_passive(&c, u), "highlights off: no nudge");
	digest_select(&c, u, 0, &is);
	is_str(is.skip, "highlights_off", "highlights off: no issue");
	digest_club_free(&c);
	free(d.members[u].highlights);
	d.members[u].highlights = xstrdup("weekly");
	d.members[u].joined = NOW - 10 * DAY;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	ok(!digest_passive(&c, u), "joined 10 days ago: no nudge yet");
	digest_club_free(&c);
	d.members[u].joined = NOW - 900 * DAY;
	d.nudged = xcalloc(1, sizeof(*d.nudged));
	d.nudged[0] = (struct store_dpair){d.members[u].id, 1, 1};
	d.nnudged = 1;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, u, 0, &is);
	ok(is.npv == 1 && is.pv[0].thread == t2,
	   "t1 nudged before: the nudge is t2 (affinity 3)");
	digest_club_free(&c);
	store_digest_free(&d);

	/* an ack-only reply is no tie (V3) */
	club(&d, "Merci, bravo !");
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	u = digest_member_find(&c, "u@x");
	ok(!digest_tied(&c, u, 0), "an ack-only reply makes no tie");
	is_int(digest_affinity(&c, u, fx_find(&c, 1), false), 2,
	       "t1: interest only");
	digest_club_free(&c);
	store_digest_free(&d);
}

static void
test_skips(void)
{
	struct store_digest d = {0};
	struct digest_club c;
	struct digest_issue is;
	int u;

	club(&d, "Prévoyez un parcours d'accueil écrit, cela aide.");
	u = digest_member_find(&(struct digest_club){.d = &d}, "u@x");
	d.members[u].bounce_score = 4;
	d.members[u].paused = true;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, u, 0, &is);
	is_str(is.skip, "inactive", "bouncing comes before paused");
	digest_club_free(&c);
	d.members[u].bounce_score = 0;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, u, 0, &is);
	is_str(is.skip, "paused", "paused");
	digest_club_free(&c);
	d.members[u].paused = false;
	d.states[u].sent = NOW - 5 * DAY;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, u, 0, &is);
	is_str(is.skip, "too_soon", "a weekly issue 5 days after the last");
	digest_club_free(&c);
	d.states[u].sent = 0;
	p.active_skip_posts = 2;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, 0, 0, &is);
	is_str(is.skip, "active", "a: 2 substantive posts of 2, each: active");
	digest_club_free(&c);
	p.active_skip_posts = 3;
	d.threads[2].answered = true; /* mark-answered */
	d.threads[1].closed = true;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, 0, 0, &is);
	ok(is.skip == NULL, "a: 2 of 3: sent");
	digest_select(&c, u, NOW - 1 * H, &is);
	is_str(is.skip, "empty", "nothing waiting, nothing new: empty");
	digest_club_free(&c);
	store_digest_free(&d);
}

static void
test_subject(void)
{
	struct digest_issue is = {0};
	char *s;

	is.n_debates = 1;
	is.n_waiting = 2;
	is.n_new = 1;
	s = digest_subject("club", "fr", &is);
	is_str(s,
	       "[club] 1 débat · 2 membres attendent une réponse · "
	       "1 nouveau membre",
	       "fr: singular and plural");
	free(s);
	s = digest_subject("club", "en", &is);
	is_str(s,
	       "[club] 1 debate · 2 members waiting for a reply · "
	       "1 new member",
	       "en: singular and plural");
	free(s);
	is.n_debates = 0;
	is.n_waiting = 1;
	is.n_new = 3;
	s = digest_subject("club", "fr", &is);
	is_str(s, "[club] 1 membre attend une réponse · 3 nouveaux membres",
	       "fr: zero counts omitted");
	free(s);
	is.n_debates = 2;
	is.n_waiting = is.n_new = 0;
	s = digest_subject("club", "en", &is);
	is_str(s, "[club] 2 debates", "en: plural debates");
	free(s);
	is.n_debates = 0;
	s = digest_subject("club", "fr", &is);
	is_str(s, "[club] Les échanges de la semaine", "fr: no counts");
	free(s);
	s = digest_subject("club", "en", &is);
	is_str(s, "[club] This week's conversations", "en: no counts");
	free(s);
}

int
main(void)
{
	digest_params_default(&p);
	test_vocab();
	test_affinity();
	test_skips();
	test_subject();
	tap_done();
}
