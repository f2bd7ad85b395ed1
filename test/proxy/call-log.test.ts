import t from 'tap';
import { join } from 'node:path';
import { createLogger, silentLogger } from '../../src/log.js';
import { CallLog, outcomeOf } from '../../src/proxy/call-log.js';
import type { ForkOutcome } from '../../src/proxy/fork.js';
import type { CallAttempt } from '../../src/proxy/proxy.js';
import { CallHistory } from '../../src/store/call-history.js';
import type { CallRecord } from '../../src/store/call-record.js';
import { openDatabase } from '../../src/store/database.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

function attempt(outcome: Partial<ForkOutcome>, callId = 'c1'): CallAttempt {
  return {
    caller: 'alice',
    callee: 'bob',
    callId,
    outcome: { status: 200, devices: ['sip:bob@198.18.0.5'], startedAt: 1_700_000_000_000, cancelled: false, timedOut: false, ...outcome },
  };
}

function setup(options: { maxCallMs?: number; maxOpen?: number; flushMs?: number; maxBatch?: number } = {}) {
  const clock = new FakeClock();
  const rows: CallRecord[] = [];
  const writes: number[] = [];
  const log = new CallLog({
    history: {
      recordAll: (r) => {
        writes.push(r.length);
        rows.push(...r);
        return [];
      },
      maxCalls: 200,
    },
    clock,
    logger: silentLogger,
    ...options,
  });
  return { clock, rows, writes, log };
}

t.test('the callee’s view of how a call ended', async (t) => {
  t.equal(outcomeOf(attempt({ status: 200 })), 'answered');
  t.equal(outcomeOf(attempt({ status: 486 })), 'busy');
  t.equal(outcomeOf(attempt({ status: 600 })), 'busy');
  t.equal(outcomeOf(attempt({ status: 603 })), 'declined');
  t.equal(outcomeOf(attempt({ status: 480 })), 'missed', 'offline');
  t.equal(outcomeOf(attempt({ status: 487, cancelled: true })), 'missed', 'the caller hung up first');
  t.equal(outcomeOf(attempt({ status: 480, timedOut: true })), 'missed', 'nobody answered in time');
  t.equal(outcomeOf(attempt({ status: 408 })), 'missed');
  t.equal(outcomeOf(attempt({ status: 500 })), 'failed');
  t.equal(outcomeOf(attempt({ status: 404 })), 'failed');
});

t.test('an unanswered call ends at its final response, an answered one at its BYE', async (t) => {
  const { clock, rows, log } = setup();
  log.attempted(attempt({ status: 486 }, 'busy-call'));
  log.flush();
  t.equal(rows.length, 1);
  t.equal(rows[0]!.outcome, 'busy');

  log.attempted(attempt({ status: 200, answeredAt: clock.now() + 3000 }, 'talk'));
  log.flush();
  t.equal(rows.length, 1, 'nothing written while the call goes on');
  clock.advance(60_000);
  log.ended('other-call');
  log.flush();
  t.equal(rows.length, 1, 'a BYE of another dialog changes nothing');
  log.ended('talk');
  log.flush();
  t.equal(rows.length, 2, 'one row at the BYE');
  t.match(rows[1], { outcome: 'answered', callId: 'talk', endedAt: clock.now(), answeredAt: 1_700_000_003_000 });
  log.ended('talk');
  log.flush();
  t.equal(rows.length, 2, 'a second BYE (another fork, a retransmission) writes nothing more');
  t.equal(clock.pending, 0, 'no timer left');
});

t.test('ended calls are written together: after flushMs, or at once when maxBatch wait', async (t) => {
  const { clock, rows, writes, log } = setup({ flushMs: 1000, maxBatch: 3 });
  log.attempted(attempt({ status: 486 }, 'a'));
  log.attempted(attempt({ status: 603 }, 'b'));
  t.equal(rows.length, 0, 'not yet');
  clock.advance(1000);
  t.same(writes, [2], 'one write for both');
  for (const id of ['c', 'd', 'e']) log.attempted(attempt({ status: 486 }, id));
  t.same(writes, [2, 3], 'a full batch is written at once');
  t.equal(clock.pending, 0);
});

t.test('a call whose BYE never comes is written after maxCallMs; the oldest goes when too many wait', async (t) => {
  const { clock, rows, log } = setup({ maxCallMs: 1000, maxOpen: 2 });
  log.attempted(attempt({ status: 200 }, 'a'));
  clock.advance(1000);
  log.flush();
  t.same(rows.map((r) => r.callId), ['a']);
  log.attempted(attempt({ status: 200 }, 'b'));
  log.attempted(attempt({ status: 200 }, 'c'));
  log.attempted(attempt({ status: 200 }, 'd'));
  log.flush();
  t.same(rows.map((r) => r.callId), ['a', 'b'], 'b made room for d');
  log.close();
  t.same(rows.map((r) => r.callId), ['a', 'b', 'c', 'd'], 'close writes the calls still going');
  t.equal(clock.pending, 0);
});

t.test('a failing history write is logged, not thrown', async (t) => {
  const lines: string[] = [];
  const log = new CallLog({
    history: {
      recordAll: () => {
        throw new Error('disk full');
      },
      maxCalls: 200,
    },
    clock: new FakeClock(),
    logger: createLogger('error', (l) => lines.push(l)),
  });
  log.attempted(attempt({ status: 486 }));
  t.doesNotThrow(() => log.flush());
  t.match(lines.join(''), /cannot record 1 call\(s\): disk full/);
});

t.test('a history trimmed to history_max_calls is logged, rate-limited; with 0 (no history kept) it is not', async (t) => {
  for (const maxCalls of [2, 0]) {
    const db = openDatabase(join(tempDir(t), 'trucada.db'));
    t.teardown(() => db.close());
    const clock = new FakeClock();
    const lines: string[] = [];
    const log = new CallLog({ history: new CallHistory(db, { maxCalls, maxAgeMs: 86_400_000, now: clock.now }), clock, logger: createLogger('info', (l) => lines.push(l.trim())) });
    for (let i = 0; i < 2; i++) log.attempted(attempt({ status: 486 }, `c${i}`));
    log.flush();
    t.same(lines, [], `history_max_calls ${maxCalls}: nothing dropped yet, or nothing kept to drop`);
    if (maxCalls === 0) continue;
    log.attempted(attempt({ status: 486 }, 'c2'));
    log.flush();
    t.same(lines, ['info: call history of alice at history_max_calls (2): its 1 oldest call(s) dropped', 'info: call history of bob at history_max_calls (2): its 1 oldest call(s) dropped']);
    for (let i = 3; i < 20; i++) {
      log.attempted(attempt({ status: 486 }, `c${i}`));
      log.flush();
    }
    t.equal(lines.length, 10, 'at most ten lines a minute');
  }
});
