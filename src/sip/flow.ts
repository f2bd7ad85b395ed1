/**
 * A flow (RFC 5626 §3): the path a message came in on and on which replies and later requests for
 * the same client go back. Transports create flows; everything above only sends on them.
 */
import type { SipMessage } from './message.js';

export type TransportName = 'udp' | 'tcp' | 'ws' | 'wss';

/** Where a flow leads, as far as it can be written down and restored after a restart. */
export interface FlowAddress {
  readonly transport: TransportName;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface Flow extends FlowAddress {
  /** Unique for the node's lifetime: `udp:198.18.0.2:5060`, `tcp#17`, `ws#3`. */
  readonly id: string;
  /** The node's end: empty while a connection the node opened is still being made. */
  readonly localAddress: string;
  /**
   * The node's port as the peer reaches it: a connection the node opened says its listening port,
   * not the ephemeral one it leaves from, since a Via sent-by and a Record-Route name where the node
   * listens (RFC 3261 §18.1.1, §18.2.2: responses come back on a new connection to it if need be).
   */
  readonly localPort: number;
  /** TCP and WebSocket: no retransmissions (RFC 3261 §17.1.1.2). */
  readonly reliable: boolean;
  /** False once the connection is gone; a UDP flow never closes. */
  readonly open: boolean;
  /** Serialise and send; returns false when the flow is closed or the write failed. */
  send(message: SipMessage): boolean;
  /**
   * Send a message serialised earlier: a server transaction keeps its last response as bytes to
   * send again (RFC 3261 §17.2), which costs the heap far less than the message's objects.
   */
  sendBytes(data: Buffer): boolean;
  /**
   * A WebSocket opened by the node's own page with a live login session (RFC 7118 §7: the
   * connection is authenticated by the web session's cookie): that session's user while it lasts.
   */
  readonly webUser?: () => string | undefined;
}

/**
 * How a connection-oriented flow ended: `closed` after it was up, `unreachable` when the node's
 * attempt to connect failed (refused, reset or timed out), so nothing sent on it ever arrived.
 */
export type FlowEnd = 'closed' | 'unreachable';

/** What transports deliver to the layer above: one entry point for every transport. */
export interface MessageSink {
  onMessage(message: SipMessage, flow: Flow): void;
  /** A connection-oriented flow closed (its WebSocket bindings go with it). */
  onFlowClosed(flow: Flow, end: FlowEnd): void;
}
