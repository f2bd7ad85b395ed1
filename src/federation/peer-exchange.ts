/**
 * Peer exchange: nodes tell their verified peers of the nodes they know, so that news of a node
 * crosses the mesh in the time of a few HTTPS requests instead of one bmx flooding interval a hop
 * (500 ms: 14.5 s down a line of 30), and a whole routed zone is found through one static peer.
 * What passes is beacons, as the channels carry them, and nothing in them is trusted: every node
 * heard so is fetched and verified by its own signed descriptor (beacons.ts, directory.ts), as
 * channel EXCHANGE_CHANNEL.
 *
 * An exchange is one signed POST (exchange-signature.ts) from node A to peer B: the first line is
 * A's own beacon, then the beacons of every other peer A has; B answers with every beacon it has
 * that the request did not list. A exchanges with each node that joins its directory, once, just
 * after fetching its descriptor, so on the connection that fetch opened (peer-request.ts): no
 * second TLS handshake. That is enough for news to reach everyone: whatever one side of an
 * exchange learns makes it fetch, admit and so exchange with the nodes it learned of, which then
 * learn what it knows, and so on along every chain of joins. Telling every old peer of each
 * newcomer as well would be quicker in hops but costs a request per peer per join: on a 2-core
 * machine running 30 nodes it doubled the CPU that federation takes to converge (bench/RESULTS.md).
 * At rest, with nobody joining, nothing is sent. A static peer is exchanged with at every poll:
 * that keeps the zone behind it heard on both sides.
 *
 * That first exchange introduces A: its second line is A's signed descriptor. A B that does not
 * know A yet admits A from it, as if it had fetched it from the address the request came from
 * (the same checks, directory.ts), and the exchange then counts as verified. So a pair of nodes
 * costs one TLS handshake, A's, where B fetching A back cost a second one: the handshakes were
 * most of the CPU that 30 nodes on two cores took to find each other. B starts no exchange of its
 * own for A: this one told each what the other knows.
 *
 * A request from a node not in B's directory that does not introduce it, or whose introduction B
 * refuses (a descriptor that is not the sender's, or that does not list the address it came from),
 * is refused (403), but its first line, the sender's own beacon, is heard as any channel's beacon
 * would be: B fetches that node's descriptor, admits it, and as a newcomer it gets B's exchange.
 * So a static peer need not name the node back.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { encodeBeacon, parseBeacon, type Beacon } from './beacon.js';
import { MAX_DESCRIPTOR_BYTES } from './descriptor.js';
import type { BeaconSink } from './beacons.js';
import { EXCHANGE_CHANNEL } from './channel.js';
import type { Directory } from './directory.js';
import type { PeerNodes } from './peer-nodes.js';
import { PeerStatusError } from './peer-request.js';

/** Beacons in one exchange, either way: a mesh of a few hundred nodes, bounded for a router. */
export const MAX_EXCHANGE_BEACONS = 256;
/** 256 beacons of at most 240 bytes, and room, and the sender's descriptor. */
export const MAX_EXCHANGE_BYTES = 64 * 1024 + MAX_DESCRIPTOR_BYTES;
/** Reasons to exchange with one peer that come within this (a join and a static poll) make one exchange. */
const GATHER_MS = 100;
const MAX_IN_FLIGHT = 4;
const TIMEOUT_MS = 10_000;
/** Peers whose failing exchanges are remembered, so that each is logged once. */
const MAX_TRACKED = 1024;

/** Sends a signed exchange to a peer's HTTPS endpoint and resolves with the answer's body. */
export type PostExchange = (host: string, port: number, body: Buffer, signature: string, timeoutMs: number) => Promise<Buffer>;

export interface PeerExchangeDeps {
  readonly directory: Pick<Directory, 'beacons' | 'heard'>;
  readonly peers: Pick<PeerNodes, 'nodeById' | 'signExchange' | 'verifyExchange'>;
  readonly sink: BeaconSink;
  /** This node's beacon as of now. */
  readonly own: () => Beacon;
  /** This node's signed descriptor as of now, one line of JSON. */
  readonly descriptor: () => string;
  readonly post: PostExchange;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type ExchangeAnswer = { readonly status: 200; readonly body: string } | { readonly status: 400 | 403 | 413; readonly message: string };

export class PeerExchange {
  private readonly timers = new Map<string, unknown>();
  private readonly running = new Set<string>();
  /** Peers due an exchange while theirs ran, or waiting for room. */
  private readonly waiting = new Set<string>();
  /** Peers whose next exchange introduces this node. */
  private readonly introduce = new Set<string>();
  private readonly failing = new Set<string>();
  private stopped = false;

  constructor(private readonly deps: PeerExchangeDeps) {}

  /**
   * Node `id` was admitted (`introduce`: the exchange carries our descriptor, since it may not know
   * us), or polled as a static peer: it gets what we know, and tells us what it knows.
   */
  exchangeWith(id: string, introduce: boolean): void {
    if (this.stopped) return;
    if (introduce && this.introduce.size < MAX_TRACKED) this.introduce.add(id);
    this.schedule(id);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
    this.introduce.clear();
  }

