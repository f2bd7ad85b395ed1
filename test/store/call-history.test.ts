import t from 'tap';
import { join } from 'node:path';
import { CallHistory, DEVICES_MAX, LIST_MAX, TEXT_MAX } from '../../src/store/call-history.js';
import type { CallOutcome, CallRecord } from '../../src/store/call-record.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { tempDir } from '../helpers/temp-dir.js';

const DAY = 86_400_000;

function setup(t: { teardown(fn: () => void): void }, maxCalls = 200, maxAgeMs = 90 * DAY) {
  const db = openDatabase(join(tempDir(t), 'trucada.db'));
  t.teardown(() => db.close());
  const clock = { ms: 1_800_000_000_000 };
  const now = () => clock.ms;
  return { db, clock, now, history: new CallHistory(db, { maxCalls, maxAgeMs, now }) };
}

let seq = 0;
function call(caller: string, callee: string, outcome: CallOutcome = 'answered', at = 1_800_000_000_000): CallRecord {
  seq += 1;
  return {
    caller,
    callee,
    callId: `call-${seq}@host`,
    devices: ['sip:bob@10.0.0.2:5060', 'SIP.js/0.21'],
    startedAt: at - 60_000,
    ...(outcome === 'answered' ? { answeredAt: at - 50_000 } : {}),
    endedAt: at,
    outcome,
  };
}

const rowCount = (db: Db) => Number(db.get('SELECT count(*) AS n FROM calls')?.n);

t.test('a call is in the history of both parties, with what was recorded', async (t) => {
  const { history } = setup(t);
  const answered = call('alice', 'bob', 'answered');
  const id = history.record(answered);
  t.ok(Number.isSafeInteger(id) && id > 0);
  const expected = {
    id,
    caller: 'alice',
    callee: 'bob',
    callId: answered.callId,
    devices: ['sip:bob@10.0.0.2:5060', 'SIP.js/0.21'],
    startedAt: answered.startedAt,
    answeredAt: answered.answeredAt,
    endedAt: answered.endedAt,
    outcome: 'answered',
    notified: false,
  };
  t.same(history.list('alice', { limit: 10 }), [expected]);
  t.same(history.list('bob', { limit: 10 }), [expected]);
  t.same(history.list('carol', { limit: 10 }), [], 'nobody else sees it');
  const missed = history.record(call('carol', 'bob', 'missed'));
  const [row] = history.list('bob', { limit: 1 });
  t.equal(row?.id, missed, 'newest first');
  t.equal(row?.answeredAt, null, 'no answer time: null, which JSON keeps');
  t.same(JSON.parse(JSON.stringify(row)), row, 'a row is plain JSON');
});

t.test('pages: limit, beforeId, and a limit that is clamped', async (t) => {
  const { history } = setup(t);
  const ids = Array.from({ length: 7 }, (_, i) => history.record(call('alice', i % 2 === 0 ? 'bob' : 'carol')));
  const newestFirst = [...ids].reverse();
  const first = history.list('alice', { limit: 3 });
  t.same(first.map((r) => r.id), newestFirst.slice(0, 3));
  const second = history.list('alice', { limit: 3, beforeId: first[2]!.id });
  t.same(second.map((r) => r.id), newestFirst.slice(3, 6));
  const last = history.list('alice', { limit: 3, beforeId: second[2]!.id });
  t.same(last.map((r) => r.id), newestFirst.slice(6));
  t.same(history.list('alice', { limit: 0 }).map((r) => r.id), newestFirst.slice(0, 1), 'at least one');
  t.equal(history.list('alice', { limit: -5 }).length, 1);
  t.equal(history.list('alice', { limit: Number.NaN }).length, 7, 'not a number: the maximum');
  t.equal(history.list('alice', { limit: 10 ** 9 }).length, 7);
  t.equal(history.list('alice', { limit: 5, beforeId: 1.5 }).length, 5, 'a beforeId that is not an integer is ignored');
  t.equal(LIST_MAX, 500);
});

