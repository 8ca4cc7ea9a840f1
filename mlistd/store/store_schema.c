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

    /* 4: member ids are never reused: bounce, probe and unsubscribe
       tokens name a member by id (SPEC 4), and a plain INTEGER PRIMARY
       KEY hands the id of the member with the highest one, once
       removed, to the next member.  The table is rebuilt with
       AUTOINCREMENT, ids kept; the runner has foreign keys off, so
       dropping the old table cascades nothing into queue, digests and
       bounces, whose references by name then point at the new one. */
    "CREATE TABLE members_new ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
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
    "  moderated INTEGER NOT NULL DEFAULT 1,"
    "  bounce_score REAL NOT NULL DEFAULT 0,"
    "  bounce_day INTEGER,"
    "  bounce_hard INTEGER NOT NULL DEFAULT 0,"
    "  bounce_last INTEGER,"
    "  probes INTEGER NOT NULL DEFAULT 0,"
    "  probe_last INTEGER,"
    "  UNIQUE (club_id, address));"
    "INSERT INTO members_new (id, club_id, address, name, role, delivery,"
    "  highlights, joined, tags, company, profile, featured, paused,"
    "  own_copy, status, moderated, bounce_score, bounce_day, bounce_hard,"
    "  bounce_last, probes, probe_last) "
    "SELECT id, club_id, address, name, role, delivery, highlights, joined,"
    "  tags, company, profile, featured, paused, own_copy, status,"
    "  moderated, bounce_score, bounce_day, bounce_hard, bounce_last,"
    "  probes, probe_last FROM members;"
    "DROP TABLE members;"
    "ALTER TABLE members_new RENAME TO members;",

    /* 5: retention (SPEC 4): when a held post's fate was decided
       (rejected, expired), and indexes for the purge so it never scans
       the messages table, whose rows carry the raw mail.  Posts
       rejected or expired before this version are dated at the latest
       their decision can have been: expiry, 14 days after arrival. */
    "ALTER TABLE messages ADD COLUMN decided INTEGER;"
    "UPDATE messages SET decided = received + 14 * 86400 "
    "  WHERE status IN ('rejected', 'expired');"
    "CREATE INDEX messages_decided ON messages(decided)"
    "  WHERE decided IS NOT NULL;"
    "CREATE INDEX messages_control ON messages(received)"
    "  WHERE role NOT IN ('post', 'reply', 'notice');"
    "CREATE INDEX messages_kept ON messages(received)"
    "  WHERE status = 'kept';",

    /* 6: one fan-out row per accepted post, expanded by the relay in
       member-id order (cursor: members up to it are done); members_club
       serves that walk */
    "CREATE TABLE fanout ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  msg_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
    "  club_id INTEGER NOT NULL,"
    "  last_member INTEGER NOT NULL,"
    "  since INTEGER NOT NULL,"
    "  cursor INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX members_club ON members(club_id);",

    /* 7: whose side a copy's failures were on (SPEC 7: an expiry counts
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

    /* 8 (moderation by reply): who decided a held post's fate, "admin"
       for mlistctl or the animator's address, so a later decision is
       told "already decided by X"; decided now also dates approvals.
       Notices carrying a copy of someone's mail (a held post attached
       to a moderation notice: arg 'original') are purged like the post
       itself, 30 days on, by this index */
    "ALTER TABLE messages ADD COLUMN decided_by TEXT;"
    "CREATE INDEX messages_copies ON messages(received)"
    "  WHERE role = 'notice' AND arg = 'original';",

    /* 9 (control by mail): requests waiting for their confirmation
       round-trip (tokens name a row by id, so AUTOINCREMENT; purged 30
       days after expiry), the per-address count of automatic replies a
       UTC day (purged the next day), and who invited a member */
    "CREATE TABLE pending ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  club_id INTEGER NOT NULL REFERENCES clubs(id) ON DELETE CASCADE,"
    "  address TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  commands TEXT,"
    "  invited_by TEXT,"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  used INTEGER);"
    "CREATE INDEX pending_address ON pending(address, created);"
    "CREATE INDEX pending_expires ON pending(expires);"
    "CREATE TABLE auto_replies ("
    "  address TEXT NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  PRIMARY KEY (address, day));"
    "CREATE INDEX auto_replies_day ON auto_replies(day);"
    "ALTER TABLE members ADD COLUMN invited_by TEXT;",

    /* 10 (digest, DIGEST.md 1.6, 1.8, 2.1): the animator's controls on a
       thread, each member's nudge state, the nudges given and how often
       an unanswered item was shown to a member; attempts and issues
       sent go to the digests table of step 2 */
    "ALTER TABLE threads ADD COLUMN pinned_at INTEGER;"
    "ALTER TABLE threads ADD COLUMN pin_issues INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE threads ADD COLUMN debate_approved INTEGER NOT NULL "
    "  DEFAULT 0;"
    "ALTER TABLE members ADD COLUMN last_nudge_at INTEGER;"
    "ALTER TABLE members ADD COLUMN ignored_nudges INTEGER NOT NULL "
    "  DEFAULT 0;"
    "CREATE TABLE nudge_log ("
    "  id INTEGER PRIMARY KEY,"
    "  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
    "  thread_id INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  outcome TEXT);"
    "CREATE INDEX nudge_log_member ON nudge_log(member_id, at);"
    "CREATE TABLE digest_shows ("
    "  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
    "  thread_id INTEGER NOT NULL,"
    "  shows INTEGER NOT NULL,"
    "  PRIMARY KEY (member_id, thread_id));"
    "CREATE INDEX digests_member ON digests(member_id, attempted);",

    /* 11 (digest scheduling): per club, the last weekly and daily slot
       the scheduler ran (a missed slot runs once, at the next tick), and
       the newcomers' first posts the animators were alerted about (once
       per post, DIGEST 1.5); digest issues (notices with arg 'digest')
       are purged 30 days on by the index */
    "CREATE TABLE digest_slots ("
    "  club_id INTEGER NOT NULL REFERENCES clubs(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  slot INTEGER NOT NULL,"
    "  PRIMARY KEY (club_id, kind));"
    "CREATE TABLE newcomer_alerts ("
    "  message_id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX messages_digests ON messages(received)"
    "  WHERE role = 'notice' AND arg = 'digest';",

    /* 12 (digest details, DIGEST.md 2.5, 2.3 D5, 2.2 row 7): when a
       member left the club and how (unsubscribe, removed by an admin,
       bounce), counted in the animators' report, no address kept; a
       member's own muted threads and ignored authors (by address, so
       an author who leaves and comes back stays ignored); the issue a
       member last got the "invite a peer" footer in; the last list
       command a member confirmed (or "keep weekly" click) and when a
       dormant member was told their highlights became monthly
       (DIGEST 2.1); a member's other addresses, mapped to them as
       authors (DIGEST 1.2), a comma list */
    "CREATE TABLE departures ("
    "  id INTEGER PRIMARY KEY,"
    "  club_id INTEGER NOT NULL REFERENCES clubs(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  how TEXT NOT NULL);"
    "CREATE INDEX departures_club ON departures(club_id, at);"
    "CREATE TABLE member_mutes ("
    "  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
    "  thread_id INTEGER NOT NULL,"
    "  PRIMARY KEY (member_id, thread_id));"
    "CREATE TABLE member_ignores ("
    "  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
    "  address TEXT NOT NULL,"
    "  PRIMARY KEY (member_id, address));"
    "ALTER TABLE members ADD COLUMN invite_footer_at INTEGER;"
    "ALTER TABLE members ADD COLUMN last_command_at INTEGER;"
    "ALTER TABLE members ADD COLUMN dormant_notice_at INTEGER;"
    "ALTER TABLE members ADD COLUMN aliases TEXT NOT NULL DEFAULT '';",
};
#define STORE_NMIGRATIONS                                                      \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

