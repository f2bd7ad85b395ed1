import t from 'tap';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/response.js';
import { InviteClientTransaction, InviteClientTransactionState as State } from '../../../src/sip/transactions/invite-client-transaction.js';
import { type TransactionTimers, transactionTimers } from '../../../src/sip/transactions/timers.js';
import type { ClientTransactionUser } from '../../../src/sip/transactions/transaction-user.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeFlow } from '../../helpers/fake-flow.js';
import { sipRequest } from '../../helpers/sip-request.js';

const TOP_VIA = 'SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKinv1';

function invite(method = 'INVITE'): SipRequest {
  return sipRequest({ method, ruri: 'sip:bob@node2.mesh', vias: [TOP_VIA], to: '<sip:bob@node2.mesh>', callId: '1j9FpLxk3uxtm8tn@198.18.0.1', cseq: 7, extra: ['Route: <sip:node2.mesh;lr>'] });
}

/** A flow that also records when each message went out (the clock starts at 0). */
class TimedFlow extends FakeFlow {
  readonly times: number[] = [];

  constructor(
    private readonly clock: FakeClock,
    transport: 'udp' | 'tcp',
  ) {
    super({ transport });
  }

  override send(message: SipMessage): boolean {
    const sent = super.send(message);
    if (sent) this.times.push(this.clock.now());
    return sent;
  }
}

function setup(o: { transport?: 'udp' | 'tcp'; timers?: TransactionTimers; user?: Partial<ClientTransactionUser> } = {}) {
  const clock = new FakeClock(0);
  const flow = new TimedFlow(clock, o.transport ?? 'udp');
  const events: string[] = [];
  const responses: SipResponse[] = [];
  const user: ClientTransactionUser = {
    onResponse: (r) => {
      events.push(`response ${r.status}`);
      responses.push(r);
    },
    onTimeout: () => events.push('timeout'),
    onTransportError: () => events.push('transport error'),
    onTerminated: () => events.push('terminated'),
    ...o.user,
  };
  const req = invite();
  const options = { clock, user, onTerminated: () => events.push('owner terminated'), ...(o.timers ? { timers: o.timers } : {}) };
  const tx = new InviteClientTransaction(req, flow, options);
  return { clock, flow, events, responses, req, tx };
}

function respond(req: SipRequest, status: number, toTag = 'bob1'): SipResponse {
  return createResponse(req, status, undefined, toTag);
}

t.test('start sends the INVITE in Calling with Timers A and B', async (t) => {
  const { tx, flow, clock, req } = setup();
  t.equal(tx.state, State.Calling);
  t.equal(clock.pending, 0, 'nothing armed before start');
  t.ok(tx.start());
  t.equal(flow.sent.length, 1);
  t.equal(flow.sent[0], req);
  t.equal(clock.pending, 2, 'A and B');
  t.notOk(tx.start(), 'a second start does nothing');
  t.equal(flow.sent.length, 1);
  t.equal(clock.pending, 2);
});

t.test('UDP: Timer A doubles without cap until Timer B informs the TU', async (t) => {
  const { tx, flow, clock, events, req } = setup();
  tx.start();
  clock.advance(31_999);
  t.same(flow.times, [0, 500, 1500, 3500, 7500, 15_500, 31_500], 'intervals 500, 1000, 2000, 4000, 8000, 16000: past T2');
  t.ok(flow.sent.every((m) => m === req), 'every retransmission is the INVITE');
  t.equal(tx.state, State.Calling);
  t.same(events, []);
  clock.advance(1);
  t.equal(tx.state, State.Terminated, 'Timer B = 64*T1');
  t.same(events, ['timeout', 'terminated', 'owner terminated']);
  t.equal(clock.pending, 0);
  clock.advance(100_000);
  t.equal(flow.sent.length, 7, 'nothing after Terminated');
});

t.test('Timer A is not capped at T2 even when T2 equals T1', async (t) => {
  const { tx, flow, clock } = setup({ timers: transactionTimers({ t1: 100, t2: 100 }) });
  tx.start();
  clock.advance(6400);
  t.same(flow.times, [0, 100, 300, 700, 1500, 3100, 6300]);
  t.equal(tx.state, State.Terminated, 'Timer B = 6400');
});

t.test('reliable flows: no Timer A, Timer B still times out', async (t) => {
  const { tx, flow, clock, events } = setup({ transport: 'tcp' });
  tx.start();
  t.equal(clock.pending, 1, 'only B');
  clock.advance(31_999);
  t.equal(flow.sent.length, 1, 'no retransmissions');
  clock.advance(1);
  t.equal(tx.state, State.Terminated);
  t.same(events, ['timeout', 'terminated', 'owner terminated']);
  t.equal(clock.pending, 0);
});

