/**
 * A SIP request as a peer would send it, parsed by the node's own parser: what unit tests feed the
 * transaction tables, the registrar, the proxy and the signer. Every part has a default, so a test
 * names only what it is about.
 */
import type { SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';

export interface RequestParts {
  method?: string;
  ruri?: string;
  /** Via values, top first. */
  vias?: readonly string[];
  from?: string;
  to?: string;
  callId?: string;
  cseq?: number;
  /** 70 unless given; null for none. */
  maxForwards?: number | null;
  /** Header lines after CSeq (Route, Contact, Content-Type, ...). */
  extra?: readonly string[];
  body?: string;
}

export function sipRequest(p: RequestParts = {}): SipRequest {
  const method = p.method ?? 'REGISTER';
  const body = p.body ?? '';
  const text = [
    `${method} ${p.ruri ?? 'sip:node1.mesh'} SIP/2.0`,
    ...(p.vias ?? ['SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bKnashds7']).map((v) => `Via: ${v}`),
    ...(p.maxForwards === null ? [] : [`Max-Forwards: ${p.maxForwards ?? 70}`]),
    `From: ${p.from ?? '<sip:alice@node1.mesh>;tag=a73kszlfl'}`,
    `To: ${p.to ?? '<sip:alice@node1.mesh>'}`,
    `Call-ID: ${p.callId ?? '1j9FpLxk3uxtm8tn@192.168.1.20'}`,
    `CSeq: ${p.cseq ?? 1} ${method}`,
    ...(p.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}
