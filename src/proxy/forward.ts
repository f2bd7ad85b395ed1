/**
 * The copy of a request that the node sends on (RFC 3261 §16.6 steps 1-8): the new Request-URI,
 * one hop fewer in Max-Forwards, the node's Record-Route entries and Via on top. The node's own
 * digest credentials are taken out (they were for this hop, as Kamailio's consume_credentials
 * does); everything else travels as it came, but for the SDP when the media relay rewrote it.
 */
import { Headers } from '../sip/headers.js';
import type { SipRequest } from '../sip/message.js';
import type { Flow } from '../sip/flow.js';
import type { LocalAddresses } from '../net/local-address.js';

export interface ForwardSpec {
  requestUri: string;
  outbound: Flow;
  branch: string;
  /** Values to put on top of Record-Route, first on top (record-route.ts). */
  recordRoute?: readonly string[];
  /** The realm whose Proxy-Authorization the node consumed. */
  realm?: string;
  /** A body in place of the request's: the SDP the media relay made for this branch. */
  body?: Buffer;
}

/** §16.6 step 3: a copy without Max-Forwards gets one, which "SHOULD be 70". */
const DEFAULT_MAX_FORWARDS = 70;

export function forwardedRequest(req: SipRequest, spec: ForwardSpec, addresses: LocalAddresses): SipRequest {
  const headers = new Headers();
  for (const { name, value } of req.headers.entries()) {
    if (spec.realm !== undefined && /^proxy-authorization$/i.test(name) && realmOf(value) === spec.realm) continue;
    headers.append(name, value);
  }
  const given = req.headers.get('max-forwards');
  const hops = given === undefined ? DEFAULT_MAX_FORWARDS : Math.max(0, Number(given) - 1);
  headers.set('Max-Forwards', String(hops));
  for (const rr of [...(spec.recordRoute ?? [])].reverse()) headers.prepend('Record-Route', rr);
  headers.prepend('Via', viaFor(spec.outbound, spec.branch, addresses));
  return { kind: 'request', method: req.method, uri: spec.requestUri, headers, body: spec.body ?? req.body };
}

/** §16.6 step 8 / §18.1.1: the node's sent-by on this flow, with `rport` (RFC 3581 §3). */
export function viaFor(flow: Flow, branch: string, addresses: LocalAddresses): string {
  const address = addresses.forFlow(flow);
  const host = address.includes(':') ? `[${address}]` : address;
  return `SIP/2.0/${flow.transport.toUpperCase()} ${host}:${flow.localPort};branch=${branch};rport`;
}

function realmOf(value: string): string | undefined {
  return /realm\s*=\s*"([^"]*)"/i.exec(value)?.[1];
}
