/**
 * A table's non-INVITE server transactions share one queue per deadline (Timer J, and 64*T1 for an
 * answer), each behind one timer, and behave as RFC 3261 §17.2.2 says they would with a timer each.
 */
import t from 'tap';
import type { SipRequest } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/response.js';
import { nonInviteServerDeadlines } from '../../../src/sip/transactions/non-invite-server-deadlines.js';
import { NonInviteServerTransaction, NonInviteServerTransactionState as State } from '../../../src/sip/transactions/non-invite-server-transaction.js';
import { ServerTransactionTable } from '../../../src/sip/transactions/server-transaction-table.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeFlow, wireText } from '../../helpers/fake-flow.js';
import { sipRequest } from '../../helpers/sip-request.js';

function register(branch: string): SipRequest {
  return sipRequest({ vias: [`SIP/2.0/UDP 192.168.1.20:5062;branch=${branch}`] });
}

function setup() {
  const clock = new FakeClock();
  const table = new ServerTransactionTable({ clock, maxInProgress: 3000, maxTransactions: 5000 });
  const udp = new FakeFlow();
  const answer = (branch: string, flow = udp) => {
    const req = register(branch);
    t.equal(table.receive(req, flow), 'new');
    t.ok(table.respond(req, createResponse(req, 200), flow));
  };
  return { clock, table, udp, answer };
}

t.test('one timer per deadline for the whole table, however many transactions wait', async (t) => {
  const { clock, table, udp, answer } = setup();
  for (let i = 0; i < 2000; i++) answer(`z9hG4bKdone${i}`);
  t.equal(table.size, 2000);
  t.equal(clock.pending, 1, '2000 completed transactions, one timer (Timer J)');
  for (let i = 0; i < 2000; i++) table.receive(register(`z9hG4bKopen${i}`), udp);
  t.equal(table.size, 4000);
  t.equal(clock.pending, 2, 'and one more for 2000 unanswered');
  clock.advance(64 * 500);
  t.equal(table.size, 0, 'every one ended at 64*T1');
  t.equal(clock.pending, 0, 'no timer left');
});

t.test('transactions end in the order they completed, each 64*T1 after its final response', async (t) => {
  const { clock, table, udp, answer } = setup();
  answer('z9hG4bKa');
  clock.advance(100);
  answer('z9hG4bKb');
  clock.advance(100);
  answer('z9hG4bKc');
  clock.advance(64 * 500 - 200 - 1);
  t.equal(table.size, 3, 'none before its Timer J');
  clock.advance(1);
  t.equal(table.size, 2, 'a went at 32 s');
  t.equal(table.receive(register('z9hG4bKb'), udp), 'absorbed', 'b still waits');
  clock.advance(99);
  t.equal(table.size, 2);
  clock.advance(1);
  t.equal(table.size, 1, 'b went 100 ms later');
  clock.advance(100);
  t.equal(table.size, 0, 'then c');
  t.equal(clock.pending, 0);
});

t.test('a retransmitted request gets the final response again until Timer J, and is new after', async (t) => {
  const { clock, table, udp, answer } = setup();
  for (const b of ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3']) answer(b);
  const finals = udp.sent.map(wireText);
  clock.advance(64 * 500 - 1);
  for (const b of ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3']) t.equal(table.receive(register(b), udp), 'absorbed');
  t.same(udp.sent.slice(3).map(wireText), finals, 'each got its own response again');
  clock.advance(1);
  for (const b of ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3']) t.equal(table.receive(register(b), udp), 'new', 'after Timer J a copy starts afresh');
  t.equal(udp.sent.length, 6, 'and is not answered by the transaction');
  table.close();
  t.equal(clock.pending, 0);
});

t.test('reliable transports: Timer J is zero and nothing is queued', async (t) => {
  const { clock, table, answer } = setup();
  const tcp = new FakeFlow({ transport: 'tcp' });
  answer('z9hG4bKudp');
  for (let i = 0; i < 100; i++) answer(`z9hG4bKtcp${i}`, tcp);
  t.equal(table.size, 1, 'only the UDP one waits');
  t.equal(clock.pending, 1);
  t.equal(table.receive(register('z9hG4bKtcp0'), tcp), 'new', 'a TCP request after its answer is a new one');
  table.close();
  t.equal(clock.pending, 0);
});

t.test('a transaction ended early leaves its queue: the queues hold no more than the live ones', async (t) => {
  const clock = new FakeClock();
  const deadlines = nonInviteServerDeadlines(clock, 500);
  const udp = new FakeFlow();
  const live = new Set<NonInviteServerTransaction>();
  const open = (branch: string) => {
    const tx = new NonInviteServerTransaction(register(branch), udp, { clock, deadlines, onTerminated: (ended) => live.delete(ended) });
    live.add(tx);
    return tx;
  };
  const txs = Array.from({ length: 100 }, (_, i) => open(`z9hG4bK${i}`));
  t.equal(deadlines.unanswered.size, 100);
  for (const tx of txs.slice(0, 50)) tx.respond(createResponse(register('z9hG4bKx'), 200));
  t.equal(deadlines.unanswered.size, 50, 'answered ones leave the unanswered queue');
  t.equal(deadlines.timerJ.size, 50, 'for Timer J');
  for (const tx of txs.slice(25, 75)) tx.terminate();
  t.equal(deadlines.timerJ.size, 25, 'dropped for room: gone from Timer J');
  t.equal(deadlines.unanswered.size, 25, 'and from the unanswered queue');
  udp.failSends = true;
  t.notOk(txs[80]!.respond(createResponse(register('z9hG4bKx'), 200)), 'a transport error (§17.2.4)');
  t.equal(txs[80]!.state, State.Terminated);
  t.equal(deadlines.timerJ.size + deadlines.unanswered.size, live.size, 'what the queues hold is what lives');
  clock.advance(64 * 500);
  t.equal(live.size, 0);
  t.equal(clock.pending, 0);
});
