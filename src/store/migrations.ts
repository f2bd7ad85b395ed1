/**
 * The schema, as an ordered list of steps. SQLite's `user_version` header field holds how many have
 * been applied; a database written by a newer trucada (a higher version) is refused rather than
 * guessed at.
 */
import type { Db } from './database.js';
import { StoreError } from './store-error.js';

export interface Migration {
  /** 1, 2, 3, … in order: the `user_version` after this step. */
  version: number;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE accounts (
        name TEXT PRIMARY KEY,      -- lower-case, see user-name.ts
        ha1_md5 TEXT NOT NULL,      -- H(name:realm:password), RFC 3261 §22.4
        ha1_sha256 TEXT NOT NULL,   -- the same with SHA-256, RFC 8760 §2
        password_hash TEXT NOT NULL, -- scrypt, for the web login
        created_at INTEGER NOT NULL, -- ms since 1970
        updated_at INTEGER NOT NULL
      );`,
  },
  {
    version: 2,
    sql: `
      -- One row per call, written once when it ends. Caller and callee share the row; each side hides
      -- it from their own history on its own (a deletion, or their count limit), and the row goes
      -- when both have. A remote party keeps no history here: its side starts hidden.
      CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        caller TEXT NOT NULL,        -- lower-case local user, or user@domain for a remote one
        callee TEXT NOT NULL,
        call_id TEXT NOT NULL,
        devices TEXT NOT NULL,       -- JSON array of what was rung (contact or User-Agent)
        started_at INTEGER NOT NULL, -- ms since 1970
        answered_at INTEGER,
        ended_at INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'missed', 'busy', 'declined', 'failed')),
        notified INTEGER NOT NULL DEFAULT 0 CHECK (notified IN (0, 1)), -- missed-call notice sent
        caller_deleted INTEGER NOT NULL DEFAULT 0 CHECK (caller_deleted IN (0, 1)),
        callee_deleted INTEGER NOT NULL DEFAULT 0 CHECK (callee_deleted IN (0, 1))
      );
      -- With the flag inside, a user's visible calls are read from the index alone, in id order.
      CREATE INDEX calls_by_caller ON calls (caller, caller_deleted, id);
      CREATE INDEX calls_by_callee ON calls (callee, callee_deleted, id);
      CREATE INDEX calls_by_end ON calls (ended_at);
      -- MESSAGE requests (RFC 3428) kept for a user with no binding, delivered when they register.
      CREATE TABLE stored_messages (
        id INTEGER PRIMARY KEY,
        recipient TEXT NOT NULL,     -- lower-case local user
        sender TEXT NOT NULL,        -- the From header field value (name-addr)
        content_type TEXT NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL -- ms since 1970
      );
      CREATE INDEX stored_messages_by_recipient ON stored_messages (recipient, id);
      CREATE INDEX stored_messages_by_age ON stored_messages (received_at);`,
  },
  {
    version: 3,
    sql: `
      -- Web login sessions, so that a restart or a power cut does not log every page out: the page's
      -- phone is authenticated by its session (RFC 7118 §7) and holds no password to fall back on.
      -- Written at login and logout, and last_used at most once a day per session.
      CREATE TABLE web_sessions (
        id TEXT PRIMARY KEY,          -- the cookie's value (data_dir is 0700, like the HA1s here)
        user TEXT NOT NULL,           -- lower-case local user
        csrf TEXT NOT NULL,
        last_used INTEGER NOT NULL    -- ms since 1970
      ) WITHOUT ROWID;`,
  },
  {
    version: 4,
    sql: `
      -- signup 'approval' (issue 10): an account made on the page waits, with its hashes but unusable
      -- for SIP or the page, until an admin approves it. Admins approve and remove users on the page.
      ALTER TABLE accounts ADD COLUMN pending INTEGER NOT NULL DEFAULT 0 CHECK (pending IN (0, 1));
      ALTER TABLE accounts ADD COLUMN admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1));`,
  },
  {
    version: 5,
    sql: `
      -- Who may see that a user is online (issue 10): everyone on the mesh, the people in the
      -- user's own contacts, or nobody. Contacts by default: being online says when someone is home.
      ALTER TABLE accounts ADD COLUMN presence TEXT NOT NULL DEFAULT 'contacts' CHECK (presence IN ('mesh', 'contacts', 'nobody'));
      -- Each user's contacts: a local user, or user@domain on another node.
      CREATE TABLE contacts (
        owner TEXT NOT NULL,         -- lower-case local user
        contact TEXT NOT NULL,       -- lower-case local user, or user@domain
        added_at INTEGER NOT NULL,   -- ms since 1970
        PRIMARY KEY (owner, contact)
      ) WITHOUT ROWID;
      CREATE INDEX contacts_by_contact ON contacts (contact);
      -- An account that goes (the page, the admin, trucada user del) takes its contact list with it,
      -- and leaves no one's list pointing at a name someone else may take next.
      CREATE TRIGGER contacts_of_deleted_account AFTER DELETE ON accounts BEGIN
        DELETE FROM contacts WHERE owner = OLD.name OR contact = OLD.name;
      END;`,
  },
];

export function schemaVersion(db: Db): number {
  return Number(db.get('PRAGMA user_version')?.user_version ?? 0);
}

/** Brings the schema up to date; each step and its version bump commit together. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): void {
  const latest = migrations.length;
  if (checkedVersion(db, latest) === latest) return;
  // Read again under the write lock: the daemon and the command may both open a new file at once.
  db.transaction(() => {
    for (const m of migrations.slice(checkedVersion(db, latest))) {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
    }
  });
}

function checkedVersion(db: Db, latest: number): number {
  const version = schemaVersion(db);
  if (version > latest) {
    throw new StoreError(
      'SCHEMA_TOO_NEW',
      `database ${db.path} has schema version ${version}, but this trucada knows only up to ${latest}: ` +
        'it was written by a newer trucada; run that version, or restore a backup',
    );
  }
  return version;
}
