import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS, migrate, schemaVersion } from '../../src/store/migrations.js';
import { tempDir } from '../helpers/temp-dir.js';

t.test('a new file gets the whole schema', async (t) => {
  const db = openDatabase(join(tempDir(t), 'a.db'));
  t.teardown(() => db.close());
  t.equal(schemaVersion(db), MIGRATIONS.length);
  const tables = db.all("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((r) => r.name);
  t.same(tables, ['accounts', 'calls', 'contacts', 'meta', 'stored_messages', 'web_sessions']);
  t.equal(db.get('PRAGMA journal_mode')?.journal_mode, 'truncate');
});

t.test('migrations run in order, once, and a failing one leaves nothing behind', async (t) => {
  const db = openDatabase(join(tempDir(t), 'a.db'));
  t.teardown(() => db.close());
  const next = MIGRATIONS.length + 1;
  const steps = [
    ...MIGRATIONS,
    { version: next, sql: 'CREATE TABLE history (id INTEGER PRIMARY KEY)' },
    { version: next + 1, sql: 'ALTER TABLE history ADD COLUMN who TEXT' },
  ];
  migrate(db, steps);
  t.equal(schemaVersion(db), next + 1);
  migrate(db, steps);
  db.run("INSERT INTO history (who) VALUES ('alice')");
  t.equal(db.all('SELECT * FROM history').length, 1);

  const broken = [...steps, { version: next + 2, sql: 'CREATE TABLE extra (x); CREATE TABLE nonsense (' }];
  t.throws(() => migrate(db, broken));
  t.equal(schemaVersion(db), next + 1);
  t.equal(db.get("SELECT name FROM sqlite_master WHERE name = 'extra'"), undefined);
});

t.test('a database newer than the code is refused', async (t) => {
  const path = join(tempDir(t), 'a.db');
  const db = openDatabase(path);
  db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  t.throws(() => openDatabase(path), { code: 'SCHEMA_TOO_NEW', message: /newer trucada/ });
});

t.test('transaction commits, or rolls back when the function throws', async (t) => {
  const db = openDatabase(join(tempDir(t), 'a.db'));
  t.teardown(() => db.close());
  const value = db.transaction(() => {
    db.run("INSERT INTO meta VALUES ('a', '1')");
    return db.transaction(() => db.run("INSERT INTO meta VALUES ('b', '2')"));
  });
  t.equal(value, 1);
  t.throws(() =>
    db.transaction(() => {
      db.run("INSERT INTO meta VALUES ('c', '3')");
      throw new Error('boom');
    }),
  );
  t.same(db.all('SELECT key FROM meta ORDER BY key').map((r) => r.key), ['a', 'b']);
});

t.test('two handles on one file (daemon and command) see each other', async (t) => {
  const path = join(tempDir(t), 'a.db');
  const daemon = openDatabase(path);
  const command = openDatabase(path);
  t.teardown(() => {
    daemon.close();
    command.close();
  });
  command.run("INSERT INTO meta VALUES ('from', 'command')");
  t.equal(daemon.get("SELECT value FROM meta WHERE key = 'from'")?.value, 'command');
  daemon.transaction(() => daemon.run("UPDATE meta SET value = 'daemon' WHERE key = 'from'"));
  t.equal(command.get("SELECT value FROM meta WHERE key = 'from'")?.value, 'daemon');
});

t.test('a lock held by another handle gives DB_BUSY after the time limit', async (t) => {
  const path = join(tempDir(t), 'a.db');
  const first = openDatabase(path);
  const second = openDatabase(path, { busyTimeoutMs: 150 });
  t.teardown(() => {
    first.close();
    second.close();
  });
  const started = Date.now();
  first.transaction(() => {
    t.throws(() => second.get('SELECT * FROM meta'), { code: 'DB_BUSY', message: /\.lock/ });
  });
  t.ok(Date.now() - started >= 150);
  t.same(second.all('SELECT * FROM meta'), []);
});

t.test('a write waits for a lock another process releases', async (t) => {
  const path = join(tempDir(t), 'a.db');
  const db = openDatabase(path);
  t.teardown(() => db.close());
  mkdirSync(`${path}.lock`);
  const child = spawn(process.execPath, ['-e', `setTimeout(() => require('fs').rmdirSync(${JSON.stringify(`${path}.lock`)}), 300)`]);
  await new Promise((resolve) => child.once('spawn', resolve));
  const started = Date.now();
  db.run("INSERT INTO meta VALUES ('k', 'v')");
  t.ok(Date.now() - started >= 250, 'waited for the other process');
  t.equal(db.get("SELECT value FROM meta WHERE key = 'k'")?.value, 'v');
  await new Promise((resolve) => child.once('exit', resolve));
});