  /** An exchange received over HTTPS from `from`: `signature` is its Trucada-Signature header. */
  received(signature: string | undefined, body: Buffer, from: string): ExchangeAnswer {
    if (body.length > MAX_EXCHANGE_BYTES) return { status: 413, message: `an exchange may have at most ${MAX_EXCHANGE_BYTES} bytes` };
    const lines = body.toString('utf8').split('\n').filter((l) => l !== '');
    // A descriptor is a JSON object; a beacon never starts with a brace (beacon.ts).
    const introduction = lines[1]?.startsWith('{') ? lines[1] : undefined;
    const beacons = introduction === undefined ? lines : [lines[0]!, ...lines.slice(2)];
    if (beacons.length === 0 || beacons.length > MAX_EXCHANGE_BEACONS + 1) return { status: 400, message: `an exchange lists the sender's beacon and at most ${MAX_EXCHANGE_BEACONS} others` };
    let check = this.deps.peers.verifyExchange(signature, body);
    if (check.kind === 'refused' && check.why === 'unknown node') {
      const first = parseBeacon(beacons[0]!);
      // A sender we do not know yet: its own beacon is what any channel could have told us.
      if (!first.ok || first.beacon.id !== check.nodeId) return { status: 403, message: `signature refused: ${check.why}` };
      const admitted = introduction !== undefined && this.deps.directory.heard(Buffer.from(introduction), from, EXCHANGE_CHANNEL, { httpsPort: first.beacon.port, introducedBy: check.nodeId }).ok;
      if (admitted) check = this.deps.peers.verifyExchange(signature, body);
      else {
        this.deps.sink.heard(beacons[0]!, EXCHANGE_CHANNEL);
        return { status: 403, message: 'this node does not know yours yet: it is fetching your descriptor and will exchange with you' };
      }
    }
    if (check.kind !== 'verified') return { status: 403, message: check.kind === 'unsigned' ? 'an exchange must be signed by a peer node' : `signature refused: ${check.why}` };
    const listed = new Set<string>([check.nodeId]);
    for (const line of beacons) {
      const parsed = parseBeacon(line);
      if (!parsed.ok) continue;
      listed.add(parsed.beacon.id);
      this.deps.sink.heard(line, EXCHANGE_CHANNEL);
    }
    const answer = this.deps.directory.beacons().filter((b) => !listed.has(b.id)).slice(0, MAX_EXCHANGE_BEACONS);
    return { status: 200, body: answer.map(encodeBeacon).join('') };
  }

  private schedule(peer: string): void {
    if (this.stopped) return;
    if (this.timers.has(peer)) return;
    if (this.running.has(peer)) {
      this.waiting.add(peer);
      return;
    }
    this.timers.set(peer, this.deps.clock.setTimeout(() => {
      this.timers.delete(peer);
      this.start(peer);
    }, GATHER_MS));
  }

  private start(peer: string): void {
    if (this.stopped) return;
    this.waiting.delete(peer);
    if (this.running.size >= MAX_IN_FLIGHT) {
      this.waiting.add(peer);
      return;
    }
    this.running.add(peer);
    void this.exchange(peer).finally(() => {
      this.running.delete(peer);
      if (this.waiting.has(peer)) this.schedule(peer);
      // Room for one that waited for it.
      for (const next of this.waiting) {
        if (this.running.size >= MAX_IN_FLIGHT) break;
        if (!this.running.has(next) && !this.timers.has(next)) this.start(next);
      }
    });
  }

  private async exchange(peer: string): Promise<void> {
    const beacons = this.deps.directory.beacons();
    const target = beacons.find((b) => b.id === peer);
    if (target === undefined || this.deps.peers.nodeById(peer) === undefined) return;
    const others = beacons.filter((b) => b.id !== peer).slice(0, MAX_EXCHANGE_BEACONS);
    const introduction = this.introduce.delete(peer) ? `${this.deps.descriptor()}\n` : '';
    const body = Buffer.from(encodeBeacon(this.deps.own()) + introduction + others.map(encodeBeacon).join(''));
    try {
      const answer = await this.deps.post(target.address, target.port, body, this.deps.peers.signExchange(body, peer), TIMEOUT_MS);
      if (this.failing.delete(peer)) this.deps.logger.info(`peer exchange with node ${peer} works again`);
      const lines = answer.toString('utf8').split('\n').filter((l) => l !== '').slice(0, MAX_EXCHANGE_BEACONS);
      for (const line of lines) this.deps.sink.heard(line, EXCHANGE_CHANNEL);
    } catch (err) {
      // It does not know us yet: it fetches our descriptor now and exchanges with us once it has.
      if (err instanceof PeerStatusError && err.status === 403) {
        this.deps.logger.debug(`peer exchange with node ${peer}: it does not know this node yet`);
        return;
      }
      if (!this.failing.has(peer)) {
        if (this.failing.size >= MAX_TRACKED) this.failing.clear();
        this.failing.add(peer);
        this.deps.logger.warn(`peer exchange with node ${peer} at ${target.address}:${target.port} failed (${(err as Error).message})`);
      }
    }
  }
}
