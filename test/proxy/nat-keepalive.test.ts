import t from 'tap';
import type { Binding } from '../../src/location/binding.js';
import { Location } from '../../src/location/location.js';
import { createLogger } from '../../src/log.js';
import { behindNat, NatKeepalive } from '../../src/proxy/nat-keepalive.js';
import type { FlowSource } from '../../src/proxy/next-hop.js';
import { parseNameAddr } from '../../src/sip/name-addr.js';
import type { SipMessage, SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { createResponse } from '../../src/sip/response.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { ClientTransactionTable } from '../../src/sip/transactions/client-transaction-table.js';
import { DEFAULT_TIMERS } from '../../src/sip/transactions/timers.js';
import { formatUri } from '../../src/sip/uri.js';
import { parseVia } from '../../src/sip/via.js';
import { LocalAddresses } from '../../src/net/local-address.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeFlow, type FakeFlowOptions } from '../helpers/fake-flow.js';

const INTERVAL = 20_000;
const HOUR = 3_600_000;

/** A FakeFlow that also notes when each message left. */
class TimedFlow extends FakeFlow {
  readonly times: number[] = [];
  constructor(private readonly clock: FakeClock, o: FakeFlowOptions) {
    super(o);
  }
  override send(message: SipMessage): boolean {
    const ok = super.send(message);
    if (ok) this.times.push(this.clock.now());
    return ok;
  }
}

function setup(t: { teardown(fn: () => unknown): void }, intervalMs = INTERVAL) {
  const clock = new FakeClock(0);
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l.trimEnd()));
  const location = new Location({ clock, logger });
  const table = new ClientTransactionTable({ clock, timers: DEFAULT_TIMERS });
  const byId = new Map<string, TimedFlow>();
  const flows: FlowSource = { flowById: (id) => byId.get(id), flowTo: () => undefined };
  const keepalive = new NatKeepalive({
    location,
    flows,
    clientTransactions: table,
    addresses: new LocalAddresses(clock.now, () => []),
    clock,
    logger,
    intervalMs,
    domain: 'test.mesh',
  });
  t.teardown(() => {
    keepalive.stop();
    table.close();
    location.close();
  });

  let port = 40000;
  /** A binding whose REGISTER came on a flow from `from` (a NAT's public side by default). */
  const register = (aor: string, contact: string, from: FakeFlowOptions = {}, extra: Partial<Binding> = {}) => {
    const transport = from.transport ?? 'udp';
    const flow = new TimedFlow(clock, {
      remoteAddress: '198.51.100.7',
      remotePort: port++,
      ...from,
      ...(transport !== 'udp' && { id: `${transport}#${port++}` }),
    });
    byId.set(flow.id, flow);
    const binding: Binding = {
      aor,
      contact,
      expiresAt: clock.now() + HOUR,
      callId: `reg-${aor}`,
      cseq: 1,
      flowId: flow.id,
      flow: { transport: flow.transport, remoteAddress: flow.remoteAddress, remotePort: flow.remotePort },
      registeredAt: clock.now(),
      ...extra,
    };
    location.save(binding);
    return { binding, flow };
  };

  /** Answer every request the flow has carried so far (retransmissions included: they are absorbed). */
  const answer = (flow: FakeFlow, status: number) => {
    for (const m of flow.sent) table.receiveResponse(createResponse(m as SipRequest, status, undefined, 'phone'));
  };

  return { clock, logs, location, table, keepalive, register, answer };
}

function branches(flow: FakeFlow): string[] {
  return [...new Set(flow.sent.map((m) => parseVia(m.headers.getAll('via')[0]!).params.get('branch')!))];
}

/** When each ping (not its retransmissions) left. */
function firstSends(flow: TimedFlow): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  flow.sent.forEach((m, i) => {
    const branch = parseVia(m.headers.getAll('via')[0]!).params.get('branch')!;
    if (!seen.has(branch)) out.push(flow.times[i]!);
    seen.add(branch);
  });
  return out;
}

