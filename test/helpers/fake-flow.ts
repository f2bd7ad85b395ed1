/** A Flow for tests: records every message sent on it instead of writing to a socket. */
import type { SipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import type { Flow, TransportName } from '../../src/sip/flow.js';

export interface FakeFlowOptions {
  transport?: TransportName;
  remoteAddress?: string;
  remotePort?: number;
  localAddress?: string;
  localPort?: number;
  id?: string;
}

/** A message as it goes on the wire, to compare what was sent with what was meant to be. */
export function wireText(message: SipMessage | undefined): string {
  return message === undefined ? '' : serializeMessage(message).toString('utf8');
}

export class FakeFlow implements Flow {
  readonly transport: TransportName;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly id: string;
  readonly reliable: boolean;
  open = true;
  /** When true, `send` fails as a broken connection would. */
  failSends = false;
  readonly sent: SipMessage[] = [];

  constructor(o: FakeFlowOptions = {}) {
    this.transport = o.transport ?? 'udp';
    this.remoteAddress = o.remoteAddress ?? '198.18.0.2';
    this.remotePort = o.remotePort ?? 5060;
    this.localAddress = o.localAddress ?? '198.18.0.1';
    this.localPort = o.localPort ?? 5060;
    this.reliable = this.transport !== 'udp';
    this.id = o.id ?? (this.reliable ? `${this.transport}#1` : `udp:${this.remoteAddress}:${this.remotePort}`);
  }

  send(message: SipMessage): boolean {
    if (!this.open || this.failSends) return false;
    this.sent.push(message);
    return true;
  }

  /** Recorded as the message the bytes hold, through `send`, so subclasses see every send. */
  sendBytes(data: Buffer): boolean {
    return this.send(parseMessage(data));
  }

  close(): void {
    this.open = false;
  }
}
