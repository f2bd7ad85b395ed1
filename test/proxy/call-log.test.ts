import t from 'tap';
import { createLogger, silentLogger } from '../../src/log.js';
import { CallLog, outcomeOf } from '../../src/proxy/call-log.js';
import type { ForkOutcome } from '../../src/proxy/fork.js';
import type { CallAttempt } from '../../src/proxy/proxy.js';
import type { CallRecord } from '../../src/store/call-record.js';
import { FakeClock } from '../helpers/fake-clock.js';

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
      },
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
    },
    clock: new FakeClock(),
    logger: createLogger('error', (l) => lines.push(l)),
  });
  log.attempted(attempt({ status: 486 }));
  t.doesNotThrow(() => log.flush());
  t.match(lines.join(''), /cannot record 1 call\(s\): disk full/);
});
