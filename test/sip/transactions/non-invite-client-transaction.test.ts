import t from 'tap';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/response.js';
import { NonInviteClientTransaction, NonInviteClientTransactionState as State } from '../../../src/sip/transactions/non-invite-client-transaction.js';
import { type TransactionTimers, transactionTimers } from '../../../src/sip/transactions/timers.js';
import type { ClientTransactionUser } from '../../../src/sip/transactions/transaction-user.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeFlow } from '../../helpers/fake-flow.js';
import { sipRequest } from '../../helpers/sip-request.js';

function request(method = 'OPTIONS'): SipRequest {
  return sipRequest({ method, ruri: 'sip:bob@node2.mesh', vias: ['SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKopt1'], to: '<sip:bob@node2.mesh>', callId: '1j9FpLxk3uxtm8tn@198.18.0.1', cseq: 2 });
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
  const req = request();
  const options = { clock, user, onTerminated: () => events.push('owner terminated'), ...(o.timers ? { timers: o.timers } : {}) };
  const tx = new NonInviteClientTransaction(req, flow, options);
  return { clock, flow, events, responses, req, tx };
}

function respond(req: SipRequest, status: number): SipResponse {
  return createResponse(req, status, undefined, 'bob1');
}

t.test('start sends the request in Trying with Timers E and F', async (t) => {
  const { tx, flow, clock, req } = setup();
  t.equal(tx.state, State.Trying);
  t.equal(clock.pending, 0, 'nothing armed before start');
  t.ok(tx.start());
  t.equal(flow.sent[0], req);
  t.equal(clock.pending, 2, 'E and F');
  t.notOk(tx.start(), 'a second start does nothing');
  t.equal(flow.sent.length, 1);
  t.equal(clock.pending, 2);
});

t.test('UDP Trying: Timer E doubles up to T2; Timer F informs the TU', async (t) => {
  const { tx, flow, clock, events, req } = setup();
  tx.start();
  clock.advance(31_999);
  t.same(flow.times, [0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500], 'intervals 500, 1000, 2000, then T2');
  t.ok(flow.sent.every((m) => m === req), 'every retransmission is the request');
  t.equal(tx.state, State.Trying);
  t.same(events, []);
  clock.advance(1);
  t.equal(tx.state, State.Terminated, 'Timer F = 64*T1');
  t.same(events, ['timeout', 'terminated', 'owner terminated']);
  t.equal(clock.pending, 0);
  clock.advance(100_000);
  t.equal(flow.sent.length, 11);
});

t.test('UDP Proceeding: Timer E is reset to T2; Timer F still informs the TU', async (t) => {
  const { tx, flow, clock, events, req } = setup();
  tx.start();
  clock.advance(600);
  const trying = respond(req, 100);
  tx.receiveResponse(trying);
  t.equal(tx.state, State.Proceeding);
  t.same(events, ['response 100']);
  t.equal(clock.pending, 2, 'E and F keep running');
  tx.receiveResponse(respond(req, 180));
  t.equal(tx.state, State.Proceeding);
  t.same(events, ['response 100', 'response 180'], 'every provisional goes up');
  clock.advance(32_000 - 600 - 1);
  t.same(flow.times, [0, 500, 1500, 5500, 9500, 13_500, 17_500, 21_500, 25_500, 29_500], 'after 500 and 1500 (set in Trying), every T2; in Trying it would have been 3500');
  clock.advance(1);
  t.equal(tx.state, State.Terminated);
  t.same(events.slice(2), ['timeout', 'terminated', 'owner terminated']);
  t.equal(clock.pending, 0);
});

t.test('custom timers: E from T1 capped at T2, F = 64*T1', async (t) => {
  const { tx, flow, clock, events } = setup({ timers: transactionTimers({ t1: 100, t2: 400 }) });
  tx.start();
  clock.advance(1000);
  t.same(flow.times, [0, 100, 300, 700]);
  clock.advance(6399 - 1000);
  t.same(events, []);
  t.equal(flow.times.at(-1), 6300);
  clock.advance(1);
  t.same(events, ['timeout', 'terminated', 'owner terminated']);
});

