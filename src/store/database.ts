/**
 * The SQLite database, shared by the daemon and the `trucada` command.
 *
 * node-sqlite3-wasm locks the whole file by creating the directory `<db>.lock` for the length of
 * each statement or transaction, and answers SQLITE_BUSY at once when it exists: there is no
 * busy handler, so this wrapper retries with a short back-off. It has no WAL, and an autocommit
 * write costs about a millisecond of fsync: group writes with `transaction()`.
 */
import sqlite from 'node-sqlite3-wasm';
import { migrate } from './migrations.js';
import { sleepSync } from './sleep-sync.js';
import { StoreError } from './store-error.js';

const { Database } = sqlite;

export type SqlValue = string | number | bigint | Uint8Array | null;
export type Row = Record<string, SqlValue>;

export interface Db {
  readonly path: string;
  exec(sql: string): void;
  /** Returns the number of rows changed. */
  run(sql: string, values?: SqlValue[]): number;
  get(sql: string, values?: SqlValue[]): Row | undefined;
  all(sql: string, values?: SqlValue[]): Row[];
  /** Runs `fn` (synchronous) in BEGIN IMMEDIATE … COMMIT, or ROLLBACK when it throws. A nested call joins the outer one. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export interface OpenOptions {
  /** How long to keep retrying a locked database before giving up, in ms. */
  busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 2000;
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 200;

/** sqlite3_errmsg() for SQLITE_BUSY; the wasm binding reports no numeric code. */
const BUSY_MESSAGE = 'database is locked';

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const db = new SqliteDb(path, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  try {
    // TRUNCATE rather than DELETE: emptying the journal at commit rewrites one inode, while deleting
    // and re-creating it also rewrites the directory each time, which costs more erase blocks on
    // the routers' flash (JFFS2/UBIFS). WAL is not available in this build.
    db.exec('PRAGMA journal_mode = TRUNCATE');
    // FULL: routers lose power without warning, and with a rollback journal NORMAL can then leave
    // a corrupt file; the writes (account changes) are rare enough that the extra fsync is free.
    db.exec('PRAGMA synchronous = FULL');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

class SqliteDb implements Db {
  private readonly raw: InstanceType<typeof Database>;

  constructor(
    readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {
    this.raw = new Database(path);
  }

  exec(sql: string): void {
    this.retry(() => this.raw.exec(sql));
  }

  run(sql: string, values: SqlValue[] = []): number {
    return this.retry(() => this.raw.run(sql, values).changes);
  }

  get(sql: string, values: SqlValue[] = []): Row | undefined {
    return (this.retry(() => this.raw.get(sql, values)) as Row | null) ?? undefined;
  }

  all(sql: string, values: SqlValue[] = []): Row[] {
    return this.retry(() => this.raw.all(sql, values)) as Row[];
  }

  transaction<T>(fn: () => T): T {
    if (this.raw.inTransaction) return fn();
    // IMMEDIATE takes the write lock now, so nothing inside the transaction can meet SQLITE_BUSY
    // half-way (the lock directory is all-or-nothing).
    this.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.raw.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
      throw err;
    }
  }

  close(): void {
    if (this.raw.isOpen) this.raw.close();
  }

  /** Retries while another process holds the lock; inside a transaction we hold it, so no retry. */
  private retry<T>(op: () => T): T {
    let waited = 0;
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      try {
        return op();
      } catch (err) {
        if (!isBusy(err) || this.raw.inTransaction) throw err;
        if (waited >= this.busyTimeoutMs) {
          throw new StoreError(
            'DB_BUSY',
            `database ${this.path} stayed locked for ${waited} ms: another trucada process is using it, ` +
              `or ${this.path}.lock was left by a crash ('trucada serve' removes it when it starts)`,
          );
        }
        const pause = Math.min(backoff, this.busyTimeoutMs - waited);
        sleepSync(pause);
        waited += pause;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }
}

function isBusy(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith(BUSY_MESSAGE);
}
