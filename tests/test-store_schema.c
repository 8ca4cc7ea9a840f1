/*
 * test-store_schema - migrations from an empty database and from each
 * older version; a newer database is refused.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

static char path[64];

/* set_version - write user_version behind the store's back */
static void
set_version(int v)
{
	sqlite3 *db;
	char sql[64];

	sqlite3_open(path, &db);
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
}

static void
fresh(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/mlt-schema-XXXXXX");
	fd = mkstemp(path);
	close(fd);
	tap_unlink_db(path);
}

/* sql_int - one integer read behind the store's back */
static long long
sql_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	sqlite3_open(path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* sql_run - statements behind the store's back, foreign keys on */
static void
sql_run(const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		printf("# sql: %s\n", msg);
	sqlite3_free(msg);
	sqlite3_close(db);
}

/* at_version - a fresh database stopped at version v */
static void
at_version(int v)
{
	struct store *s;
	char *err;

	fresh();
	{
		sqlite3 *db;

		sqlite3_open(path, &db);
		sqlite3_close(db);
	}
	ok(store_open(path, 0, &s, &err) == 0 && store_migrate_to(s, v) == 0,
	   "a database at version %d", v);
	store_close(&s);
}

/* 3 -> 4: members rebuilt with AUTOINCREMENT, ids and every reference
   kept; the highest id of a member who left is never given again */
static void
test_member_ids(void)
{
	struct store *s;
	struct store_member m;
	char *err;

	at_version(3);
	sql_run("INSERT INTO clubs(id, name, created) VALUES (1, 'a', 0);"
		"INSERT INTO members(id, club_id, address, joined, "
		"bounce_score, probes, moderated) VALUES "
		"(1, 1, 'one@x.org', 10, 0, 0, 1), "
		"(2, 1, 'two@x.org', 20, 1.5, 2, 0), "
		"(7, 1, 'top@x.org', 70, 3, 1, 0);"
		"INSERT INTO messages(id, club_id, rcpt, role, message_id, "
		"body_sha256, raw, date, received) VALUES "
		"(1, 1, 'a@l', 'post', '<m@x>', 'h', 'raw', 0, 0);"
		"INSERT INTO queue(msg_id, member_id, recipient, next_attempt) "
		"VALUES (1, 7, 'top@x.org', 0), (1, 2, 'two@x.org', 0);"
		"INSERT INTO digests(member_id, attempted) VALUES (7, 0);"
		"INSERT INTO bounces(member_id, msg_id, received, kind, "
		"counted) VALUES (7, 1, 0, 'hard', 1);");
	ok(store_open(path, STORE_CREATE, &s, &err) == 0 &&
	       store_user_version(s) == store_schema_version(),
	   "v3 with members migrates");
	store_close(&s);
	ok(sql_int("SELECT count(*) FROM sqlite_master WHERE sql LIKE "
		   "'%members%AUTOINCREMENT%' AND name = 'members'") == 1,
	   "members has AUTOINCREMENT");
	is_int(sql_int("SELECT count(*) FROM members WHERE (id, address) IN "
		       "(VALUES (1, 'one@x.org'), (2, 'two@x.org'), "
		       "(7, 'top@x.org'))"),
	       3, "ids and addresses kept");
	is_int(sql_int("SELECT count(*) FROM members WHERE id = 2 AND "
		       "bounce_score = 1.5 AND probes = 2 AND moderated = 0 "
		       "AND joined = 20"),
	       1, "columns kept");
	is_int(sql_int("SELECT count(*) FROM queue WHERE member_id = 7"), 1,
	       "queue rows still name their member");
	is_int(sql_int("SELECT count(*) FROM digests WHERE member_id = 7") +
		   sql_int("SELECT count(*) FROM bounces WHERE member_id = 7"),
	       2, "digests and bounces kept");
	is_int(sql_int("SELECT count(*) FROM sqlite_master WHERE name = "
		       "'members_new'"),
	       0, "no leftover table");
	ok(store_open(path, STORE_CREATE, &s, &err) == 0, "reopened");
	ok(store_member_remove(s, 1, "top@x.org", 1000, "removed") == 0,
	   "the member with the highest id leaves");
	is_int(sql_int("SELECT count(*) FROM bounces WHERE member_id = 7") +
		   sql_int("SELECT count(*) FROM digests WHERE member_id = 7"),
	       0, "references still cascade (foreign keys on again)");
	ok(store_member_add(s, 1, "next@x.org", NULL, "member", "each", 80) ==
	       0,
	   "a new member");
	memset(&m, 0, sizeof(m));
	store_member_get(s, 1, "next@x.org", &m);
	is_int(m.id, 8, "gets a new id, not the departed member's");
	store_member_clear(&m);
	store_close(&s);
	tap_unlink_db(path);
}

/* 4 -> 5: posts rejected or expired before are dated at their latest
   possible decision; the purge leaves queued and newest rows alone */
static void
test_retention(void)
{
	struct store *s;
	char *err;
	int64_t n = -1;

	at_version(4);
	sql_run(
	    "INSERT INTO clubs(id, name, created) VALUES (1, 'a', 0);"
	    "INSERT INTO messages(id, club_id, rcpt, role, message_id, "
	    "body_sha256, raw, date, received, status, reasons) VALUES "
	    "(1, 1, 'a@l', 'post', '<r@x>', 'h', 'r', 0, 100, 'rejected', "
	    "'[]'), (2, 1, 'a@l', 'post', '<e@x>', 'h', 'r', 0, 200, "
	    "'expired', '[]'), (3, 1, 'a@l', 'post', '<h@x>', 'h', 'r', 0, "
	    "300, 'held', '[]'), (4, 1, 'a+help@l', 'help', '<c@x>', 'h', "
	    "'r', 0, 400, 'new', NULL), (5, 1, 'a+help@l', 'help', '<q@x>', "
	    "'h', 'r', 0, 500, 'new', NULL), (6, 1, 'a+help@l', 'help', "
	    "'<z@x>', 'h', 'r', 0, 600, 'new', NULL);"
	    "INSERT INTO queue(msg_id, recipient, next_attempt) VALUES "
	    "(5, 'x@y', 0);");
	ok(store_open(path, STORE_CREATE, &s, &err) == 0 &&
	       store_user_version(s) == store_schema_version(),
	   "v4 with decided posts migrates");
	is_int(sql_int("SELECT sum(decided) FROM messages WHERE id IN (1, 2)"),
	       100 + 200 + 2 * 14 * 86400,
	       "rejected and expired: decided at arrival + 14 days");
	is_int(sql_int("SELECT count(*) FROM messages WHERE decided IS NULL"),
	       4, "others undecided");
	ok(store_begin(s) == 0 &&
	       store_purge(s, STORE_PURGE_CONTROL, 1000, 32, &n) == 0 &&
	       store_commit(s) == 0,
	   "purge control mail");
	is_int(n, 1, "one row purged");
	is_int(sql_int("SELECT count(*) FROM messages WHERE id = 4"), 0,
	       "the unreferenced one is gone");
	is_int(sql_int("SELECT count(*) FROM messages WHERE id IN (5, 6)"), 2,
	       "a queued one and the newest row stay (ids never reused)");
	ok(store_begin(s) == 0 &&
	       store_purge(s, STORE_PURGE_DECIDED, 200 + 14 * 86400, 32, &n) ==
		   0 &&
	       store_commit(s) == 0 && n == 1,
	   "purge decided posts: one due");
	is_int(sql_int("SELECT count(*) FROM messages WHERE id = 1"), 0,
	       "the rejected one went");
	is_int(sql_int("SELECT count(*) FROM messages WHERE id IN (2, 3)"), 2,
	       "one expired later and one held stay");
	store_close(&s);
	tap_unlink_db(path);
}

int
main(void)
{
	struct store *s;
	char *err;
	int64_t id;

	ok(store_schema_version() >= 2, "schema version %d",
	   store_schema_version());

	fresh();
	ok(store_open(path, STORE_CREATE, &s, &err) == 0,
	   "an empty database is created");
	is_int(store_user_version(s), store_schema_version(),
	       "and migrated to the current version");
	ok(store_club_create(s, "acme", 0, &id) == 0, "tables are usable");
	store_close(&s);
	ok(store_open(path, STORE_CREATE, &s, &err) == 0,
	   "reopening a current database works");
	ok(store_club_find(s, "acme", &id) == 0, "and keeps the data");
	store_close(&s);
	tap_unlink_db(path);

	/* every older version migrates forward, data kept */
	for (int v = 1; v < store_schema_version(); v++) {
		fresh();
		store_open(path, 0 | STORE_CREATE, &s, &err);
		store_close(&s);
		tap_unlink_db(path);
		/* build a database that stops at version v */
		{
			sqlite3 *db;

			sqlite3_open(path, &db);
			sqlite3_close(db);
		}
		ok(store_open(path, STORE_READONLY, &s, &err) == 0,
		   "open empty read-only (v%d)", v);
		store_close(&s);
		{
			/* open without CREATE so nothing migrates, then
			   migrate to v by hand */
			int rc = store_open(path, 0, &s, &err);

			ok(rc == 0 && store_migrate_to(s, v) == 0 &&
			       store_user_version(s) == v,
			   "database at version %d", v);
			store_club_create(s, "old", 0, &id);
			store_close(&s);
		}
		ok(store_open(path, STORE_CREATE, &s, &err) == 0 &&
		       store_user_version(s) == store_schema_version(),
		   "version %d migrates to %d", v, store_schema_version());
		ok(store_club_find(s, "old", &id) == 0,
		   "data from version %d kept", v);
		store_close(&s);
		tap_unlink_db(path);
	}

	/* 2 -> 3: members who posted already are no newcomers */
	fresh();
	{
		sqlite3 *db;

		sqlite3_open(path, &db);
		sqlite3_close(db);
	}
	ok(store_open(path, 0, &s, &err) == 0 && store_migrate_to(s, 2) == 0,
	   "a database at version 2");
	store_close(&s);
	{
		sqlite3 *db;

		sqlite3_open(path, &db);
		sqlite3_exec(
		    db,
		    "INSERT INTO clubs(id, name, created) VALUES (1, 'a', 0);"
		    "INSERT INTO members(club_id, address, joined) VALUES "
		    "(1, 'old@x.org', 0), (1, 'new@x.org', 0);"
		    "INSERT INTO messages(club_id, rcpt, role, message_id, "
		    "body_sha256, raw, from_addr, date, received, thread_id) "
		    "VALUES (1, 'a@l', 'post', '<m@x>', 'h', 'raw', "
		    "'old@x.org', 0, 0, 1);",
		    NULL, NULL, NULL);
		sqlite3_close(db);
	}
	ok(store_open(path, STORE_CREATE, &s, &err) == 0, "v2 with posts "
							  "migrates");
	{
		struct store_member m;

		memset(&m, 0, sizeof(m));
		store_member_get(s, 1, "old@x.org", &m);
		ok(!m.moderated, "a member who posted is not moderated");
		store_member_clear(&m);
		store_member_get(s, 1, "new@x.org", &m);
		ok(m.moderated, "one who never posted is a newcomer");
		store_member_clear(&m);
	}
	store_close(&s);
	tap_unlink_db(path);

	test_member_ids();
	test_retention();

	/* a database from a newer mlistd is refused, untouched */
	fresh();
	store_open(path, STORE_CREATE, &s, &err);
	store_close(&s);
	set_version(store_schema_version() + 1);
	ok(store_open(path, STORE_CREATE, &s, &err) < 0 &&
	       strstr(err, "newer") != NULL,
	   "a newer database is refused: %s", err ? err : "");
	free(err);
	tap_unlink_db(path);
	{
		char p2[80];

		snprintf(p2, sizeof(p2), "%s-wal", path);
		unlink(p2);
		snprintf(p2, sizeof(p2), "%s-shm", path);
		unlink(p2);
	}
	tap_done();
}
