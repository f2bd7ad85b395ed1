import t from 'tap';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../src/store/database.js';
import { CONTENT_TYPE_MAX, SENDER_MAX, StoredMessages, type IncomingMessage } from '../../src/store/stored-messages.js';
import { tempDir } from '../helpers/temp-dir.js';

const DAY = 86_400_000;
const text = (s: string) => new TextEncoder().encode(s);

function message(recipient: string, body: string | Uint8Array, sender = '"Bob" <sip:bob@node1.mesh>;tag=1'): IncomingMessage {
  return { recipient, sender, contentType: 'text/plain;charset=UTF-8', body: typeof body === 'string' ? text(body) : body };
}

function setup(t: { teardown(fn: () => void): void }, limits: { maxPerUser?: number; maxBody?: number } = {}) {
  const path = join(tempDir(t), 'trucada.db');
  const db = openDatabase(path);
  t.teardown(() => db.close());
  const clock = { ms: 1_800_000_000_000 };
  const opts = { maxPerUser: limits.maxPerUser ?? 100, maxAgeMs: 7 * DAY, maxBody: limits.maxBody ?? 8192, now: () => clock.ms };
  return { path, db, clock, opts, messages: new StoredMessages(db, opts) };
}

const rowCount = (db: Db) => Number(db.get('SELECT count(*) AS n FROM stored_messages')?.n);

t.test('stored messages come back for their recipient, oldest first, as received', async (t) => {
  const { clock, messages } = setup(t);
  const binary = new Uint8Array([0, 255, 0xc3, 0x28, 10, 13]);
  t.equal(messages.store(message('alice', 'first')), 'stored');
  clock.ms += 1000;
  t.equal(messages.store(message('bob', 'for bob')), 'stored');
  t.equal(messages.store(message('alice', binary, '<sip:carol@node1.mesh>;tag=x')), 'stored');
  t.equal(messages.store(message('alice', new Uint8Array(0))), 'stored', 'an empty body');
  const pending = messages.pending('alice');
  t.equal(pending.length, 3);
  t.same(pending[0], {
    id: pending[0]!.id,
    recipient: 'alice',
    sender: '"Bob" <sip:bob@node1.mesh>;tag=1',
    contentType: 'text/plain;charset=UTF-8',
    body: text('first'),
    receivedAt: 1_800_000_000_000,
  });
  t.same(pending[1]?.body, binary, 'bytes kept as they are, not decoded');
  t.equal(pending[1]?.sender, '<sip:carol@node1.mesh>;tag=x');
  t.equal(pending[1]?.receivedAt, 1_800_000_001_000);
  t.equal(pending[2]?.body.byteLength, 0);
  t.ok(pending[0]!.id < pending[1]!.id && pending[1]!.id < pending[2]!.id);
  t.same(messages.pending('bob').map((m) => new TextDecoder().decode(m.body)), ['for bob']);
  t.same(messages.pending('carol'), []);
});

t.test('delivered once: delete takes a message out', async (t) => {
  const { messages } = setup(t);
  messages.store(message('alice', 'one'));
  messages.store(message('alice', 'two'));
  const [first] = messages.pending('alice');
  t.ok(messages.delete(first!.id));
  t.notOk(messages.delete(first!.id), 'already gone');
  t.notOk(messages.delete(Number.NaN));
  t.same(messages.pending('alice').map((m) => new TextDecoder().decode(m.body)), ['two']);
});

t.test('forget drops every message waiting for one recipient, and no one else\'s', async (t) => {
  const { messages } = setup(t);
  messages.store(message('alice', 'one'));
  messages.store(message('alice', 'two'));
  messages.store(message('bob', 'for bob'));
  t.equal(messages.forget('alice'), 2);
  t.same(messages.pending('alice'), []);
  t.equal(messages.pending('bob').length, 1);
  t.equal(messages.forget('alice'), 0);
});

t.test('they outlive a restart', async (t) => {
  const { path, db, opts, messages } = setup(t);
  messages.store(message('alice', 'while you were away'));
  db.close();
  const reopened = openDatabase(path);
  t.teardown(() => reopened.close());
  t.equal(new StoredMessages(reopened, opts).pending('alice').length, 1);
});