t.test('behindNat: UDP bindings whose Contact names another address or port than they came from', async (t) => {
  const b = (contact: string, remoteAddress: string, remotePort: number, transport: 'udp' | 'tcp' | 'ws' = 'udp'): Binding => ({
    aor: 'a', contact, expiresAt: 1, callId: 'c', cseq: 1, flowId: 'f', flow: { transport, remoteAddress, remotePort }, registeredAt: 0,
  });
  t.ok(behindNat(b('sip:a@192.168.1.20:5060', '198.51.100.7', 5060)), 'private address, same port');
  t.ok(behindNat(b('sip:a@198.51.100.7:5060', '198.51.100.7', 61000)), 'same address, the NAT changed the port');
  t.ok(behindNat(b('sip:a@198.51.100.7', '198.51.100.7', 5070)), 'no port means 5060');
  t.ok(behindNat(b('sip:a@phone.lan:5060', '198.51.100.7', 5060)), 'a host name is not the address it came from');
  t.notOk(behindNat(b('sip:a@198.51.100.7', '198.51.100.7', 5060)), 'no port, came from 5060');
  t.notOk(behindNat(b('sip:a@198.51.100.7:5062;transport=udp', '::ffff:198.51.100.7', 5062)), 'a mapped IPv4 peer is that address');
  t.notOk(behindNat(b('sip:a@[0:0:0:0:0:0:0:1]:5070', '::1', 5070)), 'IPv6 compared by value');
  t.notOk(behindNat(b('sip:a@192.168.1.20:5060;transport=tcp', '198.51.100.7', 5060, 'tcp')), 'TCP keeps its own connection alive');
  t.notOk(behindNat(b('sip:a@df7jal23ls0d.invalid;transport=ws', '198.51.100.7', 5060, 'ws')), 'WebSocket too');
  t.notOk(behindNat(b('tel:+34600000000', '198.51.100.7', 5060)), 'not a sip URI');
  t.notOk(behindNat(b('sip:a@@@', '198.51.100.7', 5060)), 'an unreadable Contact');
});

t.test('every interval pings the UDP bindings behind NAT, and only those', async (t) => {
  const { clock, keepalive, register } = setup(t);
  const natted = register('alice', 'sip:alice@192.168.1.20:5060');
  const portOnly = register('erin', 'sip:erin@198.51.100.9:5060', { remoteAddress: '198.51.100.9', remotePort: 61000 });
  const direct = register('bob', 'sip:bob@198.51.100.8:5062', { remoteAddress: '198.51.100.8', remotePort: 5062 });
  const tcp = register('carol', 'sip:carol@192.168.1.30:5060;transport=tcp', { transport: 'tcp' });
  const ws = register('dave', 'sip:q8g3@df7jal23ls0d.invalid;transport=ws', { transport: 'ws' });
  keepalive.start();
  clock.advance(INTERVAL - 1);
  t.equal(natted.flow.sent.length, 0, 'nothing before the first interval: the REGISTER just opened the pinhole');
  clock.advance(INTERVAL);
  t.equal(branches(natted.flow).length, 1, 'the NATed binding got a ping');
  t.equal(branches(portOnly.flow).length, 1, 'so did the one whose port the NAT changed');
  t.equal(direct.flow.sent.length, 0, 'a binding reached where its Contact says is left alone');
  t.equal(tcp.flow.sent.length, 0, 'TCP bindings are never pinged');
  t.equal(ws.flow.sent.length, 0, 'WebSocket bindings are never pinged');
});

t.test('the OPTIONS is a well-formed request to the Contact (RFC 3261 §11, §8.1.1)', async (t) => {
  const { clock, keepalive, register, answer } = setup(t);
  const contact = 'sip:alice@192.168.1.20:5060;line=x7';
  const { flow } = register('alice', contact, { localAddress: '198.18.0.1', localPort: 5060 });
  const headed = register('bob', 'sip:bob@192.168.1.21:5060?Subject=hi');
  keepalive.start();
  clock.advance(INTERVAL);
  const req = parseMessage(serializeMessage(flow.sent[0]!)) as SipRequest;
  t.equal(req.kind, 'request');
  t.equal(req.method, 'OPTIONS');
  t.equal(req.uri, contact, 'Request-URI: the Contact as registered');
  t.equal(formatUri(parseNameAddr(req.headers.get('to')!).uri), contact, 'To: the Contact');
  t.equal(parseNameAddr(req.headers.get('to')!).params.get('tag'), undefined, 'no To tag outside a dialog');
  const from = parseNameAddr(req.headers.get('from')!);
  t.equal(formatUri(from.uri), 'sip:ping@test.mesh');
  t.match(from.params.get('tag'), /^[0-9a-f]{8,}$/, 'From tag');
  t.equal(req.headers.get('max-forwards'), '70');
  t.equal(req.headers.get('cseq'), '1 OPTIONS');
  t.ok(req.headers.get('call-id'), 'Call-ID');
  t.equal(req.headers.get('content-length'), '0');
  const vias = req.headers.getAll('via');
  t.equal(vias.length, 1);
  const via = parseVia(vias[0]!);
  t.equal(via.transport, 'UDP');
  t.equal(via.host, '198.18.0.1');
  t.equal(via.port, 5060);
  t.match(via.params.get('branch'), /^z9hG4bK/, 'RFC 3261 branch');
  t.ok(via.params.has('rport'), 'rport asked for (RFC 3581)');

  clock.advance(INTERVAL / 2);
  t.equal((headed.flow.sent[0] as SipRequest).uri, 'sip:bob@192.168.1.21:5060', 'URI headers are not sent in a Request-URI');

  answer(flow, 200);
  clock.advance(INTERVAL / 2);
  const second = flow.sent.at(-1)!;
  t.equal(branches(flow).length, 2, 'the next round sends a new request');
  t.not(second.headers.get('call-id'), req.headers.get('call-id'), 'with a fresh Call-ID');
  t.not(parseNameAddr(second.headers.get('from')!).params.get('tag'), from.params.get('tag'), 'and a fresh From tag');
});

