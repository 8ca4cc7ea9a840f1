/*
 * test-digest_metrics - DIGEST.md 1.4 on hand-built threads: the score
 * (V6: without the marker bonus), the worked example's T1, the duel
 * guard and its boundary, the star pattern, and what never counts
 * (auto, non-members, the animator, messages younger than cutoff_min).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "digest_fixture.h"
#include "tap.h"

static struct digest_params p;

static void
test_score(void)
{
	struct digest_metrics m;
	struct digest_params q = p;

	/* T1 of DIGEST.md 4: X 5, Rr 3, P 3, m_max 2, M 6, 64 h, D 2 */
	digest_score(&p, 5, 3, 3, 2, 6, 64, 2, &m);
	ok(fabs(m.score - 12.9607) < 0.00005, "T1 scores 12.9607 (%.4f)",
	   m.score);
	ok(fabs(m.phi - 0.540030) < 0.0000005, "phi 0.540030");
	q.deb_marker_w = 0;
	digest_score(&q, 5, 3, 3, 2, 6, 64, 2, &m);
	ok(fabs(m.score - 8.6405) < 0.00005,
	   "V6: deb_marker_w 0 scores 8.6405 (%.4f)", m.score);
	digest_score(&p, 5, 3, 3, 2, 6, 64, 7, &m);
	ok(fabs(m.delta - 1.5) < 1e-9, "the marker bonus stops at 2 authors");
	digest_score(&p, 0, 0, 3, 1, 3, 1, 0, &m);
	is_int(m.score == 0, 1, "mu 0 scores 0, not pow(0, 0)");
	digest_score(&p, 2, 1, 1, 3, 3, 1, 0, &m);
	is_int(m.score == 0, 1, "one author scores 0");
	digest_score(&p, 8, 2, 2, 9, 10, 1, 0, &m);
	ok(fabs(m.beta - 0.2) < 1e-9,
	   "balance 0.2 when one author of 2 wrote 9 of 10 (%.3f)", m.beta);
}

/* example_t1 - the worked example's T1 with its authors */
static void
example_t1(struct store_digest *d)
{
	time_t tue9 = NOW - 143 * H;

	fx_member(d, "a@x", "member", "each", NOW - 900 * DAY, "");
	fx_member(d, "b@x", "member", "each", NOW - 600 * DAY, "");
	fx_member(d, "c@x", "member", "digest", NOW - 400 * DAY, "");
	fx_member(d, "n@x", "animator", "each", NOW - 999 * DAY, "");
	fx_thread(d, 1, "t1", 1);
	fx_msg(d, 1, 1, 0, tue9, "a@x", "Recruter ?",
	       "Une question longue sur l'alternance.");
	fx_msg(d, 2, 1, 1, NOW - 138 * H, "b@x", "Re",
	       "Je ne suis pas d'accord "
	       ": c'est trop de travail.");
	fx_msg(d, 3, 1, 1, NOW - 118 * H, "c@x", "Re",
	       "Au contraire, chez nous "
	       "cela marche.");
	fx_msg(d, 4, 1, 2, NOW - 110 * H, "a@x", "Re",
	       "Nous avons une "
	       "tutrice.\n> Je ne suis pas d'accord");
	fx_msg(d, 5, 1, 4, NOW - 95 * H, "b@x", "Re",
	       "Alors cela change "
	       "tout pour moi.");
	fx_msg(d, 6, 1, 5, NOW - 64 * H, "c@x", "Re",
	       "Pensez aussi aux aides "
	       "de l'Etat.");
}

static void
test_t1(void)
{
	struct store_digest d = {0};
	struct digest_club c;
	const struct digest_metrics *m;

	example_t1(&d);
	/* noise that must not count: an auto reply, a non-member, the
	   animator, and a post inside the cutoff */
	fx_msg(&d, 7, 1, 6, NOW - 60 * H, "a@x", "Absence",
	       "Je suis absente "
	       "jusqu'au 20 mars, je lirai vos messages.");
	fx_msg(&d, 8, 1, 6, NOW - 50 * H, "z@y", "Re",
	       "A stranger's long "
	       "opinion on all of it.");
	fx_msg(&d, 9, 1, 6, NOW - 40 * H, "n@x", "Re",
	       "Merci pour ce debat "
	       "tres riche, continuez.");
	fx_msg(&d, 10, 1, 9, NOW - 5 * 60, "b@x", "Re",
	       "Je ne crois pas non "
	       "plus a cette histoire.");
	d.msgs[6].is_auto = true;
	digest_club_init(&c, &d, &p, NULL, NOW);
	m = &c.thr[0].m;
	is_int(m->M, 6, "T1: M 6 (auto, stranger, animator, too young out)");
	is_int(m->P, 3, "T1: P 3");
	is_int(m->X, 5, "T1: X 5");
	is_int(m->Rr, 3, "T1: Rr 3 (m4, m5, m6)");
	is_int(m->m_max, 2, "T1: m_max 2");
	is_int(m->D, 2, "T1: D 2, the quoted marker does not count");
	ok(fabs(m->age_h - 64) < 1e-9, "T1: age 64 h");
	ok(fabs(m->score - 12.9607) < 0.00005, "T1: score 12.9607");
	ok(m->open && !m->duel, "T1 is an open debate");
	is_int(c.ndebates, 1, "one open debate listed");
	digest_club_free(&c);
	/* closed or idle: no longer open */
	d.threads[0].closed = true;
	digest_club_init(&c, &d, &p, NULL, NOW);
	ok(!c.thr[0].m.open && c.thr[0].m.score > 12,
	   "closed: scored, not open");
	digest_club_free(&c);
	d.threads[0].closed = false;
	d.nmsgs = 9; /* without the late one */
	digest_club_init(&c, &d, &p, NULL, NOW + 57 * H);
	ok(!c.thr[0].m.open && c.thr[0].m.M == 6,
	   "idle 121 h: not open (deb_max_idle_h)");
	digest_club_free(&c);
	digest_club_init(&c, &d, &p, NULL, NOW + 55 * H);
	ok(c.thr[0].m.open, "idle 119 h: still open");
	digest_club_free(&c);
	d.nmsgs = 10;
	store_digest_free(&d);
}

