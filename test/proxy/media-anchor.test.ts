/**
 * The media anchor with the fork, on the real transaction tables and a fake clock, against a
 * stand-in for rtpengine that records each ng command and answers with an SDP naming it (the real
 * rtpengine's answers are tested in test/media and test/integration/browser-phone-audio.test.ts):
 * which branches are offered, what each device and the caller get, what is deleted when, and what
 * happens when the relay is down, fails or is overtaken by a CANCEL.
 */
import t from 'tap';
import { createLogger } from '../../src/log.js';
import type { BencodeDict } from '../../src/media/bencode.js';
import { NgUnanswered } from '../../src/media/ng-client.js';
import { RelayedCalls } from '../../src/media/relayed-calls.js';
import type { RelayState } from '../../src/media/relay-health.js';
import { Fork, type ForkTarget } from '../../src/proxy/fork.js';
import { loopHash } from '../../src/proxy/loop-detection.js';
import { MediaAnchor, type RelayMode } from '../../src/proxy/media-anchor.js';
import type { SipRequest } from '../../src/sip/message.js';
import type { TransportName } from '../../src/sip/flow.js';
import { ClientTransactionTable } from '../../src/sip/transactions/client-transaction-table.js';
import { ServerTransactionTable } from '../../src/sip/transactions/server-transaction-table.js';
import { transactionTimers } from '../../src/sip/transactions/timers.js';
import { LocalAddresses } from '../../src/net/local-address.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeFlow } from '../helpers/fake-flow.js';
import { answer, INTERFACES, NODE_IP, request, requests, statuses, wire } from './proxy-fixture.js';

const BROWSER_SDP = 'v=0\r\no=- 1 1 IN IP4 198.18.0.2\r\ns=-\r\nt=0 0\r\nm=audio 50000 UDP/TLS/RTP/SAVPF 111 0\r\na=rtpmap:111 opus/48000/2\r\n';
const PHONE_SDP = 'v=0\r\no=phone 1 1 IN IP4 198.18.1.1\r\ns=-\r\nc=IN IP4 198.18.1.1\r\nt=0 0\r\nm=audio 7078 RTP/AVP 0\r\n';
const SDP_TYPE = 'Content-Type: application/sdp';

interface Sent {
  command: string;
  params: Record<string, unknown>;
}

/** rtpengine's part: each command recorded; the SDP it gives back says which command and towards what. */
class FakeRtpengine {
  readonly sent: Sent[] = [];
  failing = false;
  held: (() => void)[] | undefined;
  checks = 0;

  request = (command: string, params: Record<string, unknown> = {}): Promise<BencodeDict> => {
    this.sent.push({ command, params });
    const reply = (): Promise<BencodeDict> =>
      this.failing
        ? Promise.reject(new NgUnanswered(command, 'no reply in 3 tries of 1000 ms'))
        : Promise.resolve({ result: 'ok', sdp: `v=0\r\ns=${command} for ${String(params['transport-protocol'])}\r\n` });
    if (!this.held) return reply();
    return new Promise((resolve, reject) => this.held!.push(() => reply().then(resolve, reject)));
  };

  readonly health = {
    state: 'up' as RelayState,
    check: async () => {
      this.checks++;
    },
  };

  commands(name: string): Sent[] {
    return this.sent.filter((s) => s.command === name);
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A caller of `callerTransport` sending `sdp` to a user whose devices reach the node over
 * `devices`, with the anchor between them: the proxy's part done by hand (newCall, settled, ended).
 */
function call(o: { caller: TransportName; sdp?: string; devices: TransportName[]; mode?: RelayMode; relay?: (r: FakeRtpengine) => void }) {
  const clock = new FakeClock();
  const timers = transactionTimers();
  const serverTransactions = new ServerTransactionTable({ clock, timers });
  const clientTransactions = new ClientTransactionTable({ clock, timers });
  const addresses = new LocalAddresses(clock.now, () => INTERFACES);
  const rtpengine = new FakeRtpengine();
  o.relay?.(rtpengine);
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l));
  const calls = new RelayedCalls({ client: rtpengine, health: rtpengine.health, logger });
  const anchor = new MediaAnchor({ calls, mode: o.mode ?? 'mixed', logger });
  const caller = new FakeFlow({ transport: o.caller, remoteAddress: '198.18.0.2', remotePort: 5062, localAddress: NODE_IP, id: `${o.caller}#caller` });
  const devices = o.devices.map(
    (transport, i) => new FakeFlow({ transport, remoteAddress: `198.18.1.${i + 1}`, remotePort: 5060, localAddress: NODE_IP, id: `${transport}#${i + 1}` }),
  );
  const sdp = o.sdp ?? (o.caller === 'wss' ? BROWSER_SDP : PHONE_SDP);
  const req = request({ body: sdp, extra: sdp ? [SDP_TYPE] : [] });
  serverTransactions.receive(req, caller);
  const statusesDone: number[] = [];
  const targets: ForkTarget[] = devices.map((flow, i) => ({ uri: `sip:bob@198.18.1.${i + 1}:5060`, flow, device: `device ${i + 1}` }));
  const anchored = anchor.newCall(req, caller, targets);
  const fork = new Fork(
    { clock, clientTransactions, serverTransactions, addresses, timers, logger },
    {
      request: req,
      flow: caller,
      targets: anchored ?? targets,
      loopHash: loopHash(req, 'salt'),
      onDone: (outcome) => {
        statusesDone.push(outcome.status);
        anchor.settled('call-1@198.18.0.2', outcome.status);
      },
    },
  );
  fork.start();
  const at = (i: number): SipRequest | undefined => requests(devices[i]!.sent, 'INVITE').map(wire)[0];
  const reply = (i: number, status: number, body = '') => {
    const res = answer(at(i)!, status, { toTag: `dev${i + 1}` });
    if (body) {
      res.headers.append('Content-Type', 'application/sdp');
      res.body = Buffer.from(body);
    }
    clientTransactions.receiveResponse(wire(res));
  };
  const upstreamBodies = () => caller.sent.filter((m) => m.kind === 'response' && m.status > 100).map((m) => m.body.toString());
  return { rtpengine, anchor, calls, anchored, fork, caller, devices, at, reply, upstreamBodies, statusesDone, logs, req };
}

