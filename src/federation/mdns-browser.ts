/**
 * The `_trucada._tcp` instances heard on the link (RFC 6763 §4), kept as long as their records'
 * TTLs say, each handed to the beacon sink as a beacon.
 *
 * The TXT record carries the whole beacon but its address, so one record is enough: responders may
 * split the PTR, SRV and TXT of an instance over several packets (RFC 6762 §6), and waiting for all
 * of them would gain nothing the fetched descriptor does not tell better. The address is the one
 * the packet came from, not the A/AAAA records: those name every interface of the sender (umdns
 * lists them all, and a publisher may add loopback or a container bridge), while the source address
 * is the one that just reached us over this link. Nothing here is trusted either way: a beacon only
 * says where to fetch a descriptor, which must verify against the pinned key (directory.ts).
 *
 * Every record comes from anyone on the link: TTLs over a day, TXT records over 1300 bytes or
 * without a valid beacon are ignored, and at most MAX_INSTANCES instances are kept.
 */
import type { Clock } from '../clock.js';
import type { RateLimitedLog } from '../transport/rate-limited-log.js';
import { encodeBeacon } from './beacon.js';
import type { BeaconSink } from './beacons.js';
import type { MdnsRecord } from './mdns-answers.js';
import { readTxt } from './dns-sd-txt.js';
import { TRUCADA_SERVICE } from './mdns-records.js';

export const MAX_INSTANCES = 1024;
/** A TTL above a day is not a real mDNS record (RFC 6762 §10 uses 2 min and 75 min). */
export const MAX_TTL = 86_400;
/** RFC 6762 §10.1: a goodbye leaves the record for one more second, in case it is announced again. */
const GOODBYE_MS = 1000;
const CHANNEL = 'mdns';

interface Instance {
  readonly id: string;
  ttlMs: number;
  expiresAt: number;
  /** When to ask for the TXT again (RFC 6762 §5.2: at 80 % of the TTL, then every further 5 %). */
  refreshAt: number;
}

export interface MdnsBrowserDeps {
  readonly sink: BeaconSink;
  readonly selfId: string;
  readonly clock: Clock;
  readonly log: RateLimitedLog;
}

export class MdnsBrowser {
  /** Instance name (lower case) → what it announced. */
  private readonly instances = new Map<string, Instance>();

  constructor(private readonly deps: MdnsBrowserDeps) {}

  /** The records of one response, from `source`. */
  response(records: readonly MdnsRecord[], source: string): void {
    for (const r of records) {
      const name = r.name.toLowerCase();
      if (r.type === 'TXT' && name.endsWith(`.${TRUCADA_SERVICE}`)) this.txt(name, r, source);
      else if (r.type === 'PTR' && name === TRUCADA_SERVICE && r.ttl === 0) this.goodbye(String(r.data).toLowerCase());
    }
  }

  /** Instance names whose TXT should be asked for again now. */
  due(): string[] {
    const now = this.deps.clock.now();
    const names: string[] = [];
    for (const [name, i] of this.instances) {
      if (i.refreshAt > now) continue;
      names.push(name);
      i.refreshAt = now + i.ttlMs / 20;
    }
    return names;
  }

  /** Hands the sink every instance whose records ran out. */
  expire(): void {
    const now = this.deps.clock.now();
    for (const [name, i] of this.instances) {
      if (i.expiresAt > now) continue;
      this.instances.delete(name);
      this.deps.sink.gone(i.id, CHANNEL);
    }
  }

  private txt(name: string, r: MdnsRecord, source: string): void {
    const ttl = r.ttl ?? 0;
    if (ttl === 0) return this.goodbye(name);
    if (ttl > MAX_TTL) return this.deps.log.warn(`mdns: ${source}: ignored ${name}: TTL ${ttl} s is over a day`);
    const read = readTxt(Array.isArray(r.data) ? r.data.map((s: Buffer | string) => Buffer.from(s)) : []);
    if (!read.ok) return this.deps.log.warn(`mdns: ${source}: ignored ${name}: ${read.why}`);
    const { pairs } = read;
    let text: string;
    try {
      text = encodeBeacon({
        id: pairs.get('id') ?? '',
        domain: pairs.get('domain') ?? '',
        address: source,
        port: decimal(pairs.get('port')),
        seq: decimal(pairs.get('seq')),
      });
    } catch (err) {
      return this.deps.log.warn(`mdns: ${source}: ignored ${name}: ${(err as Error).message}`);
    }
    const id = pairs.get('id')!;
    if (id === this.deps.selfId) return;
    const before = this.instances.get(name);
    if (before === undefined && this.instances.size >= MAX_INSTANCES) {
      return this.deps.log.warn(`mdns: ${source}: ignored ${name}: already ${MAX_INSTANCES} instances`);
    }
    if (before !== undefined && before.id !== id) this.deps.sink.gone(before.id, CHANNEL);
    const now = this.deps.clock.now();
    const ttlMs = ttl * 1000;
    this.instances.set(name, { id, ttlMs, expiresAt: now + ttlMs, refreshAt: now + ttlMs * 0.8 });
    this.deps.sink.heard(text, CHANNEL);
  }

  private goodbye(name: string): void {
    const i = this.instances.get(name);
    if (i !== undefined) i.expiresAt = Math.min(i.expiresAt, this.deps.clock.now() + GOODBYE_MS);
  }
}

/** A decimal number as TXT writes it, or NaN (which the beacon refuses). */
function decimal(value: string | undefined): number {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
}
