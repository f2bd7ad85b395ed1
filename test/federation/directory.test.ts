import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { signDescriptor, type DescriptorFields } from '../../src/federation/descriptor.js';
import { Directory } from '../../src/federation/directory.js';
import { identityOf } from '../../src/federation/node-identity.js';
import { PeerNodes } from '../../src/federation/peer-nodes.js';
import { Pins } from '../../src/federation/pins.js';
import { StaticPeers } from '../../src/federation/static-peers.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const SELF = identityOf(generateKeyPairSync('ed25519').privateKey);
const NODE2 = identityOf(generateKeyPairSync('ed25519').privateKey);
const ROGUE = identityOf(generateKeyPairSync('ed25519').privateKey);

function setup(t: Parameters<typeof tempDir>[0]) {
  const clock = new FakeClock();
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l.trimEnd()));
  const peers: PeerNodes = new PeerNodes(SELF, clock.now, (id) => directory.suspect(id));
  const directory = new Directory({ peers, pins: new Pins(tempDir(t), logger), self: { id: SELF.id, domain: 'node1.mesh' }, clock, timeoutMs: 60_000, revalidateMs: 20_000, logger });
  const fields = (o: Partial<DescriptorFields> = {}): DescriptorFields => ({ domain: 'node2.mesh', sip: { udp: 5062, tcp: 5062 }, addresses: ['127.0.0.2', '198.18.0.2'], seq: 5, time: clock.now() + 3000, users: ['bob'], online: [], offline: [], ...o });
  const heard = (text: string, address = '127.0.0.2') => directory.heard(Buffer.from(text), address, 'static 127.0.0.2:8443');
  return { clock, logs, peers, directory, fields, heard };
}

t.test('a verified descriptor makes a peer: its domain, SIP where it was fetched, its clock offset', async (t) => {
  const s = setup(t);
  t.same(s.heard(signDescriptor(NODE2, s.fields())), { ok: true, id: NODE2.id });
  const node = s.peers.nodeForDomain('node2.mesh');
  t.same(node?.sip, { transport: 'udp', remoteAddress: '127.0.0.2', remotePort: 5062 });
  t.equal(s.peers.nodes()[0]?.clockOffsetMs, 3000);
  t.same(s.peers.users(), ['bob@node2.mesh'], 'its published users, for dial suggestions');
  t.ok(s.logs.some((l) => l.startsWith(`info: node ${NODE2.id} (node2.mesh) at 127.0.0.2 joined`)));
  t.same(s.heard(signDescriptor(NODE2, s.fields({ sip: { tcp: 5070 } }))), { ok: true, id: NODE2.id }, 'the same seq, a later time');
  t.same(s.peers.nodeForDomain('node2.mesh')?.sip, { transport: 'tcp', remoteAddress: '127.0.0.2', remotePort: 5070 }, 'TCP when no UDP');
});

t.test('refused: tampered, older seq, our domain, a taken domain, our own; each logged once', async (t) => {
  const s = setup(t);
  s.heard(signDescriptor(NODE2, s.fields()));
  const tampered = signDescriptor(NODE2, s.fields({ seq: 9 })).replace('"bob"', '"eve"');
  t.same(s.heard(tampered), { ok: false, why: 'descriptor refused: bad signature' });
  s.heard(tampered);
  t.equal(s.logs.filter((l) => l.includes('bad signature')).length, 1, 'once, not once a poll');
  t.match(s.heard(signDescriptor(NODE2, s.fields({ seq: 4 }))), { ok: false, why: /an older descriptor \(seq 4, last 5\)/ });
  t.match(s.heard(signDescriptor(NODE2, s.fields({ time: s.clock.now() }))), { ok: false, why: /older descriptor/ }, 'same seq, earlier time: a replay');
  t.match(s.heard(signDescriptor(ROGUE, s.fields({ domain: 'node1.mesh' }))), { ok: false, why: /claims our own domain/ });
  t.match(s.heard(signDescriptor(ROGUE, s.fields())), { ok: false, why: new RegExp(`claims node2.mesh, which node ${NODE2.id} holds`) });
  t.equal(s.peers.nodeForDomain('node2.mesh')?.id, NODE2.id);
  t.same(s.heard(signDescriptor(SELF, s.fields({ domain: 'node1.mesh' }))), { ok: false, why: 'our own descriptor' });
});

t.test("a node's fresh descriptor fetched through another host is refused: its calls would go there", async (t) => {
  const s = setup(t);
  // A forged beacon sent us to 198.18.66.6, which fetched node2's real descriptor and passed it on.
  t.match(s.heard(signDescriptor(NODE2, s.fields()), '198.18.66.6'), { ok: false, why: /fetched from 198\.18\.66\.6, which it does not list as its own/ });
  t.equal(s.peers.nodeForDomain('node2.mesh'), undefined, 'not a peer');
  t.same(s.heard(signDescriptor(NODE2, s.fields()), '198.18.0.2'), { ok: true, id: NODE2.id }, 'from one of its own addresses it is');
  t.equal(s.peers.nodeForDomain('node2.mesh')?.sip.remoteAddress, '198.18.0.2');
});

