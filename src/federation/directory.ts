/**
 * The directory of peer nodes: every discovery channel hands it the descriptors it fetched, and
 * it alone decides who is a peer (DESIGN.md §5). A descriptor is accepted when it verifies
 * (descriptor.ts), its key is the one pinned for its id (pins.ts), it is not older than the last one
 * accepted from that node (a replay of an old descriptor would move the node back), and its domain
 * is neither ours nor held by another node (peer-nodes.ts). A node not heard from for `timeoutMs`
 * leaves, and its users with it, and so does one that every channel that had heard it withdrew
 * (its bmx sms file gone, an mDNS goodbye). Refusals are logged once per source and reason, not once
 * a poll.
 *
 * A node is heard when its descriptor is accepted, and when a channel announces it again at the seq
 * accepted: the channels already carry who is there (bmx floods its sms, mDNS records expire, a
 * shared-state entry bleaches out), so at rest nothing is fetched and federation costs the mesh
 * nothing per peer. A beacon is not signed, though, and one left behind (a bmx sms file that outlives
 * a trucada that died) or replayed must not keep a node for ever: every `revalidateMs` the
 * descriptor is fetched again, and a node whose descriptor has not been accepted for
 * `revalidateMs + timeoutMs` leaves, announced or not.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { TransportName } from '../sip/flow.js';
import type { Beacon } from './beacon.js';
import { EXCHANGE_CHANNEL } from './channel.js';
import { parseDescriptor, type Descriptor } from './descriptor.js';
import type { PeerNodes } from './peer-nodes.js';
import type { Pins } from './pins.js';

const MAX_SOURCES = 1024;

export interface DirectoryDeps {
  readonly peers: PeerNodes;
  readonly pins: Pins;
  readonly self: { readonly id: string; readonly domain: string };
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** How long an accepted descriptor stands while beacons of its seq keep coming, before it is fetched again. */
  readonly revalidateMs: number;
  readonly logger: Logger;
  /** A node was admitted that the directory did not hold (peer-exchange.ts passes it on). */
  readonly joined?: (id: string) => void;
}

/** Where a descriptor came from, besides the address and the channel. */
export interface HeardHow {
  /**
   * A static peer's address, which the operator configured; it need not be among the addresses the
   * node lists, so a node behind NAT or a port forward (a routed Guifi.net zone) is reached where
   * the operator said. Any other address must be one the node lists.
   */
  readonly addressNamedByOperator?: boolean;
  /** The port it was fetched from, so that the node can be passed on to other peers (peer exchange). */
  readonly httpsPort?: number;
  /**
   * The node `introducedBy` sent it as its own with a peer exchange, from `address`
   * (peer-exchange.ts): it must be that node's, and that exchange is the one a join would start, so
   * none is started.
   */
  readonly introducedBy?: string;
}

export type Heard = { readonly ok: true; readonly id: string } | { readonly ok: false; readonly why: string };

interface Seen {
  readonly seq: number;
  readonly time: number;
  /** Our clock when its descriptor was last accepted (set back when a request to it failed). */
  fetchedAt: number;
  /** Our clock when last heard: accepted, or announced again at this seq. */
  heardAt: number;
  /** The channels that heard it since it was last accepted. */
  readonly channels: Set<string>;
  /** Where its descriptor was fetched (the HTTPS port), when the fetcher said: what its beacon names. */
  readonly endpoint: { readonly address: string; readonly port: number } | undefined;
}

export class Directory {
  private readonly seen = new Map<string, Seen>();
  private readonly lastRefusal = new Map<string, string>();
  private timer: unknown;

  constructor(private readonly deps: DirectoryDeps) {}

  /** Checks every few seconds, so a node leaves within a quarter of the timeout after it. */
  start(): void {
    const tick = () => {
      this.expire();
      this.timer = this.deps.clock.setTimeout(tick, Math.max(1000, this.deps.timeoutMs / 4));
    };
    this.timer = this.deps.clock.setTimeout(tick, Math.max(1000, this.deps.timeoutMs / 4));
  }

  stop(): void {
    this.deps.clock.clearTimeout(this.timer);
  }

  /**
   * A beacon for node `id` with `seq` heard on `channel`: true when its descriptor should be fetched
   * (a node not in the directory, a newer seq, or a descriptor older than `revalidateMs`); an older
   * seq is nothing. Else the node is heard, with no fetch.
   */
  announced(id: string, seq: number, channel: string): boolean {
    const seen = this.seen.get(id);
    if (seen === undefined || seq > seen.seq || this.deps.peers.nodeById(id) === undefined) return true;
    if (seq < seen.seq) return false;
    const now = this.deps.clock.now();
    seen.channels.add(channel);
    seen.heardAt = now;
    return now - seen.fetchedAt >= this.deps.revalidateMs;
  }

  /**
   * A request to node `id` failed: its descriptor is due again, fetched at its next beacon (static
   * peers: at the next interval), and the node leaves after `timeoutMs` unless that succeeds. This is
   * how a trucada that died behind a beacon that outlives it (a bmx sms file) is found out early.
   */
  suspect(id: string): void {
    const seen = this.seen.get(id);
    if (seen === undefined) return;
    const due = this.deps.clock.now() - this.deps.revalidateMs;
    if (seen.fetchedAt <= due) return;
    seen.fetchedAt = due;
    this.deps.logger.info(`node ${id}: a request to it failed; its descriptor is fetched again`);
  }

