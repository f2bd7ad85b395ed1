import { generateKeyPairSync } from 'node:crypto';
import t, { type Test } from 'tap';
import { PeerNodes, type KnownNode } from '../../src/federation/peer-nodes.js';
import { SIGNATURE_HEADER } from '../../src/federation/request-signature.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import { answer, DOMAIN, harness, last, request, requests, statuses, wire, type RequestOptions } from './proxy-fixture.js';

/**
 * The harness is node1 (node1.mesh, 198.18.0.1). node3 (node3.mesh, 198.18.0.3) is a verified peer;
 * node5 another one. Each side has its own PeerNodes, as two real nodes would, with the other's
 * public key pinned: what node1 signs, node3's view verifies, and the other way round.
 */
const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const now = () => NOW;
const keys = { n1: generateKeyPairSync('ed25519'), n3: generateKeyPairSync('ed25519'), n5: generateKeyPairSync('ed25519') };

function known(id: 'n1' | 'n3' | 'n5', domain: string, address: string): KnownNode {
  return { id: `${id}node`, domain, sip: { transport: 'udp', remoteAddress: address, remotePort: 5060 }, publicKey: keys[id].publicKey, clockOffsetMs: 0, users: [], online: new Set(), offline: new Set() };
}
const NODE1 = known('n1', DOMAIN, '198.18.0.1');
const NODE3 = known('n3', 'node3.mesh', '198.18.0.3');
const NODE5 = known('n5', 'node5.mesh', '198.18.0.5');

function setup() {
  const node1 = new PeerNodes({ id: NODE1.id, privateKey: keys.n1.privateKey }, now);
  node1.add(NODE3);
  node1.add(NODE5);
  const node3 = new PeerNodes({ id: NODE3.id, privateKey: keys.n3.privateKey }, now);
  node3.add(NODE1);
  const node5 = new PeerNodes({ id: NODE5.id, privateKey: keys.n5.privateKey }, now);
  const h = harness({ peers: node1 });
  const desk = h.flows.add({ remoteAddress: '198.18.0.22', remotePort: 5060 });
  h.register('bob', desk, 'sip:bob@198.18.0.22:5060', 'desk phone');
  /** node3's SIP socket, as node1 sees it. */
  const fromNode3 = h.flows.add({ remoteAddress: '198.18.0.3', remotePort: 5060 });
  return { ...h, node1, node3, node5, desk, fromNode3 };
}
type Setup = ReturnType<typeof setup>;

/** A request node3 (or `signer`; null: nobody) sends node1 on behalf of one of its users. */
function fromPeer(s: Setup, o: RequestOptions, signer: PeerNodes | null = s.node3): SipRequest {
  const req = request({ from: 'sip:carol@node3.mesh', sentBy: '198.18.0.3:5060', ...o });
  signer?.sign(req);
  return wire(req);
}

function refusedFromPeer(t: Test, s: Setup, req: SipRequest, status: number, reason: string) {
  s.deliver(req, s.fromNode3);
  const res = last(s.fromNode3.sent) as SipResponse;
  t.equal(res.status, status);
  t.equal(res.reason, reason);
  t.notOk(res.headers.has('proxy-authenticate'), 'refused before any challenge');
  t.same(s.flows.sentExcept(s.fromNode3), [], 'nothing sent on');
}

