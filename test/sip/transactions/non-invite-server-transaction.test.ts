import t from 'tap';
import type { SipRequest } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/response.js';
import { NonInviteServerTransaction, NonInviteServerTransactionState as State } from '../../../src/sip/transactions/non-invite-server-transaction.js';
import { ServerTransactionTable } from '../../../src/sip/transactions/server-transaction-table.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeFlow, wireText } from '../../helpers/fake-flow.js';
import { sipRequest } from '../../helpers/sip-request.js';

function request(o: { method?: string; branch?: string; sentBy?: string } = {}): SipRequest {
  return sipRequest({ method: o.method, vias: [`SIP/2.0/UDP ${o.sentBy ?? '192.168.1.20:5062'};branch=${o.branch ?? 'z9hG4bKnashds7'}`] });
}

function setup(transport: 'udp' | 'tcp' = 'udp') {
  const clock = new FakeClock();
  const table = new ServerTransactionTable({ clock });
  const flow = new FakeFlow({ transport });
  return { clock, table, flow };
}

t.test('a retransmission in Trying is absorbed silently', async (t) => {
  const { table, flow } = setup();
  const req = request();
  t.equal(table.receive(req, flow), 'new');
  t.equal(table.receive(request(), flow), 'absorbed');
  t.equal(flow.sent.length, 0);
  t.equal(table.size, 1);
});

t.test('retransmissions after the final response get it again until Timer J', async (t) => {
  const { table, flow, clock } = setup();
  const req = request();
  table.receive(req, flow);
  const ok = createResponse(req, 200);
  t.ok(table.respond(req, ok, flow));
  t.equal(flow.sent.length, 1);
  t.equal(table.receive(request(), flow), 'absorbed');
  t.equal(flow.sent.length, 2);
  t.equal(wireText(flow.sent[1]), wireText(ok), 'the same response');
  t.notOk(table.respond(req, createResponse(req, 500), flow), 'a second final response is not sent');
  clock.advance(64 * 500 - 1);
  t.equal(table.receive(request(), flow), 'absorbed');
  clock.advance(1);
  t.equal(table.size, 0, 'Timer J = 64*T1 fired');
  t.equal(table.receive(request(), flow), 'new', 'a late copy starts afresh');
});

t.test('Proceeding resends the provisional response', async (t) => {
  const { table, flow } = setup();
  const req = request({ method: 'MESSAGE' });
  table.receive(req, flow);
  table.respond(req, createResponse(req, 100), flow);
  t.equal(table.receive(request({ method: 'MESSAGE' }), flow), 'absorbed');
  t.same(flow.sent.map((m) => (m.kind === 'response' ? m.status : 0)), [100, 100]);
  table.respond(req, createResponse(req, 202), flow);
  t.equal(table.receive(request({ method: 'MESSAGE' }), flow), 'absorbed');
  t.same(flow.sent.map((m) => (m.kind === 'response' ? m.status : 0)), [100, 100, 202, 202]);
});

t.test('reliable transports: Timer J is zero', async (t) => {
  const { table, flow } = setup('tcp');
  const req = request();
  table.receive(req, flow);
  table.respond(req, createResponse(req, 200), flow);
  t.equal(table.size, 0);
});

t.test('matching uses branch, sent-by and method (§17.2.3)', async (t) => {
  const { table, flow } = setup();
  table.receive(request(), flow);
  t.equal(table.receive(request({ branch: 'z9hG4bKother' }), flow), 'new');
  t.equal(table.receive(request({ sentBy: '192.168.1.21:5062' }), flow), 'new');
  t.equal(table.receive(request({ method: 'OPTIONS' }), flow), 'new');
  t.equal(table.receive(request({ sentBy: '192.168.1.20:5062' }), flow), 'absorbed');
  t.equal(table.size, 4);
});

t.test('RFC 2543 branches are not tracked; respond sends statelessly', async (t) => {
  const { table, flow } = setup();
  const old = request({ branch: '1234' });
  t.equal(table.receive(old, flow), 'new');
  t.equal(table.receive(request({ branch: '1234' }), flow), 'new');
  t.equal(table.size, 0);
  t.ok(table.respond(old, createResponse(old, 200), flow));
  t.equal(flow.sent.length, 1);
});

