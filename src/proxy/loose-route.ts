/**
 * §16.4 route information preprocessing: the node takes its own entries off the top of Route
 * (one, or two after a transport change, RFC 5658), and an in-dialog request is sent where the
 * remaining Route or, with none left, the flow recorded for its direction leads (§16.12, RFC 5626
 * §5.3).
 */
import type { SipRequest } from '../sip/message.js';
import { parseNameAddr, tagOf } from '../sip/name-addr.js';
import type { Flow } from '../sip/flow.js';
import { flowFor, uriFlow, type FlowSource } from './next-hop.js';
import { readOurRoute, type OurRoute, type RouteDeps } from './record-route.js';
import type { ProxyRefusal } from './refusal.js';

export function popOurRoutes(deps: RouteDeps, req: SipRequest): OurRoute[] {
  const popped: OurRoute[] = [];
  for (;;) {
    const top = req.headers.first('route');
    const ours = top === undefined ? undefined : readOurRoute(deps, top);
    if (!ours) return popped;
    req.headers.shift('route');
    popped.push(ours);
  }
}

/**
 * The next hop of an in-dialog request after `popOurRoutes`: the next Route if any, else the flow
 * of the side the request goes to (From tag equal to the dialog's `ftag`: from the caller, so to
 * the callee).
 *
 * Only a flow token the node signed shows a dialog it record-routed (§12.2.2: 481 otherwise). A
 * Route that merely names the node, or a token for the other direction only, proves nothing:
 * following the next Route or the Request-URI for it would relay anyone's requests anywhere.
 */
export function inDialogHop(flows: FlowSource, req: SipRequest, popped: readonly OurRoute[], from = fromTag(req)): Flow | ProxyRefusal {
  if (!popped.some((r) => r.up !== undefined || r.dn !== undefined)) return 'NO_DIALOG';
  const next = req.headers.first('route');
  if (next !== undefined) {
    try {
      const hop = uriFlow(flows, parseNameAddr(next).uri);
      return hop.kind === 'flow' ? hop.flow : 'UNREACHABLE';
    } catch {
      return 'UNREACHABLE';
    }
  }
  const ftag = popped.find((r) => r.ftag !== undefined)?.ftag;
  const downstream = ftag !== undefined && from === ftag;
  const ref = popped.map((r) => (downstream ? r.dn : r.up)).find((f) => f !== undefined);
  if (!ref) return 'NO_DIALOG';
  return flowFor(flows, ref) ?? 'FLOW_FAILED';
}

/** The From tag that names a dialog's direction; a bare `tag` names none. */
export function fromTag(req: SipRequest): string | undefined {
  return tagOf(req.headers.get('from')) || undefined;
}
