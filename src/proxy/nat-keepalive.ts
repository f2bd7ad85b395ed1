/**
 * Keeps the NAT pinholes of UDP bindings open and drops the bindings that stop answering, as
 * Kamailio's nathelper does with `natping_interval` and `sipping_method=OPTIONS`: every interval
 * each UDP binding behind NAT gets an OPTIONS (RFC 3261 §11) on its flow. Any response, whatever
 * its status (phones often answer OPTIONS with 404, 405 or 501), proves the pinhole open and the
 * phone alive; no response before Timer F (§17.1.2.2) means the phone is gone, and so does its
 * binding.
 *
 * The pings of one round are spread over the interval in small batches rather than sent in one
 * burst. At most one ping per binding is outstanding; that marker is the only state kept per
 * binding, and it goes when the ping's transaction ends. TCP and WebSocket bindings are never
 * pinged: their connections have CRLF and WebSocket keep-alives of their own (RFC 5626 §3.5.1).
 */
import { isIP } from 'node:net';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { sameBinding, type Binding } from '../location/binding.js';
import type { Location } from '../location/location.js';
import type { SipRequest } from '../sip/message.js';
import type { ClientTransaction, ClientTransactionTable } from '../sip/transactions/client-transaction-table.js';
import { bareHost, formatUri, parseUri, type SipUri } from '../sip/uri.js';
import { ipAddressBytes } from '../net/ip-address-bytes.js';
import { unmapAddress } from '../net/addresses.js';
import type { Flow } from '../sip/flow.js';
import type { LocalAddresses } from '../net/local-address.js';
import { nodeRequest } from './node-request.js';
import { bindingFlow, type FlowSource } from './next-hop.js';
import { TRANSPORT_TRAITS } from '../sip/transport-traits.js';

export interface NatKeepaliveDeps {
  location: Location;
  flows: FlowSource;
  clientTransactions: ClientTransactionTable;
  addresses: LocalAddresses;
  clock: Clock;
  logger: Logger;
  /** Milliseconds between two pings of one binding (`nat_ping_interval` × 1000); 0 turns pinging off. */
  intervalMs: number;
  /** The node's domain, for the From of the pings. */
  domain: string;
}

/**
 * The shortest gap between two batches of a round: below it, a timer per ping costs more than a
 * burst of a few pings does to the network.
 */
const MIN_BATCH_GAP_MS = 50;

export class NatKeepalive {
  /** The outstanding ping of each binding, by `pingKey`. */
  private readonly pending = new Map<string, ClientTransaction>();
  private timer: unknown;
  private running = false;
  private unsubscribe: (() => void) | undefined;
  /** The bindings of the current round still to ping, and where the next batch starts. */
  private queue: Binding[] = [];
  private next = 0;
  private perBatch = 1;
  private batchGapMs = 0;
  private roundStartedAt = 0;

  constructor(private readonly deps: NatKeepaliveDeps) {}

  /** Ping from one interval from now; a binding just registered has its pinhole fresh. */
  start(): void {
    if (this.running || this.deps.intervalMs <= 0) return;
    this.running = true;
    // A binding that unregisters or expires needs its outstanding ping no more.
    this.unsubscribe = this.deps.location.onChange((event) => {
      if (event.type === 'removed' || event.type === 'expired') this.pending.get(pingKey(event.binding))?.terminate();
    });
    this.arm(this.deps.intervalMs, () => this.round());
  }

  /** Clear the timer and end every outstanding ping (their transactions' timers go with them). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue = [];
    for (const tx of [...this.pending.values()]) tx.terminate();
    this.pending.clear();
  }

  /** Take the round's bindings now; bindings added from here on wait for the next round. */
  private round(): void {
    this.roundStartedAt = this.deps.clock.now();
    this.queue = this.deps.location.all().filter(behindNat);
    this.next = 0;
    // As many batches as the gap allows, as even as they can be, spaced across the whole interval.
    const maxBatches = Math.max(1, Math.floor(this.deps.intervalMs / MIN_BATCH_GAP_MS));
    this.perBatch = Math.max(1, Math.ceil(this.queue.length / maxBatches));
    this.batchGapMs = this.deps.intervalMs / Math.max(1, Math.ceil(this.queue.length / this.perBatch));
    if (this.queue.length > 0) {
      this.deps.logger.debug(`keep-alive: ${this.queue.length} UDP binding(s) behind NAT, pinged over ${this.deps.intervalMs} ms`);
    }
    this.batch();
  }

