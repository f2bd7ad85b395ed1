/**
 * Nodes on one layer-2 segment (a batman-adv cloud, a LAN), each a real daemon on a test host of its
 * own (a network namespace on one bridge), with mDNS as their only channel: no static peers, no bmx,
 * no shared-state. Every node's directory, as `trucada peers --json` shows it, lists the others;
 * a `_trucada._tcp` service that Debian's avahi-daemon publishes is heard as a beacon; and a node
 * that leaves goes from the others' directories, at once with its goodbye, within peer_timeout
 * when it dies without one.
 */
import t, { type Test } from 'tap';
import { avahiMissing, startAvahi } from '../helpers/avahi.js';
import { meshHosts, meshHostsMissing, type MeshHosts } from '../helpers/mesh-hosts.js';
import { eventually, startMeshNode, type MeshNode } from '../helpers/mesh-node.js';

const SUBNET = '198.18.20';
const NAMES = ['node1', 'node2', 'node3'] as const;
const PEER_INTERVAL = 5;
const PEER_TIMEOUT = 10;
/** Nodes announce once they serve and ask again within a second: met in a few seconds. */
const MEET_MS = 10_000;
/** The directory checks every quarter of peer_timeout. */
const LEAVE_MS = PEER_TIMEOUT * 1000 + (PEER_TIMEOUT * 1000) / 4 + 2000;

function showLogsOnFailure(t: Test, nodes: MeshNode[]): void {
  t.teardown(() => {
    if (t.passing()) return;
    for (const n of nodes) t.comment(`${n.domain}:\n${n.daemon.log().split('\n').slice(-40).join('\n')}`);
  });
}

/** The three nodes on the segment, once each lists the other two. */
async function threeNodes(t: Test): Promise<{ net: MeshHosts; nodes: MeshNode[] }> {
  const net = meshHosts(t, { segments: [{ subnet: SUBNET, members: { node1: 1, node2: 2, node3: 3 } }] });
  const nodes = await Promise.all(
    NAMES.map((h) => startMeshNode(t, net.netns(h), { domain: `${h}.mesh`, listen: [net.address(h)], mdns: 'announce', peerInterval: PEER_INTERVAL, peerTimeout: PEER_TIMEOUT })),
  );
  showLogsOnFailure(t, nodes);
  for (const [i, node] of nodes.entries()) {
    const others = NAMES.filter((_, j) => j !== i).map((h) => `${h}.mesh`);
    t.same(await eventually(() => node.peerDomains(), (d) => d.length >= 2, `${node.domain} to list the others`, MEET_MS), others, `${node.domain} lists the other two`);
  }
  return { net, nodes };
}

t.test('three nodes on one segment find each other by mDNS alone', { skip: meshHostsMissing, timeout: 40_000 }, async (t) => {
  const { net, nodes } = await threeNodes(t);
  for (const [i, node] of nodes.entries()) {
    for (const peer of await node.peers()) {
      const host = peer.domain.replace('.mesh', '');
      t.same(peer.channels, ['mdns'], `${node.domain} heard ${peer.domain} over mDNS only`);
      t.equal(peer.sip, `udp:${net.address(host)}:5060`, `${node.domain} sends SIP for ${peer.domain} to its address on the segment`);
    }
    // A node announces only once it serves its descriptor: no one's first fetch is refused.
    t.notMatch(node.daemon.log(), /cannot fetch the descriptor/, `${NAMES[i]} fetched every descriptor at the first try`);
  }
});

t.test("a node that leaves goes from the others' directories: at once with its goodbye, within peer_timeout without", { skip: meshHostsMissing, timeout: 60_000 }, async (t) => {
  const { nodes } = await threeNodes(t);
  const [node1, node2, node3] = nodes as [MeshNode, MeshNode, MeshNode];

  // A router losing power: no goodbye, so its mDNS records stay cached for their 120 s TTL.
  const killed = Date.now();
  await node3.daemon.kill9();
  for (const node of [node1, node2]) {
    await eventually(() => node.peerDomains(), (d) => !d.includes('node3.mesh'), `node3 to leave ${node.domain}`, LEAVE_MS);
    t.match(node.daemon.log(), /\(node3\.mesh\) left: not heard from for 10 s/, `${node.domain} dropped node3 for not being heard from`);
  }
  t.ok(Date.now() - killed <= LEAVE_MS, `within peer_timeout and one check of the directory (${Date.now() - killed} ms)`);

  const stopped = Date.now();
  t.equal(await node2.daemon.stop(), 0, 'node2 stops cleanly');
  await eventually(() => node1.peerDomains(), (d) => d.length === 0, 'node2 to leave node1', 5000);
  t.match(node1.daemon.log(), /\(node2\.mesh\) left: no longer announced \(mdns\)/, "node1 took node2's goodbye");
  t.ok(Date.now() - stopped < PEER_TIMEOUT * 1000, `well before peer_timeout (${Date.now() - stopped} ms)`);
});

t.test('a _trucada._tcp service published by avahi-daemon is heard as a beacon', { skip: meshHostsMissing || avahiMissing, timeout: 40_000 }, async (t) => {
  const net = meshHosts(t, { segments: [{ subnet: SUBNET, members: { node1: 1, avahi: 9 } }] });
  const node = await startMeshNode(t, net.netns('node1'), { domain: 'node1.mesh', listen: [net.address('node1')], mdns: 'browse', peerInterval: PEER_INTERVAL, peerTimeout: PEER_TIMEOUT });
  showLogsOnFailure(t, [node]);
  const id = 'avahiavahiavahiavahiavahi2';
  await startAvahi(t, net.netns('avahi'), net.interfaceOn('avahi', SUBNET), {
    name: 'a node behind avahi',
    type: '_trucada._tcp',
    port: 8444,
    txt: { id, domain: 'node9.mesh', seq: '4', port: '8444' },
  });
  // Nothing serves a descriptor there: the node heard the beacon when it tries to fetch one where
  // the TXT says (the port) from the host the answer came from (the address).
  const fetch = new RegExp(`mdns: cannot fetch the descriptor of node ${id} from ${net.address('avahi').replace(/\./g, '\\.')}:8444 \\(connect ECONNREFUSED`);
  await eventually(async () => node.daemon.log(), (log) => fetch.test(log), 'node1 to try the beacon avahi announced', 15_000);
  t.pass("node1 read avahi's TXT as a beacon and tried its descriptor");
  t.same(await node.peerDomains(), [], 'a beacon alone admits no one: without a descriptor it is not a peer');
});
