/**
 * Which bindings die with the connection they were registered on. A device reached only through
 * that connection cannot be reached once it is gone, and dialling its Contact would find nothing
 * listening there; Kamailio drops such TCP aliases with the connection in the same way.
 *
 *   - WebSocket: always (RFC 7118 §5: the Contact host is a `.invalid` name);
 *   - TCP with RFC 5626 outbound (`reg-id` and `+sip.instance`): the flow is the binding (§4.4, §5.2);
 *   - TCP whose Contact is the connection's own remote address and port: the device put its
 *     ephemeral port there (Linphone does, from `rport`) and listens nowhere else.
 *
 * A TCP binding whose Contact names a listening address outlives its connection: a request for it
 * opens a new one (RFC 3261 §18.1.1).
 */
import { parseUri } from '../sip/uri.js';
import { canonicalHost } from '../net/addresses.js';
import type { FlowAddress } from '../sip/flow.js';
import type { Binding } from './binding.js';
import { TRANSPORT_TRAITS } from '../sip/transport-traits.js';

export function diesWithFlow(binding: Binding, flow: FlowAddress): boolean {
  const traits = TRANSPORT_TRAITS[flow.transport];
  // Nothing reaches a device the node cannot dial once its connection is gone; a datagram has none.
  if (!traits.dialable) return true;
  if (!traits.reliable) return false;
  if (binding.regId !== undefined) return true;
  return contactIsPeer(binding.contact, flow);
}

/** The Contact's host and port are the connection's remote end (a URI without a port names 5060, §19.1.2). */
function contactIsPeer(contact: string, flow: FlowAddress): boolean {
  let uri;
  try {
    uri = parseUri(contact);
  } catch {
    return false;
  }
  return (uri.port ?? 5060) === flow.remotePort && canonicalHost(uri.host) === canonicalHost(flow.remoteAddress);
}
