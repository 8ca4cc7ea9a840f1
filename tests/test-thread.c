/*
 * test-thread - threading in the store, table-driven: header links,
 * out-of-order arrival, shared missing parents, subject fallback, key
 * aliases after merges, cycles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "subject.h"
#include "tap.h"

#define DAY (86400LL * 1000)

struct tmsg {
	const char *id;
	const char *irt;
	const char *refs[4];
	const char *subject;
	long long date; /* ms */
};

static struct store *s;
static int64_t club;
static char dbpath[] = "/tmp/mlt-thread-XXXXXX";

/* close_db - close and remove the test database */
static void
close_db(void)
{
	store_close(&s);
	tap_unlink_db(dbpath);
}

static void
insert(const struct tmsg *m)
{
	struct store_msg_in in;
	size_t n = 0;
	bool dup;

	while (n < 4 && m->refs[n])
		n++;
	memset(&in, 0, sizeof(in));
	in.club = club;
	in.club_tag = "[acme]";
	in.rcpt = "acme@lists.example.org";
	in.role = "post";
	in.raw = m->id;
	in.raw_len = strlen(m->id);
	in.body_sha256 = m->id;
	in.message_id = m->id;
	in.in_reply_to = m->irt;
	in.refs = m->refs;
	in.nrefs = n;
	in.from_addr = "a@example.com";
	in.subject = m->subject;
	in.thread = true;
	in.date_ms = m->date;
	if (store_begin(s) < 0 || store_msg_insert(s, &in, NULL, &dup) < 0 ||
	    store_commit(s) < 0) {
		printf("Bail out! insert %s: %s\n", m->id, store_error(s));
		exit(1);
	}
}

/* key_of - the key of the thread holding message id */
static void
key_of(const char *id, char out[9])
{
	struct store_thread *t;
	size_t n;

	out[0] = '\0';
	store_thread_list(s, club, 0, 0, &t, &n);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < t[i].nmessage_ids; j++)
			if (strcmp(t[i].message_ids[j], id) == 0)
				strcpy(out, t[i].key);
	store_thread_list_free(t, n);
}

static size_t
nthreads(void)
{
	struct store_thread *t;
	size_t n;

	store_thread_list(s, club, 0, 0, &t, &n);
	store_thread_list_free(t, n);
	return n;
}

static void
fresh(void)
{
	char *err;
	int fd;

	close_db();
	strcpy(dbpath, "/tmp/mlt-thread-XXXXXX");
	fd = mkstemp(dbpath);
	close(fd);
	unlink(dbpath);
	if (store_open(dbpath, STORE_CREATE, &s, &err) < 0) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	store_club_create(s, "acme", 0, &club);
}

/* same - two messages are in one thread */
static int
same(const char *a, const char *b)
{
	char ka[9], kb[9];

	key_of(a, ka);
	key_of(b, kb);
	return ka[0] && strcmp(ka, kb) == 0;
}

/* A case: messages inserted in the given order, then groups checked. */
struct tcase {
	const char *name;
	struct tmsg msgs[6];
	size_t nmsgs;
	const char *together[6][2]; /* pairs in one thread */
	const char *apart[4][2];    /* pairs in different threads */
	size_t threads;
};