t.test("a local user's INVITE for a peer node's user goes to that node, signed by this one", async (t) => {
  const s = setup();
  s.sendAuthenticated({ ruri: 'sip:Bob@node3.mesh', to: 'sip:Bob@node3.mesh', body: 'v=0\r\n' });
  t.same(statuses(s.alice.sent), [407, 100]);
  const toNode3 = s.fromNode3;
  const fwd = wire(requests(toNode3.sent, 'INVITE')[0]!);
  t.equal(fwd.uri, 'sip:Bob@node3.mesh', 'the Request-URI is left for node3 to resolve');
  t.match(fwd.headers.get(SIGNATURE_HEADER), /^node=n1node;/);
  t.same(s.node3.verify(fwd), { kind: 'verified', nodeId: NODE1.id }, 'node3 verifies it with the key it pinned');
  t.match(fwd.headers.getAll('record-route')[0], /^<sip:198\.18\.0\.1:5060;lr;/, 'record-routed, so the dialog stays on both nodes');
  t.notOk(fwd.headers.has('proxy-authorization'));

  s.deliver(answer(fwd, 180), toNode3);
  s.deliver(answer(fwd, 200), toNode3);
  t.same(statuses(s.alice.sent), [407, 100, 180, 200]);
  t.equal(s.calls.length, 1);
  t.equal(s.calls[0]!.caller, 'alice');
  t.equal(s.calls[0]!.callee, 'bob@node3.mesh', 'the history names the remote user in full');
});

t.test('a bare name no account here has goes to the one node that publishes it, or the caller chooses', async (t) => {
  const s = setup();
  s.node1.add({ ...NODE3, users: ['bob', 'dora', 'eve'] });
  s.node1.add({ ...NODE5, users: ['eve'] });
  s.sendAuthenticated({ ruri: `sip:Dora@${DOMAIN}`, to: `sip:Dora@${DOMAIN}`, callId: 'bare-1', body: 'v=0\r\n' });
  const fwd = wire(requests(s.fromNode3.sent, 'INVITE')[0]!);
  t.equal(fwd.uri, 'sip:dora@node3.mesh', 'retargeted to the node that has dora');
  t.same(s.node3.verify(fwd), { kind: 'verified', nodeId: NODE1.id }, 'and signed by this node');
  s.deliver(answer(fwd, 486), s.fromNode3);
  t.equal(s.calls.at(-1)!.callee, 'dora@node3.mesh');

  s.sendAuthenticated({ ruri: `sip:eve@${DOMAIN}`, to: `sip:eve@${DOMAIN}`, callId: 'bare-2', body: 'v=0\r\n' });
  const choices = last(s.alice.sent) as SipResponse;
  t.same([choices.status, choices.reason], [300, 'Multiple Choices']);
  t.same(choices.headers.getAll('contact'), ['<sip:eve@node3.mesh>', '<sip:eve@node5.mesh>'], 'each node that has an eve');
  t.equal(requests(s.fromNode3.sent, 'INVITE').length, 1, 'nothing more went to node3');
  t.ok(s.logs.some((l) => l.includes('2 nodes have a eve, the caller chooses')));

  s.sendAuthenticated({ ruri: `sip:bob@${DOMAIN}`, to: `sip:bob@${DOMAIN}`, callId: 'bare-3', body: 'v=0\r\n' });
  t.equal(requests(s.desk.sent, 'INVITE').length, 1, 'a name with an account here stays here');
  t.equal(requests(s.fromNode3.sent, 'INVITE').length, 1);

  s.sendAuthenticated({ ruri: `sip:zoe@${DOMAIN}`, to: `sip:zoe@${DOMAIN}`, callId: 'bare-4', body: 'v=0\r\n' });
  t.equal((last(s.alice.sent) as SipResponse).status, 404, 'a name nobody has is not found');

  s.deliver(fromPeer(s, { ruri: `sip:eve@${DOMAIN}`, callId: 'bare-5' }), s.fromNode3);
  t.equal((last(s.fromNode3.sent) as SipResponse).status, 404, "a peer's request is not resolved across the mesh: no relaying for other nodes");
  t.equal(requests(s.fromNode3.sent, 'INVITE').length, 1);
});