t.test('a body over the limit, or an oversized header, is refused', async (t) => {
  const { db, messages } = setup(t, { maxBody: 10 });
  t.equal(messages.store(message('alice', 'x'.repeat(10))), 'stored', 'exactly the limit');
  t.equal(messages.store(message('alice', 'x'.repeat(11))), 'too-large');
  t.equal(messages.store(message('alice', 'é'.repeat(6))), 'too-large', 'counted in bytes, not characters');
  t.equal(messages.store(message('alice', 'hi', `<sip:${'b'.repeat(SENDER_MAX)}@x>`)), 'too-large');
  t.equal(messages.store({ ...message('alice', 'hi'), contentType: `text/${'p'.repeat(CONTENT_TYPE_MAX)}` }), 'too-large');
  t.equal(rowCount(db), 1);
});

t.test('a full box refuses new messages and keeps the old ones', async (t) => {
  const { messages } = setup(t, { maxPerUser: 2 });
  t.equal(messages.store(message('alice', 'one')), 'stored');
  t.equal(messages.store(message('alice', 'two')), 'stored');
  t.equal(messages.store(message('alice', 'three')), 'full');
  t.equal(messages.store(message('bob', 'other box')), 'stored', 'per user');
  t.same(messages.pending('alice').map((m) => new TextDecoder().decode(m.body)), ['one', 'two']);
  messages.delete(messages.pending('alice')[0]!.id);
  t.equal(messages.store(message('alice', 'three')), 'stored', 'room again after a delivery');
});

t.test('a limit of 0 stores nothing', async (t) => {
  const { db, messages } = setup(t, { maxPerUser: 0 });
  t.equal(messages.store(message('alice', 'hi')), 'full');
  t.equal(rowCount(db), 0);
});

t.test('messages past the age limit are never delivered, and make room', async (t) => {
  const { db, clock, messages } = setup(t, { maxPerUser: 2 });
  messages.store(message('alice', 'old'));
  messages.store(message('bob', 'old for bob'));
  clock.ms += 3 * DAY;
  messages.store(message('alice', 'newer'));
  t.equal(messages.store(message('alice', 'full now')), 'full');
  clock.ms += 4 * DAY + 1;
  t.equal(messages.store(message('alice', 'fits')), 'stored', 'the expired one no longer counts');
  t.same(messages.pending('alice').map((m) => new TextDecoder().decode(m.body)), ['newer', 'fits']);
  t.equal(rowCount(db), 3, "alice's expired message is deleted; bob's waits for prune");
  t.equal(messages.prune(), 1);
  t.same(messages.pending('bob'), []);
  clock.ms += 7 * DAY + 1;
  t.same(messages.pending('alice'), [], 'expired at delivery time: left out');
  t.equal(rowCount(db), 0, 'and deleted');
  t.equal(messages.prune(), 0);
});

t.test('looking for pending messages writes nothing when none expired', async (t) => {
  const { db, opts } = setup(t);
  let writes = 0;
  const counting: Db = {
    path: db.path,
    exec: (sql) => db.exec(sql),
    run: (sql, values) => (writes++, db.run(sql, values)),
    get: (sql, values) => db.get(sql, values),
    all: (sql, values) => db.all(sql, values),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
  const messages = new StoredMessages(counting, opts);
  t.same(messages.pending('alice'), []);
  messages.store(message('alice', 'hi'));
  writes = 0;
  t.equal(messages.pending('alice').length, 1);
  t.equal(writes, 0, 'a REGISTER costs no write to flash');
});

t.test('sender and body are stored verbatim, whatever they hold', async (t) => {
  const { messages } = setup(t);
  const sender = `"x'); DROP TABLE stored_messages; --" <sip:eve@node1.mesh>`;
  const body = "'; DELETE FROM accounts; --\u0000\r\n";
  t.equal(messages.store(message('alice', body, sender)), 'stored');
  const [m] = messages.pending('alice');
  t.equal(m?.sender, sender);
  t.equal(new TextDecoder().decode(m?.body), body);
});
