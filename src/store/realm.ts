/**
 * The digest realm (RFC 3261 §22.1) is part of every stored HA1, so it is fixed the first time the
 * database is used: renaming the router (a new domain) must not invalidate the accounts.
 */
import type { Db } from './database.js';

export function realmFor(db: Db, domain: string): string {
  const stored = storedRealm(db);
  if (stored !== undefined) return stored;
  // OR IGNORE: if another process stored one meanwhile, its value wins and is read back.
  db.run("INSERT OR IGNORE INTO meta (key, value) VALUES ('realm', ?)", [domain]);
  return storedRealm(db) ?? domain;
}

function storedRealm(db: Db): string | undefined {
  const row = db.get("SELECT value FROM meta WHERE key = 'realm'");
  return row === undefined ? undefined : String(row.value);
}
