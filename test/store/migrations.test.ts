import t from 'tap';
import { join } from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { AccountStore } from '../../src/store/accounts.js';
import { CallHistory } from '../../src/store/call-history.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS, schemaVersion } from '../../src/store/migrations.js';
import { StoredMessages } from '../../src/store/stored-messages.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A file as the first release left it: migration 1 only, with one account. */
function firstReleaseFile(path: string): void {
  const raw = new sqlite.Database(path);
  raw.exec(MIGRATIONS[0]!.sql);
  raw.exec('PRAGMA user_version = 1');
  raw.run('INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)', ['alice', 'a'.repeat(32), 'b'.repeat(64), 'scrypt$x', 1000, 2000]);
  raw.close();
}

t.test('a database with only migration 1 is brought up to date with its accounts intact', async (t) => {
  const path = join(tempDir(t), 'trucada.db');
  firstReleaseFile(path);
  const db = openDatabase(path);
  t.teardown(() => db.close());
  t.equal(schemaVersion(db), MIGRATIONS.length);
  t.equal(schemaVersion(db), 5);
  const accounts = new AccountStore(db, 'node1.mesh');
  t.same(accounts.get('alice'), { name: 'alice', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), admin: false, presence: 'contacts' }, 'the account is kept, in use, showing its presence to its contacts');
  t.same(accounts.list(), [{ name: 'alice', createdAt: 1000, admin: false, pending: false }], 'not waiting for approval, not an admin');

  const now = () => 5000;
  const history = new CallHistory(db, { maxCalls: 10, maxAgeMs: 1e9, now });
  history.record({ caller: 'bob', callee: 'alice', callId: 'c1', devices: [], startedAt: 4000, endedAt: 4500, outcome: 'missed' });
  t.equal(history.unnotifiedMissed('alice').length, 1, 'the new calls table works');
  const messages = new StoredMessages(db, { maxPerUser: 5, maxAgeMs: 1e9, maxBody: 100, now });
  t.equal(messages.store({ recipient: 'alice', sender: '<sip:bob@node1.mesh>', contentType: 'text/plain', body: new Uint8Array([104, 105]) }), 'stored');
  t.equal(messages.pending('alice').length, 1, 'the new stored_messages table works');
});

t.test('migrations 2 and 5 make their indexes for per-user queries', async (t) => {
  const db = openDatabase(join(tempDir(t), 'trucada.db'));
  t.teardown(() => db.close());
  const indexes = db.all("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name");
  t.same(indexes.map((r) => r.name), ['calls_by_callee', 'calls_by_caller', 'calls_by_end', 'contacts_by_contact', 'stored_messages_by_age', 'stored_messages_by_recipient']);
  const plan = db.all("EXPLAIN QUERY PLAN SELECT id FROM stored_messages WHERE recipient = 'alice' ORDER BY id").map((r) => String(r.detail));
  t.match(plan.join('\n'), /USING (COVERING )?INDEX stored_messages_by_recipient/);
});

t.test('the calls table refuses an unknown outcome', async (t) => {
  const db = openDatabase(join(tempDir(t), 'trucada.db'));
  t.teardown(() => db.close());
  t.throws(() =>
    db.run("INSERT INTO calls (caller, callee, call_id, devices, started_at, ended_at, outcome) VALUES ('a', 'b', 'c', '[]', 1, 2, 'cancelled')"),
    { message: /CHECK constraint failed/ },
  );
});
