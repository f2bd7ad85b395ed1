import t from 'tap';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/response.js';
import { ClientTransactionTable } from '../../../src/sip/transactions/client-transaction-table.js';
import { InviteClientTransaction, InviteClientTransactionState } from '../../../src/sip/transactions/invite-client-transaction.js';
import { NonInviteClientTransaction, NonInviteClientTransactionState } from '../../../src/sip/transactions/non-invite-client-transaction.js';
import { transactionTimers } from '../../../src/sip/transactions/timers.js';
import type { ClientTransactionUser } from '../../../src/sip/transactions/transaction-user.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeFlow } from '../../helpers/fake-flow.js';
import { sipRequest } from '../../helpers/sip-request.js';

function request(method: string, branch = 'z9hG4bKcall1', via = `SIP/2.0/UDP 198.18.0.1:5060;branch=${branch}`): SipRequest {
  return sipRequest({ method, ruri: 'sip:bob@node2.mesh', vias: [via], to: '<sip:bob@node2.mesh>', callId: '1j9FpLxk3uxtm8tn@198.18.0.1' });
}

function recorder() {
  const events: string[] = [];
  const user: ClientTransactionUser = {
    onResponse: (r) => events.push(`response ${r.status} ${r.headers.get('cseq')}`),
    onTimeout: () => events.push('timeout'),
    onTransportError: () => events.push('transport error'),
    onTerminated: () => events.push('terminated'),
  };
  return { events, user };
}

function setup(timers = transactionTimers()) {
  const clock = new FakeClock(0);
  const table = new ClientTransactionTable({ clock, timers });
  const flow = new FakeFlow();
  return { clock, table, flow };
}

function respond(req: SipRequest, status: number): SipResponse {
  return createResponse(req, status, undefined, 'bob1');
}

t.test('start opens the right kind of transaction and sends the request', async (t) => {
  const { table, flow, clock } = setup();
  const inv = request('INVITE');
  const tx = table.start(inv, flow, recorder().user);
  t.type(tx, InviteClientTransaction);
  t.equal(tx.state, InviteClientTransactionState.Calling);
  const reg = request('REGISTER', 'z9hG4bKreg1');
  const tx2 = table.start(reg, flow, recorder().user);
  t.type(tx2, NonInviteClientTransaction);
  t.same(flow.sent, [inv, reg]);
  t.equal(table.size, 2);
  t.equal(clock.pending, 4, 'A, B, E and F');
  table.close();
});

t.test('responses match by branch and CSeq method: a CANCEL is a transaction of its own', async (t) => {
  const { table, flow, clock } = setup();
  const inv = request('INVITE');
  const invUser = recorder();
  const invTx = table.start(inv, flow, invUser.user);
  t.ok(table.receiveResponse(respond(inv, 180)));
  t.equal(invTx.state, InviteClientTransactionState.Proceeding);

  const cancel = request('CANCEL');
  const cancelUser = recorder();
  const cancelTx = table.start(cancel, flow, cancelUser.user);
  t.equal(table.size, 2, 'the INVITE\'s branch with another method is another transaction');
  t.ok(table.receiveResponse(respond(cancel, 200)));
  t.same(cancelUser.events, ['response 200 1 CANCEL']);
  t.same(invUser.events, ['response 180 1 INVITE'], 'the CANCEL\'s 200 did not reach the INVITE');
  t.equal(cancelTx.state, NonInviteClientTransactionState.Completed);
  t.equal(invTx.state, InviteClientTransactionState.Proceeding);

  t.ok(table.receiveResponse(respond(inv, 487)));
  t.same(invUser.events, ['response 180 1 INVITE', 'response 487 1 INVITE']);
  t.same(cancelUser.events, ['response 200 1 CANCEL']);
  t.equal(invTx.state, InviteClientTransactionState.Completed);
  t.equal((flow.sent.at(-1) as SipRequest).method, 'ACK');
  clock.advance(32_000);
  t.equal(table.size, 0, 'Timer K and Timer D removed both');
  t.equal(clock.pending, 0);
});

