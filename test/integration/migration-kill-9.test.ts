/**
 * A package upgrade brings a new schema, migrated by the new node's first start (the package's
 * postinst starts it, or the boot after a power cut). Power cut during that migration, as near as a
 * test gets: `trucada serve` is killed with SIGKILL while it migrates a database of the first
 * release's schema, holding many accounts so that the migration lasts, then started again. SQLite
 * applies all pending steps and the version bump in one transaction (store/migrations.ts) with a
 * rollback journal: the start after the kill rolls the torn transaction back (the hot journal) and
 * migrates again from the first release's file, with every account there.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import t from 'tap';
import { bundleCommand, commandEnv, startDaemon, writeDaemonConfig } from '../helpers/daemon.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS, schemaVersion } from '../../src/store/migrations.js';

const ACCOUNTS = 100_000;
/** After the journal first holds pages: at once, later in the transaction, and likely after it. */
const DELAYS_MS = [0, 100, 250, 600];

/** A database as the first release left it: migration 1 only, with ACCOUNTS accounts. */
function firstReleaseFile(path: string): void {
  const raw = new sqlite.Database(path);
  raw.exec(MIGRATIONS[0]!.sql);
  raw.exec('PRAGMA user_version = 1');
  raw.exec(
    `WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < ${ACCOUNTS}) ` +
      "INSERT INTO accounts SELECT 'user' || x, printf('%032d', x), printf('%064d', x), 'scrypt$' || x, x, x FROM i",
  );
  raw.close();
}

const sizeOf = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/** user_version as the file on disk holds it (offset 60 of the header), without opening it in SQLite. */
const versionOnDisk = (path: string): number => readFileSync(path).readUInt32BE(60);

t.test('kill -9 during the migration of a new schema: the next start migrates from the untouched old file', async (t) => {
  const setup = await writeDaemonConfig(t);
  const template = join(setup.dir, 'first-release.db');
  firstReleaseFile(template);
  const data = join(setup.dir, 'data');
  const dbPath = join(data, 'trucada.db');
  const journal = `${dbPath}-journal`;
  let killedInside = 0;

  for (const delay of DELAYS_MS) {
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data, { mode: 0o700 });
    copyFileSync(template, dbPath);

    const [command, argv] = bundleCommand(process.execPath, ['serve', '--config', setup.configPath]);
    const proc = spawn(command, argv, { stdio: ['ignore', 'ignore', 'ignore'], env: commandEnv() });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    t.teardown(() => {
      proc.kill('SIGKILL');
    });
    const deadline = Date.now() + 20_000;
    while (sizeOf(journal) === 0 && proc.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    t.ok(sizeOf(journal) > 0, `${delay} ms: the migration began writing (its journal holds pages)`);
    await new Promise((r) => setTimeout(r, delay));
    proc.kill('SIGKILL');
    await exited;
    // TRUNCATE journal mode: the journal is emptied when the transaction commits, so one that still
    // holds pages after the kill is the hot journal of a transaction the kill tore.
    const inside = sizeOf(journal) > 0;
    if (inside) {
      killedInside++;
      t.equal(versionOnDisk(dbPath), 1, `${delay} ms: killed inside the transaction; the file on disk still says version 1`);
    }

    const daemon = await startDaemon(t, setup.configPath);
    t.notMatch(daemon.log(), /damaged/, `${delay} ms: the start after the kill finds no damage`);
    t.equal(await daemon.stop(), 0, `${delay} ms: and stops cleanly`);
    const db = openDatabase(dbPath);
    try {
      t.same(db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }], `${delay} ms: integrity_check ok`);
      t.equal(schemaVersion(db), MIGRATIONS.length, `${delay} ms: migrated to the current schema`);
      t.equal(db.get('SELECT count(*) AS n FROM accounts')?.n, ACCOUNTS, `${delay} ms: every account is there`);
      t.same(
        db.get("SELECT ha1_md5, password_hash, pending, admin, presence FROM accounts WHERE name = 'user777'"),
        { ha1_md5: '777'.padStart(32, '0'), password_hash: 'scrypt$777', pending: 0, admin: 0, presence: 'contacts' },
        `${delay} ms: an account keeps its hashes and gets the new columns' defaults`,
      );
    } finally {
      db.close();
    }
  }
  t.ok(killedInside > 0, `${killedInside} of ${DELAYS_MS.length} kills landed inside the migration's transaction`);
});
