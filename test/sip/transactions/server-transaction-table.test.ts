import t from 'tap';
import type { SipRequest } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parser.js';
import { createResponse } from '../../../src/sip/response.js';
import { NonInviteServerTransaction } from '../../../src/sip/transactions/non-invite-server-transaction.js';
import { ServerTransactionTable } from '../../../src/sip/transactions/server-transaction-table.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeFlow, wireText } from '../../helpers/fake-flow.js';
import { sipRequest } from '../../helpers/sip-request.js';

function request(branch: string, method = 'REGISTER'): SipRequest {
  return sipRequest({ method, vias: [`SIP/2.0/UDP 192.168.1.20:5062;branch=${branch}`] });
}

/** A BYE within a dialog: its To has the tag. */
function inDialog(branch: string): SipRequest {
  return parseMessage(Buffer.from(wireText(request(branch, 'BYE')).replace('To: <sip:alice@node1.mesh>', 'To: <sip:alice@node1.mesh>;tag=b1'))) as SipRequest;
}

t.test('a full table drops its oldest answered transaction, also after others ended and new ones came', async (t) => {
  const clock = new FakeClock();
  const flow = new FakeFlow();
  const table = new ServerTransactionTable({ clock, maxInProgress: 2, maxTransactions: 4 });
  const answer = (branch: string) => {
    const req = request(branch);
    t.equal(table.receive(req, flow), 'new');
    table.respond(req, createResponse(req, 200), flow);
  };
  table.receive(request('z9hG4bKpending'), flow);
  for (const b of ['z9hG4bKa', 'z9hG4bKb', 'z9hG4bKc']) answer(b);
  answer('z9hG4bKd');
  t.equal(table.size, 4, 'answered over UDP, each stays for Timer J');
  t.equal(table.receive(request('z9hG4bKpending'), flow), 'absorbed', 'the one in progress is older but never dropped');
  t.equal(table.receive(request('z9hG4bKb'), flow), 'absorbed', 'b survived: a was the oldest answered');
  t.equal(table.receive(request('z9hG4bKa'), flow), 'new', 'a was dropped; its retransmission is new again');
  const a = request('z9hG4bKa');
  table.respond(a, createResponse(a, 200), flow);
  for (let i = 0; i < 50; i++) {
    const key = `z9hG4bKn${i}`;
    answer(key);
    t.equal(table.size, 4);
    t.equal(table.receive(request(key), flow), 'absorbed', `${key} is kept: the newest is never the one dropped`);
  }
  t.equal(table.receive(request('z9hG4bKn47'), flow), 'absorbed');
  t.equal(table.receive(request('z9hG4bKn46'), flow), 'new', 'older ones were dropped in order');
  t.equal(table.receive(request('z9hG4bKpending'), flow), 'absorbed', 'and the one in progress is still there');
  table.close();
  t.equal(clock.pending, 0);
});

t.test('requests in progress are bounded; CANCEL and requests within a dialog still pass', async (t) => {
  const clock = new FakeClock();
  const flow = new FakeFlow();
  const table = new ServerTransactionTable({ clock, maxInProgress: 2, maxTransactions: 10 });
  const invite = request('z9hG4bKinv1', 'INVITE');
  t.equal(table.receive(invite, flow), 'new');
  t.equal(table.receive(request('z9hG4bKinv2', 'INVITE'), flow), 'new');
  t.equal(table.receive(request('z9hG4bKinv3', 'INVITE'), flow), 'overloaded', 'a third call is refused while two ring');
  t.equal(table.receive(request('z9hG4bKreg', 'REGISTER'), flow), 'overloaded');
  t.equal(table.receive(request('z9hG4bKinv1', 'CANCEL'), flow), 'new', 'a CANCEL ends work: taken');
  const bye = inDialog('z9hG4bKbye');
  t.equal(table.receive(bye, flow), 'new', 'a BYE within a dialog: taken');
  t.equal(table.inProgressCount, 2, 'the CANCEL and the BYE do not count against the bound');
  table.respond(invite, createResponse(invite, 180), flow);
  t.equal(table.receive(request('z9hG4bKinv3', 'INVITE'), flow), 'overloaded', 'a provisional answer leaves it in progress');
  table.respond(invite, createResponse(invite, 486), flow);
  t.equal(table.inProgressCount, 1, 'a final answer ends it');
  t.equal(table.receive(request('z9hG4bKinv3', 'INVITE'), flow), 'new', 'taken once fewer than two are in progress, with the CANCEL and the BYE still unanswered');
  table.close();
  t.equal(table.inProgressCount, 0, 'ending a transaction before its answer ends its work too');
  t.equal(clock.pending, 0);
});

