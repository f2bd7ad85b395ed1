/**
 * Requests between nodes carry the sending node's signature, in the manner of RFC 8224 (STIR
 * Identity): the node that forwards `alice@node1` to node3 vouches for alice, and node3 believes it
 * only when the signature verifies against node1's pinned Ed25519 key (DESIGN.md §5). One header:
 *
 *   Trucada-Signature: node=<node id>;t=<unix seconds>;sig=<base64url Ed25519 signature>
 *
 * over the canonical lines below. What is signed is what decides routing and who is speaking:
 * method, Request-URI, Call-ID, CSeq, the From URI and tag, the To URI, the time and the SHA-256 of
 * the body. A signature is fresh for WINDOW_S either side of the sender's clock as the receiver knows
 * it (routers often have no real-time clock and no NTP offline, so the receiver may pass the offset
 * it learned from the peer's descriptor), and each is accepted once: a replay inside the window is
 * refused, one outside it is stale (RFC 8224 §6.2.1 step 3 does the same with its Date check).
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import type { SipRequest } from '../sip/message.js';
import { parseNameAddr, tagParam } from '../sip/name-addr.js';
import { formatUri } from '../sip/uri.js';

export const SIGNATURE_HEADER = 'Trucada-Signature';

/** RFC 8224 §4.1 recommends a freshness of 60 s around the Date of the request. */
export const WINDOW_S = 60;
/** Signatures remembered for replay detection: a flood past this forgets the oldest first. */
const MAX_REMEMBERED = 20_000;

export interface NodeSigner {
  readonly id: string;
  readonly privateKey: KeyObject;
}

/** The lines signed, or undefined when From or To cannot be read (the parser has checked both). */
function canonical(req: SipRequest, nodeId: string, t: number): Buffer | undefined {
  let from;
  let to;
  try {
    from = parseNameAddr(req.headers.get('from') ?? '');
    to = parseNameAddr(req.headers.get('to') ?? '');
  } catch {
    return undefined;
  }
  const lines = [
    'trucada-signature-v1',
    nodeId,
    String(t),
    req.method,
    req.uri,
    (req.headers.get('call-id') ?? '').trim(),
    (req.headers.get('cseq') ?? '').trim().replace(/\s+/g, ' '),
    formatUri(from.uri),
    tagParam(from) ?? '',
    formatUri(to.uri),
    createHash('sha256').update(req.body).digest('base64url'),
  ];
  return Buffer.from(lines.join('\n'));
}

/** Put the node's signature on a request it sends to another node (after any change to it). */
export function signRequest(req: SipRequest, signer: NodeSigner, nowMs: number): void {
  const t = Math.floor(nowMs / 1000);
  const data = canonical(req, signer.id, t);
  if (data === undefined) throw new RangeError('a request without a readable From and To cannot be signed');
  const sig = sign(null, data, signer.privateKey).toString('base64url');
  req.headers.set(SIGNATURE_HEADER, `node=${signer.id};t=${t};sig=${sig}`);
}

export type SignatureCheck =
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'verified'; readonly nodeId: string }
  /** `why` is for the log; the sender gets a plain 403. */
  | { readonly kind: 'refused'; readonly nodeId?: string; readonly why: string };

export interface VerifierDeps {
  /** The pinned key of a known node, or undefined. */
  keyOf(nodeId: string): KeyObject | undefined;
  now(): number;
  /** The peer's clock minus ours in ms, as learned from its descriptor; 0 when unknown. */
  clockOffsetOf?(nodeId: string): number;
}

/** The header's value, for SIP requests and peer exchange (exchange-signature.ts) alike. */
export const SIGNATURE_VALUE = /^node=([A-Za-z0-9_-]{1,64});t=(\d{1,12});sig=([A-Za-z0-9_-]{86})$/;

export class SignatureVerifier {
  /** Accepted signatures and when they stop being fresh, oldest first. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly deps: VerifierDeps) {}

  verify(req: SipRequest): SignatureCheck {
    const values = req.headers.getAll(SIGNATURE_HEADER);
    if (values.length === 0) return { kind: 'unsigned' };
    if (values.length > 1) return { kind: 'refused', why: 'more than one signature' };
    const m = SIGNATURE_VALUE.exec(values[0]!.trim());
    if (!m) return { kind: 'refused', why: 'malformed signature header' };
    const [, nodeId, tText, sig] = m as unknown as [string, string, string, string];
    const key = this.deps.keyOf(nodeId);
    if (key === undefined) return { kind: 'refused', nodeId, why: 'unknown node' };
    const t = Number(tText);
    const now = this.deps.now();
    const theirs = (now + (this.deps.clockOffsetOf?.(nodeId) ?? 0)) / 1000;
    if (Math.abs(theirs - t) > WINDOW_S) return { kind: 'refused', nodeId, why: `stale signature (${Math.round(theirs - t)} s off)` };
    const data = canonical(req, nodeId, t);
    if (data === undefined || !verify(null, data, key, Buffer.from(sig, 'base64url'))) {
      return { kind: 'refused', nodeId, why: 'bad signature' };
    }
    this.forgetExpired(now);
    if (this.seen.has(sig)) return { kind: 'refused', nodeId, why: 'replayed signature' };
    if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
    // Past this the signature is stale to any clock offset the window allows, so no longer needed.
    this.seen.set(sig, now + (2 * WINDOW_S + 1) * 1000);
    return { kind: 'verified', nodeId };
  }

  private forgetExpired(now: number): void {
    for (const [sig, until] of this.seen) {
      if (until > now) return;
      this.seen.delete(sig);
    }
  }
}
