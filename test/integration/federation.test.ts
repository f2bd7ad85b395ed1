/**
 * Two real nodes that know each other as static peers (UCI `list peer`), on loopback: each fetches
 * and verifies the other's signed descriptor, and then alice@node1.mesh and bob@node2.mesh call and
 * message each other as if they shared a node, SIP.js on each node's WebSocket. Each node signs what
 * it sends on; the receiving node checks the signature, so a request that only claims to come from
 * node1's users is refused. A third node claiming node2's domain is refused while node2 holds it,
 * and a node that stops answering leaves the directory after peer_timeout (its users then get 480).
 */
import t, { type Test } from 'tap';
import { Messager, SessionState, UserAgent } from 'sip.js';
import type { Config } from '../../src/config/config.js';
import { rawSipPeer } from '../helpers/raw-sip-peer.js';
import { until, within } from '../helpers/sip-ua.js';
import { finalStatus, hangUp, reaches, startSipJsPhone, type SipJsPhone } from '../helpers/sipjs-phone.js';
import { startTestNodeWith, testConfig, type TestNode } from '../helpers/test-node.js';
import { installSipWebSocket, type SipSockets } from '../helpers/ws-for-sip-clients.js';

const PEER_INTERVAL = 5;
const PEER_TIMEOUT = 10;
/** The static peers fetch at start and every PEER_INTERVAL: both have met within two rounds. */
const MEET_MS = 2 * PEER_INTERVAL * 1000 + 5000;

async function nodeConfig(t: Test, domain: string): Promise<Config> {
  return testConfig(t, { domain, peerInterval: PEER_INTERVAL, peerTimeout: PEER_TIMEOUT });
}

function peerOf(config: Config): { host: string; port: number } {
  return { host: '127.0.0.1', port: config.httpsPort };
}

/** node1 and node2, each with the other as its static peer, once each has accepted the other. */
async function twoNodes(t: Test): Promise<[TestNode, TestNode]> {
  const c1 = await nodeConfig(t, 'node1.mesh');
  const c2 = await nodeConfig(t, 'node2.mesh');
  c1.peers = [peerOf(c2)];
  c2.peers = [peerOf(c1)];
  const node1 = await startTestNodeWith(t, c1, { alice: 'alice-secret' });
  const node2 = await startTestNodeWith(t, c2, { bob: 'bob-secret' });
  showLogsOnFailure(t, [node1, node2]);
  await until(() => joined(node1, 'node2.mesh') && joined(node2, 'node1.mesh'), 'the two nodes to accept each other', MEET_MS);
  return [node1, node2];
}

/** The nodes' own account of a failed test. */
function showLogsOnFailure(t: Test, nodes: TestNode[]): void {
  t.teardown(() => {
    if (t.passing()) return;
    for (const n of nodes) t.comment(`${n.config.domain}:\n${n.logs.slice(-60).join('\n')}`);
  });
}

function joined(node: TestNode, domain: string): boolean {
  return node.logs.some((l) => l.includes(`(${domain}) at 127.0.0.1 joined (static`));
}

async function phone(t: Test, sockets: SipSockets, node: TestNode, user: string, password: string): Promise<SipJsPhone> {
  const p = await startSipJsPhone(t, sockets, {
    server: `ws://127.0.0.1:${node.config.httpPort}`, name: user, user, password, domain: node.config.domain,
  });
  await p.register();
  return p;
}

function message(from: SipJsPhone, to: string, body: string): Promise<number> {
  const messager = new Messager(from.ua, UserAgent.makeURI(to)!, body, 'text/plain');
  return finalStatus((requestDelegate) => messager.message({ requestDelegate }), `the MESSAGE to ${to} to be answered`);
}

/** `caller` calls `target`; the callee's phone answers; `hangsUp` ends the call with BYE. */
async function call(t: Test, caller: SipJsPhone, callee: SipJsPhone, target: string, hangsUp: 'caller' | 'callee'): Promise<void> {
  const incoming = callee.nextInvitation();
  const { inviter, final } = caller.call(target);
  const invitation = await incoming;
  await within(invitation.accept(), 'the callee to answer');
  t.same(await within(final, 'the INVITE to be answered'), { status: 200, reason: 'OK' }, `${target} answered`);
  await reaches(inviter, SessionState.Established, 'the caller to establish the call');
  await reaches(invitation, SessionState.Established, 'the callee to have the call');
  t.equal(await hangUp(hangsUp === 'caller' ? inviter : invitation), 200, `the ${hangsUp}'s BYE crosses both nodes and is answered`);
  await reaches(inviter, SessionState.Terminated, 'the call to end at the caller');
  await reaches(invitation, SessionState.Terminated, 'the call to end at the callee');
}

