/**
 * The daemon's database, checked when it starts. Routers lose power without warning and their
 * flash wears out: a file that SQLite finds damaged (`PRAGMA quick_check`, or a file that is not a
 * database at all, as a truncated one may be) is moved aside, never written over, and the node
 * starts anyway, from the last good copy when there is one, else empty.
 *
 * The good copy (`trucada.db.good`) is made at start, after a passing check, only when the database
 * changed since the last copy: one write per start that follows a change, so flash is spared. What
 * changed after the last start (accounts added since, the history and messages since) is not in it:
 * that is what a damaged file loses. Other failures (a database of a newer version, a lock, no
 * permission) are not damage and stop the start as before, with the file untouched.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Logger } from '../log.js';
import { openDatabase, type Db } from './database.js';
import { StoreError } from './store-error.js';

/** What SQLite says of a file it cannot use as a database. */
const DAMAGE = /not a database|malformed|corrupt|disk image/i;

export function goodCopyPath(dbPath: string): string {
  return `${dbPath}.good`;
}

export function openCheckedDatabase(dbPath: string, logger: Logger, now: () => number = Date.now): Db {
  const damage = existsSync(dbPath) ? damageOf(dbPath) : undefined;
  if (damage === undefined) {
    const db = openDatabase(dbPath);
    keepGoodCopy(db, dbPath, logger);
    return db;
  }
  const aside = `${dbPath}.damaged-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`;
  renameSync(dbPath, aside);
  // A journal belongs to the file it was written for: replayed into another, it would damage that.
  if (existsSync(`${dbPath}-journal`)) renameSync(`${dbPath}-journal`, `${aside}-journal`);
  logger.error(`database ${dbPath} is damaged (${damage}): moved to ${aside}`);
  const good = goodCopyPath(dbPath);
  if (existsSync(good) && damageOf(good) === undefined) {
    copyFileSync(good, dbPath);
    logger.warn(`database restored from ${good}: changes made since the node last started are lost`);
  } else {
    logger.warn(`no good copy of the database to restore: starting with an empty one (accounts must be added again)`);
  }
  return openDatabase(dbPath);
}

/** Why SQLite refuses the file as damaged, or undefined when it passes. */
function damageOf(path: string): string | undefined {
  let db: Db | undefined;
  try {
    db = openDatabase(path);
    const result = db.all('PRAGMA quick_check').map((r) => String(Object.values(r)[0]));
    return result.length === 1 && result[0] === 'ok' ? undefined : result.slice(0, 3).join('; ');
  } catch (err) {
    if (err instanceof StoreError || !(err instanceof Error) || !DAMAGE.test(err.message)) throw err;
    return err.message;
  } finally {
    db?.close();
  }
}

/** Copies the database inside a write transaction (so no other process changes it meanwhile). */
function keepGoodCopy(db: Db, dbPath: string, logger: Logger): void {
  const good = goodCopyPath(dbPath);
  db.transaction(() => {
    const current = readFileSync(dbPath);
    if (existsSync(good) && readFileSync(good).equals(current)) return;
    const tmp = `${good}.tmp`;
    try {
      // Synced before the rename: after a power cut the copy is the old one or the new one, whole.
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, current);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, good);
    } catch (err) {
      rmSync(tmp, { force: true });
      logger.warn(`could not keep a good copy of the database in ${good}: ${String(err)}`);
    }
  });
}
