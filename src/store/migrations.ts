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