t.test('alice on node1 and bob on node2 call and message each other both ways', async (t) => {
  const [node1, node2] = await twoNodes(t);
  const sockets = installSipWebSocket(t);
  const alice = await phone(t, sockets, node1, 'alice', 'alice-secret');
  const bob = await phone(t, sockets, node2, 'bob', 'bob-secret');

  await call(t, alice, bob, 'sip:bob@node2.mesh', 'caller');
  await call(t, bob, alice, 'sip:alice@node1.mesh', 'callee');

  const inbox: string[] = [];
  const aliceInbox: string[] = [];
  bob.ua.delegate = { ...bob.ua.delegate, onMessage: (m) => { inbox.push(`${m.request.from.uri.toString()} ${m.request.body}`); void m.accept(); } };
  alice.ua.delegate = { ...alice.ua.delegate, onMessage: (m) => { aliceInbox.push(`${m.request.from.uri.toString()} ${m.request.body}`); void m.accept(); } };
  t.equal(await message(alice, 'sip:bob@node2.mesh', 'hola bob'), 200, "bob's phone took alice's message");
  t.equal(await message(bob, 'sip:alice@node1.mesh', 'hola alice'), 200, "alice's phone took bob's message");
  t.same(inbox, ['sip:alice@node1.mesh hola bob'], 'bob sees it from alice@node1.mesh');
  t.same(aliceInbox, ['sip:bob@node2.mesh hola alice'], 'alice sees it from bob@node2.mesh');

  const mine = node1.node.history.list('alice', { limit: 10 }).map((c) => `${c.caller} -> ${c.callee} ${c.outcome}`);
  const theirs = node2.node.history.list('bob', { limit: 10 }).map((c) => `${c.caller} -> ${c.callee} ${c.outcome}`);
  t.same(mine, ['bob@node2.mesh -> alice answered', 'alice -> bob@node2.mesh answered'], "node1 keeps alice's two calls");
  t.same(theirs, ['bob -> alice@node1.mesh answered', 'alice@node1.mesh -> bob answered'], "node2 keeps bob's two calls");
});

t.test('a message for a user of a peer node who is offline is kept by that node', async (t) => {
  const [node1, node2] = await twoNodes(t);
  const sockets = installSipWebSocket(t);
  const alice = await phone(t, sockets, node1, 'alice', 'alice-secret');
  t.equal(await message(alice, 'sip:bob@node2.mesh', 'while you were away'), 202, 'node2 stored it: 202 Accepted (RFC 3428 §7)');
  const inbox: string[] = [];
  const bob = await startSipJsPhone(t, sockets, {
    server: `ws://127.0.0.1:${node2.config.httpPort}`, name: 'bob', user: 'bob', password: 'bob-secret', domain: 'node2.mesh',
  });
  bob.ua.delegate = { ...bob.ua.delegate, onMessage: (m) => { inbox.push(m.request.body); void m.accept(); } };
  await bob.register();
  await until(() => inbox.length === 1, 'the stored message to reach bob when he registers');
  t.same(inbox, ['while you were away']);
  t.equal(await message(alice, 'sip:nobody@node2.mesh', 'hello?'), 404, 'a user node2 does not have: 404 from node2');
});

t.test('a request that claims a peer node user without that node signature is refused', async (t) => {
  const [, node2] = await twoNodes(t);
  // A device on node2's own SIP port pretending to be alice of node1, with no node signature.
  const forger = await rawSipPeer(t, { transport: 'udp', nodePort: node2.config.sipPort, user: 'alice', password: 'x' });
  const res = await forger.send({ method: 'MESSAGE', ruri: 'sip:bob@node2.mesh', to: 'bob', from: 'sip:alice@node1.mesh', body: 'forged' });
  t.equal(res.status, 403, 'refused');
  t.equal(res.reason, 'Missing or invalid node signature');
  t.ok(node2.logs.some((l) => /MESSAGE from udp 127\.0\.0\.1:\d+ as node1\.mesh: node signature refused/.test(l)), 'and logged');
});