t.test('a browser calls a user with a phone and a browser: only the phone\'s branch is offered to the relay', async (t) => {
  const c = call({ caller: 'wss', devices: ['udp', 'wss'] });
  t.ok(c.anchored, 'the call needs the relay');
  await settle();
  const offers = c.rtpengine.commands('offer');
  t.equal(offers.length, 1, 'one offer: the phone\'s branch');
  t.match(offers[0]!.params, { 'call-id': 'call-1@198.18.0.2', 'from-tag': 'alicetag1', 'via-branch': 'branch0', 'transport-protocol': 'RTP/AVP', ICE: 'remove' });
  t.equal(c.at(0)!.body.toString(), 'v=0\r\ns=offer for RTP/AVP\r\n', 'the phone gets the relay\'s SDP');
  t.equal(c.at(1)!.body.toString(), BROWSER_SDP, 'the browser gets the caller\'s own');

  c.reply(0, 200, PHONE_SDP);
  await settle();
  const answers = c.rtpengine.commands('answer');
  t.equal(answers.length, 1);
  t.match(answers[0]!.params, { 'from-tag': 'alicetag1', 'to-tag': 'dev1', 'via-branch': 'branch0', 'transport-protocol': 'UDP/TLS/RTP/SAVPF', ICE: 'force' });
  t.same(c.upstreamBodies(), ['v=0\r\ns=answer for UDP/TLS/RTP/SAVPF\r\n'], 'the caller gets the relay\'s answer');
  t.same(c.statusesDone, [200]);
  t.equal(c.rtpengine.commands('delete').length, 0, 'an answered call keeps its relay session');
  t.equal(c.calls.kindOf('call-1@198.18.0.2', 'dev1'), 'plain');
  t.equal(c.calls.kindOf('call-1@198.18.0.2', 'alicetag1'), 'webrtc');

  c.anchor.ended('call-1@198.18.0.2');
  t.match(c.rtpengine.commands('delete'), [{ params: { 'call-id': 'call-1@198.18.0.2', 'from-tag': 'alicetag1', 'delete-delay': 0 } }], 'the BYE deletes it');
  t.equal(c.calls.kindOf('call-1@198.18.0.2', 'dev1'), undefined);
});

t.test('a re-INVITE in a relayed call is offered to the other end in what it speaks, either way', async (t) => {
  const c = call({ caller: 'udp', devices: ['wss'] });
  await settle();
  t.match(c.rtpengine.commands('offer')[0]!.params, { 'transport-protocol': 'UDP/TLS/RTP/SAVPF' }, 'a phone\'s call is offered to the browser as DTLS-SRTP');
  c.reply(0, 200, BROWSER_SDP);
  await settle();
  const hop = new FakeFlow({ remoteAddress: '198.18.0.2', remotePort: 5062, localAddress: NODE_IP });
  for (const [fromTag, toTag, towards] of [['dev1', 'alicetag1', 'RTP/AVP'], ['alicetag1', 'dev1', 'UDP/TLS/RTP/SAVPF']] as const) {
    const reinvite = request({ fromTag, toTag, cseq: 5, body: 'v=0\r\ns=hold\r\n', extra: [SDP_TYPE] });
    const target = await c.anchor.inDialog(reinvite, { uri: 'sip:x@198.18.0.2', flow: hop, device: 'x' });
    t.equal(target?.[0]?.body?.toString(), `v=0\r\ns=offer for ${towards}\r\n`, `from ${fromTag}: offered towards ${towards}`);
    t.match(c.rtpengine.commands('offer').at(-1)!.params, { 'from-tag': fromTag, 'to-tag': toTag });
  }
  const unrelated = request({ callId: 'other@198.18.0.2', fromTag: 'a', toTag: 'b', body: 'v=0\r\n', extra: [SDP_TYPE] });
  t.equal(c.anchor.inDialog(unrelated, { uri: 'sip:x@198.18.0.2', flow: hop, device: 'x' }), undefined, 'a call that is not relayed is left alone');
});