t.test('a duplicate branch for the same method is refused; the live one is untouched', async (t) => {
  const { table, flow, clock } = setup();
  const first = table.start(request('OPTIONS'), flow, recorder().user);
  t.throws(() => table.start(request('OPTIONS'), flow, recorder().user), RangeError);
  t.equal(flow.sent.length, 1, 'the duplicate was not sent');
  t.equal(table.size, 1);
  t.equal(first.state, NonInviteClientTransactionState.Trying);
  t.equal(clock.pending, 2, 'no timers armed for the duplicate');
  table.close();
});

t.test('unmatched or unreadable responses return false', async (t) => {
  const { table, flow } = setup();
  const inv = request('INVITE');
  const user = recorder();
  table.start(inv, flow, user.user);
  const cases: Record<string, (r: SipResponse) => void> = {
    'unknown branch': (r) => r.headers.set('via', 'SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKother'),
    'known branch, other method': (r) => r.headers.set('cseq', '1 BYE'),
    'no Via': (r) => r.headers.delete('via'),
    'Via without a branch': (r) => r.headers.set('via', 'SIP/2.0/UDP 198.18.0.1:5060'),
    'unreadable Via': (r) => r.headers.set('via', 'garbage'),
    'no CSeq': (r) => r.headers.delete('cseq'),
    'unreadable CSeq': (r) => r.headers.set('cseq', 'INVITE'),
  };
  for (const [name, spoil] of Object.entries(cases)) {
    const res = respond(inv, 180);
    spoil(res);
    t.notOk(table.receiveResponse(res), name);
  }
  t.same(user.events, [], 'none reached the TU');
  t.ok(table.receiveResponse(respond(inv, 180)), 'the real one matches');
  table.close();
});

t.test('a request without a top Via branch, or an ACK, opens nothing', async (t) => {
  const { table, flow, clock } = setup();
  const noVia = request('OPTIONS');
  noVia.headers.delete('via');
  t.throws(() => table.start(noVia, flow, recorder().user), RangeError, 'no Via');
  t.throws(() => table.start(request('OPTIONS', '', 'SIP/2.0/UDP 198.18.0.1:5060'), flow, recorder().user), RangeError, 'no branch');
  t.throws(() => table.start(request('ACK'), flow, recorder().user), RangeError, 'ACK');
  t.equal(table.size, 0);
  t.equal(flow.sent.length, 0);
  t.equal(clock.pending, 0);
});

t.test('terminated transactions leave the table; their branch may be reused', async (t) => {
  const { table, clock } = setup();
  const tcp = new FakeFlow({ transport: 'tcp' });
  const msg = request('MESSAGE');
  table.start(msg, tcp, recorder().user);
  t.ok(table.receiveResponse(respond(msg, 202)));
  t.equal(table.size, 0, 'Timer K is zero on TCP');
  t.notOk(table.receiveResponse(respond(msg, 202)), 'a late retransmission matches nothing');
  const again = table.start(request('MESSAGE'), tcp, recorder().user);
  t.equal(again.state, NonInviteClientTransactionState.Trying, 'the branch is free again');
  t.equal(table.size, 1);
  clock.advance(32_000);
  t.equal(table.size, 0, 'Timer F removed it');
});

t.test('a transport failure at start is reported before start returns', async (t) => {
  const { table, flow, clock } = setup();
  flow.failSends = true;
  const user = recorder();
  const tx = table.start(request('INVITE'), flow, user.user);
  t.same(user.events, ['transport error', 'terminated']);
  t.equal(tx.state, InviteClientTransactionState.Terminated);
  t.equal(table.size, 0);
  t.equal(clock.pending, 0);
});

t.test('the table\'s timers reach its transactions', async (t) => {
  const { table, flow, clock } = setup(transactionTimers({ t1: 100 }));
  const user = recorder();
  table.start(request('INVITE'), flow, user.user);
  clock.advance(6399);
  t.same(user.events, []);
  clock.advance(1);
  t.same(user.events, ['timeout', 'terminated'], 'Timer B = 64*100');
  t.equal(table.size, 0);
});

