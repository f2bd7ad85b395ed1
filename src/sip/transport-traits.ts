/**
 * What each transport is, said once (issue 13): the places that treat transports differently ask
 * this instead of comparing names.
 */
import type { TransportName } from './flow.js';

export interface TransportTraits {
  /** The transport delivers or fails by itself: no retransmissions (RFC 3261 §17.1.1.2, §17.2.1). */
  readonly reliable: boolean;
  /**
   * The node can open a flow to an address (RFC 3261 §18.1.1), so a binding on it outlives its
   * flow and survives a restart; a WebSocket only the browser opens (RFC 7118 §5).
   */
  readonly dialable: boolean;
  /** Its peers are browsers, whose media is WebRTC's (RFC 8827). */
  readonly browser: boolean;
  /** The `transport` URI parameter that names it (RFC 3261 §19.1.1, RFC 7118 §5.2); none for UDP, the default. */
  readonly uriParam: string | undefined;
}

export const TRANSPORT_TRAITS: { readonly [T in TransportName]: TransportTraits } = {
  udp: { reliable: false, dialable: true, browser: false, uriParam: undefined },
  tcp: { reliable: true, dialable: true, browser: false, uriParam: 'tcp' },
  ws: { reliable: true, dialable: false, browser: true, uriParam: 'ws' },
  wss: { reliable: true, dialable: false, browser: true, uriParam: 'wss' },
};

export const TRANSPORT_NAMES = Object.keys(TRANSPORT_TRAITS) as TransportName[];

/** A transport name from the wire (a URI parameter, a stored flow), if it is one of the node's. */
export function transportNamed(name: string): TransportName | undefined {
  const lower = name.toLowerCase();
  return TRANSPORT_NAMES.find((t) => t === lower);
}
