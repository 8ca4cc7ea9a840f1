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

/* test_hidden - D5: threads u muted, and threads started by a member u
   ignores, are in none of u's sections, nor nudged; others still get
   them */
static void
test_hidden(void)
{
	struct store_digest d = {0};
	struct digest_club c;
	struct digest_issue is;
	int u, b, e, t1, t2;

	club(&d, "Prévoyez un parcours d'accueil écrit, cela aide.");
	u = digest_member_find(&(struct digest_club){.d = &d}, "u@x");
	b = digest_member_find(&(struct digest_club){.d = &d}, "b@x");
	e = digest_member_find(&(struct digest_club){.d = &d}, "e@x");
	printf("# u mutes t1 (the debate u would be nudged about)\n");
	d.mutes = xcalloc(1, sizeof(*d.mutes));
	d.mutes[0] = (struct store_dpair){d.members[u].id, 1, 1};
	d.nmutes = 1;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	t1 = fx_find(&c, 1);
	t2 = fx_find(&c, 2);
	digest_select(&c, u, 0, &is);
	ok(is.skip == NULL && is.npv == 1 && is.pv[0].thread == t2 &&
	       is.ndebats == 0 && is.nautres == 0,
	   "muted t1: no nudge about it, in no section; the nudge is t2");
	digest_select(&c, b, 0, &is);
	ok(is.skip == NULL && is.nattente == 1 && is.attente[0] == t2,
	   "b, who did not mute t1, still gets t2 waiting");
	digest_club_free(&c);
	printf("# u ignores e, who started t2\n");
	d.ignores = xcalloc(1, sizeof(*d.ignores));
	d.ignores[0] =
	    (struct store_dpair){d.members[u].id, d.members[e].id, 1};
	d.nignores = 1;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, u, NOW - 1 * H, &is);
	is_str(is.skip, "empty", "t1 muted, t2's author ignored: empty");
	digest_club_free(&c);
	d.nmutes = 0;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, u, 0, &is);
	ok(is.npv == 1 && is.pv[0].thread == t1 && is.nattente == 0,
	   "e ignored only: the nudge is t1, t2 is not waiting for u");
	digest_select(&c, b, 0, &is);
	ok(is.nattente == 1 && is.attente[0] == t2,
	   "an ignore is u's alone: b still has t2");
	digest_club_free(&c);
	store_digest_free(&d);
}

/* test_invite - the "invite a peer" footer: core members only (here 2
   substantive posts in 84 days, a and b), at most once every 4 issues */
static void
test_invite(void)
{
	struct store_digest d = {0};
	struct digest_club c;
	struct digest_issue is;
	int a, u;

	club(&d, "Prévoyez un parcours d'accueil écrit, cela aide.");
	a = digest_member_find(&(struct digest_club){.d = &d}, "a@x");
	u = digest_member_find(&(struct digest_club){.d = &d}, "u@x");
	p.core_min_posts = 2;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, a, 0, &is);
	ok(is.skip == NULL && is.invite, "a, 2 posts in 84 days: the footer");
	digest_select(&c, u, 0, &is);
	ok(is.skip == NULL && !is.invite, "u, passive: no footer");
	digest_club_free(&c);
	printf("# a got the footer a week ago, then 1, 2, 3 issues\n");
	d.states[a].invite_at = NOW - 7 * DAY;
	d.states[a].issues_since_invite = 1;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, a, 0, &is);
	ok(!is.invite, "one issue since the footer: none");
	digest_club_free(&c);
	d.states[a].issues_since_invite = 2;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, a, 0, &is);
	ok(!is.invite, "two issues since: none");
	digest_club_free(&c);
	d.states[a].issues_since_invite = 3;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, a, 0, &is);
	ok(is.invite, "three issues since: the fourth has it again");
	digest_club_free(&c);
	p.core_min_posts = 3;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, a, 0, &is);
	ok(!is.invite, "core_min_posts 3: a with 2 posts is no core member");
	digest_club_free(&c);
	store_digest_free(&d);
}

/* test_dormant - DIGEST 2.1: no activity for dormant_d (here 150 days,
   u's last post being 200 days old) makes the highlights monthly, said
   once; a list command is activity again */
static void
test_dormant(void)
{
	struct store_digest d = {0};
	struct digest_club c;
	struct digest_issue is;
	int u;

	club(&d, "Prévoyez un parcours d'accueil écrit, cela aide.");
	u = digest_member_find(&(struct digest_club){.d = &d}, "u@x");
	p.dormant_d = 150;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	ok(digest_last_active(&c, u) == NOW - 200 * DAY,
	   "u's last activity: the post 200 days ago");
	digest_select(&c, u, 0, &is);
	ok(is.skip == NULL && is.dormant_notice,
	   "dormant, never told: the issue says highlights become monthly");
	digest_club_free(&c);
	printf("# u's last issue 14 days ago, then 28 days ago\n");
	d.states[u].sent = d.states[u].attempted = NOW - 14 * DAY;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, u, 0, &is);
	is_str(is.skip, "too_soon",
	       "dormant, 14 days after an issue: too soon");
	digest_club_free(&c);
	d.states[u].sent = NOW - 28 * DAY;
	d.states[u].attempted = NOW - 7 * DAY;
	d.states[u].dormant_notice_at = NOW - 28 * DAY;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, u, 0, &is);
	ok(is.skip == NULL && !is.dormant_notice,
	   "28 days later: the monthly issue, told already");
	ok(is.since == NOW - 28 * DAY,
	   "it covers the month since the last issue sent");
	digest_club_free(&c);
	printf("# u sends a list command 10 days ago\n");
	d.states[u].last_command_at = NOW - 10 * DAY;
	d.states[u].sent = NOW - 7 * DAY;
	digest_club_init(&c, &d, &p, VOCAB, NOW);
	digest_select(&c, u, 0, &is);
	ok(is.skip == NULL && !is.dormant_notice,
	   "a list command: weekly again, 7 days after the last issue");
	digest_club_free(&c);
	p.dormant_d = 365;
	store_digest_free(&d);
}