t.test("delete removes a call from one's own history only", async (t) => {
  const { db, history } = setup(t);
  const id = history.record(call('alice', 'bob'));
  t.notOk(history.delete('carol', id), 'not a party: refused');
  t.notOk(history.delete('alice', id + 1000), 'no such call');
  t.notOk(history.delete('alice', Number.NaN));
  t.ok(history.delete('alice', id));
  t.same(history.list('alice', { limit: 10 }), []);
  t.equal(history.list('bob', { limit: 10 }).length, 1, "the other party's history keeps it");
  t.notOk(history.delete('alice', id), 'already gone from alice');
  t.equal(rowCount(db), 1);
  t.ok(history.delete('bob', id));
  t.equal(rowCount(db), 0, 'the row goes once both have deleted it');
});

t.test('a call to oneself shows once and goes with one deletion', async (t) => {
  const { db, history } = setup(t);
  const id = history.record(call('alice', 'alice', 'busy'));
  t.same(history.list('alice', { limit: 10 }).map((r) => r.id), [id]);
  t.ok(history.delete('alice', id));
  t.equal(rowCount(db), 0);
});

t.test('a party of another node keeps no history here', async (t) => {
  const { db, history } = setup(t);
  const id = history.record(call('bob@node3.mesh', 'alice', 'missed'));
  t.equal(history.list('alice', { limit: 10 })[0]?.caller, 'bob@node3.mesh');
  t.same(history.list('bob@node3.mesh', { limit: 10 }), []);
  t.notOk(history.delete('bob@node3.mesh', id));
  t.ok(history.delete('alice', id));
  t.equal(rowCount(db), 0, 'gone once the local party deletes it');
});

t.test('each history keeps its newest calls up to the limit', async (t) => {
  const { db, history } = setup(t, 3);
  const toCarol = history.record(call('alice', 'carol'));
  const toBob = [1, 2, 3, 4].map(() => history.record(call('alice', 'bob')));
  t.same(history.list('alice', { limit: 10 }).map((r) => r.id), [...toBob].reverse().slice(0, 3));
  t.same(history.list('bob', { limit: 10 }).map((r) => r.id), [...toBob].reverse().slice(0, 3));
  t.same(history.list('carol', { limit: 10 }).map((r) => r.id), [toCarol], "alice's limit leaves carol's history alone");
  t.equal(rowCount(db), 4, 'the call both bob and alice went past is deleted; the one carol keeps is not');
  history.delete('carol', toCarol);
  t.equal(rowCount(db), 3);
});

t.test('a limit of 0 keeps nothing', async (t) => {
  const { db, history } = setup(t, 0);
  history.record(call('alice', 'bob', 'missed'));
  t.equal(rowCount(db), 0);
  t.same(history.unnotifiedMissed('bob'), []);
});

t.test('calls past the age limit are left out, and dropped at the next call or prune', async (t) => {
  const { db, clock, history } = setup(t, 200, 10 * DAY);
  const old = history.record(call('alice', 'bob', 'missed', clock.ms));
  clock.ms += 5 * DAY;
  const recent = history.record(call('carol', 'dave', 'answered', clock.ms));
  clock.ms += 6 * DAY;
  t.same(history.list('alice', { limit: 10 }), [], 'older than 10 days: not listed');
  t.same(history.unnotifiedMissed('bob'), [], 'nor notified');
  t.equal(rowCount(db), 2, 'still in the file until a write');
  history.record(call('erin', 'frank', 'answered', clock.ms));
  t.equal(rowCount(db), 2, 'the next call dropped it');
  t.same(history.list('carol', { limit: 10 }).map((r) => r.id), [recent]);
  t.notOk(history.delete('bob', old), 'the old call is gone');
  clock.ms += 20 * DAY;
  t.equal(history.prune(), 2, 'prune drops the rest');
  t.equal(rowCount(db), 0);
});

t.test('prune applies a lowered count limit to every history', async (t) => {
  const { db, now } = setup(t);
  const generous = new CallHistory(db, { maxCalls: 100, maxAgeMs: DAY, now });
  const ids = [1, 2, 3, 4, 5].map(() => generous.record(call('alice', 'bob')));
  const strict = new CallHistory(db, { maxCalls: 2, maxAgeMs: DAY, now });
  t.equal(strict.prune(), 0, 'nothing too old');
  t.same(strict.list('alice', { limit: 10 }).map((r) => r.id), ids.slice(3).reverse());
  t.same(strict.list('bob', { limit: 10 }).map((r) => r.id), ids.slice(3).reverse());
  t.equal(rowCount(db), 2);
});