t.test('requests that finish work may take the places of the table that new work leaves, no more', async (t) => {
  const clock = new FakeClock();
  const flow = new FakeFlow();
  const table = new ServerTransactionTable({ clock, maxInProgress: 2, maxTransactions: 6 });
  t.equal(table.receive(request('z9hG4bKinv1', 'INVITE'), flow), 'new');
  t.equal(table.receive(request('z9hG4bKinv2', 'INVITE'), flow), 'new');
  t.equal(table.receive(request('z9hG4bKinv1', 'CANCEL'), flow), 'new');
  const byes = ['z9hG4bKbye1', 'z9hG4bKbye2', 'z9hG4bKbye3'].map(inDialog);
  for (const bye of byes) t.equal(table.receive(bye, flow), 'new');
  t.equal(table.receive(inDialog('z9hG4bKbye4'), flow), 'overloaded', 'four that finish work are in progress');
  table.respond(byes[0]!, createResponse(byes[0]!, 200), flow);
  t.equal(table.receive(inDialog('z9hG4bKbye4'), flow), 'new', 'one answered: room for another');
  t.equal(table.size, 6, 'the answered one was dropped for it');
  table.close();
  t.equal(clock.pending, 0);
});

t.test('the place of a challenged request is held for its retry with credentials, at most half of them, for 4*T1', async (t) => {
  const clock = new FakeClock();
  const flow = new FakeFlow();
  const table = new ServerTransactionTable({ clock, maxInProgress: 4, maxTransactions: 20 });
  const call = (branch: string, callId: string) =>
    parseMessage(Buffer.from(wireText(request(branch, 'INVITE')).replace(/^Call-ID: .*$/m, `Call-ID: ${callId}`))) as SipRequest;
  const challenge = (req: SipRequest) => {
    t.equal(table.receive(req, flow), 'new');
    table.respondStatelessly(req, createResponse(req, 407), flow);
  };
  challenge(call('z9hG4bKa1', 'a'));
  challenge(call('z9hG4bKb1', 'b'));
  challenge(call('z9hG4bKc1', 'c'));
  t.equal(table.inProgressCount, 0, 'a challenge leaves nothing in progress');
  t.equal(table.receive(call('z9hG4bKx', 'x'), flow), 'new', 'two places held (half of four), two free: a new call is taken');
  t.equal(table.receive(call('z9hG4bKy', 'y'), flow), 'new');
  t.equal(table.receive(call('z9hG4bKz', 'z'), flow), 'overloaded', 'the free places are gone');
  t.equal(table.receive(call('z9hG4bKc2', 'c'), flow), 'overloaded', 'the third challenge found no place to hold: its retry is refused');
  t.equal(table.receive(call('z9hG4bKa2', 'a'), flow), 'new', 'a retry takes the place held for it');
  t.equal(table.receive(call('z9hG4bKw', 'w'), flow), 'overloaded', "three in progress and b's place held");
  clock.advance(1999);
  t.equal(table.receive(call('z9hG4bKw', 'w'), flow), 'overloaded', 'held for 4*T1');
  clock.advance(1);
  t.equal(table.receive(call('z9hG4bKw', 'w'), flow), 'new', 'then free again');
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