t.test('a third node claiming a domain a peer holds is refused; a peer that goes away leaves', async (t) => {
  const c1 = await nodeConfig(t, 'node1.mesh');
  const c2 = await nodeConfig(t, 'node2.mesh');
  const c3 = await nodeConfig(t, 'node2.mesh');
  c1.peers = [peerOf(c2), peerOf(c3)];
  c2.peers = [peerOf(c1)];
  const node1 = await startTestNodeWith(t, c1, { alice: 'alice-secret' });
  const node2 = await startTestNodeWith(t, c2, { bob: 'bob-secret' });
  await until(() => joined(node1, 'node2.mesh') && joined(node2, 'node1.mesh'), 'node1 and node2 to accept each other', MEET_MS);
  // node3 comes up after node2 holds the domain at node1.
  const node3 = await startTestNodeWith(t, c3, { bob: 'impostor' });
  await until(() => node1.logs.some((l) => /claims node2\.mesh, which node \S+ holds/.test(l)), 'node1 to refuse the second claim', MEET_MS);
  t.equal(node1.logs.filter((l) => /\(node2\.mesh\) at .* joined/.test(l)).length, 1, 'only the first holder joined');

  const sockets = installSipWebSocket(t);
  const alice = await phone(t, sockets, node1, 'alice', 'alice-secret');
  const bob = await phone(t, sockets, node2, 'bob', 'bob-secret');
  await call(t, alice, bob, 'sip:bob@node2.mesh', 'callee');
  t.notOk(node3.logs.some((l) => l.includes('INVITE from')), 'nothing reached the impostor');

  await node3.stop();
  await node2.stop();
  await until(() => node1.logs.some((l) => /\(node2\.mesh\) left: not heard from/.test(l)), "node2 to leave node1's directory", (PEER_TIMEOUT + PEER_INTERVAL) * 1000 + 5000);
  t.equal(await message(alice, 'sip:bob@node2.mesh', 'still there?'), 480, 'the domain of a node that left: its users are out of reach for now');
  t.equal(await message(alice, 'sip:bob@node9.mesh', 'anyone?'), 403, 'a domain no node ever served is not relayed');
});

t.test('a bare name resolves across the mesh when one node has it; with several the caller gets the choices', async (t) => {
  const c1 = await nodeConfig(t, 'node1.mesh');
  const c2 = await nodeConfig(t, 'node2.mesh');
  const c3 = await nodeConfig(t, 'node3.mesh');
  c1.peers = [peerOf(c2), peerOf(c3)];
  c2.peers = [peerOf(c1)];
  c3.peers = [peerOf(c1)];
  const node1 = await startTestNodeWith(t, c1, { alice: 'alice-secret' });
  const node2 = await startTestNodeWith(t, c2, { dora: 'dora-secret', eve: 'eve-secret' });
  const node3 = await startTestNodeWith(t, c3, { eve: 'eve-secret-3' });
  showLogsOnFailure(t, [node1, node2, node3]);
  await until(() => joined(node1, 'node2.mesh') && joined(node1, 'node3.mesh') && joined(node2, 'node1.mesh'), 'node1 to know both others', MEET_MS);

  const sockets = installSipWebSocket(t);
  const alice = await phone(t, sockets, node1, 'alice', 'alice-secret');
  const dora = await phone(t, sockets, node2, 'dora', 'dora-secret');
  await call(t, alice, dora, 'sip:dora@node1.mesh', 'caller');
  t.ok(node1.logs.some((l) => /INVITE from alice to dora@node2\.mesh: via node/.test(l)), 'dora, dialled bare on node1, is the one on node2');

  const { inviter, final } = alice.call('sip:eve@node1.mesh');
  t.same(await within(final, 'the INVITE to be answered'), { status: 300, reason: 'Multiple Choices' }, 'two nodes have an eve');
  t.equal(inviter.state, SessionState.Terminated);
  t.equal(await message(alice, 'sip:eve@node1.mesh', 'which eve?'), 300, 'a MESSAGE alike');
  t.notOk([node2, node3].some((n) => n.logs.some((l) => l.includes('from alice@node1.mesh to eve'))), 'neither eve was reached');
});
