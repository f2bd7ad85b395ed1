/**
 * Peer exchange: nodes tell their verified peers of the nodes they know, so that news of a node
 * crosses the mesh in the time of a few HTTPS requests instead of one bmx flooding interval a hop
 * (500 ms: 14.5 s down a line of 30), and a whole routed zone is found through one static peer.
 * What passes is beacons, as the channels carry them, and nothing in them is trusted: every node
 * heard so is fetched and verified by its own signed descriptor (beacons.ts, directory.ts), as
 * channel EXCHANGE_CHANNEL.
 *
 * An exchange is one signed POST (exchange-signature.ts) from node A to peer B: the first line is
 * A's own beacon, then the beacons B is not known to know; B answers with every beacon it has that
 * the request did not list. Each side then remembers what the other knows, so the next exchange
 * carries news only. When a node joins A's directory, that is news for every peer not known to
 * know it, and for the newcomer, which may know none of A's peers: each such peer gets an exchange
 * after a short gathering delay, one at a time per peer and a few at once in all. At rest, with
 * nobody joining, nothing is sent. A static peer is exchanged with in full at every poll: that
 * keeps the zone behind it heard on both sides.
 *
 * A request from a node not in B's directory is refused (403), but its first line, the sender's own
 * beacon, is heard as any channel's beacon would be: B fetches that node's descriptor, admits it,
 * and as a newcomer it gets B's exchange. So a static peer need not name the node back.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { encodeBeacon, parseBeacon, type Beacon } from './beacon.js';
import type { BeaconSink } from './beacons.js';
import { EXCHANGE_CHANNEL } from './channel.js';
import type { Directory } from './directory.js';
import type { PeerNodes } from './peer-nodes.js';
import { PeerStatusError } from './peer-request.js';

/** Beacons in one exchange, either way: a mesh of a few hundred nodes, bounded for a router. */
export const MAX_EXCHANGE_BEACONS = 256;
/** 256 beacons of at most 240 bytes, and room. */
export const MAX_EXCHANGE_BYTES = 64 * 1024;
/** Joins that come together (a node that learns a zone at once) go in one exchange. */
const GATHER_MS = 100;
const MAX_IN_FLIGHT = 4;
const TIMEOUT_MS = 10_000;
/** Peers whose knowledge is remembered; past this it is forgotten, and the next exchanges carry more. */
const MAX_TRACKED = 1024;

/** Sends a signed exchange to a peer's HTTPS endpoint and resolves with the answer's body. */
export type PostExchange = (host: string, port: number, body: Buffer, signature: string, timeoutMs: number) => Promise<Buffer>;

export interface PeerExchangeDeps {
  readonly directory: Pick<Directory, 'beacons'>;
  readonly peers: Pick<PeerNodes, 'nodeById' | 'signExchange' | 'verifyExchange'>;
  readonly sink: BeaconSink;
  /** This node's beacon as of now. */
  readonly own: () => Beacon;
  readonly post: PostExchange;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type ExchangeAnswer = { readonly status: 200; readonly body: string } | { readonly status: 400 | 403 | 413; readonly message: string };

export class PeerExchange {
  /** Peer id → the node ids it is known to know (told by us, or listed by it). */
  private readonly knownBy = new Map<string, Set<string>>();
  private readonly timers = new Map<string, unknown>();
  private readonly running = new Set<string>();
  /** Peers with news while their exchange ran, or waiting for room; true: in full. */
  private readonly waiting = new Map<string, boolean>();
  private readonly failing = new Set<string>();
  private stopped = false;

  constructor(private readonly deps: PeerExchangeDeps) {}

  /** Node `id` was admitted: news for every peer not known to know it, and the newcomer gets what we know. */
  joined(id: string): void {
    this.knownBy.delete(id);
    for (const b of this.deps.directory.beacons()) {
      // The newcomer gets one exchange even with nothing to tell: its answer is what it knows.
      if (b.id === id) this.schedule(id, true);
      else if (!this.known(b.id).has(id)) this.schedule(b.id, false);
    }
  }

  /** An exchange in full with peer `id` (a static peer at every poll). */
  exchangeWith(id: string): void {
    this.schedule(id, true);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
  }

