import t from 'tap';
import { silentLogger } from '../../src/log.js';
import { Fork, type ForkOutcome } from '../../src/proxy/fork.js';
import { loopHash } from '../../src/proxy/loop-detection.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import { ClientTransactionTable } from '../../src/sip/transactions/client-transaction-table.js';
import { ServerTransactionTable } from '../../src/sip/transactions/server-transaction-table.js';
import { transactionTimers } from '../../src/sip/transactions/timers.js';
import { LocalAddresses } from '../../src/net/local-address.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeFlow } from '../helpers/fake-flow.js';
import { answer, INTERFACES, NODE_IP, request, requests, statuses, wire, type RequestOptions } from './proxy-fixture.js';

const ANSWERED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

/**
 * A Fork of one request from a caller on UDP to `n` devices (UDP, or TCP when `reliable`), with
 * the real transaction tables on a fake clock.
 */
function fork(n: number, o: RequestOptions & { ringTimeoutMs?: number; reliable?: boolean } = {}) {
  const clock = new FakeClock();
  const timers = transactionTimers();
  const serverTransactions = new ServerTransactionTable({ clock, timers });
  const clientTransactions = new ClientTransactionTable({ clock, timers });
  const addresses = new LocalAddresses(clock.now, () => INTERFACES);
  const caller = new FakeFlow({ remoteAddress: '198.18.0.2', remotePort: 5062, localAddress: NODE_IP });
  const devices = Array.from({ length: n }, (_, i) =>
    o.reliable
      ? new FakeFlow({ transport: 'tcp', remoteAddress: `198.18.1.${i + 1}`, remotePort: 5060, localAddress: NODE_IP, id: `tcp#${i + 1}` })
      : new FakeFlow({ remoteAddress: `198.18.1.${i + 1}`, remotePort: 5060, localAddress: NODE_IP }),
  );
  const req = request(o);
  serverTransactions.receive(req, caller);
  const outcomes: ForkOutcome[] = [];
  const f = new Fork(
    { clock, clientTransactions, serverTransactions, addresses, timers, logger: silentLogger },
    {
      request: req,
      flow: caller,
      targets: devices.map((flow, i) => ({ uri: `sip:bob@198.18.1.${i + 1}:5060`, flow, device: `device ${i + 1}` })),
      loopHash: loopHash(req, 'salt'),
      ...(o.ringTimeoutMs !== undefined ? { ringTimeoutMs: o.ringTimeoutMs } : {}),
      onDone: (outcome) => outcomes.push(outcome),
    },
  );
  f.start();
  /** The forwarded request a device received, as it read it. */
  const at = (i: number): SipRequest => wire(requests(devices[i]!.sent, req.method)[0]!);
  /** Device `i` answers its request with `status`. */
  const reply = (i: number, status: number, toTag = `dev${i + 1}`): void => {
    clientTransactions.receiveResponse(wire(answer(at(i), status, { toTag })));
  };
  const cancels = (i: number): SipRequest[] => requests(devices[i]!.sent, 'CANCEL');
  /** What the caller got, past the node's own 100. */
  const upstream = (): number[] => statuses(caller.sent);
  return { clock, timers, clientTransactions, serverTransactions, caller, devices, req, f, outcomes, at, reply, cancels, upstream };
}

t.test('an INVITE gets 100 at once and one client transaction per device, each with its own branch', async (t) => {
  const s = fork(3);
  t.same(s.upstream(), [100]);
  const branches = s.devices.map((_, i) => s.at(i).headers.getAll('via')[0]);
  t.equal(new Set(branches).size, 3);
  t.equal(s.clientTransactions.size, 3);
  t.same(s.devices.map((_, i) => s.at(i).uri), ['sip:bob@198.18.1.1:5060', 'sip:bob@198.18.1.2:5060', 'sip:bob@198.18.1.3:5060']);
  t.notOk(s.f.answered);
});

t.test('provisionals but 100 go up, with the node\'s Via taken off', async (t) => {
  const s = fork(2);
  s.reply(0, 100);
  t.same(s.upstream(), [100]);
  s.reply(0, 180);
  s.reply(1, 183);
  t.same(s.upstream(), [100, 180, 183]);
  for (const res of s.caller.sent as SipResponse[]) t.same(res.headers.getAll('via'), s.req.headers.getAll('via'));
});

