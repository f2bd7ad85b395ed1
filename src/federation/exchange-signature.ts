/**
 * A peer exchange (peer-exchange.ts) is signed by the node that sends it, in the same header form
 * as SIP requests between nodes (request-signature.ts), so that only a verified peer can make this
 * node fetch from the addresses a list names. Signed: the sender's id, the receiver's id (a list
 * sent to one node is not taken by another), the time and the SHA-256 of the body. Fresh within
 * the same window around the sender's clock as the receiver knows it. Replays are not tracked: a
 * replayed list says again what its sender said, and every beacon in it is fetched and verified.
 */
import { createHash, sign, verify } from 'node:crypto';
import { SIGNATURE_VALUE, WINDOW_S, type NodeSigner, type SignatureCheck, type VerifierDeps } from './request-signature.js';

function canonical(body: Buffer, senderId: string, receiverId: string, t: number): Buffer {
  return Buffer.from(['trucada-exchange-v1', senderId, receiverId, String(t), createHash('sha256').update(body).digest('base64url')].join('\n'));
}

/** The header value for a list of beacons sent to node `receiverId`. */
export function signExchange(body: Buffer, signer: NodeSigner, receiverId: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  const sig = sign(null, canonical(body, signer.id, receiverId, t), signer.privateKey).toString('base64url');
  return `node=${signer.id};t=${t};sig=${sig}`;
}

export function verifyExchange(value: string | undefined, body: Buffer, receiverId: string, deps: VerifierDeps): SignatureCheck {
  if (value === undefined) return { kind: 'unsigned' };
  const m = SIGNATURE_VALUE.exec(value.trim());
  if (!m) return { kind: 'refused', why: 'malformed signature header' };
  const [, nodeId, tText, sig] = m as unknown as [string, string, string, string];
  const key = deps.keyOf(nodeId);
  if (key === undefined) return { kind: 'refused', nodeId, why: 'unknown node' };
  const t = Number(tText);
  const theirs = (deps.now() + (deps.clockOffsetOf?.(nodeId) ?? 0)) / 1000;
  if (Math.abs(theirs - t) > WINDOW_S) return { kind: 'refused', nodeId, why: `stale signature (${Math.round(theirs - t)} s off)` };
  if (!verify(null, canonical(body, nodeId, receiverId, t), key, Buffer.from(sig, 'base64url'))) return { kind: 'refused', nodeId, why: 'bad signature' };
  return { kind: 'verified', nodeId };
}