  /** When node `id`'s descriptor was last accepted (our clock), and the channels that heard it since. */
  seenOf(id: string): { readonly heardAt: number; readonly channels: readonly string[] } | undefined {
    const seen = this.seen.get(id);
    return seen === undefined ? undefined : { heardAt: seen.heardAt, channels: [...seen.channels].sort() };
  }

  /** The beacons of the peers admitted now whose HTTPS endpoint is known: what peer exchange passes on. */
  beacons(): Beacon[] {
    const out: Beacon[] = [];
    for (const node of this.deps.peers.nodes()) {
      const seen = this.seen.get(node.id);
      if (seen?.endpoint !== undefined) out.push({ id: node.id, domain: node.domain, address: seen.endpoint.address, port: seen.endpoint.port, seq: seen.seq });
    }
    return out;
  }

  /**
   * `channel` no longer announces node `id`: it leaves when no first-hand channel that heard it is
   * left (peer exchange alone does not hold it, EXCHANGE_CHANNEL).
   */
  withdrawn(id: string, channel: string): void {
    const seen = this.seen.get(id);
    if (seen === undefined || !seen.channels.delete(channel)) return;
    if ([...seen.channels].some((c) => c !== EXCHANGE_CHANNEL)) return;
    seen.channels.clear();
    const node = this.deps.peers.nodeById(id);
    if (node === undefined) return;
    this.deps.peers.remove(id);
    this.deps.logger.info(`node ${id} (${node.domain}) left: no longer announced (${channel})`);
  }

  /**
   * A descriptor fetched from `address` (where the node then sends SIP), found by `channel`; `how`
   * says more of where it came from.
   */
  heard(body: Buffer, address: string, channel: string, how: HeardHow = {}): Heard {
    const source = `${channel} ${address}`;
    const parsed = parseDescriptor(body);
    if (!parsed.ok) return this.refuse(source, `descriptor refused: ${parsed.why}`);
    const d = parsed.descriptor;
    // A static peer list that names this node too, or a beacon of our own heard back.
    if (d.id === this.deps.self.id) return { ok: false, why: 'our own descriptor' };
    if (how.introducedBy !== undefined && d.id !== how.introducedBy) return this.refuse(source, `node ${how.introducedBy} introduced itself with the descriptor of node ${d.id}`);
    if (this.deps.pins.check(d.id, d.publicKey) === 'refused') return this.refuse(source, `node ${d.id}: key refused`);
    const before = this.seen.get(d.id);
    if (before && (d.seq < before.seq || (d.seq === before.seq && d.time < before.time))) {
      return this.refuse(source, `node ${d.id}: an older descriptor (seq ${d.seq}, last ${before.seq})`);
    }
    if (!how.addressNamedByOperator && !d.addresses.includes(address.toLowerCase())) return this.refuse(source, `node ${d.id}: fetched from ${address}, which it does not list as its own`);
    if (d.domain === this.deps.self.domain) return this.refuse(source, `node ${d.id} claims our own domain ${d.domain}`);
    const now = this.deps.clock.now();
    const added = this.deps.peers.add({ id: d.id, domain: d.domain, sip: sipOf(d, address), publicKey: d.publicKey, clockOffsetMs: d.time - now, users: d.users, online: new Set(d.online), offline: new Set(d.offline) });
    if (added.kind === 'domain-taken') return this.refuse(source, `node ${d.id} claims ${d.domain}, which node ${added.by} holds`);
    const channels = before !== undefined && this.deps.peers.nodeById(d.id) !== undefined ? before.channels : new Set<string>();
    const endpoint = how.httpsPort === undefined ? before?.endpoint : { address, port: how.httpsPort };
    this.seen.set(d.id, { seq: d.seq, time: d.time, fetchedAt: now, heardAt: now, channels: channels.add(channel), endpoint });
    if (this.lastRefusal.delete(source) || added.kind === 'added') {
      this.deps.logger.info(`node ${d.id} (${d.domain}) at ${address} ${added.kind === 'added' ? 'joined' : 'is accepted again'} (${channel}${how.introducedBy === undefined ? '' : ', introduced by itself'}, seq ${d.seq}, ${d.users.length} users)`);
    }
    if (added.kind === 'added' && how.introducedBy === undefined) this.deps.joined?.(d.id);
    return { ok: true, id: d.id };
  }

  /** Removes the nodes not heard from within the timeout. */
  expire(): void {
    const now = this.deps.clock.now();
    for (const node of this.deps.peers.nodes()) {
      const seen = this.seen.get(node.id);
      if (seen && now - seen.heardAt <= this.deps.timeoutMs && now - seen.fetchedAt <= this.deps.revalidateMs + this.deps.timeoutMs) continue;
      this.deps.peers.remove(node.id);
      this.deps.logger.info(`node ${node.id} (${node.domain}) left: not heard from for ${Math.round(this.deps.timeoutMs / 1000)} s`);
    }
  }

  private refuse(source: string, why: string): Heard {
    if (this.lastRefusal.get(source) !== why) {
      // Sources come from the network: past the bound the oldest is forgotten (and may log again).
      if (this.lastRefusal.size >= MAX_SOURCES) this.lastRefusal.delete(this.lastRefusal.keys().next().value!);
      this.lastRefusal.set(source, why);
      this.deps.logger.warn(`${source}: ${why}`);
    }
    return { ok: false, why };
  }
}

/** UDP when the node takes it (no connection to keep per peer), else TCP. */
function sipOf(d: Descriptor, address: string): { transport: TransportName; remoteAddress: string; remotePort: number } {
  const transport: TransportName = d.sip.udp !== undefined ? 'udp' : 'tcp';
  return { transport, remoteAddress: address, remotePort: (d.sip.udp ?? d.sip.tcp)! };
}
