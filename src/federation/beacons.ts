/**
 * What the discovery channels (mDNS, bmx sms, shared-state) share: each hands over the beacons it
 * hears and the nodes it stops hearing, and this decides when a descriptor is fetched (a node the
 * directory does not have, or a newer seq) and hands what was fetched to the directory, which alone
 * decides who is a peer. Beacons come from anyone on the mesh: at most one fetch per node runs at a
 * time, a node whose fetch failed is not tried again for `retryMs`, and both maps are bounded.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { parseBeacon, type Beacon } from './beacon.js';
import { EXCHANGE_CHANNEL } from './channel.js';
import type { FetchDescriptor } from './descriptor-fetch.js';
import type { Directory } from './directory.js';

const MAX_TRACKED = 1024;
/** How long the second node of a pair waits for the first to introduce itself (waitForIntroduction). */
const INTRODUCTION_WAIT_MS = 500;
/** A descriptor is a few KB: a node that takes longer than this is as good as unreachable. */
const FETCH_TIMEOUT_MS = 10_000;

export interface BeaconsDeps {
  readonly directory: Pick<Directory, 'announced' | 'heard' | 'withdrawn'>;
  readonly fetch: FetchDescriptor;
  readonly selfId: string;
  readonly clock: Clock;
  readonly retryMs: number;
  readonly logger: Logger;
}

/** What a discovery channel is given. */
export interface BeaconSink {
  /** A beacon's text as the channel carried it. */
  heard(text: Buffer | string, channel: string): void;
  gone(id: string, channel: string): void;
}

export class Beacons implements BeaconSink {
  private readonly fetching = new Map<string, Promise<void>>();
  /** Node id → our clock when its last fetch failed. */
  private readonly failedAt = new Map<string, number>();
  private readonly badChannels = new Set<string>();

  constructor(private readonly deps: BeaconsDeps) {}

  heard(text: Buffer | string, channel: string): void {
    const parsed = parseBeacon(text);
    if (!parsed.ok) {
      if (this.badChannels.size < MAX_TRACKED && !this.badChannels.has(channel)) {
        this.badChannels.add(channel);
        this.deps.logger.warn(`${channel}: beacon refused: ${parsed.why}`);
      }
      return;
    }
    const b = parsed.beacon;
    if (b.id === this.deps.selfId || !this.deps.directory.announced(b.id, b.seq, channel)) return;
    if (this.fetching.has(b.id) || this.fetching.size >= MAX_TRACKED) return;
    const failed = this.failedAt.get(b.id);
    if (failed !== undefined && this.deps.clock.now() - failed < this.deps.retryMs) return;
    const done = (channel === EXCHANGE_CHANNEL && b.id < this.deps.selfId ? this.waitForIntroduction(b, channel) : this.fetchFrom(b, channel)).finally(() => this.fetching.delete(b.id));
    this.fetching.set(b.id, done);
  }

  gone(id: string, channel: string): void {
    this.deps.directory.withdrawn(id, channel);
  }

  /** Resolves when the fetches running now have ended (for tests and shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.fetching.values());
  }

  /**
   * An exchange told of node b, and b's id sorts before ours. One exchange often tells both nodes
   * of a pair of each other (each learns what the other's neighbours know, in the same round), and
   * then both would fetch the other, two TLS handshakes where one does: the node whose id sorts
   * first fetches at once and introduces itself with its exchange (peer-exchange.ts); the other
   * waits a little for that, and fetches only if it has not come.
   */
  private async waitForIntroduction(b: Beacon, channel: string): Promise<void> {
    await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, INTRODUCTION_WAIT_MS));
    if (this.deps.directory.announced(b.id, b.seq, channel)) await this.fetchFrom(b, channel);
  }

  private async fetchFrom(b: Beacon, channel: string): Promise<void> {
    try {
      const { body, address } = await this.deps.fetch(b.address, b.port, FETCH_TIMEOUT_MS);
      this.failedAt.delete(b.id);
      this.deps.directory.heard(body, address, channel, { httpsPort: b.port });
    } catch (err) {
      if (!this.failedAt.has(b.id)) {
        this.deps.logger.warn(`${channel}: cannot fetch the descriptor of node ${b.id} from ${b.address}:${b.port} (${(err as Error).message})`);
      }
      if (this.failedAt.size >= MAX_TRACKED) this.failedAt.delete(this.failedAt.keys().next().value!);
      this.failedAt.set(b.id, this.deps.clock.now());
    }
  }
}