t.test('a request a peer node cannot be sent tells federation, which fetches that node again', async (t) => {
  const s = setup();
  const unreachable: string[] = [];
  s.node1.unreachable = (id) => unreachable.push(id);
  s.fromNode3.failSends = true;
  s.sendAuthenticated({ ruri: 'sip:bob@node3.mesh', to: 'sip:bob@node3.mesh', callId: 'gone-1', body: 'v=0\r\n' });
  t.same(unreachable, [NODE3.id], "node3's branch failed in the transport");
  t.equal((last(s.alice.sent) as SipResponse).status, 480, 'and the caller hears that nobody could be reached');
});

t.test("a peer node's user is reached only by a proven local user: a stranger is challenged", async (t) => {
  const s = setup();
  s.deliver(request({ ruri: 'sip:bob@node3.mesh' }), s.alice);
  t.same(statuses(s.alice.sent), [407]);
  t.same(s.fromNode3.sent, [], 'nothing went to node3');
});

t.test('a domain no verified node serves is still no relay', async (t) => {
  const s = setup();
  s.deliver(request({ ruri: 'sip:bob@node9.mesh' }), s.alice);
  const res = last(s.alice.sent) as SipResponse;
  t.equal(res.status, 403);
  t.equal(res.reason, 'Not relaying: domain not served by this node');
  t.same(s.flows.opened, []);
});

t.test("a request signed by a peer node reaches a local user's devices with no challenge", async (t) => {
  const s = setup();
  s.deliver(fromPeer(s, { ruri: `sip:bob@${DOMAIN}`, callId: 'fed-1' }), s.fromNode3);
  t.same(statuses(s.fromNode3.sent), [100]);
  const atDesk = requests(s.desk.sent, 'INVITE');
  t.equal(atDesk.length, 1);
  t.equal(atDesk[0]!.uri, 'sip:bob@198.18.0.22:5060');
  s.deliver(answer(wire(atDesk[0]!), 486), s.desk);
  t.same(statuses(s.fromNode3.sent), [100, 486]);
  t.equal(s.calls[0]!.caller, 'carol@node3.mesh', 'the caller is named by the node that vouched for her');
  t.equal(s.calls[0]!.callee, 'bob');
});

t.test("a peer's signature names its own domain, whatever host the user's phone wrote in From", async (t) => {
  const s = setup();
  s.deliver(fromPeer(s, { ruri: `sip:bob@${DOMAIN}`, from: 'sip:carol@198.18.0.3', callId: 'fed-2' }), s.fromNode3);
  t.equal(requests(s.desk.sent, 'INVITE').length, 1);
  s.deliver(answer(wire(requests(s.desk.sent, 'INVITE')[0]!), 603), s.desk);
  t.equal(s.calls[0]!.caller, 'carol@node3.mesh');
});

t.test('a request claiming a peer node\'s user without its signature is refused', async (t) => {
  const s = setup();
  refusedFromPeer(t, s, fromPeer(s, { ruri: `sip:bob@${DOMAIN}` }, null), 403, 'Missing or invalid node signature');
  t.ok(s.logs.some((l) => /node signature refused \(unsigned\)/.test(l)), 'and logged');
});

t.test('a signature that does not verify, or is replayed, is refused', async (t) => {
  const s = setup();
  const tampered = fromPeer(s, { ruri: `sip:bob@${DOMAIN}` });
  tampered.headers.set('From', '"Carol" <sip:dave@node3.mesh>;tag=alicetag1');
  refusedFromPeer(t, s, tampered, 403, 'Missing or invalid node signature');
  t.ok(s.logs.some((l) => /bad signature/.test(l)));

  const s2 = setup();
  const once = fromPeer(s2, { ruri: `sip:bob@${DOMAIN}`, branch: 'z9hG4bKonce' });
  s2.deliver(once, s2.fromNode3);
  t.equal(requests(s2.desk.sent, 'INVITE').length, 1, 'the first one goes through');
  const again = wire(once);
  again.headers.set('Via', 'SIP/2.0/UDP 198.18.0.3:5060;branch=z9hG4bKreplay;rport');
  s2.deliver(again, s2.fromNode3);
  const res = last(s2.fromNode3.sent) as SipResponse;
  t.equal(res.status, 403, 'a replay as a new transaction is refused');
  t.equal(requests(s2.desk.sent, 'INVITE').length, 1, 'and not sent on');
});