t.test('the pings of a round are spread over the interval', async (t) => {
  const { clock, keepalive, register, answer } = setup(t);
  const few = Array.from({ length: 10 }, (_, i) => register(`u${i}`, `sip:u${i}@192.168.1.${i + 10}:5060`));
  keepalive.start();
  clock.advance(2 * INTERVAL - 1);
  const times = few.flatMap(({ flow }) => firstSends(flow)).sort((a, b) => a - b);
  t.same(times, [20000, 22000, 24000, 26000, 28000, 30000, 32000, 34000, 36000, 38000], 'ten pings, one every tenth of the interval');
  for (const { flow } of few) answer(flow, 200);

  const { clock: clock2, keepalive: keepalive2, register: register2 } = setup(t);
  const many = Array.from({ length: 1000 }, (_, i) => register2(`m${i}`, `sip:m${i}@10.0.${i >> 8}.${i & 255}:5060`));
  keepalive2.start();
  clock2.advance(2 * INTERVAL - 1);
  const perInstant = new Map<number, number>();
  for (const { flow } of many) for (const at of firstSends(flow)) perInstant.set(at, (perInstant.get(at) ?? 0) + 1);
  const instants = [...perInstant.keys()].sort((a, b) => a - b);
  t.equal([...perInstant.values()].reduce((a, b) => a + b, 0), 1000, 'every binding pinged once');
  t.ok(instants.length >= 300, `in ${instants.length} batches, not one burst`);
  t.ok(Math.max(...perInstant.values()) <= 4, 'a few pings per batch');
  t.ok(instants[0]! >= INTERVAL && instants.at(-1)! < 2 * INTERVAL && instants.at(-1)! - instants[0]! >= 0.9 * INTERVAL, 'across the whole interval');
});

t.test('any response keeps the binding, even a 404, 405 or 501', async (t) => {
  for (const status of [200, 404, 405, 501]) {
    const { clock, location, keepalive, register, answer, logs } = setup(t);
    const { flow } = register('alice', 'sip:alice@192.168.1.20:5060');
    keepalive.start();
    for (let round = 1; round <= 4; round++) {
      clock.advance(INTERVAL);
      answer(flow, status);
    }
    clock.advance(DEFAULT_TIMERS.f);
    t.equal(location.lookup('alice').length, 1, `still registered after ${status} answers`);
    t.ok(branches(flow).length >= 5, `pinged every round (${branches(flow).length} pings)`);
    t.notOk(logs.some((l) => l.includes('unregister')), 'nothing unregistered');
  }
});

t.test('no answer within Timer F drops the binding', async (t) => {
  const { clock, location, keepalive, register, logs, table } = setup(t, 5_000);
  const { flow } = register('alice', 'sip:alice@192.168.1.20:5060');
  const other = register('bob', 'sip:bob@192.168.1.21:5060');
  keepalive.start();
  clock.advance(5_000);
  t.equal(branches(flow).length, 1, 'one ping');
  clock.advance(DEFAULT_TIMERS.f - 1);
  t.equal(branches(flow).length, 1, 'still only one outstanding ping per binding, over several rounds');
  t.ok(flow.sent.length > 1, 'retransmitted over UDP (Timer E)');
  t.equal(location.lookup('alice').length, 1, 'kept until Timer F fires');
  clock.advance(1);
  t.same(location.lookup('alice'), [], 'dropped when Timer F fires');
  t.ok(logs.includes('info: unregister alice sip:alice@192.168.1.20:5060: no answer to keep-alive OPTIONS'), 'logged');
  const sent = flow.sent.length;
  clock.advance(2 * DEFAULT_TIMERS.f);
  t.equal(flow.sent.length, sent, 'no more pings for a dropped binding');
  t.ok(other.flow.sent.length > 0, 'bob was pinged too');
  t.same(location.lookup('bob'), [], 'and never answered either');
  t.equal(table.size, 0, 'no transaction left');
});