t.test('a failed call, and one a browser answered, have their relay session deleted', async (t) => {
  const failed = call({ caller: 'wss', devices: ['udp'] });
  await settle();
  failed.reply(0, 486);
  await settle();
  t.same(failed.statusesDone, [486]);
  t.match(failed.rtpengine.commands('delete'), [{ params: { 'call-id': 'call-1@198.18.0.2', 'from-tag': 'alicetag1' } }], 'busy: deleted');

  const elsewhere = call({ caller: 'wss', devices: ['udp', 'wss'] });
  await settle();
  elsewhere.reply(1, 200, BROWSER_SDP);
  await settle();
  t.same(elsewhere.upstreamBodies(), [BROWSER_SDP], 'the browser\'s own answer reaches the caller');
  t.equal(elsewhere.rtpengine.commands('answer').length, 0);
  t.equal(elsewhere.rtpengine.commands('delete').length, 1, 'the phone\'s offer is deleted');
});

t.test('two of a kind, no SDP, or a relay that is down: no relay; mode all relays two of a kind', async (t) => {
  t.equal(call({ caller: 'wss', devices: ['wss'] }).anchored, undefined, 'browser to browser');
  t.equal(call({ caller: 'udp', devices: ['tcp', 'udp'] }).anchored, undefined, 'phone to phones');
  t.equal(call({ caller: 'wss', sdp: '', devices: ['udp'] }).anchored, undefined, 'a late offer');
  const all = call({ caller: 'udp', devices: ['udp'], mode: 'all' });
  await settle();
  t.match(all.rtpengine.commands('offer'), [{ params: { 'transport-protocol': 'RTP/AVP' } }], 'mode all: phone to phone too');

  const rtpengine = new FakeRtpengine();
  rtpengine.health.state = 'down';
  const anchor = new MediaAnchor({ calls: new RelayedCalls({ client: rtpengine, health: rtpengine.health, logger: createLogger('error', () => {}) }), mode: 'mixed', logger: createLogger('error', () => {}) });
  const caller = new FakeFlow({ transport: 'wss', localAddress: NODE_IP });
  const phone = new FakeFlow({ remoteAddress: '198.18.1.1', localAddress: NODE_IP });
  const req = request({ body: BROWSER_SDP, extra: [SDP_TYPE] });
  t.equal(anchor.newCall(req, caller, [{ uri: 'sip:bob@198.18.1.1', flow: phone, device: 'phone' }]), undefined, 'a relay marked down is not asked');
  t.equal(rtpengine.sent.length, 0);
});

t.test('an offer the relay does not answer: the call goes on with the caller\'s SDP, and the relay is checked', async (t) => {
  const c = call({ caller: 'wss', devices: ['udp'], relay: (r) => (r.failing = true) });
  await settle();
  t.equal(c.at(0)!.body.toString(), BROWSER_SDP, 'the phone gets the caller\'s own SDP');
  t.equal(c.rtpengine.checks, 1, 'the health check is asked to ping now');
  t.ok(c.logs.some((l) => /rtpengine did not answer offer: .* for call call-1@198\.18\.0\.2; the call goes on without the relay/.test(l)), 'and the log says why');
  c.reply(0, 200, PHONE_SDP);
  await settle();
  t.same(c.upstreamBodies(), [PHONE_SDP], 'the answer passes untouched');
  t.equal(c.rtpengine.commands('answer').length, 0);
});

t.test('a CANCEL while the relay makes the offer: nothing is rung, the caller gets 487 and the session goes', async (t) => {
  const c = call({ caller: 'wss', devices: ['udp'], relay: (r) => (r.held = []) });
  c.fork.cancel();
  for (const release of c.rtpengine.held!) release();
  await settle();
  await settle();
  t.equal(c.at(0), undefined, 'the phone never rang');
  t.same(statuses(c.caller.sent), [100, 487]);
  t.same(c.statusesDone, [487]);
  t.equal(c.rtpengine.commands('delete').length, 1, 'the offer made is deleted');
});