t.test('first 2xx: relayed; CANCEL with Reason to the others once they sent a provisional; later 2xx relayed', async (t) => {
  const s = fork(3);
  s.reply(0, 180);
  s.clock.advance(1500);
  s.reply(1, 200);
  t.same(s.upstream(), [100, 180, 200]);
  t.ok(s.f.answered);
  t.equal(s.cancels(0).length, 1, 'ringing device cancelled at once');
  t.equal(s.cancels(0)[0]!.headers.get('reason'), ANSWERED_ELSEWHERE);
  t.same(s.cancels(1), [], 'not the one that answered');
  t.same(s.cancels(2), [], 'not before its provisional (§9.1)');
  s.reply(2, 180);
  t.same(s.upstream(), [100, 180, 200], 'no provisional after the final');
  t.equal(s.cancels(2).length, 1);
  t.equal(s.cancels(2)[0]!.headers.get('reason'), ANSWERED_ELSEWHERE);
  s.reply(0, 200);
  t.same(s.upstream(), [100, 180, 200, 200], 'a 2xx that raced the CANCEL goes up too (§16.7 step 5)');
  s.reply(2, 487);
  t.same(s.upstream(), [100, 180, 200, 200]);
  t.equal(s.outcomes.length, 1, 'one outcome');
  t.same(s.outcomes[0], {
    status: 200,
    devices: ['device 1', 'device 2', 'device 3'],
    startedAt: s.outcomes[0]!.startedAt,
    answeredAt: s.outcomes[0]!.startedAt + 1500,
    answeredBy: 'device 2',
    cancelled: false,
    timedOut: false,
  });
});

t.test('a CANCEL matches its INVITE: its Via, Request-URI, From, To, Call-ID and CSeq number (§9.1)', async (t) => {
  const s = fork(2, { routes: ['<sip:198.18.9.9;lr>'] });
  s.reply(0, 180);
  s.reply(1, 200);
  const invite = s.at(0);
  const cancel = wire(s.cancels(0)[0]!);
  t.equal(cancel.uri, invite.uri);
  t.same(cancel.headers.getAll('via'), [invite.headers.getAll('via')[0]]);
  for (const h of ['from', 'to', 'call-id']) t.equal(cancel.headers.get(h), invite.headers.get(h), h);
  t.equal(cancel.headers.get('cseq'), '1 CANCEL');
  t.same(cancel.headers.getAll('route'), invite.headers.getAll('route'));
});

t.test('every device failed: the best response; 486 beats 408 (Timer B) and 480', async (t) => {
  const s = fork(3);
  s.reply(0, 480);
  s.reply(2, 486);
  t.same(s.upstream(), [100], 'not before every branch ended');
  s.clock.advance(s.timers.b);
  t.same(s.upstream(), [100, 486]);
  t.equal(requests(s.devices[0]!.sent, 'ACK').length, 1, 'the node acknowledges each non-2xx final');
  t.match(s.outcomes[0], { status: 486, cancelled: false, timedOut: false });
  t.equal(s.outcomes[0]!.answeredAt, undefined);
});

t.test('only timeouts: 408', async (t) => {
  const s = fork(2);
  s.clock.advance(s.timers.b);
  t.same(s.upstream(), [100, 408]);
  t.ok(requests(s.devices[0]!.sent, 'INVITE').length > 1, 'retransmitted over UDP until Timer B');
});

t.test('a non-INVITE that times out (Timer F) gets no 408: the caller has given up too (RFC 4320 §4.2)', async (t) => {
  const s = fork(1, { method: 'MESSAGE' });
  t.same(s.upstream(), [], 'no 100 for a non-INVITE');
  s.clock.advance(s.timers.f);
  t.same(s.upstream(), []);
  t.match(s.outcomes, [{ status: 408 }], 'the fork still ends');
  t.equal(s.clock.pending, 0, 'nothing left behind');
});

t.test('a 6xx ends the search: the others are cancelled (without Reason) and the 6xx goes up once they end', async (t) => {
  const s = fork(3);
  s.reply(0, 180);
  s.reply(1, 180);
  s.reply(2, 603);
  t.equal(s.cancels(0).length, 1);
  t.equal(s.cancels(1).length, 1);
  t.notOk(s.cancels(0)[0]!.headers.has('reason'));
  t.same(s.upstream(), [100, 180, 180], 'the 6xx waits for the cancelled branches (§16.7 step 6)');
  s.reply(0, 487);
  s.reply(1, 487);
  t.same(s.upstream(), [100, 180, 180, 603]);
  t.match(s.outcomes[0], { status: 603 });
});

