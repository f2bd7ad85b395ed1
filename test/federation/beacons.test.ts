import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { encodeBeacon } from '../../src/federation/beacon.js';
import { Beacons } from '../../src/federation/beacons.js';
import { signDescriptor } from '../../src/federation/descriptor.js';
import { EXCHANGE_CHANNEL } from '../../src/federation/channel.js';
import { Directory } from '../../src/federation/directory.js';
import { identityOf } from '../../src/federation/node-identity.js';
import { PeerNodes } from '../../src/federation/peer-nodes.js';
import { Pins } from '../../src/federation/pins.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const SELF = identityOf(generateKeyPairSync('ed25519').privateKey);
const NODE2 = identityOf(generateKeyPairSync('ed25519').privateKey);

function setup(t: Parameters<typeof tempDir>[0], selfId = SELF.id) {
  const clock = new FakeClock();
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l.trimEnd()));
  const peers = new PeerNodes(SELF, clock.now);
  const directory = new Directory({ peers, pins: new Pins(tempDir(t), logger), self: { id: SELF.id, domain: 'node1.mesh' }, clock, timeoutMs: 60_000, revalidateMs: 20_000, logger });
  let seq = 5;
  let up = true;
  const fetches: string[] = [];
  const beacons = new Beacons({
    directory,
    fetch: async (host, port) => {
      fetches.push(`${host}:${port}`);
      if (!up) throw new Error('connect ECONNREFUSED');
      return { body: Buffer.from(signDescriptor(NODE2, { domain: 'node2.mesh', sip: { udp: 5060 }, addresses: [host], seq, time: clock.now(), users: ['bob'], online: [], offline: [] })), address: host };
    },
    selfId,
    clock,
    retryMs: 30_000,
    logger,
  });
  const beacon = (s: number, address = '198.18.0.2') => encodeBeacon({ id: NODE2.id, domain: 'node2.mesh', address, port: 8443, seq: s });
  return { clock, logs, peers, directory, beacons, beacon, fetches, setSeq: (s: number) => (seq = s), setUp: (u: boolean) => (up = u) };
}

t.test('a new beacon is fetched once; the same seq keeps the node with no fetch until it is due again; a higher seq at once', async (t) => {
  const s = setup(t);
  s.beacons.heard(s.beacon(5), 'mdns');
  s.beacons.heard(s.beacon(5), 'mdns');
  await s.beacons.settled();
  t.same(s.fetches, ['198.18.0.2:8443'], 'one fetch while one runs');
  t.same(s.peers.nodeForDomain('node2.mesh')?.sip, { transport: 'udp', remoteAddress: '198.18.0.2', remotePort: 5060 });
  s.clock.advance(10_000);
  s.beacons.heard(s.beacon(5), 'mdns');
  s.beacons.heard(s.beacon(4), 'mdns');
  await s.beacons.settled();
  t.equal(s.fetches.length, 1, 'the same seq within revalidateMs: heard, not fetched; an older one: nothing');
  s.clock.advance(10_000);
  s.beacons.heard(s.beacon(5), 'mdns');
  await s.beacons.settled();
  t.equal(s.fetches.length, 2, 'past revalidateMs the beacon fetches again');

  // The node's trucada is gone but its beacon keeps coming (a bmx sms file outlives it).
  s.setUp(false);
  const stopped = s.clock.now();
  while (s.peers.nodeForDomain('node2.mesh') !== undefined && s.clock.now() - stopped < 200_000) {
    s.clock.advance(10_000);
    s.beacons.heard(s.beacon(5), 'mdns');
    await s.beacons.settled();
    s.directory.expire();
  }
  t.equal(s.peers.nodeForDomain('node2.mesh'), undefined, 'a beacon whose descriptor cannot be fetched does not keep the node');
  t.ok(s.clock.now() - stopped <= 20_000 + 60_000 + 10_000, 'it leaves within revalidateMs + timeoutMs of the last accepted descriptor');
  const failing = s.fetches.length - 2;
  t.ok(failing >= 2 && failing <= 4, `tried again every retryMs meanwhile (${failing} tries)`);
  s.setUp(true);
  s.clock.advance(30_000);
  s.beacons.heard(s.beacon(5), 'mdns');
  await s.beacons.settled();
  t.ok(s.peers.nodeForDomain('node2.mesh'), 'fetched again, it is back');
  const back = s.fetches.length;
  s.setSeq(6);
  s.beacons.heard(s.beacon(6), 'bmx6');
  await s.beacons.settled();
  t.equal(s.fetches.length, back + 1, 'a higher seq is fetched at once');
});

