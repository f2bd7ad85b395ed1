/**
 * Every way the proxy refuses a request, each a named reason with one reply code (as the
 * registrar's refusal.ts), so logs and tests speak of the reason and the code lives in one place.
 */
import type { SipRequest, SipResponse } from '../sip/message.js';
import { refusalResponse } from '../sip/response.js';

export const PROXY_REFUSALS = {
  BAD_REQUEST_URI: { status: 400, reason: 'Bad Request-URI' },
  BAD_FROM: { status: 400, reason: 'Bad From header' },
  BAD_MAX_FORWARDS: { status: 400, reason: 'Bad Max-Forwards header' },
  /** §16.3 step 1: the node routes SIP and SIPS URIs only. */
  UNSUPPORTED_SCHEME: { status: 416, reason: 'Unsupported URI Scheme' },
  /** §16.3 step 3. */
  TOO_MANY_HOPS: { status: 483, reason: 'Too Many Hops' },
  /** §16.3 step 4. */
  LOOP: { status: 482, reason: 'Loop Detected' },
  /** §16.3 step 5: a Proxy-Require option the node does not know (the reply lists it). */
  BAD_EXTENSION: { status: 420, reason: 'Bad Extension' },
  /** The node is no open relay: only its own domain and those of verified peer nodes are served. */
  NOT_OUR_DOMAIN: { status: 403, reason: 'Not relaying: domain not served by this node' },
  /** A request from another node sent on to a third: each node serves its own users only. */
  NO_TRANSIT: { status: 403, reason: 'Not relaying: requests from other nodes are for local users only' },
  /** A request claiming a known node's domain that carries no valid signature of that node. */
  BAD_NODE_SIGNATURE: { status: 403, reason: 'Missing or invalid node signature' },
  /** A pre-loaded Route beyond the node on a request from outside a dialog: also a relay. */
  FOREIGN_ROUTE: { status: 403, reason: 'Not relaying: Route leads away from this node' },
  NO_USER: { status: 404, reason: 'No user in Request-URI' },
  UNKNOWN_USER: { status: 404, reason: 'Not Found' },
  /** §22.3 / RFC 3261 §26.3.2.2: one may only send as oneself. */
  FROM_MISMATCH: { status: 403, reason: 'Authenticated user does not match From' },
  /** RFC 3428 §7: over `message_max_body`. */
  MESSAGE_TOO_LARGE: { status: 413, reason: 'Message body too large' },
  /** A domain whose node left the directory (switched off, out of reach): it may come back. */
  PEER_GONE: { status: 480, reason: 'Temporarily Unavailable: the node of that domain is not reachable now' },
  /** The user exists but no device is registered. */
  OFFLINE: { status: 480, reason: 'Temporarily Unavailable' },
  /** §12.2.2: a request for a dialog the node did not record-route, or a mid-dialog method alone. */
  NO_DIALOG: { status: 481, reason: 'Call/Transaction Does Not Exist' },
  /** RFC 5626 §5.3: the flow the dialog used has closed (a browser tab went away). */
  FLOW_FAILED: { status: 430, reason: 'Flow Failed' },
  /** The next hop is a host name or an unknown transport (no DNS on the mesh). */
  UNREACHABLE: { status: 478, reason: 'Unresolvable destination' },
  /** PUBLISH and the like: there is no presence server on the node. */
  NOT_IMPLEMENTED: { status: 501, reason: 'Not Implemented' },
} as const;

export type ProxyRefusal = keyof typeof PROXY_REFUSALS;

export function proxyRefuse(req: SipRequest, name: ProxyRefusal, headers: Record<string, string> = {}): SipResponse {
  return refusalResponse(req, PROXY_REFUSALS[name], headers);
}
