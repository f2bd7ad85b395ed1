/**
 * Peer exchange between in-memory nodes, each with the real directory, pins, beacons and signed
 * descriptors: fetches and exchanges go straight to the other node's objects instead of HTTPS
 * (test/integration/mesh-line.test.ts runs it between daemons over the network).
 */
import { generateKeyPairSync } from 'node:crypto';
import t, { type Test } from 'tap';
import { encodeBeacon, type Beacon } from '../../src/federation/beacon.js';
import { Beacons } from '../../src/federation/beacons.js';
import { signDescriptor } from '../../src/federation/descriptor.js';
import { Directory } from '../../src/federation/directory.js';
import { identityOf, type NodeIdentity } from '../../src/federation/node-identity.js';
import { PeerExchange } from '../../src/federation/peer-exchange.js';
import { PeerNodes } from '../../src/federation/peer-nodes.js';
import { PeerStatusError } from '../../src/federation/peer-request.js';
import { Pins } from '../../src/federation/pins.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const PORT = 8443;

interface SimNode {
  readonly name: string;
  readonly address: string;
  readonly identity: NodeIdentity;
  readonly peers: PeerNodes;
  readonly directory: Directory;
  readonly beacons: Beacons;
  readonly exchange: PeerExchange;
  readonly logs: string[];
  beacon(): Beacon;
}

interface Mesh {
  readonly clock: FakeClock;
  readonly nodes: SimNode[];
  /** Exchanges sent, as `from>to`. */
  readonly posts: string[];
  /** Descriptors fetched, as `by>of`. */
  readonly fetches: string[];
  /** Node n's signed descriptor as of now, as its fetches and its introductions give it. */
  descriptorOf(n: SimNode): string;
  /** Lets timers fire and the fetches and exchanges they start finish, `rounds` times 100 ms. */
  run(rounds?: number): Promise<void>;
  knows(n: SimNode): string[];
}

function mesh(t: Test, count: number): Mesh {
  const clock = new FakeClock();
  const byAddress = new Map<string, SimNode>();
  const posts: string[] = [];
  const fetches: string[] = [];
  const nodes: SimNode[] = [];
  const descriptorOf = (n: { identity: NodeIdentity; name: string; address: string }) =>
    signDescriptor(n.identity, { domain: `${n.name}.mesh`, sip: { udp: 5060 }, addresses: [n.address], seq: 1, time: clock.now(), users: [], online: [], offline: [] });
  for (let i = 1; i <= count; i++) {
    const name = `node${i}`;
    const address = `198.18.9.${i}`;
    const identity = identityOf(generateKeyPairSync('ed25519').privateKey);
    const logs: string[] = [];
    const logger = createLogger('debug', (l) => logs.push(l.trimEnd()));
    const peers = new PeerNodes(identity, clock.now);
    let exchange: PeerExchange | undefined;
    const directory = new Directory({
      peers, pins: new Pins(tempDir(t), logger), self: { id: identity.id, domain: `${name}.mesh` }, clock,
      timeoutMs: 60_000, revalidateMs: 3_600_000, logger, joined: (id) => exchange?.exchangeWith(id, true),
    });
    const beacons = new Beacons({
      directory,
      fetch: async (host) => {
        const target = byAddress.get(host);
        if (target === undefined) throw new Error('connect EHOSTUNREACH');
        fetches.push(`${name}>${target.name}`);
        return { body: Buffer.from(descriptorOf(target)), address: host };
      },
      selfId: identity.id, clock, retryMs: 30_000, logger,
    });
    const beacon = () => ({ id: identity.id, domain: `${name}.mesh`, address, port: PORT, seq: 1 });
    exchange = new PeerExchange({
      directory, peers, sink: beacons, own: beacon, descriptor: () => descriptorOf({ identity, name, address }), clock, logger,
      post: async (host, port, body, signature) => {
        const target = byAddress.get(host);
        if (target === undefined || port !== PORT) throw new Error('connect EHOSTUNREACH');
        posts.push(`${name}>${target.name}`);
        const answer = target.exchange.received(signature, body, address);
        if (answer.status !== 200) throw new PeerStatusError(answer.status);
        return Buffer.from(answer.body);
      },
    });
    const node = { name, address, identity, peers, directory, beacons, exchange, logs, beacon };
    nodes.push(node);
    byAddress.set(address, node);
  }
  t.teardown(() => nodes.forEach((n) => n.exchange.stop()));
  return {
    clock,
    nodes,
    posts,
    fetches,
    descriptorOf,
    run: async (rounds = 30) => {
      for (let i = 0; i < rounds; i++) {
        clock.advance(100);
        for (let j = 0; j < 5; j++) await new Promise((resolve) => setImmediate(resolve));
      }
    },
    knows: (n) => n.peers.nodes().map((p) => p.domain).sort(),
  };
}