t.test('close() terminates everything and leaves no timers', async (t) => {
  const { table, flow, clock } = setup();
  const users = [recorder(), recorder(), recorder()];
  const inv = request('INVITE');
  table.start(inv, flow, users[0]!.user);
  table.start(request('CANCEL'), flow, users[1]!.user);
  const bye = request('BYE', 'z9hG4bKbye1');
  table.start(bye, flow, users[2]!.user);
  table.receiveResponse(respond(inv, 200));
  table.receiveResponse(respond(bye, 200));
  table.close();
  t.equal(table.size, 0);
  t.equal(clock.pending, 0);
  t.same(users[0]!.events, ['response 200 1 INVITE', 'terminated']);
  t.same(users[1]!.events, ['terminated']);
  t.same(users[2]!.events, ['response 200 1 BYE', 'terminated']);
  t.notOk(table.receiveResponse(respond(inv, 200)));
  table.close();
  t.equal(table.size, 0, 'closing twice is harmless');
});

t.test('flowFailed: the transactions sent on a connection that never came up fail as a failed send would (§17.1.4)', async (t) => {
  const { table, clock } = setup();
  const dead = new FakeFlow({ transport: 'tcp', id: 'tcp#7' });
  const alive = new FakeFlow({ transport: 'tcp', id: 'tcp#8' });
  const invite = recorder();
  const message = recorder();
  const elsewhere = recorder();
  const answered = recorder();
  const inv = table.start(request('INVITE', 'z9hG4bKdead1'), dead, invite.user);
  const msg = table.start(request('MESSAGE', 'z9hG4bKdead2'), dead, message.user);
  table.start(request('MESSAGE', 'z9hG4bKalive'), alive, elsewhere.user);
  const ringing = request('INVITE', 'z9hG4bKdead3');
  const rang = table.start(ringing, dead, answered.user);
  table.receiveResponse(respond(ringing, 180));
  table.receiveResponse(respond(ringing, 200));

  table.flowFailed(dead);
  t.same(invite.events, ['transport error', 'terminated']);
  t.same(message.events, ['transport error', 'terminated']);
  t.equal(inv.state, InviteClientTransactionState.Terminated);
  t.equal(msg.state, NonInviteClientTransactionState.Terminated);
  t.same(elsewhere.events, [], 'a transaction on another flow goes on');
  t.same(answered.events, ['response 180 1 INVITE', 'response 200 1 INVITE'], 'one already answered keeps its Accepted state');
  t.equal(rang.state, InviteClientTransactionState.Accepted);
  t.equal(table.size, 2);
  clock.advance(64 * 500);
  t.same(elsewhere.events, ['timeout', 'terminated'], 'no timer of the failed ones fires later');
});

t.test('a full table drops its oldest transaction that has its final response, never one waiting', async (t) => {
  const clock = new FakeClock(0);
  const table = new ClientTransactionTable({ clock, timers: transactionTimers(), maxTransactions: 3 });
  const flow = new FakeFlow();
  const waiting = table.start(request('INVITE', 'z9hG4bKwait'), flow, recorder().user);
  const answered = ['z9hG4bKa', 'z9hG4bKb'].map((b) => {
    const req = request('INVITE', b);
    const tx = table.start(req, flow, recorder().user);
    table.receiveResponse(respond(req, 200));
    return tx;
  });
  t.same(answered.map((tx) => tx.state), [InviteClientTransactionState.Accepted, InviteClientTransactionState.Accepted]);
  const newest = recorder();
  table.start(request('MESSAGE', 'z9hG4bKnew'), flow, newest.user);
  t.equal(table.size, 3);
  t.equal(answered[0]!.state, InviteClientTransactionState.Terminated, 'the oldest answered one went for room');
  t.equal(waiting.state, InviteClientTransactionState.Calling, 'the older one still waiting stays');
  t.notOk(table.receiveResponse(respond(request('INVITE', 'z9hG4bKa'), 200)), "the dropped one's retransmitted 2xx matches nothing");
  t.ok(table.receiveResponse(respond(request('INVITE', 'z9hG4bKwait'), 180)), 'the waiting one still takes its responses');
  table.start(request('MESSAGE', 'z9hG4bKnewer'), flow, recorder().user);
  t.equal(answered[1]!.state, InviteClientTransactionState.Terminated, 'then the next answered one');
  table.receiveResponse(respond(request('INVITE', 'z9hG4bKwait'), 486));
  table.start(request('MESSAGE', 'z9hG4bKnewest'), flow, recorder().user);
  t.equal(waiting.state, InviteClientTransactionState.Terminated, 'once answered, the one that waited is the one dropped, before the newer ones still waiting');
  t.equal(table.size, 3);
  table.close();
  t.equal(clock.pending, 0);
});
