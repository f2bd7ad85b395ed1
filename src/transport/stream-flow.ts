/**
 * A flow over one connection (TCP or WebSocket): reliable, open until its connection closes, and
 * never reopened — a new connection is a new flow (RFC 5626 §3).
 */
import type { SipMessage } from '../sip/message.js';
import { serializeMessage } from '../sip/serializer.js';
import type { Flow, TransportName } from '../sip/flow.js';
import { unmapAddress } from '../net/addresses.js';

export interface StreamFlowEnds {
  readonly id: string;
  readonly transport: TransportName;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The connection's socket: its local end is known only once an outgoing connection is made. */
  readonly socket: { readonly localAddress?: string | undefined; readonly localPort?: number | undefined };
  /**
   * For a connection the node opened: the port it listens on, which the peer is told (flow.ts),
   * and the address it connects from when one is configured, known before the socket is up.
   */
  readonly opened?: { readonly listeningPort: number; readonly localAddress?: string | undefined };
  readonly webUser?: (() => string | undefined) | undefined;
}

export class StreamFlow implements Flow {
  readonly id: string;
  readonly transport: TransportName;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly reliable = true;
  readonly webUser: (() => string | undefined) | undefined;
  private readonly socket: StreamFlowEnds['socket'];
  private readonly opened: StreamFlowEnds['opened'];
  private local: { address: string; port: number } | undefined;
  private closed = false;

  /** `write` puts bytes on the connection and says whether it took them. */
  constructor(ends: StreamFlowEnds, private readonly write: (data: Buffer) => boolean) {
    this.id = ends.id;
    this.transport = ends.transport;
    this.remoteAddress = ends.remoteAddress;
    this.remotePort = ends.remotePort;
    this.socket = ends.socket;
    this.opened = ends.opened;
    this.webUser = ends.webUser;
  }

  get localAddress(): string {
    return this.localEnd().address;
  }

  get localPort(): number {
    return this.opened?.listeningPort ?? this.localEnd().port;
  }

  get open(): boolean {
    return !this.closed;
  }

  send(message: SipMessage): boolean {
    return this.sendBytes(serializeMessage(message));
  }

  sendBytes(data: Buffer): boolean {
    if (this.closed) return false;
    return this.write(data);
  }

  private localEnd(): { address: string; port: number } {
    if (this.local) return this.local;
    const { localAddress, localPort } = this.socket;
    if (localAddress === undefined || localPort === undefined) return { address: this.opened?.localAddress ?? '', port: 0 };
    this.local = { address: unmapAddress(localAddress), port: localPort };
    return this.local;
  }

  /** The connection has gone; later sends return false. */
  markClosed(): void {
    this.closed = true;
  }
}
