import { join } from 'node:path';
import t from 'tap';
import { Sessions } from '../../src/http/api/sessions.js';
import { openDatabase } from '../../src/store/database.js';
import { WebSessionStore } from '../../src/store/web-sessions.js';
import { tempDir } from '../helpers/temp-dir.js';

const DAY = 24 * 3600 * 1000;

t.test('sessions outlive a restart through the database, and end there too', async (t) => {
  const path = join(tempDir(t), 'trucada.db');
  let now = 1_000_000;
  const start = () => {
    const db = openDatabase(path);
    t.teardown(() => db.close());
    return { db, sessions: new Sessions({ now: () => now, records: new WebSessionStore(db) }) };
  };
  const first = start();
  const alice = first.sessions.create('alice');
  const bob = first.sessions.create('bob');
  const bob2 = first.sessions.create('bob');
  first.db.close();

  const second = start();
  t.same(second.sessions.use(alice.id), { ...alice }, 'restored after a restart, csrf and all');
  t.equal(second.sessions.size, 3);
  second.sessions.end(alice.id);
  second.sessions.endUser('bob', bob2.id);
  t.same(second.db.all('SELECT user FROM web_sessions').map((r) => r.user), ['bob'], 'logout and ending a user delete the rows');
  t.equal(second.sessions.use(bob.id), undefined);
  second.db.close();

  now += 8 * DAY;
  const third = start();
  t.equal(third.sessions.size, 0, 'a session idle past 7 days is not restored');
  t.equal(third.db.all('SELECT id FROM web_sessions').length, 0, 'and its row goes');
});

t.test('a session in use is written at most once a day', async (t) => {
  let now = 0;
  const writes: string[] = [];
  const sessions = new Sessions({
    now: () => now,
    records: { all: () => [], put: (s) => writes.push(`put ${s.user} ${s.lastUsed}`), delete: (ids) => ids.length && writes.push(`delete ${ids.length}`) },
  });
  const s = sessions.create('alice');
  for (let i = 0; i < 100; i++) {
    now += 60_000;
    sessions.use(s.id);
  }
  t.same(writes, ['put alice 0'], '100 uses in 100 minutes: no write');
  now += DAY;
  sessions.use(s.id);
  t.same(writes.at(-1), `put alice ${now}`, 'a day later the last use is saved');
});

t.test('past the maximum the least recently used session goes, from the store too', async (t) => {
  const deleted: string[] = [];
  const sessions = new Sessions({ now: () => 0, max: 2, records: { all: () => [], put: () => {}, delete: (ids) => deleted.push(...ids) } });
  const a = sessions.create('a');
  sessions.create('b');
  sessions.create('c');
  t.same(deleted, [a.id]);
  t.equal(sessions.use(a.id), undefined);
});
