/**
 * Flow tokens (RFC 5626 §5.2): what the node writes into its Record-Route so that a request later
 * in the dialog finds the flow of the peer it is for. A browser's Contact is a `.invalid` name and
 * a phone behind NAT gives a private address; only the flow the dialog began on reaches them.
 *
 * The token names the flow and is signed (HMAC-SHA-256, truncated to 96 bits) with a key of this
 * node, so a client cannot aim in-dialog requests at flows it never shared a dialog with. The key
 * lives in `run_dir` (see route-key.ts), so tokens outlive a restart of the daemon, as UDP
 * bindings do, and not a reboot.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FlowAddress, TransportName } from '../sip/flow.js';
import { TRANSPORT_NAMES } from '../sip/transport-traits.js';

export interface FlowRef extends FlowAddress {
  /** The flow's id (`ws#3`); a connection that has closed is reached again only over TCP/UDP. */
  readonly id: string;
}

const MAC_BYTES = 12;
/** Tokens remembered each way: the flows of the calls going on, so a call's requests MAC nothing. */
const CACHED = 2048;

export class FlowTokens {
  /** flow description -> token, and verified token -> flow; oldest first, at most CACHED each. */
  private readonly encoded = new Map<string, string>();
  private readonly verified = new Map<string, FlowRef>();

  constructor(private readonly key: Buffer) {}

  encode(flow: FlowRef): string {
    const text = `${flow.transport} ${flow.remoteAddress} ${flow.remotePort} ${flow.id}`;
    const known = this.encoded.get(text);
    if (known !== undefined) return known;
    const payload = Buffer.from(text, 'utf8');
    const token = `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
    remember(this.encoded, text, token);
    return token;
  }

  /** The flow a token names, or undefined when it is not one of ours (forged, damaged, old key). */
  decode(token: string): FlowRef | undefined {
    const known = this.verified.get(token);
    if (known !== undefined) return known;
    const flow = this.verify(token);
    if (flow) remember(this.verified, token, flow);
    return flow;
  }

  private verify(token: string): FlowRef | undefined {
    const dot = token.indexOf('.');
    if (dot < 0 || token.length > 400) return undefined;
    const payload = Buffer.from(token.slice(0, dot), 'base64url');
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    if (given.length !== MAC_BYTES || !timingSafeEqual(given, this.mac(payload))) return undefined;
    const [transport, remoteAddress, port, id, ...rest] = payload.toString('utf8').split(' ');
    const remotePort = Number(port);
    if (rest.length > 0 || !TRANSPORT_NAMES.includes(transport as TransportName) || !remoteAddress || !id) return undefined;
    if (!Number.isInteger(remotePort) || remotePort < 1 || remotePort > 65535) return undefined;
    return { transport: transport as TransportName, remoteAddress, remotePort, id };
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
}
