/*
 * store_schema - ordered migrations keyed by PRAGMA user_version.
 *
 * Each step runs in its own transaction with the version bump, so a
 * crash leaves the database at a whole version.  Never edit a released
 * step: append a new one.
 */
#include <stdio.h>

#include "store_private.h"

static const char *const store_migrations[] = {
    /* 1: clubs, members, messages, threads */
    "CREATE TABLE clubs ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE club_settings ("
    "  club_id INTEGER NOT NULL REFERENCES clubs(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (club_id, key));"
    "CREATE TABLE members ("
    "  id INTEGER PRIMARY KEY,"
    "  club_id INTEGER NOT NULL REFERENCES clubs(id) ON DELETE CASCADE,"
    "  address TEXT NOT NULL,"
    "  name TEXT,"
    "  role TEXT NOT NULL DEFAULT 'member',"
    "  delivery TEXT NOT NULL DEFAULT 'each',"
    "  highlights TEXT NOT NULL DEFAULT 'weekly',"
    "  joined INTEGER NOT NULL,"
    "  tags TEXT NOT NULL DEFAULT '',"
    "  company TEXT,"
    "  profile TEXT,"
    "  featured INTEGER NOT NULL DEFAULT 1,"
    "  paused INTEGER NOT NULL DEFAULT 0,"
    "  own_copy INTEGER NOT NULL DEFAULT 1,"
    "  status TEXT NOT NULL DEFAULT 'active',"
    "  UNIQUE (club_id, address));"
    "CREATE TABLE threads ("
    "  id INTEGER PRIMARY KEY,"
    "  club_id INTEGER NOT NULL REFERENCES clubs(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  root_id INTEGER,"
    "  closed INTEGER NOT NULL DEFAULT 0,"
    "  muted INTEGER NOT NULL DEFAULT 0,"
    "  answered INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX threads_club ON threads(club_id);"
    "CREATE TABLE thread_keys ("
    "  club_id INTEGER NOT NULL REFERENCES clubs(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  thread_id INTEGER NOT NULL,"
    "  PRIMARY KEY (club_id, key));"
    "CREATE INDEX thread_keys_thread ON thread_keys(thread_id);"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY,"
    "  club_id INTEGER NOT NULL REFERENCES clubs(id) ON DELETE CASCADE,"
    "  rcpt TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  arg TEXT,"
    "  message_id TEXT NOT NULL,"
    "  body_sha256 TEXT NOT NULL,"
    "  raw BLOB NOT NULL,"
    "  from_addr TEXT,"
    "  from_name TEXT,"
    "  subject TEXT,"
    "  subject_norm TEXT NOT NULL DEFAULT '',"
    "  date INTEGER NOT NULL,"
    "  received INTEGER NOT NULL,"
    "  in_reply_to TEXT,"
    "  text TEXT,"
    "  problems TEXT NOT NULL DEFAULT '[]',"
    "  is_auto INTEGER NOT NULL DEFAULT 0,"
    "  is_bounce INTEGER NOT NULL DEFAULT 0,"
    "  has_refs INTEGER NOT NULL DEFAULT 0,"
    "  thread_id INTEGER,"
    "  parent_id INTEGER,"
    "  parent_by_subject INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL DEFAULT 'new',"
    /* the duplicate key also serves lookups by (club, Message-ID) */
    "  UNIQUE (club_id, message_id, rcpt, body_sha256));"
    "CREATE INDEX messages_thread ON messages(thread_id, date);"
    /* roots (most new posts) have no parent: keep them out */
    "CREATE INDEX messages_parent ON messages(parent_id)"
    "  WHERE parent_id IS NOT NULL;"
    "CREATE INDEX messages_subject ON messages(club_id, subject_norm, date)"
    "  WHERE subject_norm != '';"
    "CREATE TABLE msg_refs ("
    "  msg_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
    "  club_id INTEGER NOT NULL,"
    "  ref TEXT NOT NULL,"
    "  pos INTEGER NOT NULL);"
    "CREATE INDEX msg_refs_ref ON msg_refs(club_id, ref);"
    "CREATE INDEX msg_refs_msg ON msg_refs(msg_id);",

    /* 2: room for the relay queue, single-use tokens and digests */
    "CREATE TABLE queue ("
    "  id INTEGER PRIMARY KEY,"
    "  msg_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
    "  member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,"
    "  recipient TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER NOT NULL,"
    "  last_error TEXT,"
    "  status TEXT NOT NULL DEFAULT 'pending');"
    "CREATE INDEX queue_due ON queue(status, next_attempt);"
    "CREATE TABLE token_uses ("
    "  token_hash TEXT PRIMARY KEY,"
    "  used INTEGER NOT NULL);"
    "CREATE TABLE digests ("
    "  id INTEGER PRIMARY KEY,"
    "  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
    "  attempted INTEGER NOT NULL,"
    "  sent INTEGER,"
    "  skip_reason TEXT);",

    /* 3: posting policy, relay queue and bounce scoring */
    "ALTER TABLE messages ADD COLUMN reasons TEXT;"
    "CREATE INDEX messages_held ON messages(club_id, id)"
    "  WHERE status = 'held';"
    "ALTER TABLE members ADD COLUMN moderated INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE members ADD COLUMN bounce_score REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE members ADD COLUMN bounce_day INTEGER;"
    "ALTER TABLE members ADD COLUMN bounce_hard INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE members ADD COLUMN bounce_last INTEGER;"
    "ALTER TABLE members ADD COLUMN probes INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE members ADD COLUMN probe_last INTEGER;"
    "ALTER TABLE queue ADD COLUMN first_try INTEGER;"
    "CREATE TABLE bounces ("
    "  id INTEGER PRIMARY KEY,"
    "  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
    "  msg_id INTEGER,"
    "  received INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  counted INTEGER NOT NULL,"
    "  status TEXT,"
    "  diagnostic TEXT);"
    "CREATE INDEX bounces_member ON bounces(member_id, received);"
    /* members who have posted already are no newcomers */
    "UPDATE members SET moderated = 0 WHERE EXISTS (SELECT 1 FROM "
    "messages m WHERE m.club_id = members.club_id AND "
    "m.from_addr = members.address AND m.thread_id IS NOT NULL);",

    /* 4: whose side a copy's failures were on (SPEC 7: an expiry counts
       only if the member's address was refused), and the relay's state
       for mlistctl queue */
    "ALTER TABLE queue ADD COLUMN side TEXT;"
    "ALTER TABLE queue ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE relay_status ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  relay TEXT NOT NULL,"
    "  ok INTEGER NOT NULL,"
    "  cause TEXT,"
    "  since INTEGER NOT NULL,"
    "  checked INTEGER NOT NULL);",
};
#define STORE_NMIGRATIONS                                                      \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

int
store_schema_version(void)
{
	return STORE_NMIGRATIONS;
}

int
store_schema_migrate(struct store *s, int target)
{
	int v = store_user_version(s);

	if (v < 0)
		return store_fail(s, "user_version");
	if (v > STORE_NMIGRATIONS || target > STORE_NMIGRATIONS) {
		snprintf(s->err, sizeof(s->err),
			 "schema version %d is newer than this program's (%d)",
			 v > target ? v : target, STORE_NMIGRATIONS);
		return -1;
	}
	while (v < target) {
		char bump[64];

		snprintf(bump, sizeof(bump), "PRAGMA user_version=%d", v + 1);
		if (store_begin(s) < 0)
			return -1;
		/* another process may have migrated while we waited */
		if (store_user_version(s) != v) {
			v = store_user_version(s);
			if (store_commit(s) < 0)
				return -1;
			continue;
		}
		if (store_exec(s, store_migrations[v]) < 0 ||
		    store_exec(s, bump) < 0 || store_commit(s) < 0) {
			store_rollback(s);
			return -1;
		}
		v++;
	}
	return 0;
}
