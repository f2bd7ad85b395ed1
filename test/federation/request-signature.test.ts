import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { SIGNATURE_HEADER, SignatureVerifier, signRequest, type NodeSigner } from '../../src/federation/request-signature.js';
import type { SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { sipRequest } from '../helpers/sip-request.js';

/** node1's key pair; node3 has the public half pinned. */
const KEYS = generateKeyPairSync('ed25519');
const SIGNER: NodeSigner = { id: 'n1abcdefghij', privateKey: KEYS.privateKey };
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);

function invite(body = 'v=0\r\n'): SipRequest {
  return sipRequest({
    method: 'INVITE',
    ruri: 'sip:bob@node3.mesh',
    vias: ['SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKn1fwd1;rport'],
    maxForwards: 69,
    from: '"Alice" <sip:alice@node1.mesh>;tag=a1',
    to: '<sip:bob@node3.mesh>',
    callId: 'c1@198.18.0.1',
    cseq: 2,
    extra: ['Content-Type: application/sdp'],
    body,
  });
}

/** What the receiving node reads: the signed request after the wire. */
function overTheWire(req: SipRequest): SipRequest {
  return parseMessage(serializeMessage(req)) as SipRequest;
}

function verifier(o: { offset?: number } = {}) {
  let now = T0;
  const v = new SignatureVerifier({
    keyOf: (id) => (id === SIGNER.id ? KEYS.publicKey : undefined),
    now: () => now,
    ...(o.offset !== undefined ? { clockOffsetOf: () => o.offset! } : {}),
  });
  return { v, advance: (ms: number) => (now += ms) };
}

function signed(mutate?: (req: SipRequest) => void, at = T0): SipRequest {
  const req = invite();
  signRequest(req, SIGNER, at);
  mutate?.(req);
  return overTheWire(req);
}

t.test('a request signed by a known node verifies once it has crossed the wire', async (t) => {
  const { v } = verifier();
  const req = signed();
  t.match(req.headers.get(SIGNATURE_HEADER), /^node=n1abcdefghij;t=\d+;sig=[A-Za-z0-9_-]{86}$/);
  t.same(v.verify(req), { kind: 'verified', nodeId: SIGNER.id });
  t.same(v.verify(invite()), { kind: 'unsigned' }, 'no header: unsigned, for the proxy to decide');
});

t.test('whatever decides routing or speaks for the caller is covered', async (t) => {
  const changes: Record<string, (r: SipRequest) => void> = {
    'the Request-URI': (r) => (r.uri = 'sip:carol@node3.mesh'),
    'the method': (r) => {
      r.method = 'MESSAGE';
      r.headers.set('CSeq', '2 MESSAGE');
    },
    'the From user': (r) => r.headers.set('From', '"Alice" <sip:mallory@node1.mesh>;tag=a1'),
    'the From tag': (r) => r.headers.set('From', '"Alice" <sip:alice@node1.mesh>;tag=other'),
    'the To': (r) => r.headers.set('To', '<sip:carol@node3.mesh>'),
    'the Call-ID': (r) => r.headers.set('Call-ID', 'c2@198.18.0.1'),
    'the CSeq': (r) => r.headers.set('CSeq', '3 INVITE'),
    'the body': (r) => {
      r.body = Buffer.from('v=1\r\n');
      r.headers.set('Content-Length', '5');
    },
  };
  for (const [what, change] of Object.entries(changes)) {
    t.match(verifier().v.verify(signed(change)), { kind: 'refused', why: 'bad signature' }, `${what} changed: refused`);
  }
  const display = signed((r) => r.headers.set('From', '"Someone else" <sip:alice@node1.mesh>;tag=a1'));
  t.match(verifier().v.verify(display), { kind: 'verified' }, 'a display name is not vouched for, so may change');
});

t.test('unknown node, forged key, malformed or doubled headers are refused', async (t) => {
  const other = generateKeyPairSync('ed25519').privateKey;
  const forged = invite();
  signRequest(forged, { id: SIGNER.id, privateKey: other }, T0);
  t.match(verifier().v.verify(overTheWire(forged)), { kind: 'refused', nodeId: SIGNER.id, why: 'bad signature' }, 'a rogue key claiming a known id');
  const stranger = invite();
  signRequest(stranger, { id: 'n9zzzzzzzzzz', privateKey: other }, T0);
  t.match(verifier().v.verify(overTheWire(stranger)), { kind: 'refused', why: 'unknown node' });
  for (const value of ['node=n1abcdefghij;t=1;sig=short', 'garbage', `node=a b;t=${T0 / 1000};sig=${'A'.repeat(86)}`]) {
    const req = signed((r) => r.headers.set(SIGNATURE_HEADER, value));
    t.match(verifier().v.verify(req), { kind: 'refused', why: 'malformed signature header' }, JSON.stringify(value));
  }
  const doubled = signed((r) => r.headers.append(SIGNATURE_HEADER, r.headers.get(SIGNATURE_HEADER)!));
  t.match(verifier().v.verify(doubled), { kind: 'refused', why: 'more than one signature' });
});

t.test('a replay is refused; an old signature is stale; a known clock offset is allowed for', async (t) => {
  const { v, advance } = verifier();
  const req = signed();
  t.match(v.verify(req), { kind: 'verified' });
  t.match(v.verify(overTheWire(req)), { kind: 'refused', why: 'replayed signature' });
  advance(61_000);
  t.match(v.verify(overTheWire(req)), { kind: 'refused', why: /^stale signature/ }, 'outside the window');
  t.match(verifier().v.verify(signed(undefined, T0 + 61_000)), { kind: 'refused', why: /^stale/ }, 'from the future too');

  const behind = signed(undefined, T0 - 3_600_000);
  t.match(verifier().v.verify(behind), { kind: 'refused', why: /^stale/ }, 'a peer whose clock is an hour behind');
  t.match(verifier({ offset: -3_600_000 }).v.verify(behind), { kind: 'verified' }, 'fresh once its offset is known');
});

t.test('replays stay refused for as long as the signature is fresh, and are forgotten after', async (t) => {
  const { v, advance } = verifier();
  const ahead = signed(undefined, T0 + 60_000);
  t.match(v.verify(ahead), { kind: 'verified' }, 'a sender 60 s ahead');
  advance(120_000);
  t.match(v.verify(overTheWire(ahead)), { kind: 'refused', why: 'replayed signature' }, 'still fresh 120 s later, still a replay');
  advance(1_001);
  t.match(v.verify(overTheWire(ahead)), { kind: 'refused', why: /^stale/ });
});