t.test('a static peer behind NAT is reached at the address the operator named', async (t) => {
  const s = setup(t);
  // node2 lists its inside addresses; the operator reaches it through a port forward at 198.18.7.7.
  const text = Buffer.from(signDescriptor(NODE2, s.fields()));
  t.match(s.directory.heard(text, '198.18.7.7', 'mdns'), { ok: false, why: /does not list as its own/ }, 'from a beacon, refused as before');
  t.same(s.directory.heard(text, '198.18.7.7', 'static 198.18.7.7:8443', { addressNamedByOperator: true }), { ok: true, id: NODE2.id }, 'from the static list, accepted');
  t.equal(s.peers.nodeForDomain('node2.mesh')?.sip.remoteAddress, '198.18.7.7', 'and SIP goes there');
});

t.test('a node not heard from within the timeout leaves', async (t) => {
  const s = setup(t);
  s.directory.start();
  t.teardown(() => s.directory.stop());
  s.heard(signDescriptor(NODE2, s.fields()));
  s.clock.advance(50_000);
  t.ok(s.peers.nodeForDomain('node2.mesh'), 'still there inside the timeout');
  s.heard(signDescriptor(NODE2, s.fields({ time: s.clock.now() })));
  s.clock.advance(60_000);
  t.ok(s.peers.nodeForDomain('node2.mesh'), 'heard again: the timeout starts over');
  s.clock.advance(20_000);
  t.equal(s.peers.nodeForDomain('node2.mesh'), undefined, 'gone within a quarter of the timeout after it');
  t.ok(s.logs.some((l) => l.startsWith(`info: node ${NODE2.id} (node2.mesh) left`)));
});

t.test('announced again at its seq, a node stays with no fetch, until a request to it fails', async (t) => {
  const s = setup(t);
  s.heard(signDescriptor(NODE2, s.fields()));
  s.clock.advance(10_000);
  t.equal(s.directory.announced(NODE2.id, 5, 'bmx'), false, 'heard: no fetch');
  s.peers.unreachable(NODE2.id);
  t.ok(s.logs.some((l) => l.includes(`node ${NODE2.id}: a request to it failed; its descriptor is fetched again`)));
  t.equal(s.directory.announced(NODE2.id, 5, 'bmx'), true, 'the next beacon fetches it');
  for (let i = 0; i < 7; i++) {
    s.clock.advance(10_000);
    s.directory.announced(NODE2.id, 5, 'bmx');
    s.directory.expire();
  }
  t.equal(s.peers.nodeForDomain('node2.mesh'), undefined, 'its fetch never succeeding, it leaves after the timeout though still announced');
});

t.test("a peer's users show the presence its descriptor publishes, and offline once it left", async (t) => {
  const s = setup(t);
  s.directory.start();
  t.teardown(() => s.directory.stop());
  s.heard(signDescriptor(NODE2, s.fields({ users: ['bob', 'carol', 'dan'], online: ['bob'], offline: ['carol'] })));
  t.equal(s.peers.presenceOf('bob@node2.mesh'), 'online');
  t.equal(s.peers.presenceOf('Carol@Node2.mesh'), 'offline');
  t.equal(s.peers.presenceOf('dan@node2.mesh'), undefined, 'dan does not show his presence to the mesh');
  t.equal(s.peers.presenceOf('bob@node9.mesh'), undefined, 'a node nobody knows');
  s.heard(signDescriptor(NODE2, s.fields({ seq: 6, users: ['bob', 'carol', 'dan'], online: [], offline: ['bob', 'carol'] })));
  t.equal(s.peers.presenceOf('bob@node2.mesh'), 'offline', 'a higher seq brings the change');
  s.clock.advance(80_000);
  t.equal(s.peers.presenceOf('dan@node2.mesh'), 'offline', 'everyone of a node that left is offline');
});

t.test('static peers: each fetched every interval, failures logged when they start and end', async (t) => {
  const clock = new FakeClock();
  const logs: string[] = [];
  const heard: string[] = [];
  let up = false;
  const fetches: string[] = [];
  const statics = new StaticPeers({
    peers: [{ host: '127.0.0.2', port: 8443 }, { host: 'fd00::9', port: 443 }],
    intervalMs: 30_000,
    fetch: async (host, port, timeoutMs) => {
      fetches.push(`${host} ${port} ${timeoutMs}`);
      if (!up) throw new Error('connect ECONNREFUSED');
      return { body: Buffer.from('{}'), address: host };
    },
    directory: { heard: (_body, address, channel) => (heard.push(`${channel} ${address}`), { ok: true, id: 'x' }) },
    clock,
    logger: createLogger('debug', (l) => logs.push(l.trimEnd())),
  });
  statics.start();
  t.teardown(() => statics.stop());
  await statics.pollAll();
  t.same(fetches.slice(0, 2), ['127.0.0.2 8443 10000', 'fd00::9 443 10000'], 'at start, bounded to 10 s');
  t.same(logs.filter((l) => l.includes('cannot fetch')).length, 2);
  clock.advance(30_000);
  await statics.pollAll();
  t.same(logs.filter((l) => l.includes('cannot fetch')).length, 2, 'not again at every try');
  up = true;
  clock.advance(30_000);
  await statics.pollAll();
  t.ok(logs.some((l) => l === 'info: static peer [fd00::9]:443 answers again'));
  t.ok(heard.includes('static 127.0.0.2:8443 127.0.0.2'));
});