  /** An exchange received over HTTPS: `signature` is its Trucada-Signature header. */
  received(signature: string | undefined, body: Buffer): ExchangeAnswer {
    if (body.length > MAX_EXCHANGE_BYTES) return { status: 413, message: `an exchange may have at most ${MAX_EXCHANGE_BYTES} bytes` };
    const lines = body.toString('utf8').split('\n').filter((l) => l !== '');
    if (lines.length === 0 || lines.length > MAX_EXCHANGE_BEACONS + 1) return { status: 400, message: `an exchange lists the sender's beacon and at most ${MAX_EXCHANGE_BEACONS} others` };
    const check = this.deps.peers.verifyExchange(signature, body);
    if (check.kind !== 'verified') {
      const first = parseBeacon(lines[0]!);
      // A sender we do not know yet: its own beacon is what any channel could have told us.
      if (check.kind === 'refused' && check.why === 'unknown node' && first.ok && first.beacon.id === check.nodeId) {
        this.deps.sink.heard(lines[0]!, EXCHANGE_CHANNEL);
        return { status: 403, message: 'this node does not know yours yet: it is fetching your descriptor and will exchange with you' };
      }
      return { status: 403, message: check.kind === 'unsigned' ? 'an exchange must be signed by a peer node' : `signature refused: ${check.why}` };
    }
    const from = check.nodeId;
    const known = this.known(from);
    known.add(from);
    const listed = new Set<string>([from]);
    for (const line of lines) {
      const parsed = parseBeacon(line);
      if (!parsed.ok) continue;
      listed.add(parsed.beacon.id);
      known.add(parsed.beacon.id);
      this.deps.sink.heard(line, EXCHANGE_CHANNEL);
    }
    const answer = this.deps.directory.beacons().filter((b) => !listed.has(b.id)).slice(0, MAX_EXCHANGE_BEACONS);
    for (const b of answer) known.add(b.id);
    return { status: 200, body: answer.map(encodeBeacon).join('') };
  }

  private known(peer: string): Set<string> {
    let set = this.knownBy.get(peer);
    if (set === undefined) {
      if (this.knownBy.size >= MAX_TRACKED) this.knownBy.clear();
      set = new Set();
      this.knownBy.set(peer, set);
    }
    return set;
  }

  private schedule(peer: string, full: boolean): void {
    if (this.stopped) return;
    if (this.running.has(peer) || this.timers.has(peer)) {
      if (this.running.has(peer) || full) this.waiting.set(peer, full || (this.waiting.get(peer) ?? false));
      return;
    }
    this.timers.set(peer, this.deps.clock.setTimeout(() => {
      this.timers.delete(peer);
      this.start(peer, full || (this.waiting.get(peer) ?? false));
    }, GATHER_MS));
  }

  private start(peer: string, full: boolean): void {
    if (this.stopped) return;
    this.waiting.delete(peer);
    if (this.running.size >= MAX_IN_FLIGHT) {
      this.waiting.set(peer, full);
      return;
    }
    this.running.add(peer);
    void this.exchange(peer, full).finally(() => {
      this.running.delete(peer);
      const again = this.waiting.get(peer);
      if (again !== undefined) this.schedule(peer, again);
      // Room for one that waited for it.
      for (const [next, nextFull] of this.waiting) {
        if (this.running.size >= MAX_IN_FLIGHT) break;
        if (this.running.has(next) || this.timers.has(next)) continue;
        this.start(next, nextFull);
      }
    });
  }

  private async exchange(peer: string, full: boolean): Promise<void> {
    const beacons = this.deps.directory.beacons();
    const target = beacons.find((b) => b.id === peer);
    if (target === undefined || this.deps.peers.nodeById(peer) === undefined) return;
    const known = this.known(peer);
    const news = beacons.filter((b) => b.id !== peer && (full || !known.has(b.id))).slice(0, MAX_EXCHANGE_BEACONS);
    if (news.length === 0 && !full) return;
    const body = Buffer.from([this.deps.own(), ...news].map(encodeBeacon).join(''));
    try {
      const answer = await this.deps.post(target.address, target.port, body, this.deps.peers.signExchange(body, peer), TIMEOUT_MS);
      if (this.failing.delete(peer)) this.deps.logger.info(`peer exchange with node ${peer} works again`);
      for (const b of news) known.add(b.id);
      const lines = answer.toString('utf8').split('\n').filter((l) => l !== '').slice(0, MAX_EXCHANGE_BEACONS);
      for (const line of lines) {
        const parsed = parseBeacon(line);
        if (parsed.ok) known.add(parsed.beacon.id);
        this.deps.sink.heard(line, EXCHANGE_CHANNEL);
      }
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
