// The mDNS channel on a fake link: crafted packets in, what it hands the sink and what it sends out.
import { decode, encode, type Answer } from 'dns-packet';
import t from 'tap';
import { parseBeacon } from '../../src/federation/beacon.js';
import { readTxt } from '../../src/federation/dns-sd-txt.js';
import { MAX_INSTANCES } from '../../src/federation/mdns-browser.js';
import { MdnsChannel, type MdnsMode } from '../../src/federation/mdns-channel.js';
import type { MdnsInterface, MdnsTransport } from '../../src/federation/mdns-socket.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';

const SELF = 'a'.repeat(26);
const PEER = 'b'.repeat(26);
const IFACE: MdnsInterface = { name: 'mesh0', address: '10.0.0.1', netmask: '255.255.255.0', ipv4: ['10.0.0.1'], ipv6: [] };
const PEER_AT = { address: '10.0.0.2', port: 5353 };

function setup(t: { teardown(fn: () => unknown): void }, mode: MdnsMode = 'announce') {
  const clock = new FakeClock();
  const sent: { packet: ReturnType<typeof decode>; to?: { address: string; port: number } }[] = [];
  const events: string[] = [];
  const warnings: string[] = [];
  let handler: (bytes: Buffer, from: { address: string; port: number }) => void = () => {};
  const transport: MdnsTransport = {
    open: async (onPacket) => void (handler = onPacket),
    interfaces: () => [IFACE],
    interfaceFor: (a) => (a.startsWith('10.0.0.') ? IFACE : undefined),
    send: (bytes, _iface, to) => void sent.push({ packet: decode(bytes), to }),
    close: async () => {},
  };
  let seq = 1;
  const logger = { ...createLogger('error', () => {}), warn: (m: string) => void warnings.push(m) };
  const channel = new MdnsChannel(
    {
      sink: { heard: (text) => void events.push(`heard ${text.toString().trim()}`), gone: (id) => void events.push(`gone ${id}`) },
      own: () => ({ id: SELF, domain: 'self.mesh', address: '10.0.0.1', port: 8443, seq }),
      clock,
      logger,
    },
    { mode, sipPort: () => 5060, listen: [], transport },
  );
  t.teardown(() => channel.stop());
  return { clock, sent, events, warnings, channel, receive: (bytes: Buffer, from = PEER_AT) => handler(bytes, from), setSeq: (n: number) => void (seq = n) };
}

function txt(id: string, ttl = 120, extra: Buffer[] = []): Answer {
  const data = [`id=${id}`, 'domain=peer.mesh', 'seq=4', 'port=8444'].map((s) => Buffer.from(s));
  return { name: `x._trucada._tcp.local`, type: 'TXT', ttl, data: [...data, ...extra] };
}
const response = (...answers: Answer[]) => encode({ type: 'response', flags: 1 << 10, answers });

t.test('a TXT heard becomes a beacon from the source address; its TTL running out makes it gone', async (t) => {
  const s = setup(t, 'browse');
  await s.channel.start();
  s.receive(response(txt(PEER, 10)));
  t.equal(s.events.length, 1);
  const parsed = parseBeacon(s.events[0]!.slice('heard '.length));
  t.same(parsed.ok && parsed.beacon, { id: PEER, domain: 'peer.mesh', address: '10.0.0.2', port: 8444, seq: 4 });
  s.clock.advance(8500);
  t.ok(s.sent.some((p) => p.packet.questions?.some((q) => q.type === 'TXT' && q.name === 'x._trucada._tcp.local')), 'asked again at 80 % of the TTL (RFC 6762 §5.2)');
  s.clock.advance(2000);
  t.same(s.events.slice(1), [`gone ${PEER}`]);
});

t.test('a goodbye (TTL 0) makes it gone a second later unless announced again', async (t) => {
  const s = setup(t, 'browse');
  await s.channel.start();
  s.receive(response(txt(PEER)));
  s.receive(response(txt(PEER, 0)));
  s.receive(response(txt(PEER)));
  s.clock.advance(1500);
  t.notOk(s.events.includes(`gone ${PEER}`), 'announced again within the second');
  s.receive(response({ name: '_trucada._tcp.local', type: 'PTR', ttl: 0, data: 'x._trucada._tcp.local' }));
  s.clock.advance(2000);
  t.equal(s.events.at(-1), `gone ${PEER}`, 'a PTR goodbye too');
});