/* alternate - a thread of n messages alternating a/b, replying to the
   previous one, then extra messages by c */
static void
alternate(struct store_digest *d, int n, int extra)
{
	int id = 1;

	fx_member(d, "a@x", "member", "each", NOW - 900 * DAY, "");
	fx_member(d, "b@x", "member", "each", NOW - 900 * DAY, "");
	fx_member(d, "c@x", "member", "each", NOW - 900 * DAY, "");
	fx_thread(d, 1, "duel", 1);
	for (int i = 0; i < n; i++, id++)
		fx_msg(d, id, 1, id > 1 ? id - 1 : 0, NOW - (50 - id) * H,
		       i % 2 ? "b@x" : "a@x", "Re",
		       "A long enough argument "
		       "about the whole matter.");
	for (int i = 0; i < extra; i++, id++)
		fx_msg(d, id, 1, 2, NOW - (50 - id) * H, "c@x", "Re",
		       "A third view, long enough to count here.");
}

static void
test_duel(void)
{
	struct store_digest d = {0};
	struct digest_club c;

	alternate(&d, 10, 1);
	digest_club_init(&c, &d, &p, NULL, NOW);
	ok(c.thr[0].m.M == 11 && c.thr[0].m.duel && !c.thr[0].m.open,
	   "V4: 10 A/B + 1 C is a duel (M %d), not open", c.thr[0].m.M);
	ok(c.thr[0].m.P == 3 && c.thr[0].m.Rr >= 2 && c.thr[0].m.X >= 3 &&
	       c.thr[0].m.score >= 1,
	   "V4: only the duel guard keeps it out");
	digest_club_free(&c);
	store_digest_free(&d);
	/* 6 + 2: the top two wrote 75%, no duel */
	alternate(&d, 6, 2);
	digest_club_init(&c, &d, &p, NULL, NOW);
	ok(c.thr[0].m.M == 8 && !c.thr[0].m.duel && c.thr[0].m.open,
	   "6 A/B + 2 C: 75%% is no duel, an open debate");
	digest_club_free(&c);
	store_digest_free(&d);
	/* 7 + 1: 87.5% of 8 */
	alternate(&d, 7, 1);
	digest_club_init(&c, &d, &p, NULL, NOW);
	ok(c.thr[0].m.duel, "7 A/B + 1 C: 87.5%% of 8 is a duel");
	digest_club_free(&c);
	store_digest_free(&d);
}

static void
test_star(void)
{
	struct store_digest d = {0};
	struct digest_club c;
	char addr[16];

	for (int i = 0; i < 7; i++) {
		snprintf(addr, sizeof(addr), "%c@x", 'a' + i);
		fx_member(&d, addr, "member", "each", NOW - 900 * DAY, "");
	}
	fx_thread(&d, 1, "star", 1);
	fx_msg(&d, 1, 1, 0, NOW - 60 * H, "a@x", "We won",
	       "Our shop won the "
	       "regional award.");
	for (int i = 1; i < 7; i++) {
		snprintf(addr, sizeof(addr), "%c@x", 'a' + i);
		fx_msg(&d, 1 + i, 1, 1, NOW - (60 - i) * H, addr, "Re",
		       "Congratulations to the whole team!");
	}
	digest_club_init(&c, &d, &p, NULL, NOW);
	ok(c.thr[0].m.X == 6 && c.thr[0].m.Rr == 0 && !c.thr[0].m.open,
	   "V5: a star has X 6, Rr 0: no debate");
	digest_club_free(&c);
	store_digest_free(&d);
}

int
main(void)
{
	digest_params_default(&p);
	test_score();
	test_t1();
	test_duel();
	test_star();
	tap_done();
}