t.test('missed calls: oldest first, for the callee, until marked notified', async (t) => {
  const { clock, history } = setup(t);
  const first = history.record(call('alice', 'bob', 'missed', clock.ms));
  history.record(call('bob', 'alice', 'missed', clock.ms + 1));
  history.record(call('carol', 'bob', 'busy', clock.ms + 2));
  history.record(call('carol', 'bob', 'answered', clock.ms + 3));
  const second = history.record(call('dave', 'bob', 'missed', clock.ms + 4));
  const missed = history.unnotifiedMissed('bob');
  t.same(missed.map((r) => r.id), [first, second]);
  t.same(missed.map((r) => r.caller), ['alice', 'dave']);
  history.markNotified([first]);
  t.same(history.unnotifiedMissed('bob').map((r) => r.id), [second]);
  t.equal(history.list('bob', { limit: 10 }).find((r) => r.id === first)?.notified, true, 'the history shows it was notified');
  history.markNotified([]);
  history.markNotified([Number.NaN, second]);
  t.same(history.unnotifiedMissed('bob'), []);
  t.equal(history.unnotifiedMissed('alice').length, 1, "the other callee's missed call is untouched");
});

t.test('a missed call the callee deleted is not announced', async (t) => {
  const { history } = setup(t);
  const id = history.record(call('alice', 'bob', 'missed'));
  history.delete('bob', id);
  t.same(history.unnotifiedMissed('bob'), []);
});

t.test('markNotified takes more ids than one statement binds', async (t) => {
  const { db, history } = setup(t, 2000);
  // Calls recorded inside an outer transaction join it: one commit for all of them.
  const ids = db.transaction(() => Array.from({ length: 1203 }, () => history.record(call('alice', 'bob', 'missed'))));
  history.markNotified(ids);
  t.same(history.unnotifiedMissed('bob'), []);
});

t.test('record is one transaction, with its pruning inside it', async (t) => {
  const { db, now } = setup(t, 2);
  let transactions = 0;
  let outside = 0;
  let inside = false;
  const counting: Db = {
    path: db.path,
    exec: (sql) => db.exec(sql),
    run: (sql, values) => (inside || outside++, db.run(sql, values)),
    get: (sql, values) => db.get(sql, values),
    all: (sql, values) => db.all(sql, values),
    transaction: (fn) => {
      transactions++;
      inside = true;
      try {
        return db.transaction(fn);
      } finally {
        inside = false;
      }
    },
    close: () => db.close(),
  };
  const history = new CallHistory(counting, { maxCalls: 2, maxAgeMs: DAY, now });
  for (let i = 0; i < 4; i++) history.record(call('alice', 'bob'));
  t.equal(transactions, 4, 'one per call');
  t.equal(outside, 0, 'no write outside it');
  t.equal(history.list('alice', { limit: 10 }).length, 2);
});

t.test('text from the network is stored as given, within limits', async (t) => {
  const { history } = setup(t);
  const hostile = "x'); DROP TABLE calls; --";
  const long = `${'a'.repeat(TEXT_MAX - 1)}😀tail`;
  history.record({
    caller: 'alice',
    callee: 'bob',
    callId: hostile,
    devices: [...Array.from({ length: DEVICES_MAX + 20 }, (_, i) => `ua ${i}`), 'x'],
    startedAt: 1,
    endedAt: 1_800_000_000_000,
    outcome: 'failed',
  });
  history.record({ ...call('alice', 'bob'), callId: long, devices: [long] });
  const [second, first] = history.list('alice', { limit: 10 });
  t.equal(first?.callId, hostile, 'bound as a parameter, kept verbatim');
  t.equal(first?.devices.length, DEVICES_MAX);
  t.equal(second?.callId, 'a'.repeat(TEXT_MAX - 1), 'cut to the limit, not through the emoji');
  t.same(second?.devices, ['a'.repeat(TEXT_MAX - 1)]);
});