/** A line: each node hears only its neighbours' beacons, on a channel of their own (a bmx that floods one hop). */
function hearNeighbours(m: Mesh): void {
  m.nodes.forEach((n, i) => {
    for (const j of [i - 1, i + 1]) {
      const other = m.nodes[j];
      if (other !== undefined) n.beacons.heard(encodeBeacon(other.beacon()), 'bmx6');
    }
  });
}

t.test('down a line where each node hears only its neighbours, exchange makes every node know every other', async (t) => {
  const m = mesh(t, 6);
  hearNeighbours(m);
  await m.run();
  for (const n of m.nodes) {
    t.same(m.knows(n), m.nodes.filter((o) => o !== n).map((o) => `${o.name}.mesh`).sort(), `${n.name} knows the five others`);
  }
  const [first, , , , , last] = m.nodes as [SimNode, SimNode, SimNode, SimNode, SimNode, SimNode];
  t.same(first.directory.seenOf(last.identity.id)?.channels, ['exchange'], 'node1 knows node6 from the exchange alone');
  t.same(first.directory.seenOf(m.nodes[1]!.identity.id)?.channels, ['bmx6', 'exchange'], 'its neighbour it heard itself, and in exchanges too');
  t.ok(m.posts.length <= 6 * 5, `one exchange at most per node and peer it admitted: ${m.posts.length} for 6 nodes`);

  const before = m.posts.length;
  await m.run(100);
  t.equal(m.posts.length, before, 'at rest, with nobody joining, no exchange is sent');
});

t.test('a node heard first-hand and in exchanges leaves when its first-hand channel withdraws it', async (t) => {
  const m = mesh(t, 3);
  hearNeighbours(m);
  await m.run();
  const [node1, node2, node3] = m.nodes as [SimNode, SimNode, SimNode];
  t.same(m.knows(node1), ['node2.mesh', 'node3.mesh']);
  t.same(node1.directory.seenOf(node2.identity.id)?.channels, ['bmx6', 'exchange']);
  node1.beacons.gone(node2.identity.id, 'bmx6');
  t.same(m.knows(node1), ['node3.mesh'], 'the exchange does not hold node2 once bmx withdrew it');
  t.match(node1.logs.join('\n'), /left: no longer announced \(bmx6\)/);
  // node3, known from the exchange alone, stays until the timeout: nothing first-hand withdrew it.
  t.same(node1.directory.seenOf(node3.identity.id)?.channels, ['exchange']);
  m.clock.advance(61_000);
  node1.directory.expire();
  t.same(m.knows(node1), [], 'a node only exchanges told of leaves after the timeout when no exchange tells of it again');
});

t.test('a node that does not know the sender admits it from the descriptor its exchange introduces: no fetch back, no exchange back', async (t) => {
  const m = mesh(t, 3);
  const [node1, node2, node3] = m.nodes as [SimNode, SimNode, SimNode];
  // node1 has node2 as a static peer would: it fetched node2, node2 never heard of node1. node2 knows node3.
  node1.beacons.heard(encodeBeacon(node2.beacon()), 'static');
  node2.beacons.heard(encodeBeacon(node3.beacon()), 'mdns');
  await m.run();
  t.same(m.knows(node2), ['node1.mesh', 'node3.mesh'], "node2 admitted node1 from node1's exchange");
  t.same(m.knows(node1), ['node2.mesh', 'node3.mesh'], "node1 learned node2's zone");
  t.same(m.knows(node3), ['node1.mesh', 'node2.mesh'], 'node3 learned node1 from node2');
  t.same(node2.directory.seenOf(node1.identity.id)?.channels, ['exchange']);
  t.notOk(m.fetches.includes('node2>node1'), `node2 did not fetch node1's descriptor (fetches: ${m.fetches.join(', ')})`);
  t.notOk(m.posts.includes('node2>node1'), `node2 did not exchange back (exchanges: ${m.posts.join(', ')})`);
  t.notMatch(node1.logs.join('\n'), /does not know this node yet|peer exchange with node \S+ at .* failed/, 'the first exchange was taken');
});

