/**
 * Static peers (UCI `list peer 'HOST:PORT'`), for routed zones no discovery channel reaches: each
 * one's descriptor is fetched every `intervalMs` and handed to the directory, which verifies it and
 * keeps or drops the node. A fetch is bounded (descriptor-fetch.ts) to well under the interval, and
 * a peer's fetch does not start again while one is running. A peer that cannot be reached is logged
 * when that starts and when it ends, not at every try; the directory's timeout takes it out.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { FetchDescriptor } from './descriptor-fetch.js';
import type { Directory } from './directory.js';

export const CHANNEL = 'static';
/** A descriptor is a few KB: a peer that takes longer than this is as good as unreachable. */
const MAX_FETCH_MS = 10_000;

export interface StaticPeersDeps {
  readonly peers: readonly { readonly host: string; readonly port: number }[];
  readonly intervalMs: number;
  readonly fetch: FetchDescriptor;
  readonly directory: Pick<Directory, 'heard'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Peer `id`'s descriptor was fetched and accepted at a poll (peer exchange follows it). */
  readonly polled?: (id: string) => void;
}

export class StaticPeers {
  private readonly busy = new Set<string>();
  private readonly failing = new Set<string>();
  private timer: unknown;
  private stopped = false;

  constructor(private readonly deps: StaticPeersDeps) {}

  /** Fetches every peer now and then every interval. */
  start(): void {
    if (this.deps.peers.length === 0) return;
    const tick = () => {
      if (this.stopped) return;
      this.pollAll();
      this.timer = this.deps.clock.setTimeout(tick, this.deps.intervalMs);
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
  }

  /** Resolves when every fetch started now has ended (for tests and shutdown). */
  pollAll(): Promise<void> {
    return Promise.all(this.deps.peers.map((p) => this.poll(p.host, p.port))).then(() => undefined);
  }

  private async poll(host: string, port: number): Promise<void> {
    const name = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    if (this.busy.has(name)) return;
    this.busy.add(name);
    try {
      const { body, address } = await this.deps.fetch(host, port, Math.min(MAX_FETCH_MS, this.deps.intervalMs / 2));
      if (this.stopped) return;
      if (this.failing.delete(name)) this.deps.logger.info(`static peer ${name} answers again`);
      const heard = this.deps.directory.heard(body, address, `${CHANNEL} ${name}`, { addressNamedByOperator: true, httpsPort: port });
      if (heard.ok) this.deps.polled?.(heard.id);
    } catch (err) {
      if (!this.stopped && !this.failing.has(name)) {
        this.failing.add(name);
        this.deps.logger.warn(`static peer ${name}: cannot fetch its descriptor (${(err as Error).message}); trying every ${Math.round(this.deps.intervalMs / 1000)} s`);
      }
    } finally {
      this.busy.delete(name);
    }
  }
}