t.test('a 6xx before a branch\'s provisional: that branch is cancelled when its provisional comes', async (t) => {
  const s = fork(2);
  s.reply(0, 600);
  t.same(s.cancels(1), []);
  s.reply(1, 180);
  t.equal(s.cancels(1).length, 1);
  s.reply(1, 487);
  t.same(s.upstream(), [100, 180, 600]);
});

t.test('503 goes up as 500; a transport error counts as 503', async (t) => {
  const s = fork(1);
  s.reply(0, 503);
  t.same(s.upstream(), [100, 500]);
  t.equal((s.caller.sent.at(-1) as SipResponse).reason, 'Server Internal Error');

  const broken = fork(2);
  broken.reply(0, 503);
  broken.devices[1]!.failSends = true;
  broken.clock.advance(broken.timers.a);
  t.same(broken.upstream(), [100, 500], 'a failed retransmission is a transport error: 503, sent as 500');
});

t.test('a request that no device can be sent gets its answer while starting', async (t) => {
  const clock = new FakeClock();
  const timers = transactionTimers();
  const serverTransactions = new ServerTransactionTable({ clock, timers });
  const clientTransactions = new ClientTransactionTable({ clock, timers });
  const caller = new FakeFlow({ remoteAddress: '198.18.0.2', remotePort: 5062 });
  const dead = new FakeFlow({ transport: 'tcp', remoteAddress: '198.18.1.1', id: 'tcp#9' });
  dead.close();
  const req = request();
  serverTransactions.receive(req, caller);
  const outcomes: ForkOutcome[] = [];
  new Fork(
    { clock, clientTransactions, serverTransactions, addresses: new LocalAddresses(clock.now, () => INTERFACES), timers, logger: silentLogger },
    { request: req, flow: caller, targets: [{ uri: 'sip:bob@198.18.1.1;transport=tcp', flow: dead, device: 'd' }], loopHash: loopHash(req, 'salt'), onDone: (o) => outcomes.push(o) },
  ).start();
  t.same(statuses(caller.sent), [100, 480], 'no device could be reached: 480, not a fault of the node');
  t.match(outcomes, [{ status: 480 }]);
  t.equal(clock.pending, 2, 'only the server transaction\'s own timers (G and H) are left');
});

t.test('a device whose connection fails later is one failed branch: the others go on', async (t) => {
  const s = fork(2, { reliable: true });
  s.reply(0, 180);
  s.clientTransactions.flowFailed(s.devices[1]!);
  t.same(s.upstream(), [100, 180], 'the caller hears nothing of it');
  s.reply(0, 486);
  t.same(s.upstream(), [100, 180, 486], 'the best answer of the devices that were reached');

  const none = fork(2, { reliable: true });
  for (const device of none.devices) none.clientTransactions.flowFailed(device);
  t.same(none.upstream(), [100, 480], 'when no device could be reached: 480 Temporarily Unavailable');
  t.equal(none.caller.sent.filter((m): m is SipResponse => m.kind === 'response').at(-1)?.reason, 'Temporarily Unavailable');
  t.match(none.outcomes, [{ status: 480 }]);
});

t.test('the caller\'s CANCEL: branches cancelled with its Reason, 487 once they end', async (t) => {
  const s = fork(2);
  s.reply(0, 180);
  s.clock.advance(1000);
  s.f.cancel('SIP;cause=16;text="normal"');
  t.equal(s.cancels(0)[0]?.headers.get('reason'), 'SIP;cause=16;text="normal"');
  t.same(s.cancels(1), [], 'waits for a provisional');
  s.reply(0, 487);
  t.same(s.upstream(), [100, 180]);
  s.reply(1, 180);
  t.equal(s.cancels(1).length, 1);
  s.reply(1, 487);
  t.same(s.upstream(), [100, 180, 180, 487]);
  t.match(s.outcomes[0], { status: 487, cancelled: true, timedOut: false });
  s.clock.advance(s.timers.d);
  t.equal(s.clock.pending, 0, 'once the transactions end, no timer of the fork is left');
});

t.test('a cancelled branch that never answers is let go after 64*T1', async (t) => {
  const s = fork(1, { reliable: true });
  s.reply(0, 180);
  s.f.cancel();
  s.clock.advance(s.timers.b - 1);
  t.same(s.upstream(), [100, 180]);
  s.clock.advance(1);
  t.same(s.upstream(), [100, 180, 487]);
  t.equal(s.clientTransactions.size, 0, 'the INVITE\'s transaction is ended, and the CANCEL\'s timed out');
  t.equal(s.clock.pending, 2, 'only the server transaction\'s G and H are left');
});