t.test('an INVITE has a transaction of its own: its retransmission, CANCEL and the ACK of a failure', async (t) => {
  const { table, flow } = setup();
  const invite = request({ method: 'INVITE' });
  t.equal(table.receive(invite, flow), 'new');
  t.equal(table.size, 1);
  t.ok(table.respond(invite, createResponse(invite, 180), flow));
  t.equal(table.receive(request({ method: 'INVITE' }), flow), 'absorbed', 'a retransmission is absorbed');
  t.equal(flow.sent.length, 2, 'and answered with the last provisional (RFC 3261 §17.2.1)');
  const cancel = request({ method: 'CANCEL' });
  t.equal(table.inviteTransactionFor(cancel)?.request, invite, 'a CANCEL with the same branch names the INVITE (§9.2)');
  t.equal(table.receive(cancel, flow), 'new', 'and is a transaction of its own');
  t.equal(table.receive(request({ method: 'ACK' }), flow), 'new', 'an ACK before a final response goes to the TU');
  t.ok(table.respond(invite, createResponse(invite, 486), flow));
  t.equal(table.receive(request({ method: 'ACK' }), flow), 'absorbed', 'the ACK of a non-2xx is the transaction\'s own');
  t.ok(table.inviteTransactionFor(cancel), 'after the final response the transaction is still found');
  t.equal(table.inviteTransactionFor(cancel)?.request, undefined, 'without its request');
  t.equal(table.inviteTransactionFor(request({ method: 'CANCEL', branch: 'z9hG4bKother' })), undefined);
  table.close();
  t.equal(table.size, 0);
});

t.test('a transport error terminates the transaction', async (t) => {
  const { table, flow } = setup();
  const req = request();
  table.receive(req, flow);
  flow.failSends = true;
  t.notOk(table.respond(req, createResponse(req, 200), flow));
  t.equal(table.size, 0);
});

t.test('an unanswered transaction is dropped after 64*T1; requests in progress are bounded', async (t) => {
  const clock = new FakeClock();
  const flow = new FakeFlow();
  const table = new ServerTransactionTable({ clock, maxInProgress: 3, maxTransactions: 5 });
  const outcomes = [0, 1, 2, 3, 4].map((i) => table.receive(request({ branch: `z9hG4bK${i}` }), flow));
  t.same(outcomes, ['new', 'new', 'new', 'overloaded', 'overloaded'], 'no transaction past three in progress');
  t.equal(table.size, 3);
  t.equal(table.receive(request({ branch: 'z9hG4bK0' }), flow), 'absorbed', 'none in progress is dropped for room');
  clock.advance(32_000);
  t.equal(table.size, 0);
  t.equal(table.inProgressCount, 0);
  t.equal(table.receive(request({ branch: 'z9hG4bK3' }), flow), 'new', 'taken once the others ended');
  table.close();
  t.equal(clock.pending, 0, 'no timers left');
});

t.test('close terminates everything and clears timers', async (t) => {
  const { table, flow, clock } = setup();
  const req = request();
  table.receive(req, flow);
  table.receive(request({ branch: 'z9hG4bK2' }), flow);
  table.respond(req, createResponse(req, 200), flow);
  table.close();
  t.equal(table.size, 0);
  t.equal(clock.pending, 0);
});

t.test('states follow Figure 8', async (t) => {
  const clock = new FakeClock();
  const flow = new FakeFlow();
  const req = request();
  let terminated = 0;
  const tx = new NonInviteServerTransaction(req, flow, { clock, onTerminated: () => terminated++ });
  t.equal(tx.state, State.Trying);
  tx.respond(createResponse(req, 100));
  t.equal(tx.state, State.Proceeding);
  tx.respond(createResponse(req, 486));
  t.equal(tx.state, State.Completed);
  clock.advance(32_000);
  t.equal(tx.state, State.Terminated);
  t.equal(terminated, 1);
});

t.test('no provisional but 100 is sent (RFC 4320 §4.1)', async (t) => {
  const { table, flow, clock } = setup();
  const req = request({ method: 'MESSAGE' });
  table.receive(req, flow);
  for (const status of [101, 180, 183, 199]) t.notOk(table.respond(req, createResponse(req, status), flow), `${status} refused`);
  t.equal(flow.sent.length, 0, 'nothing sent');
  t.equal(table.receive(request({ method: 'MESSAGE' }), flow), 'absorbed');
  t.equal(flow.sent.length, 0, 'still Trying: a retransmission is absorbed silently');
  t.ok(table.respond(req, createResponse(req, 100), flow), '100 is sent');
  t.notOk(table.respond(req, createResponse(req, 180), flow), 'a 180 after it is refused too');
  t.equal(table.receive(request({ method: 'MESSAGE' }), flow), 'absorbed');
  t.same(flow.sent.map((m) => (m.kind === 'response' ? m.status : 0)), [100, 100], 'the last one sent is resent');
  t.ok(table.respond(req, createResponse(req, 200), flow), 'the final response goes as ever');
  clock.advance(64 * 500);
  t.equal(table.size, 0);
});