t.test('an introduction that is not the sender\'s own, or from an address it does not list, is refused, and the sender is fetched instead', async (t) => {
  const m = mesh(t, 3);
  const [node1, node2, node3] = m.nodes as [SimNode, SimNode, SimNode];
  const introducing = (descriptor: string) => Buffer.from(`${encodeBeacon(node1.beacon())}${descriptor}\n`);
  const signed = (body: Buffer) => node1.peers.signExchange(body, node2.identity.id);
  const other = introducing(m.descriptorOf(node3));
  t.match(node2.exchange.received(signed(other), other, node1.address), { status: 403, message: /does not know yours yet/ }, "node3's descriptor as node1's");
  t.match(node2.logs.join('\n'), /introduced itself with the descriptor of node/);
  t.same(m.knows(node2), [], 'node3 is not admitted on what node1 sent');
  const own = introducing(m.descriptorOf(node1));
  t.match(node2.exchange.received(signed(own), own, '198.18.9.77'), { status: 403, message: /does not know yours yet/ }, 'from an address node1 does not list');
  t.match(node2.logs.join('\n'), /fetched from 198\.18\.9\.77, which it does not list as its own/);
  await m.run();
  t.ok(m.fetches.includes('node2>node1'), 'node2 fetched node1 from the address its beacon names');
  t.same(m.knows(node2), ['node1.mesh'], 'and admitted it from there');
  t.ok(m.posts.includes('node2>node1'), 'then exchanged with it as with any newcomer');
});

t.test('exchanges that are not from a peer, or not for this node, or too large, are refused with the reason', async (t) => {
  const m = mesh(t, 3);
  hearNeighbours(m);
  await m.run();
  const [node1, node2, node3] = m.nodes as [SimNode, SimNode, SimNode];
  const body = Buffer.from(encodeBeacon(node1.beacon()));
  t.same(node2.exchange.received(undefined, body, node1.address), { status: 403, message: 'an exchange must be signed by a peer node' });
  t.same(node2.exchange.received(node1.peers.signExchange(body, node3.identity.id), body, node1.address), { status: 403, message: 'signature refused: bad signature' }, 'a list signed for node3 is not taken by node2');
  const tampered = Buffer.concat([body, Buffer.from(encodeBeacon({ ...node3.beacon(), address: '198.18.9.99' }))]);
  t.same(node2.exchange.received(node1.peers.signExchange(body, node2.identity.id), tampered, node1.address), { status: 403, message: 'signature refused: bad signature' }, 'a line added after signing');
  t.equal(node2.exchange.received('node=x;t=1;sig=y', body, node1.address).status, 403);
  t.same(node2.exchange.received(undefined, Buffer.alloc(0), node1.address).status, 400);
  t.same(node2.exchange.received(undefined, Buffer.alloc(140_000, 'a'), node1.address).status, 413);
  const many = Buffer.from(Array.from({ length: 300 }, () => encodeBeacon(node1.beacon())).join(''));
  t.same(node2.exchange.received(node1.peers.signExchange(many, node2.identity.id), many, node1.address).status, 400, 'more than 256 beacons');

  const ok = node2.exchange.received(node1.peers.signExchange(body, node2.identity.id), body, node1.address);
  t.equal(ok.status, 200, 'signed by node1 for node2: answered');
  t.same(ok.status === 200 ? ok.body : '', encodeBeacon(node3.beacon()), 'with what node2 knows that the request did not list');
});

t.test('a beacon in an exchange that points elsewhere is fetched and refused like any forged beacon', async (t) => {
  const m = mesh(t, 3);
  const [node1, node2, node3] = m.nodes as [SimNode, SimNode, SimNode];
  node1.beacons.heard(encodeBeacon(node2.beacon()), 'bmx6');
  node2.beacons.heard(encodeBeacon(node1.beacon()), 'bmx6');
  await m.run();
  // node2 passes on a beacon with node3's id at node1's address: the descriptor there is node1's own.
  const forged = Buffer.from(encodeBeacon(node2.beacon()) + encodeBeacon({ ...node3.beacon(), address: node2.address }));
  t.equal(node1.exchange.received(node2.peers.signExchange(forged, node1.identity.id), forged, node2.address).status, 200);
  await m.run(5);
  t.same(m.knows(node1), ['node2.mesh'], 'node3 is not admitted on what node2 said: the descriptor fetched is not node3');
});