  private batch(): void {
    const end = Math.min(this.queue.length, this.next + this.perBatch);
    for (; this.next < end && this.running; this.next++) this.pingCurrent(this.queue[this.next]!);
    if (!this.running) return;
    if (this.next < this.queue.length) {
      this.arm(this.batchGapMs, () => this.batch());
      return;
    }
    this.queue = [];
    this.arm(this.roundStartedAt + this.deps.intervalMs - this.deps.clock.now(), () => this.round());
  }

  /** The binding as it stands now: gone, refreshed onto another flow or moved to TCP meanwhile. */
  private pingCurrent(queued: Binding): void {
    const current = this.current(queued);
    if (current && behindNat(current) && !this.pending.has(pingKey(current))) this.ping(current);
  }

  private ping(binding: Binding): void {
    const flow = bindingFlow(this.deps.flows, binding);
    // Without an open socket of its own the node has nothing to learn about the phone.
    if (!flow?.open) return;
    const key = pingKey(binding);
    let tx: ClientTransaction | undefined;
    let answered = false;
    let ended = false;
    const settle = () => {
      if (tx !== undefined && this.pending.get(key) === tx) this.pending.delete(key);
    };
    tx = this.deps.clientTransactions.start(this.options(binding, flow), flow, {
      onResponse: (response) => {
        answered = true;
        if (response.status >= 200) settle();
      },
      onTimeout: () => {
        settle();
        if (!answered) this.drop(binding, 'no answer to keep-alive OPTIONS');
      },
      onTransportError: () => {
        settle();
        // A socket closed under the ping means the node is stopping, not that the phone left.
        if (flow.open) this.drop(binding, 'keep-alive OPTIONS could not be sent');
      },
      onTerminated: () => {
        ended = true;
        settle();
      },
    });
    if (!ended) this.pending.set(key, tx);
  }

  /** §8.1.1: a request outside any dialog, addressed to the Contact the phone registered. */
  private options(binding: Binding, flow: Flow): SipRequest {
    const uri = requestUri(binding.contact);
    return nodeRequest({ method: 'OPTIONS', uri, from: `<sip:ping@${this.deps.domain}>`, to: `<${uri}>`, flow }, this.deps.addresses);
  }

  /** Only the binding that was pinged goes: a REGISTER since then proved the phone alive. */
  private drop(pinged: Binding, why: string): void {
    if (this.current(pinged) !== pinged) return;
    const removed = this.deps.location.remove(pinged.aor, pinged);
    if (removed) this.deps.logger.info(`unregister ${removed.aor} ${removed.contact}: ${why}`);
  }

  private current(binding: Binding): Binding | undefined {
    return this.deps.location.lookup(binding.aor).find((b) => sameBinding(b, binding));
  }

  private arm(ms: number, fn: () => void): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      fn();
    }, Math.max(0, ms));
  }
}

/**
 * A UDP binding whose REGISTER came from another address or port than its Contact names: a NAT
 * rewrote it on the way, the case `received`/`rport` (RFC 3581) describe, and the pinhole closes
 * unless something crosses it.
 */
export function behindNat(binding: Binding): boolean {
  // A connection keeps its own NAT mapping alive (RFC 5626 §4.4.1 for the rest).
  if (TRANSPORT_TRAITS[binding.flow.transport].reliable) return false;
  const contact = contactUri(binding.contact);
  if (contact?.scheme !== 'sip') return false;
  // §19.1.2: a sip URI without a port means 5060.
  if ((contact.port ?? 5060) !== binding.flow.remotePort) return true;
  return !sameAddress(bareHost(contact.host), unmapAddress(binding.flow.remoteAddress));
}

/** The same identity `sameBinding` uses: instance and reg-id when both are there, else the Contact. */
function pingKey(b: Binding): string {
  return b.instance !== undefined && b.regId !== undefined ? `${b.aor}\n${b.instance}\n${b.regId}` : `${b.aor}\n${b.contact}`;
}

/** §19.1.1: headers of a URI have no place in a Request-URI; the Contact is kept as written otherwise. */
function requestUri(contact: string): string {
  const uri = contactUri(contact);
  if (!uri || uri.headers.size === 0) return contact;
  return formatUri({ ...uri, headers: new Map() });
}

function contactUri(contact: string): SipUri | undefined {
  try {
    return parseUri(contact);
  } catch {
    return undefined;
  }
}

/** IP addresses compared by value (`::1` is `0:0:0:0:0:0:0:1`); a host name matches no address. */
function sameAddress(host: string, address: string): boolean {
  if (isIP(host) === 0 || isIP(host) !== isIP(address)) return false;
  return ipAddressBytes(host).equals(ipAddressBytes(address));
}
