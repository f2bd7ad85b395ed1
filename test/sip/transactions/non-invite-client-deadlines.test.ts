/**
 * A table's non-INVITE client transactions share one queue for Timer F and one for Timer K, each
 * behind one timer, and behave as RFC 3261 §17.1.2.2 says they would with timers of their own.
 */
import t from 'tap';
import type { SipRequest } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/response.js';
import { ClientTransactionTable } from '../../../src/sip/transactions/client-transaction-table.js';
import { NonInviteClientTransaction, NonInviteClientTransactionState as State } from '../../../src/sip/transactions/non-invite-client-transaction.js';
import { DEFAULT_TIMERS } from '../../../src/sip/transactions/timers.js';
import type { ClientTransactionUser } from '../../../src/sip/transactions/transaction-user.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeFlow } from '../../helpers/fake-flow.js';
import { sipRequest } from '../../helpers/sip-request.js';

function message(branch: string): SipRequest {
  return sipRequest({ method: 'MESSAGE', ruri: 'sip:bob@node2.mesh', vias: [`SIP/2.0/UDP 198.18.0.1:5060;branch=${branch}`], to: '<sip:bob@node2.mesh>', callId: '1j9FpLxk3uxtm8tn@198.18.0.1' });
}

function setup() {
  const clock = new FakeClock(0);
  const table = new ClientTransactionTable({ clock, maxTransactions: 5000 });
  const events: string[] = [];
  const user = (name: string): ClientTransactionUser => ({
    onResponse: (r) => events.push(`${name} ${r.status}`),
    onTimeout: () => events.push(`${name} timeout`),
    onTransportError: () => events.push(`${name} transport error`),
    onTerminated: () => events.push(`${name} terminated`),
  });
  const start = (name: string, flow: FakeFlow) => {
    const req = message(`z9hG4bK${name}`);
    return { req, tx: table.start(req, flow, user(name)) };
  };
  return { clock, table, events, start };
}

t.test('Timer F: one timer for every transaction waiting, each timing out 64*T1 after its request, in order', async (t) => {
  const { clock, table, events, start } = setup();
  const tcp = new FakeFlow({ transport: 'tcp' });
  for (let i = 0; i < 1000; i++) start(`a${i}`, tcp);
  t.equal(clock.pending, 1, '1000 over TCP (no Timer E): one timer');
  clock.advance(100);
  start('late', tcp);
  t.equal(clock.pending, 1);
  clock.advance(64 * 500 - 101);
  t.equal(events.length, 0, 'none before its Timer F');
  clock.advance(1);
  t.equal(events.filter((e) => e.endsWith('timeout')).length, 1000, 'the first thousand at 64*T1');
  t.same(events.slice(0, 4), ['a0 timeout', 'a0 terminated', 'a1 timeout', 'a1 terminated'], 'in order, the TU told first (§17.1.2.2)');
  t.equal(table.size, 1);
  clock.advance(100);
  t.same(events.slice(-2), ['late timeout', 'late terminated']);
  t.equal(clock.pending, 0);
});

t.test('Timer K: one timer for every completed transaction, each ending T4 after its final response', async (t) => {
  const { clock, table, events, start } = setup();
  const udp = new FakeFlow();
  const started = Array.from({ length: 1000 }, (_, i) => start(`k${i}`, udp));
  for (const { req } of started.slice(0, 500)) t.ok(table.receiveResponse(createResponse(req, 200, undefined, 'b1')));
  clock.advance(1000);
  for (const { req } of started.slice(500)) table.receiveResponse(createResponse(req, 202, undefined, 'b1'));
  t.equal(clock.pending, 1, 'no Timer E or F left, and one timer for 1000 Timer Ks');
  for (const { req } of started.slice(0, 3)) table.receiveResponse(createResponse(req, 200, undefined, 'b1'));
  t.equal(events.filter((e) => e.endsWith(' 200')).length, 500, 'a retransmitted final response is absorbed in Completed');
  clock.advance(DEFAULT_TIMERS.k - 1000 - 1);
  t.equal(table.size, 1000, 'none before T4');
  clock.advance(1);
  t.equal(table.size, 500, 'the first 500 at T4');
  t.ok(started.slice(0, 500).every(({ tx }) => tx.state === State.Terminated));
  t.ok(started.slice(500).every(({ tx }) => tx.state === State.Completed), 'the later ones still absorb retransmissions');
  clock.advance(1000);
  t.equal(table.size, 0);
  t.equal(clock.pending, 0);
});

t.test('reliable flows: Timer K is zero and nothing is queued', async (t) => {
  const { clock, table, start } = setup();
  const tcp = new FakeFlow({ transport: 'tcp' });
  const { req, tx } = start('tcp', tcp);
  table.receiveResponse(createResponse(req, 200, undefined, 'b1'));
  t.equal(tx.state, State.Terminated);
  t.equal(table.size, 0);
  t.equal(clock.pending, 0, 'no Timer F or K left');
});

t.test('a transaction ended early leaves both queues', async (t) => {
  const clock = new FakeClock(0);
  const deadlines = NonInviteClientTransaction.deadlines(clock, DEFAULT_TIMERS);
  const tcp = new FakeFlow({ transport: 'tcp' });
  const user: ClientTransactionUser = { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} };
  const txs = Array.from({ length: 10 }, (_, i) => new NonInviteClientTransaction(message(`z9hG4bK${i}`), tcp, { clock, user, deadlines }));
  for (const tx of txs) tx.start();
  t.equal(deadlines.timerF.size, 10);
  txs[0]!.terminate();
  txs[1]!.transportFailed();
  t.equal(deadlines.timerF.size, 8, 'terminated and failed ones are gone');
  const completing = new NonInviteClientTransaction(message('z9hG4bKu'), new FakeFlow(), { clock, user, deadlines });
  completing.start();
  completing.receiveResponse(createResponse(message('z9hG4bKu'), 200, undefined, 'b1'));
  t.equal(deadlines.timerK.size, 1);
  t.equal(deadlines.timerF.size, 8, 'a final response takes it from Timer F to Timer K');
  completing.terminate();
  t.equal(deadlines.timerK.size, 0);
  for (const tx of txs) tx.terminate();
  t.equal(deadlines.timerF.size, 0);
  t.equal(clock.pending, 0);
});
