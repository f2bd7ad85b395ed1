import t from 'tap';
import type { SipRequest } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parser.js';
import { createResponse } from '../../../src/sip/response.js';
import { NonInviteServerTransaction } from '../../../src/sip/transactions/non-invite-server-transaction.js';
import { ServerTransactionTable } from '../../../src/sip/transactions/server-transaction-table.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeFlow, wireText } from '../../helpers/fake-flow.js';

function request(branch: string, method = 'REGISTER'): SipRequest {
  const text = [
    `${method} sip:node1.mesh SIP/2.0`,
    `Via: SIP/2.0/UDP 192.168.1.20:5062;branch=${branch}`,
    'From: <sip:alice@node1.mesh>;tag=a73kszlfl',
    'To: <sip:alice@node1.mesh>',
    'Call-ID: 1j9FpLxk3uxtm8tn@192.168.1.20',
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

t.test('a full table drops its oldest live transaction, also after others ended and new ones came', async (t) => {
  const clock = new FakeClock();
  const flow = new FakeFlow();
  const table = new ServerTransactionTable({ clock, maxTransactions: 3 });
  for (const b of ['z9hG4bKa', 'z9hG4bKb', 'z9hG4bKc']) table.receive(request(b), flow);
  table.receive(request('z9hG4bKd'), flow);
  t.equal(table.receive(request('z9hG4bKb'), flow), 'absorbed', 'b survived: a was the oldest');
  const b = request('z9hG4bKb');
  table.respond(b, createResponse(b, 200), flow);
  t.equal(table.size, 3, 'answered over UDP, b stays for Timer J');
  for (let i = 0; i < 50; i++) {
    const key = `z9hG4bKn${i}`;
    table.receive(request(key), flow);
    t.equal(table.size, 3);
    t.equal(table.receive(request(key), flow), 'absorbed', `${key} is kept: the newest is never the one dropped`);
  }
  t.equal(table.receive(request('z9hG4bKn47'), flow), 'absorbed');
  t.equal(table.receive(request('z9hG4bKn46'), flow), 'new', 'older ones were dropped in order');
  table.close();
  t.equal(clock.pending, 0);
});

t.test('the response goes through the transaction the request opened', async (t) => {
  const clock = new FakeClock();
  const flow = new FakeFlow();
  const table = new ServerTransactionTable({ clock });
  const first = request('z9hG4bK1');
  const second = request('z9hG4bK2');
  table.receive(first, flow);
  table.receive(second, flow);
  const ok = createResponse(first, 200);
  t.ok(table.respond(first, ok, flow), 'answered after another request was received');
  t.equal(table.receive(request('z9hG4bK1'), flow), 'absorbed');
  t.equal(flow.sent.length, 2);
  t.equal(wireText(flow.sent[1]), wireText(ok), 'the retransmission got the first request\'s response');
  table.close();
});

t.test('INVITE and ACK do not open a non-INVITE transaction', async (t) => {
  const clock = new FakeClock();
  for (const method of ['INVITE', 'ACK']) {
    t.throws(() => new NonInviteServerTransaction(request('z9hG4bK9', method), new FakeFlow(), { clock, onTerminated: () => {} }), RangeError);
  }
  t.equal(clock.pending, 0);
});

t.test('a stateless answer to an INVITE is sent once and leaves no transaction (RFC 3261 §26.3.2.4)', async (t) => {
  const clock = new FakeClock();
  const flow = new FakeFlow();
  const table = new ServerTransactionTable({ clock });
  const invite = request('z9hG4bKchallenged', 'INVITE');
  table.receive(invite, flow);
  t.ok(table.respondStatelessly(invite, createResponse(invite, 407), flow));
  t.equal(table.size, 0, 'the transaction is gone');
  t.equal(clock.pending, 0, 'no Timer G or H left');
  clock.advance(64_000);
  t.equal(flow.sent.length, 1, 'one 407, never retransmitted');
  t.equal(table.receive(request('z9hG4bKchallenged', 'INVITE'), flow), 'new', 'a retransmitted INVITE is new again');
  table.close();
});