for (const from of ['Trying', 'Proceeding'] as const) {
  t.test(`UDP: a final response in ${from} moves to Completed until Timer K (T4)`, async (t) => {
    const { tx, flow, clock, events, req, responses } = setup();
    tx.start();
    if (from === 'Proceeding') tx.receiveResponse(respond(req, 180));
    clock.advance(600);
    const ok = respond(req, 200);
    tx.receiveResponse(ok);
    t.equal(tx.state, State.Completed);
    t.equal(responses.at(-1), ok);
    t.equal(clock.pending, 1, 'E and F stopped; only K');
    tx.receiveResponse(ok);
    tx.receiveResponse(respond(req, 500));
    tx.receiveResponse(respond(req, 180));
    t.equal(responses.length, from === 'Proceeding' ? 2 : 1, 'responses in Completed are absorbed');
    clock.advance(4999);
    t.equal(tx.state, State.Completed);
    t.equal(flow.sent.length, 2, 'no retransmission after the final response');
    clock.advance(1);
    t.equal(tx.state, State.Terminated, 'Timer K = T4');
    t.same(events.slice(-2), ['terminated', 'owner terminated']);
    t.notOk(events.includes('timeout'));
    t.equal(clock.pending, 0);
    tx.receiveResponse(ok);
    t.equal(responses.length, from === 'Proceeding' ? 2 : 1, 'nothing after Terminated');
  });
}

t.test('reliable flows: no Timer E; Timer K is zero', async (t) => {
  const { tx, flow, clock, events, req } = setup({ transport: 'tcp' });
  tx.start();
  t.equal(clock.pending, 1, 'only F');
  clock.advance(20_000);
  t.equal(flow.sent.length, 1, 'no retransmissions');
  tx.receiveResponse(respond(req, 100));
  t.equal(tx.state, State.Proceeding);
  tx.receiveResponse(respond(req, 404));
  t.equal(tx.state, State.Terminated, 'straight through Completed');
  t.same(events, ['response 100', 'response 404', 'terminated', 'owner terminated']);
  t.equal(clock.pending, 0);
});

t.test('reliable flows: Timer F still times out', async (t) => {
  const { tx, clock, events } = setup({ transport: 'tcp' });
  tx.start();
  clock.advance(32_000);
  t.equal(tx.state, State.Terminated);
  t.same(events, ['timeout', 'terminated', 'owner terminated']);
});

t.test('transport errors end the transaction and inform the TU (§17.1.4)', async (t) => {
  t.test('sending the request', async (t) => {
    const { tx, flow, clock, events } = setup();
    flow.failSends = true;
    t.notOk(tx.start());
    t.equal(tx.state, State.Terminated);
    t.same(events, ['transport error', 'terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
  });
  for (const from of ['Trying', 'Proceeding'] as const) {
    t.test(`a Timer E retransmission in ${from}`, async (t) => {
      const { tx, flow, clock, events, req } = setup();
      tx.start();
      if (from === 'Proceeding') tx.receiveResponse(respond(req, 100));
      flow.failSends = true;
      clock.advance(500);
      t.equal(tx.state, State.Terminated);
      t.same(events.slice(-3), ['transport error', 'terminated', 'owner terminated']);
      t.equal(clock.pending, 0);
    });
  }
});

t.test('terminate() clears every timer, once, in every state', async (t) => {
  const drive: Record<string, (tx: NonInviteClientTransaction, req: SipRequest) => void> = {
    Trying: () => {},
    Proceeding: (tx, req) => tx.receiveResponse(respond(req, 100)),
    Completed: (tx, req) => tx.receiveResponse(respond(req, 486)),
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
    t.same(events.filter((e) => e.includes('terminated')), ['terminated', 'owner terminated'], `${state}: told once, TU first`);
    clock.advance(100_000);
    t.equal(flow.sent.length, 1, `${state}: nothing sent afterwards`);
  }
});

t.test('a TU that terminates from onResponse leaves no Timer K behind', async (t) => {
  let tx: NonInviteClientTransaction | undefined;
  const s = setup({ user: { onResponse: () => tx?.terminate() } });
  tx = s.tx;
  tx.start();
  tx.receiveResponse(respond(s.req, 200));
  t.equal(tx.state, State.Terminated);
  t.equal(s.clock.pending, 0);
  t.same(s.events, ['terminated', 'owner terminated']);
});

t.test('INVITE and ACK do not open a non-INVITE client transaction', async (t) => {
  const clock = new FakeClock(0);
  const user: ClientTransactionUser = { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} };
  for (const method of ['INVITE', 'ACK']) {
    t.throws(() => new NonInviteClientTransaction(request(method), new FakeFlow(), { clock, user }), RangeError, method);
  }
  for (const method of ['CANCEL', 'BYE', 'REGISTER', 'MESSAGE']) {
    t.equal(new NonInviteClientTransaction(request(method), new FakeFlow(), { clock, user }).state, State.Trying, method);
  }
  t.equal(clock.pending, 0);
});