static const struct tcase cases[] = {
    {"reply by In-Reply-To",
     {{"<a@x>", NULL, {NULL}, "Hello", 1 * DAY},
      {"<b@x>", "<a@x>", {"<a@x>"}, "Re: Hello", 2 * DAY}},
     2,
     {{"<a@x>", "<b@x>"}},
     {{NULL}},
     1},
    {"child before parent",
     {{"<b@x>", "<a@x>", {"<a@x>"}, "Re: Hello", 2 * DAY},
      {"<a@x>", NULL, {NULL}, "Hello", 1 * DAY}},
     2,
     {{"<a@x>", "<b@x>"}},
     {{NULL}},
     1},
    {"siblings of a missing parent grouped",
     {{"<b@x>", "<ghost@x>", {"<ghost@x>"}, "Re: lost", 2 * DAY},
      {"<c@x>", "<ghost@x>", {"<ghost@x>"}, "Re: lost", 3 * DAY}},
     2,
     {{"<b@x>", "<c@x>"}},
     {{NULL}},
     1},
    {"late message joins two threads",
     {{"<b@x>", "<a@x>", {"<a@x>"}, "Re: T", 2 * DAY},
      {"<c@x>", "<z@x>", {"<z@x>"}, "Re: other", 3 * DAY},
      {"<a@x>", NULL, {"<z@x>"}, "T", 1 * DAY}},
     3,
     {{"<a@x>", "<b@x>"}, {"<a@x>", "<c@x>"}},
     {{NULL}},
     1},
    {"subject fallback with French and English prefixes",
     {{"<a@x>", NULL, {NULL}, "Recrutement alternant", 1 * DAY},
      {"<b@x>",
       NULL,
       {NULL},
       "RE : [acme] Réf : recrutement  ALTERNANT",
       2 * DAY},
      {"<c@x>", NULL, {NULL}, "TR : Fwd: AW: Recrutement alternant", 3 * DAY}},
     3,
     {{"<a@x>", "<b@x>"}, {"<a@x>", "<c@x>"}},
     {{NULL}},
     1},
    {"subject fallback only within 14 days",
     {{"<a@x>", NULL, {NULL}, "Weekly", 1 * DAY},
      {"<b@x>", NULL, {NULL}, "Re: Weekly", 16 * DAY}},
     2,
     {{NULL}},
     {{"<a@x>", "<b@x>"}},
     2},
    {"subject fallback when the root arrives late",
     {{"<b@x>", NULL, {NULL}, "Re: Budget", 2 * DAY},
      {"<a@x>", NULL, {NULL}, "Budget", 1 * DAY}},
     2,
     {{"<a@x>", "<b@x>"}},
     {{NULL}},
     1},
    {"empty subject never falls back",
     {{"<a@x>", NULL, {NULL}, "Re:", 1 * DAY},
      {"<b@x>", NULL, {NULL}, "", 2 * DAY}},
     2,
     {{NULL}},
     {{"<a@x>", "<b@x>"}},
     2},
    {"a header link never split by a subject change",
     {{"<a@x>", NULL, {NULL}, "Original", 1 * DAY},
      {"<b@x>", "<a@x>", {"<a@x>"}, "Something else entirely", 2 * DAY}},
     2,
     {{"<a@x>", "<b@x>"}},
     {{NULL}},
     1},
    {"a re-linked subtree keeps a shared missing parent with what stayed",
     {{"<a@x>", NULL, {NULL}, "Budget", 1 * DAY},
      {"<c@x>", NULL, {NULL}, "Re: Budget", 5 * DAY},
      {"<d@x>", "<c@x>", {"<ghost@x>", "<c@x>"}, "Re: Budget", 6 * DAY},
      {"<e@x>", "<ghost@x>", {"<ghost@x>"}, "Re: lost", 7 * DAY},
      {"<b@x>", NULL, {NULL}, "Budget", 3 * DAY}},
     /* XXX: A comes along (threads are merged, never split) */
     5,
     {{"<d@x>", "<e@x>"}, {"<b@x>", "<c@x>"}},
     {{NULL}},
     1},
    {"references loop does not hang",
     {{"<l1@x>", "<l2@x>", {"<l2@x>"}, "loop", 1 * DAY},
      {"<l2@x>", "<l1@x>", {"<l1@x>"}, "loop", 2 * DAY}},
     2,
     {{"<l1@x>", "<l2@x>"}},
     {{NULL}},
     1},
};