t.test('a 2xx racing the caller\'s CANCEL still goes up', async (t) => {
  const s = fork(1);
  s.reply(0, 180);
  s.f.cancel();
  s.reply(0, 200);
  t.same(s.upstream(), [100, 180, 200]);
  t.match(s.outcomes[0], { status: 200 });
  t.not(s.outcomes[0]!.answeredAt, undefined);
});

t.test('ring timeout: CANCEL without Reason to every ringing branch, then 480', async (t) => {
  const s = fork(2, { ringTimeoutMs: 20_000 });
  s.reply(0, 180);
  s.reply(1, 180);
  s.clock.advance(19_999);
  t.same(s.cancels(0), []);
  s.clock.advance(1);
  t.equal(s.cancels(0).length, 1);
  t.equal(s.cancels(1).length, 1);
  t.notOk(s.cancels(0)[0]!.headers.has('reason'));
  s.reply(0, 487);
  s.reply(1, 487);
  t.same(s.upstream(), [100, 180, 180, 480]);
  t.match(s.outcomes[0], { status: 480, cancelled: false, timedOut: true });
});

t.test('a ring timeout after the answer changes nothing', async (t) => {
  const s = fork(1, { ringTimeoutMs: 5000 });
  s.reply(0, 200);
  s.clock.advance(10_000);
  t.same(s.cancels(0), []);
  t.same(s.upstream(), [100, 200]);
  t.equal(s.outcomes.length, 1);
});

t.test('a non-INVITE gets one final response: the first 2xx; no CANCEL', async (t) => {
  const s = fork(2, { method: 'MESSAGE' });
  s.reply(1, 200);
  s.reply(0, 202);
  t.same(s.upstream(), [200]);
  t.same(s.cancels(0), []);
});

t.test('a branch cancelled after another answered, that never ends, is let go after 64*T1 (§9.1)', async (t) => {
  const s = fork(2, { reliable: true });
  s.reply(0, 180);
  s.reply(1, 180);
  s.reply(1, 200);
  t.equal(s.cancels(0).length, 1);
  s.clock.advance(s.timers.b);
  t.equal(s.clientTransactions.size, 0, 'no client transaction is kept for ever');
  s.clock.advance(s.timers.l);
  t.equal(s.clock.pending, 0, 'no timer left');
  t.same(s.upstream(), [100, 180, 180, 200]);
});

t.test('after a 6xx, a cancelled branch that never ends does not turn the 6xx into a 480', async (t) => {
  const s = fork(2, { reliable: true, ringTimeoutMs: 60_000 });
  s.reply(0, 180);
  s.reply(1, 603);
  t.equal(s.cancels(0).length, 1);
  s.clock.advance(s.timers.b);
  t.same(s.upstream(), [100, 180, 603], 'the 6xx goes up once the silent branch is let go');
  t.match(s.outcomes, [{ status: 603, timedOut: false }]);
  s.clock.advance(120_000);
  t.equal(s.clock.pending, 0);
});

t.test('after a 6xx neither the ring timeout nor the caller\'s CANCEL changes the answer', async (t) => {
  for (const end of ['ring timeout', 'CANCEL'] as const) {
    const s = fork(2, { reliable: true, ringTimeoutMs: 10_000 });
    s.reply(0, 180);
    s.reply(1, 600);
    if (end === 'CANCEL') s.f.cancel();
    s.clock.advance(10_000);
    t.equal(s.cancels(0).length, 1, `${end}: one CANCEL`);
    s.clock.advance(s.timers.b);
    t.same([...new Set(s.upstream())], [100, 180, 600], `${end}: the 600 (resent by Timer G until the ACK), never a 480 or 487`);
    t.match(s.outcomes, [{ status: 600, timedOut: false, cancelled: false }]);
  }
});

t.test('2xx retransmissions from the device are relayed again (RFC 6026 Accepted)', async (t) => {
  const s = fork(1);
  s.reply(0, 200);
  s.clock.advance(500);
  s.reply(0, 200);
  t.same(s.upstream(), [100, 200, 200]);
  t.equal(s.outcomes.length, 1);
  for (const res of s.caller.sent as SipResponse[]) t.same(res.headers.getAll('via'), s.req.headers.getAll('via'));
});