int
store_schema_version(void)
{
	return STORE_NMIGRATIONS;
}

/* foreign_keys_intact - after a step, before its commit: every
   reference still names a row (a rebuilt table kept its ids) */
static int
foreign_keys_intact(struct store *s)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(s, "foreign_key_check");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(s->err, sizeof(s->err),
			 "migration broke a reference from table %s",
			 (const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		store_fail(s, "foreign_key_check");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* migrate_steps - the steps from v to target, each in its own
   transaction */
static int
migrate_steps(struct store *s, int v, int target)
{
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
		    foreign_keys_intact(s) < 0 || store_exec(s, bump) < 0 ||
		    store_commit(s) < 0) {
			store_rollback(s);
			return -1;
		}
		v++;
	}
	return 0;
}

int
store_schema_migrate(struct store *s, int target)
{
	int v = store_user_version(s), rc;

	if (v < 0)
		return store_fail(s, "user_version");
	if (v > STORE_NMIGRATIONS || target > STORE_NMIGRATIONS) {
		snprintf(s->err, sizeof(s->err),
			 "schema version %d is newer than this program's (%d)",
			 v > target ? v : target, STORE_NMIGRATIONS);
		return -1;
	}
	if (v >= target)
		return 0;
	/* a step that rebuilds a table drops the old one: with foreign
	   keys on, that would first delete its rows and cascade into every
	   table referring to it.  The pragma is a no-op inside a
	   transaction, so it goes around the steps, and each step checks
	   the references itself before it commits. */
	store_release(s);
	if (store_exec(s, "PRAGMA foreign_keys=OFF") < 0)
		return -1;
	rc = migrate_steps(s, v, target);
	if (store_exec(s, "PRAGMA foreign_keys=ON") < 0)
		return -1;
	return rc;
}