int
main(void)
{
	char k1[9], k2[9], want[9];
	int64_t t1, t2;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct tcase *tc = &cases[c];

		fresh();
		for (size_t i = 0; i < tc->nmsgs; i++)
			insert(&tc->msgs[i]);
		for (size_t i = 0; i < 6 && tc->together[i][0]; i++)
			ok(same(tc->together[i][0], tc->together[i][1]),
			   "%s: %s with %s", tc->name, tc->together[i][0],
			   tc->together[i][1]);
		for (size_t i = 0; i < 4 && tc->apart[i][0]; i++)
			ok(!same(tc->apart[i][0], tc->apart[i][1]),
			   "%s: %s apart from %s", tc->name, tc->apart[i][0],
			   tc->apart[i][1]);
		is_int(nthreads(), tc->threads, "%s: thread count", tc->name);
	}

	/* The key is SHA-1 of the root's Message-ID; old keys stay valid. */
	fresh();
	insert(&(struct tmsg){"<b@x>", "<a@x>", {"<a@x>"}, "Re: k", 2 * DAY});
	key_of("<b@x>", k1);
	subject_thread_key("<b@x>", want);
	is_str(k1, want, "a lone reply is its thread's root");
	insert(&(struct tmsg){"<a@x>", NULL, {NULL}, "k", 1 * DAY});
	key_of("<b@x>", k2);
	subject_thread_key("<a@x>", want);
	is_str(k2, want, "the parent arriving late becomes root and key");
	ok(store_thread_find(s, club, k1, &t1) == 0 &&
	       store_thread_find(s, club, k2, &t2) == 0 && t1 == t2,
	   "the old key is an alias of the merged thread");
	ok(store_thread_find(s, club, "00000000", &t1) == STORE_NOTFOUND,
	   "an unknown key is not found");

	/* the same when the thread is joined by subject: the late root's
	   arrival empties the reply's own thread, whose key stays valid */
	fresh();
	insert(&(struct tmsg){"<b@x>", NULL, {NULL}, "Re: Budget", 2 * DAY});
	key_of("<b@x>", k1);
	insert(&(struct tmsg){"<a@x>", NULL, {NULL}, "Budget", 1 * DAY});
	key_of("<b@x>", k2);
	subject_thread_key("<a@x>", want);
	is_str(k2, want, "subject fallback: the late root gives the key");
	ok(store_thread_find(s, club, k1, &t1) == 0 &&
	       store_thread_find(s, club, k2, &t2) == 0 && t1 == t2,
	   "and the emptied thread's key is an alias of it");

	/* the same post twice (acme@ and acme+r-KEY@) is threaded once */
	fresh();
	insert(&(struct tmsg){"<a@x>", NULL, {NULL}, "dup", 1 * DAY});
	{
		struct store_msg_in in;
		bool dup;
		struct store_thread *t;
		size_t n;

		memset(&in, 0, sizeof(in));
		in.club = club;
		in.rcpt = "acme+r-x@lists.example.org";
		in.role = "r";
		in.raw = "x";
		in.raw_len = 1;
		in.body_sha256 = "h";
		in.message_id = "<a@x>";
		in.subject = "dup";
		in.thread = true;
		in.date_ms = DAY;
		store_begin(s);
		ok(store_msg_insert(s, &in, NULL, &dup) == 0 && !dup,
		   "a second recipient's copy is stored");
		store_commit(s);
		store_thread_list(s, club, 0, 0, &t, &n);
		is_int(n == 1 ? t[0].messages : -1, 1, "but threaded once");
		store_thread_list_free(t, n);
	}
	/* a message referenced by more earlier messages than are relinked
	   under it (RELINK_MAX): it still joins their one thread */
	fresh();
	for (int i = 0; i < 1200; i++) {
		char id[32];
		struct tmsg m = {
		    id, "<late@x>", {"<late@x>"}, "Re: late", 1 * DAY + i};

		snprintf(id, sizeof(id), "<k%d@x>", i);
		insert(&m);
	}
	insert(&(struct tmsg){"<late@x>", NULL, {NULL}, "late", 2 * DAY});
	is_int(nthreads(), 1,
	       "1,200 replies, then their parent: one thread (relinking is "
	       "bounded, the thread is not split)");
	ok(same("<late@x>", "<k0@x>") && same("<late@x>", "<k1199@x>"),
	   "the parent is in its replies' thread, first and last");
	close_db();
	tap_done();
}
