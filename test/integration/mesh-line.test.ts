/**
 * Three nodes in a routed line, each a real daemon on a test host of its own:
 *
 *   node1 ── segment 198.18.21.0/24 ── node2 (routes) ── segment 198.18.22.0/24 ── node3
 *
 * mDNS is link-local and stays on its segment: node1 and node3 never hear each other by it. What
 * crosses node2 is what a qMp or Guifi.net mesh has for that: bmx's sms flooding and static peers.
 * Over the line, a SIP.js phone on node1's host and sipp on node3's host call each other from both
 * ends, and a MESSAGE for a user of node3 with no device waits there until she registers.
 *
 * Debian packages no bmx6: the test plays it as discovery-channels.test.ts does, carrying each
 * node's sendSms/trucada into every other node's rcvdSms, as bmx floods descriptions mesh-wide.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { meshHosts, meshHostsMissing, type MeshHosts } from '../helpers/mesh-hosts.js';
import { eventually, SIP_PORT, HTTP_PORT, startMeshNode, type MeshNode, type MeshNodeOptions } from '../helpers/mesh-node.js';
import { startNetnsPhone } from '../helpers/netns-phone.js';
import { runSippScenario, startSipp } from '../helpers/sipp-process.js';
import { SIPP_SCENARIOS } from '../helpers/sipp.js';
import { readSippTrace, sippTraceArgs } from '../helpers/sipp-trace.js';
import { tempDir } from '../helpers/temp-dir.js';

const NAMES = ['node1', 'node2', 'node3'] as const;
type Name = (typeof NAMES)[number];
const SEGMENT_A = '198.18.21';
const SEGMENT_B = '198.18.22';
const PEER_INTERVAL = 5;
const PEER_TIMEOUT = 20;
/** bmx files are read as they change (every 5 s where they cannot be watched): a few rounds. */
const MEET_MS = 25_000;
const PASSWORDS = { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' } as const;

function line(t: Test): MeshHosts {
  return meshHosts(t, {
    segments: [
      { subnet: SEGMENT_A, members: { node1: 1, node2: 2 } },
      { subnet: SEGMENT_B, members: { node2: 2, node3: 3 } },
    ],
    gateways: { node1: `${SEGMENT_A}.2`, node3: `${SEGMENT_B}.2` },
    routers: ['node2'],
  });
}

function showLogsOnFailure(t: Test, nodes: MeshNode[]): void {
  t.teardown(() => {
    if (t.passing()) return;
    for (const n of nodes) t.comment(`${n.domain}:\n${n.daemon.log().split('\n').slice(-40).join('\n')}`);
  });
}

const users: Record<Name, Record<string, string>> = {
  node1: { alice: PASSWORDS.alice },
  node2: {},
  node3: { bob: PASSWORDS.bob, carol: PASSWORDS.carol },
};

async function startLine(t: Test, net: MeshHosts, options: (name: Name) => Partial<MeshNodeOptions>): Promise<Record<Name, MeshNode>> {
  const started = await Promise.all(
    NAMES.map((name) =>
      startMeshNode(t, net.netns(name), {
        domain: `${name}.mesh`,
        listen: net.addresses(name),
        users: users[name],
        peerInterval: PEER_INTERVAL,
        peerTimeout: PEER_TIMEOUT,
        ...options(name),
      }),
    ),
  );
  showLogsOnFailure(t, started);
  return { node1: started[0]!, node2: started[1]!, node3: started[2]! };
}

/**
 * bmx played by the test: every half second each node's beacon is carried to the others as
 * `<hostname>.<key id>:trucada` (bmx6's naming), and taken away when the node withdraws it.
 */
function playBmx(t: Test, runDir: (name: Name) => string): void {
  const carried = (from: Name, to: Name) => join(runDir(to), 'sms', 'rcvdSms', `${from}.0000${from.slice(-1)}ABC:trucada`);
  const flood = () => {
    for (const from of NAMES) {
      const sent = join(runDir(from), 'sms', 'sendSms', 'trucada');
      for (const to of NAMES.filter((n) => n !== from)) {
        if (existsSync(sent)) writeFileSync(carried(from, to), readFileSync(sent));
        else rmSync(carried(from, to), { force: true });
      }
    }
  };
  const timer = setInterval(flood, 500);
  t.teardown(() => clearInterval(timer));
}

/** bob on node3's host: a sipp device over UDP that registers and answers every call. */
async function bobOnNode3(t: Test, net: MeshHosts): Promise<{ trace: string }> {
  const dir = tempDir(t);
  const trace = join(dir, 'bob.log');
  const address = net.address('node3');
  startSipp(t, 'call-callee-register.xml', [
    '-oocsf', join(SIPP_SCENARIOS, 'call-callee.xml'),
    '-t', 'u1', '-i', address, '-p', '5070',
    '-key', 'domain', 'node3.mesh', '-s', 'bob', '-ap', PASSWORDS.bob, '-auth_uri', 'node3.mesh',
    '-d', '60000', '-m', '1',
    ...sippTraceArgs(trace),
    `${address}:${SIP_PORT}`,
  ], 70, net.netns('node3'));
  await eventually(async () => readSippTrace(trace).filter((m) => m.direction === 'received').map((m) => m.startLine), (got) => got.includes('SIP/2.0 200 OK'), "bob's REGISTER to be answered 200", 10_000);
  return { trace };
}

t.test('a routed line: mDNS stays on its segment, bmx reaches across, and calls and messages cross two hops', { skip: meshHostsMissing, timeout: 120_000 }, async (t) => {
  const net = line(t);
  const root = tempDir(t);
  const runDir = (name: Name) => join(root, name, 'bmx6');
  for (const name of NAMES) for (const sub of ['sendSms', 'rcvdSms']) mkdirSync(join(runDir(name), 'sms', sub), { recursive: true });
  const nodes = await startLine(t, net, (name) => ({ mdns: 'announce', bmxRunDir: runDir(name) }));
  const { node1, node2, node3 } = nodes;

  // mDNS alone: node2 hears both ends, the ends hear only node2.
  t.same(await eventually(() => node2.peerDomains(), (d) => d.length === 2, 'node2 to hear both ends by mDNS', MEET_MS), ['node1.mesh', 'node3.mesh']);
  for (const end of [node1, node3]) {
    t.same(await eventually(() => end.peerDomains(), (d) => d.length >= 1, `${end.domain} to hear node2`, MEET_MS), ['node2.mesh'], `${end.domain} hears only node2 by mDNS`);
  }

  playBmx(t, runDir);
  t.same(await eventually(() => node1.peerDomains(), (d) => d.length === 2, 'node1 to hear node3 over bmx', MEET_MS), ['node2.mesh', 'node3.mesh']);
  t.same(await eventually(() => node3.peerDomains(), (d) => d.length === 2, 'node3 to hear node1 over bmx', MEET_MS), ['node1.mesh', 'node2.mesh']);
  const node3Seen = (await node1.peers()).find((p) => p.domain === 'node3.mesh')!;
  t.same(node3Seen.channels, ['bmx6 node3.00003ABC'], 'node1 knows node3 by bmx alone');
  t.equal(node3Seen.sip, `udp:${net.address('node3')}:${SIP_PORT}`, "node1 sends node3's SIP to node3's address, through node2");
  const node2Seen = (await node1.peers()).find((p) => p.domain === 'node2.mesh')!;
  t.same([...node2Seen.channels].sort(), ['bmx6 node2.00002ABC', 'mdns'], 'node1 hears node2 on both channels');
  t.equal(node3Seen.users, 2, "node3's descriptor lists bob and carol");

  const alice = await startNetnsPhone(t, net.netns('node1'), { server: `ws://${net.address('node1')}:${HTTP_PORT}`, name: 'alice', user: 'alice', password: PASSWORDS.alice, domain: 'node1.mesh' });
  await alice.register();
  const bob = await bobOnNode3(t, net);

  // SIP.js on node1's host calls sipp on node3's host.
  t.same(await alice.call('sip:bob@node3.mesh'), { status: 200, reason: 'OK' }, 'alice@node1 reaches bob@node3 across two hops');
  t.ok(readSippTrace(bob.trace).some((m) => m.direction === 'received' && /^INVITE sip:bob@/.test(m.startLine)), "bob's sipp got the INVITE");
  t.equal(await alice.hangUp(), 200, "alice's BYE reaches bob and is answered");

  // sipp on node3's host calls SIP.js on node1's host: through node3, which proves bob by digest.
  const callerTrace = join(tempDir(t), 'bob-caller.log');
  const caller = await runSippScenario(t, 'call-caller-other-domain.xml', [
    '-t', 'u1', '-i', net.address('node3'), '-p', '5071',
    '-key', 'domain', 'node3.mesh', '-key', 'callee', 'alice', '-key', 'callee_domain', 'node1.mesh',
    '-s', 'bob', '-ap', PASSWORDS.bob, '-auth_uri', 'alice@node1.mesh',
    '-m', '1', '-d', '500',
    ...sippTraceArgs(callerTrace),
    `${net.address('node3')}:${SIP_PORT}`,
  ], 30, net.netns('node3'));
  t.equal(caller.code, 0, `bob's sipp call to alice@node1 completes (INVITE, 200, ACK, BYE, 200): ${caller.output.slice(-400)}`);
  const invite = await alice.event('invite');
  t.equal(invite['from'], 'sip:bob@node3.mesh', 'alice sees the call come from bob@node3.mesh');
  await alice.event('terminated', 2);
  t.pass("bob's BYE ended alice's call");

  // carol has no device: node3 keeps the message (202) and hands it over when she registers.
  t.equal(await alice.message('sip:carol@node3.mesh', 'hola carol'), 202, 'node3 keeps the message for carol (RFC 3428 §7)');
  const carol = await startNetnsPhone(t, net.netns('node3'), { server: `ws://${net.address('node3')}:${HTTP_PORT}`, name: 'carol', user: 'carol', password: PASSWORDS.carol, domain: 'node3.mesh' });
  await carol.register();
  const kept = await carol.event('message');
  t.same([kept['from'], kept['body']], ['sip:alice@node1.mesh', 'hola carol'], 'carol gets what alice sent while she was away');
  t.equal(await carol.message('sip:alice@node1.mesh', 'hola alice'), 200, "carol's answer reaches alice");
  t.same((await alice.event('message'))['body'], 'hola alice');
});

t.test('static peers: two ends of a routed line that nothing else reaches', { skip: meshHostsMissing, timeout: 60_000 }, async (t) => {
  const net = line(t);
  const peers: Record<Name, string[]> = {
    node1: [`${net.address('node3')}:8443`],
    node2: [],
    node3: [`${net.address('node1')}:8443`],
  };
  const { node1, node2, node3 } = await startLine(t, net, (name) => ({ mdns: 'off', peers: peers[name] }));
  t.same(await eventually(() => node1.peerDomains(), (d) => d.length >= 1, 'node1 to fetch its static peer', MEET_MS), ['node3.mesh']);
  t.same(await eventually(() => node3.peerDomains(), (d) => d.length >= 1, 'node3 to fetch its static peer', MEET_MS), ['node1.mesh']);
  t.same((await node1.peers())[0]!.channels, [`static ${net.address('node3')}:8443`], 'node1 knows node3 as a static peer');
  t.same(await node2.peerDomains(), [], 'node2, with no channel on, knows no one');

  const alice = await startNetnsPhone(t, net.netns('node1'), { server: `ws://${net.address('node1')}:${HTTP_PORT}`, name: 'alice', user: 'alice', password: PASSWORDS.alice, domain: 'node1.mesh' });
  const bob = await startNetnsPhone(t, net.netns('node3'), { server: `ws://${net.address('node3')}:${HTTP_PORT}`, name: 'bob', user: 'bob', password: PASSWORDS.bob, domain: 'node3.mesh' });
  await alice.register();
  await bob.register();
  t.equal(await alice.message('sip:bob@node3.mesh', 'hola bob'), 200);
  t.same((await bob.event('message'))['from'], 'sip:alice@node1.mesh');
  t.same(await bob.call('sip:alice@node1.mesh'), { status: 200, reason: 'OK' }, 'bob@node3 calls alice@node1 over the static peering');
  t.equal(await alice.hangUp(), 200, "alice's BYE reaches bob");
});

t.test('peer exchange: one static peer each, on node2, and the ends find each other through it', { skip: meshHostsMissing, timeout: 60_000 }, async (t) => {
  const net = line(t);
  const peers: Record<Name, string[]> = { node1: [`${net.address('node2')}:8443`], node2: [], node3: [`${net.address('node2')}:8443`] };
  const { node1, node2, node3 } = await startLine(t, net, (name) => ({ mdns: 'off', peers: peers[name], peerExchange: 'on' }));
  t.same(await eventually(() => node2.peerDomains(), (d) => d.length >= 2, 'node2 to know both ends, which name it', MEET_MS), ['node1.mesh', 'node3.mesh'], 'node2, which names no one, learned both ends from their exchanges');
  t.same(await eventually(() => node1.peerDomains(), (d) => d.length >= 2, 'node1 to hear of node3', MEET_MS), ['node2.mesh', 'node3.mesh']);
  t.same(await eventually(() => node3.peerDomains(), (d) => d.length >= 2, 'node3 to hear of node1', MEET_MS), ['node1.mesh', 'node2.mesh']);
  const node3Seen = (await node1.peers()).find((p) => p.domain === 'node3.mesh')!;
  t.same(node3Seen.channels, ['exchange'], 'node1 knows node3 from the exchange alone');
  t.equal(node3Seen.sip, `udp:${net.address('node3')}:${SIP_PORT}`, "node1 sends node3's SIP to node3's own address, verified by node3's descriptor");

  const alice = await startNetnsPhone(t, net.netns('node1'), { server: `ws://${net.address('node1')}:${HTTP_PORT}`, name: 'alice', user: 'alice', password: PASSWORDS.alice, domain: 'node1.mesh' });
  await alice.register();
  t.equal(await alice.message('sip:carol@node3.mesh', 'hola carol'), 202, 'a MESSAGE from alice@node1 reaches node3, which keeps it for carol');

  // Past two peer_interval polls and peer_timeout: the static polls' exchanges keep node3 heard at node1.
  await new Promise((resolve) => setTimeout(resolve, (PEER_TIMEOUT + 2) * 1000));
  t.same(await node1.peerDomains(), ['node2.mesh', 'node3.mesh'], 'node3 is still known at node1 after peer_timeout: the polls of node2 exchange in full');
  t.notMatch(node1.daemon.log(), /peer exchange with node \S+ at .* failed/, 'no exchange failed');
});