t.test('a 1xx moves Calling to Proceeding, stops A and B, and reaches the TU', async (t) => {
  const { tx, flow, clock, events, req, responses } = setup();
  tx.start();
  clock.advance(600);
  const trying = respond(req, 100);
  tx.receiveResponse(trying);
  t.equal(tx.state, State.Proceeding);
  t.equal(responses[0], trying);
  t.equal(clock.pending, 0, 'Proceeding has no timer of its own');
  tx.receiveResponse(respond(req, 180));
  tx.receiveResponse(respond(req, 180));
  t.equal(tx.state, State.Proceeding);
  t.same(events, ['response 100', 'response 180', 'response 180'], 'every provisional goes up');
  clock.advance(100_000);
  t.equal(flow.sent.length, 2, 'no retransmission after the 1xx');
  t.equal(tx.state, State.Proceeding, 'no Timer B in Proceeding');
});

for (const from of ['Calling', 'Proceeding'] as const) {
  t.test(`a 2xx in ${from} moves to Accepted; Timer M ends it`, async (t) => {
    const { tx, flow, clock, events, req, responses } = setup();
    tx.start();
    if (from === 'Proceeding') tx.receiveResponse(respond(req, 180));
    const ok = respond(req, 200);
    tx.receiveResponse(ok);
    t.equal(tx.state, State.Accepted);
    t.equal(responses.at(-1), ok);
    t.equal(clock.pending, 1, 'only Timer M: A and B are stopped');
    clock.advance(10_000);
    t.equal(flow.sent.length, 1, 'no INVITE retransmission and no ACK from the transaction');
    tx.receiveResponse(ok);
    tx.receiveResponse(respond(req, 200, 'fork2'));
    t.same(responses.slice(-2).map((r) => r.headers.get('to')), ['<sip:bob@node2.mesh>;tag=bob1', '<sip:bob@node2.mesh>;tag=fork2'], 'retransmissions and other forks\' 2xx go to the TU');
    tx.receiveResponse(respond(req, 180));
    tx.receiveResponse(respond(req, 486));
    t.equal(responses.length, from === 'Proceeding' ? 4 : 3, 'a 1xx or non-2xx in Accepted is dropped');
    t.equal(flow.sent.length, 1, 'no ACK for a stray 486');
    clock.advance(32_000 - 10_000 - 1);
    t.equal(tx.state, State.Accepted);
    clock.advance(1);
    t.equal(tx.state, State.Terminated, 'Timer M = 64*T1');
    t.equal(events.slice(-2).join(), 'terminated,owner terminated');
    t.notOk(events.includes('timeout'));
    tx.receiveResponse(ok);
    t.equal(responses.length, from === 'Proceeding' ? 4 : 3, 'nothing after Terminated');
    t.equal(clock.pending, 0);
  });
}

t.test('Accepted also lasts Timer M on reliable flows', async (t) => {
  const { tx, clock, req } = setup({ transport: 'tcp' });
  tx.start();
  tx.receiveResponse(respond(req, 200));
  clock.advance(31_999);
  t.equal(tx.state, State.Accepted);
  clock.advance(1);
  t.equal(tx.state, State.Terminated);
});

for (const from of ['Calling', 'Proceeding'] as const) {
  t.test(`a 300-699 in ${from}: ACK per §17.1.1.3, Completed, resent ACK, Timer D`, async (t) => {
    const { tx, flow, clock, events, req, responses } = setup();
    tx.start();
    if (from === 'Proceeding') tx.receiveResponse(respond(req, 183));
    const busy = respond(req, 486);
    tx.receiveResponse(busy);
    t.equal(tx.state, State.Completed);
    t.equal(responses.at(-1), busy);
    t.equal(flow.sent.length, 2);
    const ack = flow.sent[1] as SipRequest;
    t.equal(ack.method, 'ACK');
    t.equal(ack.uri, req.uri);
    t.same(ack.headers.getAll('via'), [TOP_VIA], 'the INVITE\'s branch');
    t.equal(ack.headers.get('to'), '<sip:bob@node2.mesh>;tag=bob1', 'To from the response');
    t.equal(ack.headers.get('cseq'), '7 ACK');
    t.same(ack.headers.getAll('route'), ['<sip:node2.mesh;lr>']);
    t.equal(clock.pending, 1, 'only Timer D: A and B are stopped');
    clock.advance(10_000);
    tx.receiveResponse(busy);
    tx.receiveResponse(respond(req, 486));
    t.equal(flow.sent.length, 4, 'each retransmission of the final response gets the ACK again');
    t.equal(flow.sent[2], ack);
    t.equal(flow.sent[3], ack);
    t.equal(responses.length, from === 'Proceeding' ? 2 : 1, 'retransmissions do not reach the TU');
    tx.receiveResponse(respond(req, 180));
    tx.receiveResponse(respond(req, 200));
    t.equal(flow.sent.length, 4, 'no ACK for a 1xx or 2xx in Completed');
    t.equal(responses.length, from === 'Proceeding' ? 2 : 1);
    clock.advance(32_000 - 10_000 - 1);
    t.equal(tx.state, State.Completed);
    clock.advance(1);
    t.equal(tx.state, State.Terminated, 'Timer D = 32 s');
    t.equal(events.slice(-2).join(), 'terminated,owner terminated');
    t.equal(clock.pending, 0);
    tx.receiveResponse(busy);
    t.equal(flow.sent.length, 4, 'no ACK after Terminated');
  });
}

