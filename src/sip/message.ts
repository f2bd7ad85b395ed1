/**
 * The SIP message model (RFC 3261 §7). Start line fields are parsed; header values stay as text in
 * `Headers` and are given structure by `via.ts`, `name-addr.ts`, `cseq.ts` and `uri.ts` on demand.
 */
import type { Headers } from './headers.js';

export interface SipRequest {
  readonly kind: 'request';
  method: string;
  /** The Request-URI exactly as written (parse with `parseUri` when needed). */
  uri: string;
  headers: Headers;
  body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  status: number;
  reason: string;
  headers: Headers;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/**
 * The body of a message without one, shared: a zero-length buffer holds nothing to change, and
 * most messages (every REGISTER, every reply to one) would otherwise each allocate their own.
 */
export const NO_BODY: Buffer = Buffer.alloc(0);