/* test_aliases - DIGEST 1.2: mail from a member's registered alias is
   that member's; an alias that is another member's own address stays
   that member's */
static void
test_aliases(void)
{
	struct store_digest d = {0};
	struct digest_club c;
	int a, b;

	a = fx_member(&d, "a@x", "member", "each", NOW - 900 * DAY, "");
	b = fx_member(&d, "b@x", "member", "each", NOW - 900 * DAY, "");
	d.members[a].aliases = xstrdup("a@home.x,b@x");
	fx_thread(&d, 1, "t1", 1);
	fx_msg(&d, 1, 1, 0, NOW - 3 * DAY, "a@home.x", "Compte rendu",
	       "Le compte rendu est en pièce jointe pour tous.");
	fx_msg(&d, 2, 1, 1, NOW - 2 * DAY, "b@x", "Re",
	       "Très utile, nous le partagerons en interne.");
	printf("# a@x has the aliases a@home.x and b@x (b's own address)\n");
	digest_club_init(&c, &d, &p, NULL, NOW);
	is_int(digest_member_find(&c, "a@home.x"), a, "an alias finds a");
	ok(c.msg[0].author == a && c.msg[0].counted,
	   "a message from the alias is a's, and counted");
	ok(c.msg[1].author == b, "b's own address stays b's");
	is_int(digest_member_find(&c, "nobody@x"), -1, "no one else");
	digest_club_free(&c);
	store_digest_free(&d);
}

/* test_back - DIGEST 1.7's "de retour": f writes again after 130 days
   of silence, g after 100; only f is back, and only when featured */
static void
test_back(void)
{
	struct store_digest d = {0};
	struct digest_club c;
	struct digest_issue is;
	int u, f;

	fx_member(&d, "a@x", "member", "each", NOW - 900 * DAY, "");
	f = fx_member(&d, "f@x", "member", "each", NOW - 900 * DAY, "");
	fx_member(&d, "g@x", "member", "each", NOW - 900 * DAY, "");
	fx_member(&d, "n@x", "member", "each", NOW - 2 * DAY, "");
	u = fx_member(&d, "u@x", "member", "each", NOW - 900 * DAY, "");
	fx_thread(&d, 9, "old", 90);
	fx_thread(&d, 1, "t1", 1);
	fx_msg(&d, 90, 9, 0, NOW - 200 * DAY, "a@x", "Compte rendu",
	       "Compte rendu de la réunion du 4 mars.");
	fx_msg(&d, 91, 9, 90, NOW - 130 * DAY, "f@x", "Re",
	       "Merci pour ce compte rendu très complet.");
	fx_msg(&d, 92, 9, 90, NOW - 100 * DAY, "g@x", "Re",
	       "Bonne semaine à tous, et merci encore.");
	fx_msg(&d, 93, 9, 90, NOW - 40 * DAY, "a@x", "Re",
	       "Le bureau est de nouveau libre pour le printemps.");
	fx_msg(&d, 1, 1, 0, NOW - 3 * DAY, "a@x", "Compte rendu d'avril",
	       "Le compte rendu est en pièce jointe pour tous.");
	fx_msg(&d, 2, 1, 1, NOW - 2 * DAY, "g@x", "Re",
	       "Très utile, nous le partagerons en interne.");
	fx_msg(&d, 3, 1, 1, NOW - 1 * DAY, "f@x", "Re",
	       "Je reviens après une longue absence, bravo pour ce travail.");
	printf("# f@x posts after 129 days of silence, g@x after 98\n");
	digest_club_init(&c, &d, &p, NULL, NOW);
	ok(c.msg[6].back && !c.msg[5].back && !c.msg[4].back,
	   "after 120 days of silence a post is back; after 98 days not");
	ok(!c.msg[0].back, "a first post is never back");
	digest_select(&c, u, 0, &is);
	ok(is.skip == NULL && is.nautres == 1 && is.autres_back[0] == f,
	   "section 6 names f as back in t1");
	digest_select(&c, f, 0, &is);
	ok(is.skip != NULL || is.nautres == 0,
	   "f, who posted in t1 (each), does not get t1 in section 6");
	digest_club_free(&c);
	d.members[f].featured = false;
	digest_club_init(&c, &d, &p, NULL, NOW);
	digest_select(&c, u, 0, &is);
	ok(is.nautres == 1 && is.autres_back[0] == -1,
	   "a member who opted out of being featured is not named");
	digest_club_free(&c);
	d.members[f].featured = true;
	p.returning_users_d = 140;
	digest_club_init(&c, &d, &p, NULL, NOW);
	digest_select(&c, u, 0, &is);
	ok(is.nautres == 1 && is.autres_back[0] == -1,
	   "returning_users_d = 140: 129 days is not back");
	p.returning_users_d = 120;
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
	test_hidden();
	test_back();
	test_invite();
	test_dormant();
	test_aliases();
	test_subject();
	tap_done();
}