t.test('a node speaks only for its own users: signed by node5 with a From of node3', async (t) => {
  const s = setup();
  refusedFromPeer(t, s, fromPeer(s, { ruri: `sip:bob@${DOMAIN}` }, s.node5), 403, 'Missing or invalid node signature');
});

t.test('a signature from a node nobody pinned is refused', async (t) => {
  const s = setup();
  s.node1.remove(NODE5.id);
  refusedFromPeer(t, s, fromPeer(s, { ruri: `sip:bob@${DOMAIN}`, from: 'sip:eve@node5.mesh' }, s.node5), 403, 'Missing or invalid node signature');
  t.ok(s.logs.some((l) => /unknown node/.test(l)));
});

t.test('a request from a peer node for a third node is not relayed', async (t) => {
  const s = setup();
  refusedFromPeer(t, s, fromPeer(s, { ruri: 'sip:zoe@node5.mesh', to: 'sip:zoe@node5.mesh' }), 403, 'Not relaying: requests from other nodes are for local users only');
});

t.test('a MESSAGE goes to the peer node and its answer comes back', async (t) => {
  const s = setup();
  s.sendAuthenticated({ method: 'MESSAGE', ruri: 'sip:bob@node3.mesh', to: 'sip:bob@node3.mesh', body: 'hola', extra: ['Content-Type: text/plain'] });
  const toNode3 = s.fromNode3;
  const fwd = wire(requests(toNode3.sent, 'MESSAGE')[0]!);
  t.equal(fwd.body.toString(), 'hola');
  t.same(s.node3.verify(fwd), { kind: 'verified', nodeId: NODE1.id });
  t.notOk(fwd.headers.has('record-route'), 'a MESSAGE creates no dialog');
  s.deliver(answer(fwd, 202), toNode3);
  t.equal((last(s.alice.sent) as SipResponse).status, 202);
});

t.test('two nodes claiming one domain: the first keeps it until it leaves', async (t) => {
  const peers = new PeerNodes({ id: NODE1.id, privateKey: keys.n1.privateKey }, now);
  t.same(peers.add(NODE3), { kind: 'added' });
  const impostor = { ...NODE5, domain: 'Node3.Mesh' };
  t.same(peers.add(impostor), { kind: 'domain-taken', by: NODE3.id });
  t.equal(peers.nodeForDomain('node3.mesh')?.id, NODE3.id);
  t.equal(peers.nodeById(NODE5.id), undefined, 'the claimant is not known at all');
  t.same(peers.add({ ...NODE3, sip: { transport: 'tcp', remoteAddress: '198.18.0.33', remotePort: 5060 } }), { kind: 'updated' });
  t.equal(peers.nodeForDomain('node3.mesh')?.sip.remoteAddress, '198.18.0.33', 'the holder may move');
  peers.remove(NODE3.id);
  t.equal(peers.nodeForDomain('node3.mesh'), undefined);
  t.same(peers.add(impostor), { kind: 'added' }, 'once the holder left, the domain is free');
  t.equal(peers.nodeForDomain('node3.mesh')?.id, NODE5.id);
});

t.test('a node that changes its domain gives up the old one', async (t) => {
  const peers = new PeerNodes({ id: NODE1.id, privateKey: keys.n1.privateKey }, now);
  peers.add(NODE3);
  peers.add({ ...NODE3, domain: 'renamed.mesh' });
  t.equal(peers.nodeForDomain('node3.mesh'), undefined);
  t.equal(peers.nodeForDomain('renamed.mesh')?.id, NODE3.id);
  t.same(peers.nodes().map((n) => n.id), [NODE3.id]);
});