t.test('untrusted input is dropped and logged, never thrown', async (t) => {
  const s = setup(t, 'announce');
  await s.channel.start();
  const good = response(txt(PEER));
  for (let i = 0; i < good.length; i++) s.receive(good.subarray(0, i));
  s.receive(Buffer.alloc(9001));
  s.receive(Buffer.from('not dns at all'));
  s.receive(response(txt(PEER, 86_401)));
  s.receive(response(txt(PEER, 120, [Buffer.alloc(255, 0x61), ...Array.from({ length: 5 }, () => Buffer.alloc(255, 0x62))])));
  s.receive(response({ ...txt(PEER), data: ['id=NOT-AN-ID', 'domain=peer.mesh', 'seq=1', 'port=1'].map((v) => Buffer.from(v)) } as Answer));
  s.receive(response(txt(SELF)));
  s.receive(response(txt(PEER)), { address: '10.0.0.2', port: 40000 });
  s.receive(response(txt(PEER)), { address: '192.0.2.9', port: 5353 });
  for (let i = 0; i < 500; i++) s.receive(Buffer.from(Array.from({ length: 40 }, (_, j) => (i * 31 + j * 17) & 0xff)));
  t.same(s.events, [], 'nothing heard: truncated, over a day, over 1300 bytes, a bad id, our own id, not from 5353, off-link');
  t.ok(s.warnings.length > 0 && s.warnings.length <= 11, `warnings are rate-limited (${s.warnings.length})`);
});

t.test('at most MAX_INSTANCES instances are kept', async (t) => {
  const s = setup(t, 'browse');
  await s.channel.start();
  const id = (i: number) => i.toString(2).padStart(26, '0').replace(/0/g, 'c').replace(/1/g, 'd');
  for (let i = 0; i < MAX_INSTANCES + 5; i++) s.receive(response({ ...txt(id(i)), name: `n${i}._trucada._tcp.local` }));
  t.equal(s.events.length, MAX_INSTANCES);
});

t.test('announce: records at start and again when seq changes, answers to queries, a goodbye at stop', async (t) => {
  const s = setup(t, 'announce');
  await s.channel.start();
  const announcements = () => s.sent.filter((p) => p.packet.type === 'response');
  t.equal(announcements().length, 1, 'announced at start');
  s.clock.advance(1000);
  t.equal(announcements().length, 2, 'and one second later (RFC 6762 §8.3)');
  const records = announcements()[0]!.packet.answers!;
  const ourTxt = records.find((a) => a.type === 'TXT' && a.name === `${SELF}._trucada._tcp.local`);
  const pairs = readTxt((ourTxt as { data: Buffer[] }).data);
  t.same(pairs.ok && Object.fromEntries(pairs.pairs), { id: SELF, domain: 'self.mesh', seq: '1', port: '8443' });
  t.ok(records.some((a) => a.type === 'SRV' && a.name === `${SELF}._sip._udp.local` && a.data.port === 5060), '_sip._udp on the SIP port');
  t.ok(records.some((a) => a.type === 'A' && a.data === '10.0.0.1'), 'A record');

  s.setSeq(2);
  s.clock.advance(5000);
  const again = announcements().at(-1)!.packet.answers!.find((a) => a.type === 'TXT' && a.name.startsWith(SELF)) as { data: Buffer[] };
  t.ok(again.data.some((b) => b.toString() === 'seq=2'), 'seq 2 announced within a poll');

  // §6: a record is multicast at most once a second, and the announcement just went out.
  s.clock.advance(1000);
  const before = s.sent.length;
  s.receive(encode({ type: 'query', questions: [{ type: 'PTR', name: '_trucada._tcp.local' }] }));
  s.clock.advance(150);
  const answer = s.sent.slice(before).find((p) => p.packet.type === 'response');
  t.ok(answer?.packet.answers?.some((a) => a.type === 'PTR'), 'a PTR query is answered after the §6 delay');
  t.ok(answer?.packet.additionals?.some((a) => a.type === 'TXT'), 'with the TXT as an additional record (RFC 6763 §12.1)');

  const legacyAt = s.sent.length;
  s.receive(encode({ type: 'query', id: 77, questions: [{ type: 'TXT', name: `${SELF}._trucada._tcp.local` }] }), { address: '10.0.0.3', port: 40000 });
  const legacy = s.sent[legacyAt];
  t.same(legacy?.to, { address: '10.0.0.3', port: 40000 }, 'a legacy query is answered by unicast (§6.7)');
  t.equal(legacy?.packet.id, 77);
  t.ok(legacy?.packet.answers?.every((a) => (a as { ttl: number }).ttl <= 10), 'with TTLs of at most 10 s');

  await s.channel.stop();
  const goodbye = s.sent.at(-1)!.packet;
  t.ok(goodbye.answers!.length > 0 && goodbye.answers!.every((a) => (a as { ttl: number }).ttl === 0), 'every record with TTL 0 (§10.1)');
});

t.test('browse: queries grow from one second to the cap and never announce', async (t) => {
  const s = setup(t, 'browse');
  await s.channel.start();
  s.clock.advance(200_000);
  const queries = s.sent.filter((p) => p.packet.type === 'query');
  t.ok(queries.length >= 8 && queries.length <= 12, `continuous querying (${queries.length} queries in 200 s)`);
  t.equal(s.sent.filter((p) => p.packet.type === 'response').length, 0);
  s.receive(encode({ type: 'query', questions: [{ type: 'PTR', name: '_trucada._tcp.local' }] }));
  s.clock.advance(200);
  t.equal(s.sent.filter((p) => p.packet.type === 'response').length, 0, 'no answers in browse mode');
});
