import t from 'tap';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/response.js';
import { InviteServerTransaction, InviteServerTransactionState as State } from '../../../src/sip/transactions/invite-server-transaction.js';
import type { InviteServerTransactionUser } from '../../../src/sip/transactions/transaction-user.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeFlow, wireText } from '../../helpers/fake-flow.js';
import { sipRequest } from '../../helpers/sip-request.js';

function request(method = 'INVITE'): SipRequest {
  return sipRequest({ method, ruri: 'sip:bob@node1.mesh', vias: ['SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bKinvite1'], to: `<sip:bob@node1.mesh>${method === 'ACK' ? ';tag=bob1' : ''}` });
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

function setup(o: { transport?: 'udp' | 'tcp'; user?: InviteServerTransactionUser | null } = {}) {
  const clock = new FakeClock(0);
  const flow = new TimedFlow(clock, o.transport ?? 'udp');
  const events: string[] = [];
  const acks: SipRequest[] = [];
  const user: InviteServerTransactionUser = o.user ?? {
    onAck: (ack) => {
      events.push('ack');
      acks.push(ack);
    },
    onTimeout: () => events.push('timeout'),
    onTransportError: () => events.push('transport error'),
    onTerminated: () => events.push('terminated'),
  };
  const req = request();
  const tx = new InviteServerTransaction(req, flow, {
    clock,
    ...(o.user === null ? {} : { user }),
    onTerminated: () => events.push('owner terminated'),
  });
  return { clock, flow, events, acks, req, tx };
}

function statuses(flow: FakeFlow): number[] {
  return flow.sent.map((m) => (m.kind === 'response' ? m.status : 0));
}

function answer(req: SipRequest, status: number): SipResponse {
  return createResponse(req, status, undefined, 'bob1');
}

t.test('a new transaction is in Proceeding, sends nothing and arms nothing', async (t) => {
  const { tx, flow, clock } = setup();
  t.equal(tx.state, State.Proceeding);
  t.equal(flow.sent.length, 0);
  t.equal(clock.pending, 0);
});

t.test('Proceeding: provisionals are sent; a retransmitted INVITE gets the latest', async (t) => {
  const { tx, flow, req, clock } = setup();
  tx.receiveInvite();
  t.equal(flow.sent.length, 0, 'nothing to resend before the TU answers');
  t.ok(tx.sendProvisional());
  const trying = flow.sent[0] as SipResponse;
  t.equal(trying.status, 100, 'the default provisional is a 100 Trying');
  t.equal(trying.headers.get('call-id'), req.headers.get('call-id'));
  tx.receiveInvite();
  t.equal(wireText(flow.sent[1]), wireText(trying));
  const ringing = answer(req, 180);
  t.ok(tx.sendProvisional(ringing));
  t.ok(tx.respond(answer(req, 183)), 'respond takes provisionals too');
  tx.receiveInvite();
  t.same(statuses(flow), [100, 100, 180, 183, 183]);
  tx.receiveAck(request('ACK'));
  t.equal(tx.state, State.Proceeding, 'an ACK in Proceeding is ignored');
  t.equal(clock.pending, 0, 'provisionals are not retransmitted by the transaction');
  t.throws(() => tx.sendProvisional(answer(req, 200)), RangeError);
  t.equal(tx.state, State.Proceeding);
});

t.test('UDP: a 300-699 moves to Completed; Timer G doubles up to T2; Timer H informs the TU', async (t) => {
  const { tx, flow, clock, events, req } = setup();
  const busy = answer(req, 486);
  t.ok(tx.respond(busy));
  t.equal(tx.state, State.Completed);
  t.equal(clock.pending, 2, 'G and H');
  clock.advance(31_999);
  t.same(flow.times, [0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500], 'intervals 500, 1000, 2000, then T2');
  t.ok(flow.sent.every((m) => wireText(m) === wireText(busy)), 'the same final response each time');
  t.same(events, []);
  clock.advance(1);
  t.equal(tx.state, State.Terminated, 'Timer H = 64*T1');
  t.same(events, ['timeout', 'terminated', 'owner terminated']);
  t.equal(clock.pending, 0);
  clock.advance(100_000);
  t.equal(flow.sent.length, 11);
});

t.test('Completed: a retransmitted INVITE gets the final response; no second final is accepted', async (t) => {
  const { tx, flow, req } = setup();
  tx.sendProvisional();
  const busy = answer(req, 486);
  tx.respond(busy);
  tx.receiveInvite();
  t.same(statuses(flow), [100, 486, 486]);
  t.equal(wireText(flow.sent[2]), wireText(busy));
  t.notOk(tx.respond(answer(req, 200)), 'no 2xx after a non-2xx');
  t.notOk(tx.respond(answer(req, 500)));
  t.notOk(tx.sendProvisional());
  t.equal(flow.sent.length, 3);
  t.equal(tx.state, State.Completed);
});

t.test('ACK in Completed: Confirmed absorbs stragglers until Timer I (T4)', async (t) => {
  const { tx, flow, clock, events, req } = setup();
  tx.respond(answer(req, 603));
  clock.advance(600);
  t.equal(flow.sent.length, 2, 'one Timer G resend');
  tx.receiveAck(request('ACK'));
  t.equal(tx.state, State.Confirmed);
  t.equal(clock.pending, 1, 'G and H stopped; only I');
  t.same(events, [], 'the ACK of a non-2xx is the transaction\'s own');
  tx.receiveAck(request('ACK'));
  tx.receiveInvite();
  t.notOk(tx.respond(answer(req, 200)));
  t.equal(flow.sent.length, 2, 'ACK and INVITE absorbed, nothing sent');
  clock.advance(4999);
  t.equal(tx.state, State.Confirmed);
  t.equal(flow.sent.length, 2, 'no more Timer G');
  clock.advance(1);
  t.equal(tx.state, State.Terminated, 'Timer I = T4');
  t.same(events, ['terminated', 'owner terminated']);
  t.equal(clock.pending, 0);
});

t.test('reliable flows: no Timer G, Timer H still runs, Timer I is zero', async (t) => {
  t.test('H', async (t) => {
    const { tx, flow, clock, events, req } = setup({ transport: 'tcp' });
    tx.respond(answer(req, 486));
    t.equal(clock.pending, 1, 'only H');
    clock.advance(31_999);
    t.equal(flow.sent.length, 1, 'no retransmissions');
    clock.advance(1);
    t.equal(tx.state, State.Terminated);
    t.same(events, ['timeout', 'terminated', 'owner terminated']);
  });
  t.test('I', async (t) => {
    const { tx, clock, events, req } = setup({ transport: 'tcp' });
    tx.respond(answer(req, 486));
    tx.receiveAck(request('ACK'));
    t.equal(tx.state, State.Terminated, 'straight through Confirmed');
    t.same(events, ['terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
  });
});

for (const transport of ['udp', 'tcp'] as const) {
  t.test(`${transport}: a 2xx moves to Accepted until Timer L (RFC 6026)`, async (t) => {
    const { tx, flow, clock, events, acks, req } = setup({ transport });
    tx.sendProvisional(answer(req, 180));
    const ok = answer(req, 200);
    t.ok(tx.respond(ok));
    t.equal(tx.state, State.Accepted);
    t.equal(clock.pending, 1, 'only Timer L: the 2xx is not retransmitted by the transaction');
    clock.advance(10_000);
    t.equal(flow.sent.length, 2);
    tx.receiveInvite();
    t.equal(flow.sent.length, 2, 'a retransmitted INVITE is absorbed');
    t.ok(tx.respond(ok), 'the TU (or a proxy relaying downstream retransmissions) may resend the 2xx');
    t.ok(tx.respond(answer(req, 200)), 'another 2xx too');
    t.same(statuses(flow), [180, 200, 200, 200]);
    t.notOk(tx.respond(answer(req, 180)), 'no provisional in Accepted');
    t.notOk(tx.respond(answer(req, 486)), 'no non-2xx in Accepted');
    t.equal(flow.sent.length, 4);
    const ack = request('ACK');
    tx.receiveAck(ack);
    tx.receiveAck(ack);
    t.same(acks, [ack, ack], 'ACKs in Accepted go to the TU');
    t.equal(tx.state, State.Accepted, 'the ACK does not end Accepted');
    clock.advance(32_000 - 10_000 - 1);
    t.equal(tx.state, State.Accepted);
    clock.advance(1);
    t.equal(tx.state, State.Terminated, 'Timer L = 64*T1');
    t.same(events, ['ack', 'ack', 'terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
    t.notOk(tx.respond(ok), 'nothing is sent after Terminated');
    tx.receiveAck(ack);
    t.equal(acks.length, 2);
  });
}

t.test('transport errors (§17.2.4)', async (t) => {
  t.test('a provisional in Proceeding ends the transaction', async (t) => {
    const { tx, flow, clock, events } = setup();
    flow.failSends = true;
    t.notOk(tx.sendProvisional());
    t.equal(tx.state, State.Terminated);
    t.same(events, ['transport error', 'terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
  });
  t.test('the INVITE retransmission resend in Proceeding', async (t) => {
    const { tx, flow, events } = setup();
    tx.sendProvisional();
    flow.failSends = true;
    tx.receiveInvite();
    t.equal(tx.state, State.Terminated);
    t.same(events, ['transport error', 'terminated', 'owner terminated']);
  });
  t.test('the final response ends the transaction and its new timers', async (t) => {
    const { tx, flow, clock, events, req } = setup();
    flow.failSends = true;
    t.notOk(tx.respond(answer(req, 486)));
    t.equal(tx.state, State.Terminated);
    t.same(events, ['transport error', 'terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
  });
  t.test('a Timer G resend', async (t) => {
    const { tx, flow, clock, events, req } = setup();
    tx.respond(answer(req, 486));
    flow.failSends = true;
    clock.advance(500);
    t.equal(tx.state, State.Terminated);
    t.same(events, ['transport error', 'terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
  });
  t.test('a resend for a retransmitted INVITE in Completed', async (t) => {
    const { tx, flow, clock, events, req } = setup();
    tx.respond(answer(req, 486));
    flow.failSends = true;
    tx.receiveInvite();
    t.equal(tx.state, State.Terminated);
    t.same(events, ['transport error', 'terminated', 'owner terminated']);
    t.equal(clock.pending, 0);
  });
  t.test('a 2xx informs the TU but stays in Accepted (RFC 6026)', async (t) => {
    const { tx, flow, clock, events, req } = setup();
    flow.failSends = true;
    t.notOk(tx.respond(answer(req, 200)));
    t.equal(tx.state, State.Accepted);
    t.same(events, ['transport error']);
    t.equal(clock.pending, 1, 'Timer L still runs');
    t.notOk(tx.respond(answer(req, 200)));
    t.same(events, ['transport error', 'transport error']);
    flow.failSends = false;
    t.ok(tx.respond(answer(req, 200)), 'a later resend works');
    t.equal(flow.sent.length, 1);
    clock.advance(32_000);
    t.equal(tx.state, State.Terminated);
  });
});

t.test('terminate() clears every timer, once, in every state', async (t) => {
  const drive: Record<string, (tx: InviteServerTransaction, req: SipRequest) => void> = {
    Proceeding: (tx) => tx.sendProvisional(),
    Completed: (tx, req) => tx.respond(answer(req, 486)),
    Confirmed: (tx, req) => {
      tx.respond(answer(req, 486));
      tx.receiveAck(request('ACK'));
    },
    Accepted: (tx, req) => tx.respond(answer(req, 200)),
  };
  for (const [state, to] of Object.entries(drive)) {
    const { tx, clock, events, req, flow } = setup();
    to(tx, req);
    t.equal(tx.state, state);
    tx.terminate();
    tx.terminate();
    t.equal(tx.state, State.Terminated, state);
    t.equal(clock.pending, 0, `${state}: no timers left`);
    t.same(events.filter((e) => e.includes('terminated')), ['terminated', 'owner terminated'], `${state}: told once, TU first`);
    const sent = flow.sent.length;
    tx.receiveInvite();
    clock.advance(100_000);
    t.equal(flow.sent.length, sent, `${state}: nothing sent afterwards`);
  }
});

t.test('a TU that terminates from onTimeout is told of the end once', async (t) => {
  let tx: InviteServerTransaction | undefined;
  let terminated = 0;
  const s = setup({ user: { onTimeout: () => tx?.terminate(), onTerminated: () => terminated++ } });
  tx = s.tx;
  tx.respond(answer(s.req, 486));
  s.clock.advance(32_000);
  t.equal(tx.state, State.Terminated);
  t.equal(terminated, 1);
  t.equal(s.clock.pending, 0);
});

t.test('the TU callbacks are optional', async (t) => {
  const { tx, clock, flow, req, events } = setup({ user: null });
  tx.respond(answer(req, 486));
  clock.advance(32_000);
  t.equal(tx.state, State.Terminated, 'Timer H without a user');
  const other = setup({ user: {} });
  other.tx.respond(answer(other.req, 200));
  other.tx.receiveAck(request('ACK'));
  other.flow.failSends = true;
  t.notOk(other.tx.respond(answer(other.req, 200)));
  t.equal(other.tx.state, State.Accepted);
  t.same(events, ['owner terminated']);
  t.ok(flow.sent.length > 0);
});

t.test('only an INVITE opens the transaction', async (t) => {
  const clock = new FakeClock(0);
  for (const method of ['ACK', 'OPTIONS', 'BYE']) {
    t.throws(() => new InviteServerTransaction(request(method), new FakeFlow(), { clock }), RangeError, method);
  }
  t.equal(clock.pending, 0);
});
