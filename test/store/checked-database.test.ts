import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createLogger } from '../../src/log.js';
import { AccountStore } from '../../src/store/accounts.js';
import { goodCopyPath, openCheckedDatabase } from '../../src/store/checked-database.js';
import { openDatabase } from '../../src/store/database.js';

function setup(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-checked-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'trucada.db');
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l.trim()));
  const open = () => openCheckedDatabase(path, logger, () => Date.UTC(2026, 11, 5, 22, 0, 0));
  const users = (db: ReturnType<typeof open>) => new AccountStore(db, 'node1.mesh').list().map((a) => a.name);
  return { dir, path, logs, open, users };
}

/** Start, add `names`, stop: what a node's life between two starts writes. */
function lifeWith(s: ReturnType<typeof setup>, names: string[]): void {
  const db = s.open();
  for (const n of names) new AccountStore(db, 'node1.mesh').add(n, `${n}-password`);
  db.close();
}

t.test('a sound database opens as it is, and the good copy follows it only when it changed', async (t) => {
  const s = setup(t);
  lifeWith(s, ['alice']);
  const db = s.open();
  t.same(s.users(db), ['alice']);
  db.close();
  const good = goodCopyPath(s.path);
  t.ok(readFileSync(good).equals(readFileSync(s.path)), 'the copy is the database as it was at this start');
  const before = statSync(good).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  s.open().close();
  t.equal(statSync(good).mtimeMs, before, 'unchanged since: not written again (flash wear)');
  t.notOk(s.logs.some((l) => /^(error|warn)/.test(l)), 'nothing to report');
});

t.test('a truncated database is moved aside and the last good copy restored', async (t) => {
  const s = setup(t);
  lifeWith(s, ['alice', 'bob']);
  lifeWith(s, ['carol']);
  // carol was added after the last start's copy: a damaged file loses her, as documented.
  truncateSync(s.path, 1024 + 100);
  const db = s.open();
  t.same(s.users(db).sort(), ['alice', 'bob']);
  db.close();
  const aside = readdirSync(s.dir).filter((f) => f.startsWith('trucada.db.damaged-') && !f.endsWith('-journal'));
  t.same(aside, ['trucada.db.damaged-2026-12-05T22-00-00-000Z'], 'kept, not written over');
  t.ok(s.logs.some((l) => /^error: database .* is damaged \(.+\): moved to /.test(l)), 'logged as an error with the reason');
  t.ok(s.logs.some((l) => /^warn: database restored from .*trucada\.db\.good/.test(l)));
});

t.test('garbage with no good copy: moved aside, and the node starts empty', async (t) => {
  const s = setup(t);
  writeFileSync(s.path, Buffer.alloc(8192, 0x41));
  writeFileSync(`${s.path}-journal`, Buffer.alloc(512, 0x42));
  const db = s.open();
  t.same(s.users(db), []);
  db.close();
  const journal = readdirSync(s.dir).find((f) => /^trucada\.db\.damaged-.*-journal$/.test(f));
  t.ok(journal && readFileSync(join(s.dir, journal)).equals(Buffer.alloc(512, 0x42)), 'its journal went with it');
  t.notOk(existsSync(`${s.path}-journal`) && readFileSync(`${s.path}-journal`).includes(0x42), 'and is not replayed into the new one');
  t.ok(s.logs.some((l) => /no good copy of the database to restore: starting with an empty one/.test(l)));
});

t.test('a damaged good copy is not restored', async (t) => {
  const s = setup(t);
  lifeWith(s, ['alice']);
  s.open().close();
  writeFileSync(goodCopyPath(s.path), 'not sqlite at all, longer than a header would be'.repeat(100));
  writeFileSync(s.path, 'also not sqlite'.repeat(500));
  const db = s.open();
  t.same(s.users(db), []);
  db.close();
  t.ok(s.logs.some((l) => /no good copy/.test(l)));
});

t.test('a database of a newer version is no damage: the start stops and the file stays', async (t) => {
  const s = setup(t);
  lifeWith(s, ['alice']);
  const raw = openDatabase(s.path);
  raw.exec('PRAGMA user_version = 9999');
  raw.close();
  t.throws(() => s.open(), { code: 'SCHEMA_TOO_NEW' });
  t.same(readdirSync(s.dir).filter((f) => f.includes('damaged')), []);
});