t.test('a provisional response proves the phone alive even if no final follows', async (t) => {
  const { clock, location, keepalive, register, answer } = setup(t);
  const { flow } = register('alice', 'sip:alice@192.168.1.20:5060');
  keepalive.start();
  clock.advance(INTERVAL);
  answer(flow, 100);
  clock.advance(DEFAULT_TIMERS.f);
  t.equal(location.lookup('alice').length, 1);
});

t.test('a REGISTER refresh while a ping is unanswered keeps the binding', async (t) => {
  const { clock, location, keepalive, register, logs } = setup(t);
  const { binding } = register('alice', 'sip:alice@192.168.1.20:5060');
  keepalive.start();
  clock.advance(INTERVAL);
  clock.advance(10_000);
  location.save({ ...binding, cseq: 2, expiresAt: clock.now() + HOUR });
  clock.advance(DEFAULT_TIMERS.f);
  t.equal(location.lookup('alice').length, 1, 'the refresh came through the pinhole: the phone is there');
  t.notOk(logs.some((l) => l.includes('unregister')));
});

t.test('bindings removed meanwhile are skipped; bindings added are pinged from the next round', async (t) => {
  const { clock, location, keepalive, register, table } = setup(t);
  const first = register('alice', 'sip:alice@192.168.1.20:5060');
  const second = register('bob', 'sip:bob@192.168.1.21:5060');
  keepalive.start();
  clock.advance(INTERVAL);
  const [pingedNow, later] = first.flow.sent.length > 0 ? [first, second] : [second, first];
  t.equal(later.flow.sent.length, 0, 'the second ping waits for its slot');
  location.remove(later.binding.aor, later.binding.contact);
  clock.advance(INTERVAL / 2);
  t.equal(later.flow.sent.length, 0, 'a binding removed before its slot is not pinged');

  location.remove(pingedNow.binding.aor, pingedNow.binding.contact);
  t.equal(table.size, 0, 'an unregistered binding takes its outstanding ping with it');

  const added = register('carol', 'sip:carol@192.168.1.22:5060');
  clock.advance(INTERVAL / 2 - 1);
  t.equal(added.flow.sent.length, 0, 'a binding added during a round waits for the next');
  clock.advance(1);
  t.equal(branches(added.flow).length, 1, 'and is pinged in it');
});

t.test('a ping the transport cannot send drops the binding; a closed socket does not', async (t) => {
  const { clock, location, keepalive, register, logs } = setup(t);
  const failing = register('alice', 'sip:alice@192.168.1.20:5060');
  failing.flow.failSends = true;
  const closed = register('bob', 'sip:bob@192.168.1.21:5060');
  closed.flow.close();
  keepalive.start();
  clock.advance(2 * INTERVAL);
  t.same(location.lookup('alice'), [], 'dropped on a transport error');
  t.ok(logs.includes('info: unregister alice sip:alice@192.168.1.20:5060: keep-alive OPTIONS could not be sent'));
  t.equal(location.lookup('bob').length, 1, 'the node losing its socket says nothing about the phone');
});

t.test('interval 0 turns the pings off', async (t) => {
  const { clock, keepalive, register, location } = setup(t, 0);
  const { flow } = register('alice', 'sip:alice@192.168.1.20:5060');
  location.close();
  keepalive.start();
  t.equal(clock.pending, 0, 'no timer armed');
  clock.advance(HOUR);
  t.equal(flow.sent.length, 0, 'nothing sent');
});

t.test('stop() clears every timer, outstanding pings included', async (t) => {
  const { clock, keepalive, register, location, table } = setup(t);
  const bindings = Array.from({ length: 5 }, (_, i) => register(`u${i}`, `sip:u${i}@192.168.1.${i + 10}:5060`));
  keepalive.start();
  clock.advance(INTERVAL + INTERVAL / 2);
  t.ok(table.size > 0, 'pings outstanding');
  keepalive.stop();
  location.close();
  t.equal(clock.pending, 0, 'no timer left');
  t.equal(table.size, 0, 'no transaction left');
  const sent = bindings.reduce((n, b) => n + b.flow.sent.length, 0);
  clock.advance(HOUR);
  t.equal(bindings.reduce((n, b) => n + b.flow.sent.length, 0), sent, 'nothing sent after stop');
  keepalive.stop();
  t.pass('stop twice is harmless');
});