t.test('a node leaves when every channel that heard it withdrew it', async (t) => {
  const s = setup(t);
  s.beacons.heard(s.beacon(5), 'mdns');
  await s.beacons.settled();
  s.beacons.heard(s.beacon(5), 'bmx6');
  s.beacons.gone(NODE2.id, 'mdns');
  t.ok(s.peers.nodeForDomain('node2.mesh'), 'bmx6 still hears it');
  s.beacons.gone(NODE2.id, 'bmx6');
  t.equal(s.peers.nodeForDomain('node2.mesh'), undefined);
  t.ok(s.logs.some((l) => l === `info: node ${NODE2.id} (node2.mesh) left: no longer announced (bmx6)`));
  s.beacons.heard(s.beacon(5), 'bmx6');
  await s.beacons.settled();
  t.ok(s.peers.nodeForDomain('node2.mesh'), 'announced again: fetched and back');
  t.equal(s.fetches.length, 2);
});

t.test('a failed fetch waits retryMs before the next try, and is logged once', async (t) => {
  const s = setup(t);
  s.setUp(false);
  s.beacons.heard(s.beacon(5), 'mdns');
  await s.beacons.settled();
  s.clock.advance(10_000);
  s.beacons.heard(s.beacon(5), 'mdns');
  await s.beacons.settled();
  t.equal(s.fetches.length, 1, 'not again within 30 s');
  s.clock.advance(25_000);
  s.beacons.heard(s.beacon(5), 'mdns');
  await s.beacons.settled();
  t.equal(s.fetches.length, 2);
  t.equal(s.logs.filter((l) => l.includes('cannot fetch the descriptor')).length, 1);
  s.setUp(true);
  s.clock.advance(30_000);
  s.beacons.heard(s.beacon(5), 'mdns');
  await s.beacons.settled();
  t.ok(s.peers.nodeForDomain('node2.mesh'));
});

t.test('our own beacon and malformed beacons are not fetched; a malformed one is logged once per channel', async (t) => {
  const s = setup(t);
  s.beacons.heard(encodeBeacon({ id: SELF.id, domain: 'node1.mesh', address: '198.18.0.1', port: 8443, seq: 1 }), 'mdns');
  s.beacons.heard('trucada1 nonsense', 'bmx6 rcvdSms/x:trucada');
  s.beacons.heard('trucada1 nonsense', 'bmx6 rcvdSms/x:trucada');
  await s.beacons.settled();
  t.same(s.fetches, []);
  t.same(s.logs.filter((l) => l.includes('beacon refused')), ['warn: bmx6 rcvdSms/x:trucada: beacon refused: not six words']);
});

t.test('a node an exchange told of is fetched at once when our id sorts first, and after a wait for its introduction when its id does', async (t) => {
  const first = setup(t, '2'.repeat(26));
  first.beacons.heard(first.beacon(5), EXCHANGE_CHANNEL);
  await first.beacons.settled();
  t.same(first.fetches, ['198.18.0.2:8443'], 'our id sorts first: fetched with no wait');

  const second = setup(t, 'z'.repeat(26));
  second.beacons.heard(second.beacon(5), EXCHANGE_CHANNEL);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(second.fetches, [], 'its id sorts first: not fetched yet');
  second.clock.advance(500);
  await second.beacons.settled();
  t.same(second.fetches, ['198.18.0.2:8443'], 'no introduction came within 500 ms: fetched');

  const introduced = setup(t, 'z'.repeat(26));
  introduced.beacons.heard(introduced.beacon(5), EXCHANGE_CHANNEL);
  const descriptor = signDescriptor(NODE2, { domain: 'node2.mesh', sip: { udp: 5060 }, addresses: ['198.18.0.2'], seq: 5, time: introduced.clock.now(), users: ['bob'], online: [], offline: [] });
  t.ok(introduced.directory.heard(Buffer.from(descriptor), '198.18.0.2', EXCHANGE_CHANNEL, { httpsPort: 8443, introducedBy: NODE2.id }).ok, 'it introduced itself meanwhile');
  introduced.clock.advance(500);
  await introduced.beacons.settled();
  t.same(introduced.fetches, [], 'so it is not fetched');

  const bmx = setup(t, 'z'.repeat(26));
  bmx.beacons.heard(bmx.beacon(5), 'bmx6');
  await bmx.beacons.settled();
  t.same(bmx.fetches, ['198.18.0.2:8443'], 'a first-hand channel fetches at once whatever the ids');
});