t.test('Timer D follows a large T1 (64*T1 > 32 s)', async (t) => {
  const { tx, clock, req } = setup({ timers: transactionTimers({ t1: 1000 }) });
  tx.start();
  tx.receiveResponse(respond(req, 603));
  clock.advance(63_999);
  t.equal(tx.state, State.Completed);
  clock.advance(1);
  t.equal(tx.state, State.Terminated);
});

t.test('reliable flows: Timer D is zero', async (t) => {
  const { tx, flow, clock, events, req } = setup({ transport: 'tcp' });
  tx.start();
  tx.receiveResponse(respond(req, 404));
  t.equal(tx.state, State.Terminated);
  t.equal((flow.sent[1] as SipRequest).method, 'ACK', 'the ACK is still sent');
  t.same(events, ['response 404', 'terminated', 'owner terminated']);
  t.equal(clock.pending, 0);
});

t.test('transport errors end the transaction and inform the TU (§17.1.4)', async (t) => {
  t.test('sending the INVITE', async (t) => {
    const { tx, flow, clock, events } = setup();
    flow.failSends = true;
    t.notOk(tx.start());
    t.equal(tx.state, State.Terminated);
    t.same(events, ['transport error', 'terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
  });
  t.test('a Timer A retransmission', async (t) => {
    const { tx, flow, clock, events } = setup();
    tx.start();
    clock.advance(500);
    flow.failSends = true;
    clock.advance(1000);
    t.equal(tx.state, State.Terminated);
    t.same(events, ['transport error', 'terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
    t.same(flow.times, [0, 500]);
  });
  t.test('the ACK', async (t) => {
    const { tx, flow, clock, events, req } = setup();
    tx.start();
    flow.failSends = true;
    tx.receiveResponse(respond(req, 486));
    t.equal(tx.state, State.Terminated);
    t.same(events, ['response 486', 'transport error', 'terminated', 'owner terminated'], 'the response still reaches the TU');
    t.equal(clock.pending, 0);
  });
  t.test('the ACK resent in Completed', async (t) => {
    const { tx, flow, clock, events, req } = setup();
    tx.start();
    const busy = respond(req, 486);
    tx.receiveResponse(busy);
    flow.failSends = true;
    tx.receiveResponse(busy);
    t.equal(tx.state, State.Terminated);
    t.same(events, ['response 486', 'transport error', 'terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
  });
});

t.test('terminate() clears every timer, once, in every state', async (t) => {
  const drive: Record<string, (tx: InviteClientTransaction, req: SipRequest) => void> = {
    Calling: () => {},
    Proceeding: (tx, req) => tx.receiveResponse(respond(req, 180)),
    Accepted: (tx, req) => tx.receiveResponse(respond(req, 200)),
    Completed: (tx, req) => tx.receiveResponse(respond(req, 500)),
  };
  for (const [state, to] of Object.entries(drive)) {
    const { tx, clock, events, req, flow } = setup();
    tx.start();
    to(tx, req);
    t.equal(tx.state, state);
    tx.terminate();
    tx.terminate();
    t.equal(tx.state, State.Terminated, state);
    t.equal(clock.pending, 0, `${state}: no timers left`);
    t.same(events.filter((e) => e.includes('terminated')), ['terminated', 'owner terminated'], `${state}: told once`);
    const sent = flow.sent.length;
    clock.advance(100_000);
    t.equal(flow.sent.length, sent, `${state}: nothing sent afterwards`);
  }
});

t.test('a TU that terminates from onResponse leaves no Timer D behind', async (t) => {
  let tx: InviteClientTransaction | undefined;
  const s = setup({ user: { onResponse: () => tx?.terminate() } });
  tx = s.tx;
  tx.start();
  tx.receiveResponse(respond(s.req, 486));
  t.equal(tx.state, State.Terminated);
  t.equal(s.clock.pending, 0);
  t.same(s.events, ['terminated', 'owner terminated']);
});

t.test('only an INVITE with the headers its ACK needs opens the transaction', async (t) => {
  const clock = new FakeClock(0);
  const user: ClientTransactionUser = { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} };
  t.throws(() => new InviteClientTransaction(invite('OPTIONS'), new FakeFlow(), { clock, user }), RangeError);
  for (const name of ['via', 'from', 'to', 'call-id']) {
    const req = invite();
    req.headers.delete(name);
    t.throws(() => new InviteClientTransaction(req, new FakeFlow(), { clock, user }), RangeError, name);
  }
  const req = invite();
  req.headers.delete('cseq');
  t.throws(() => new InviteClientTransaction(req, new FakeFlow(), { clock, user }), 'no CSeq');
  t.equal(clock.pending, 0);
});
