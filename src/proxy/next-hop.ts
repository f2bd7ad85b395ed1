/**
 * Where a request goes, as a Flow (RFC 3261 §16.6 steps 6 and 7; RFC 5626 §5.3): a binding's flow
 * (the WebSocket its REGISTER came on, the NAT address of a UDP phone), the flow a verified
 * Record-Route token names, or the address in a URI. Host names are not resolved: every peer on the
 * mesh is reached by address, and a router with no internet has no DNS to ask.
 */
import { isIP } from 'node:net';
import type { Binding } from '../location/binding.js';
import { bareHost, parseUri, type SipUri } from '../sip/uri.js';
import { canonicalHost } from '../net/addresses.js';
import type { Flow, FlowAddress } from '../sip/flow.js';
import type { FlowRef } from './flow-token.js';
import { TRANSPORT_TRAITS, transportNamed } from '../sip/transport-traits.js';

/** The part of the transports the proxy sends through. */
export interface FlowSource {
  flowById(id: string): Flow | undefined;
  /** Reuses or opens a UDP/TCP flow; an existing WebSocket flow only. */
  flowTo(address: FlowAddress): Flow | undefined;
}

/**
 * The open flow of `ref` while it still leads to ref's address, or for UDP and TCP a new one to
 * that address (§18.1.1). (A UDP binding reached at its Contact names the flow its REGISTER came on
 * and the Contact's address: udp-reach.ts.)
 */
export function flowFor(flows: FlowSource, ref: FlowRef): Flow | undefined {
  const byId = flows.flowById(ref.id);
  if (byId?.open && byId.remotePort === ref.remotePort && canonicalHost(byId.remoteAddress) === canonicalHost(ref.remoteAddress)) return byId;
  if (!TRANSPORT_TRAITS[ref.transport].dialable) return undefined;
  return flows.flowTo(ref);
}

/**
 * A binding's own flow while it is open. Once a TCP connection is gone, the new one goes to where
 * the device listens, its Contact (§18.1.1, §19.1.4): the old connection's source port was an
 * ephemeral one that nothing listens on. (Bindings whose Contact was that source die with their
 * connection: location/flow-bound.ts.) A UDP binding keeps its source address, which is where a
 * phone behind NAT is reached.
 */
export function bindingFlow(flows: FlowSource, binding: Binding): Flow | undefined {
  const ref = { ...binding.flow, id: binding.flowId };
  const traits = TRANSPORT_TRAITS[ref.transport];
  if (!traits.dialable || !traits.reliable) return flowFor(flows, ref);
  const byId = flows.flowById(ref.id);
  if (byId?.open) return byId;
  return flows.flowTo(listeningAddress(binding.contact) ?? ref);
}

/** The Contact's address for TCP, when it names one (a host name is not resolved). */
function listeningAddress(contact: string): FlowAddress | undefined {
  let uri: SipUri;
  try {
    uri = parseUri(contact);
  } catch {
    return undefined;
  }
  const host = bareHost(uri.host);
  if (isIP(host) === 0) return undefined;
  return { transport: 'tcp', remoteAddress: host, remotePort: uri.port ?? 5060 };
}

export type UriHop = { kind: 'flow'; flow: Flow } | { kind: 'unreachable'; why: string };

/** §19.1.4 defaults: UDP, port 5060; a ws/wss URI is only reachable on a flow the client opened. */
export function uriFlow(flows: FlowSource, uri: SipUri): UriHop {
  const host = bareHost(uri.host);
  if (isIP(host) === 0) return { kind: 'unreachable', why: `${host} is not an address` };
  const param = uri.params.get('transport');
  const named = typeof param === 'string' ? param : 'udp';
  const transport = transportNamed(named);
  if (transport === undefined || !TRANSPORT_TRAITS[transport].dialable) return { kind: 'unreachable', why: `no ${named.toLowerCase()} connection to ${host}` };
  const flow = flows.flowTo({ transport, remoteAddress: host, remotePort: uri.port ?? 5060 });
  return flow ? { kind: 'flow', flow } : { kind: 'unreachable', why: `cannot reach ${host}` };
}
