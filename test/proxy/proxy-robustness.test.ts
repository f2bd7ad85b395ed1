/**
 * The proxy under seeded random traffic: requests of every method with and without dialogs,
 * credentials, odd Routes (garbage, forged tokens, the node's own address), odd Request-URIs, and
 * devices that answer anything or nothing. Whatever comes, the proxy never throws, answers every
 * request but ACK, and once the timers have run nothing is left: no transaction, no fork.
 */
import t from 'tap';
import type { SipMessage, SipRequest } from '../../src/sip/message.js';
import type { FakeFlow } from '../helpers/fake-flow.js';
import { answer, DOMAIN, harness, NODE_IP, request, type RequestOptions } from './proxy-fixture.js';

/** mulberry32: the same sequence on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const METHODS = ['INVITE', 'MESSAGE', 'BYE', 'CANCEL', 'OPTIONS', 'ACK', 'SUBSCRIBE', 'REFER', 'PRACK', 'UPDATE', 'INFO', 'PUBLISH', 'NOTIFY'];
const RURIS = [`sip:bob@${DOMAIN}`, `sip:carol@${DOMAIN}`, `sip:nobody@${DOMAIN}`, `sip:bob@${NODE_IP}`, 'sip:bob@elsewhere.mesh', `sip:${DOMAIN}`, 'tel:+34600000000', 'sip:bob@198.18.7.7:5099;transport=tcp'];
const STATUSES = [100, 180, 183, 200, 202, 302, 404, 408, 480, 486, 487, 500, 503, 603];

t.test('seeded random traffic: no throw, every request answered, nothing left behind', async (t) => {
  const h = harness({ ringTimeoutMs: 5000 });
  const next = random(20261124);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const phones: FakeFlow[] = [];
  for (let i = 0; i < 3; i++) {
    const phone = h.flows.add({ remoteAddress: `198.18.0.${10 + i}`, remotePort: 5060 + i, transport: i === 2 ? 'ws' : 'udp' });
    h.register(pick(['bob', 'carol']), phone, `sip:dev${i}@198.18.0.${10 + i}:${5060 + i}`);
    phones.push(phone);
  }
  const recorded: string[] = [];
  const unanswered: string[] = [];
  let sent = 0;

  for (let i = 0; i < 600; i++) {
    // A third of the traffic is well-formed calls from alice, so dialogs exist to be poked at.
    const call = next() < 0.35;
    const method = call ? 'INVITE' : pick(METHODS);
    const o: RequestOptions = call ? { method, ruri: pick(RURIS.slice(0, 2)), callId: `call-${i}` } : {
      method,
      ruri: pick(RURIS),
      callId: `fuzz-${i % 40}`,
      cseq: 1 + Math.floor(next() * 5),
      ...(next() < 0.4 ? { toTag: `t${i % 7}` } : {}),
      ...(next() < 0.3 ? { maxForwards: String(Math.floor(next() * 3)) } : {}),
      ...(next() < 0.4
        ? { routes: [pick([`<sip:${NODE_IP};lr>`, '<sip:198.18.9.9;lr>', '<sip:x;lr;up=AAAA.BBBB>', 'garbage <<', ...recorded.slice(-3)])] }
        : {}),
      ...(next() < 0.1 ? { extra: ['Proxy-Require: frobnicate'] } : {}),
    };
    const before = h.alice.sent.length;
    let req: SipRequest;
    try {
      req = (call || next() < 0.5) && method !== 'ACK' && method !== 'CANCEL' && !o.toTag ? h.sendAuthenticated(o) : request(o);
    } catch {
      continue; // a message the parser refuses is the parser's test, not this one's
    }
    if (req === undefined) continue;
    sent++;
    t.doesNotThrow(() => h.deliver(req, h.alice), `request ${i}: ${method} ${o.ruri}`);
    const forwarded = phones.some((p) => p.sent.length > 0);
    if (method !== 'ACK' && h.alice.sent.length === before && !forwarded) unanswered.push(`${method} ${o.ruri}${o.toTag ? ' (in dialog)' : ''}`);

    // The devices answer whatever reached them, or stay silent; their Record-Routes feed later Routes.
    for (const phone of phones) {
      const got = phone.sent.splice(0) as SipMessage[];
      for (const m of got) {
        if (m.kind !== 'request') continue;
        for (const rr of m.headers.getAll('record-route')) recorded.push(rr);
        if (m.method === 'ACK' || next() < 0.2) continue;
        t.doesNotThrow(() => h.deliver(answer(m, pick(STATUSES)), phone));
      }
    }
    h.clock.advance(Math.floor(next() * 400));
  }
  t.ok(sent > 300, `${sent} requests sent`);
  // The traffic reached the deep paths, not only the refusals at the door.
  t.ok(h.calls.filter((c) => c.outcome.status === 200).length >= 10, `${h.calls.length} calls forked, some answered`);
  t.ok(h.calls.some((c) => c.outcome.status >= 400), 'some failed on every device');
  t.ok(h.byes.length >= 1, `${h.byes.length} BYEs routed inside a recorded dialog`);
  t.same(unanswered, [], 'every request but ACK was answered at once (100, 407 or final) or went on to a device');
  t.notOk(h.logs.some((l) => /failed|TypeError|RangeError/.test(l)), 'no handler failure was logged');

  h.clock.advance(10 * 60_000);
  t.equal(h.clientTransactions.size, 0, 'no client transaction outlives its timers');
  t.equal(h.serverTransactions.size, 0, 'no server transaction either');
  h.location.close();
  t.equal(h.clock.pending, 0, 'and, the bindings’ expiry aside, no timer is left');
});
