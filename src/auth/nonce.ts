/**
 * Stateless digest nonces (RFC 2617 §3.2.1, RFC 3261 §22.4) with nonce-count replay protection.
 *
 *   nonce = base64url( issued-at (8 bytes, ms) | sequence (4) | random (4) | SHA-256(secret | first 16 bytes)[0..16) )
 *
 * Nothing is stored per nonce when it is issued: the MAC proves the node made it and the timestamp
 * dates it. The secret is drawn at every start, so a restart invalidates every nonce; clients then
 * get a fresh challenge. For nonces used with valid credentials the highest `nc` seen is kept, so a
 * captured request cannot be replayed while its nonce is still fresh; that table is bounded, and
 * one bit per nonce among the last USED_WINDOW issued says which were ever used, so a nonce whose
 * count was forgotten is told from one never used yet. (A bound on issue time alone could not tell
 * them apart: under load a client that answered its challenge a little after others got `stale`.)
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { RandomPool } from '../sip/random-pool.js';

export interface NonceOptions {
  now: () => number;
  /** How long a nonce is accepted after issue, in ms. Default 300 000 (5 min). */
  lifetimeMs?: number;
  /** Most nonces whose nonce-count is remembered at once. Default 10 000. */
  maxTracked?: number;
  /** MAC key; random per process unless a test passes one. */
  secret?: Buffer;
  /** How many of the latest nonces have a used bit (a power of two). Default 2^18 (32 KiB). */
  usedWindow?: number;
}

/** `stale`: made here but too old (answer `stale=true`); `invalid`: not made here, or malformed. */
export type NonceStatus = 'valid' | 'stale' | 'invalid';

const TIME_BYTES = 8;
const SEQUENCE_BYTES = 4;
const RANDOM_BYTES = 4;
const HEAD_BYTES = TIME_BYTES + SEQUENCE_BYTES + RANDOM_BYTES;
const MAC_BYTES = 16;
const NONCE_BYTES = HEAD_BYTES + MAC_BYTES;
/**
 * How long after a count's use the same request may come again with it: a client retransmits for
 * 64*T1 (RFC 3261 §17.1.1.2 Timer B, §17.1.2.2 Timer F) when no answer reached it.
 */
const RETRANSMISSION_WINDOW_MS = 32_000;
/** Clocks of one process do not run backwards much; a nonce from the future is forged. */
const FUTURE_TOLERANCE_MS = 5_000;

/** What is kept of a used nonce: when it was issued, its highest count, and the request that used it. */
interface Count {
  readonly issuedAt: number;
  nc: number;
  /** The request that used `nc` (absent outside SIP), and when. */
  by: string | undefined;
  at: number;
}

interface Issued {
  /** ms since the epoch */
  readonly at: number;
  readonly sequence: number;
}

export class NonceManager {
  private readonly now: () => number;
  private readonly lifetimeMs: number;
  private readonly maxTracked: number;
  private readonly secret: Buffer;
  private readonly random = new RandomPool();
  /** nonce -> { issued-at, highest nc }; insertion order is first-use order. */
  private readonly counts = new Map<string, Count>();
  /**
   * The keys of `counts` in the same order, from `orderHead` on. Eviction takes the oldest from
   * here: finding it by iterating `counts` would step over every slot deleted from the Map's
   * front since its last rehash, thousands per eviction when the table is full.
   */
  private order: string[] = [];
  private orderHead = 0;
  /** The sequence number of the next nonce, modulo 2^32. */
  private nextSequence = 0;
  /** Bit `sequence % usedWindow`: that nonce was used. Cleared when the slot's next nonce is issued. */
  private readonly used: Uint8Array;
  private readonly usedWindow: number;
  /**
   * No tracked nonce was issued before this instant (a lower bound, exact after a sweep). While it
   * is within the lifetime nothing tracked has expired, so making room need not scan `counts`:
   * a full table under load would otherwise cost a scan of every entry on each new nonce.
   */
  private oldestIssuedAt = Infinity;
  /** The last nonce whose MAC was verified, so that `check` then `use` verify it once. */
  private lastAuthentic: { nonce: string; issued: Issued } | undefined;

  constructor(options: NonceOptions) {
    this.now = options.now;
    this.lifetimeMs = options.lifetimeMs ?? 300_000;
    this.maxTracked = options.maxTracked ?? 10_000;
    this.secret = options.secret ?? randomBytes(32);
    this.usedWindow = options.usedWindow ?? 2 ** 18;
    if (!Number.isInteger(Math.log2(this.usedWindow)) || this.usedWindow < 8) throw new RangeError('usedWindow must be a power of two, at least 8');
    this.used = new Uint8Array(this.usedWindow / 8);
  }

  issue(): string {
    const sequence = this.nextSequence;
    this.nextSequence = (sequence + 1) >>> 0;
    this.setUsed(sequence, false);
    const head = Buffer.alloc(HEAD_BYTES);
    head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.now()))), 0);
    head.writeUInt32BE(sequence, TIME_BYTES);
    this.random.fill(head, TIME_BYTES + SEQUENCE_BYTES, RANDOM_BYTES);
    return Buffer.concat([head, this.mac(head)]).toString('base64url');
  }

  check(nonce: string): NonceStatus {
    const issued = this.authentic(nonce);
    if (issued === undefined) return 'invalid';
    const age = this.now() - issued.at;
    if (age < -FUTURE_TOLERANCE_MS) return 'invalid';
    if (age > this.lifetimeMs) return 'stale';
    // Used before and its count forgotten, or too far back to tell: a fresh challenge, not trust.
    if (!this.counts.has(nonce) && !this.firstUseAllowed(issued.sequence)) return 'stale';
    return 'valid';
  }

  /**
   * Record a use of a valid nonce with nonce-count `nc`; false if `nc` is not higher than every
   * earlier use (a replay). Call only after the response was verified, so that a forger cannot burn
   * the counts of a real client's nonce.
   *
   * `request` names the request (authenticate.ts: its top Via branch and CSeq): the same request
   * sent again with the same count within 64*T1 is a retransmission, not a replay, and is accepted. Its
   * first copy's answer was lost, or its transaction was dropped for room under load; refusing it
   * would tell a client that answered its challenge rightly that it is not registered.
   */
  use(nonce: string, nc: number, request?: string): boolean {
    const now = this.now();
    const seen = this.counts.get(nonce);
    if (seen) {
      if (nc === seen.nc) return request !== undefined && request === seen.by && now - seen.at <= RETRANSMISSION_WINDOW_MS;
      if (nc < seen.nc) return false;
      seen.nc = nc;
      seen.by = request;
      seen.at = now;
      return true;
    }
    const issued = this.authentic(nonce);
    if (issued === undefined || !this.firstUseAllowed(issued.sequence)) return false;
    this.setUsed(issued.sequence, true);
    const issuedAt = issued.at;
    this.makeRoom();
    this.counts.set(nonce, { issuedAt, nc, by: request, at: now });
    this.order.push(nonce);
    this.oldestIssuedAt = Math.min(this.oldestIssuedAt, issuedAt);
    return true;
  }

  /** Number of nonces whose count is remembered (for tests and status). */
  get tracked(): number {
    return this.counts.size;
  }

  private makeRoom(): void {
    if (this.counts.size < this.maxTracked) return;
    const oldest = this.now() - this.lifetimeMs;
    if (this.oldestIssuedAt < oldest) {
      this.oldestIssuedAt = Infinity;
      for (const [nonce, entry] of this.counts) {
        if (entry.issuedAt < oldest) this.counts.delete(nonce);
        else this.oldestIssuedAt = Math.min(this.oldestIssuedAt, entry.issuedAt);
      }
      this.order = [...this.counts.keys()];
      this.orderHead = 0;
    }
    while (this.counts.size > 0 && this.counts.size >= this.maxTracked) {
      this.counts.delete(this.order[this.orderHead++]!);
    }
    if (this.orderHead >= this.maxTracked) {
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  /** Among the last `usedWindow` issued, and never used. */
  private firstUseAllowed(sequence: number): boolean {
    const back = (this.nextSequence - sequence) >>> 0;
    if (back === 0 || back > this.usedWindow) return false;
    const slot = sequence & (this.usedWindow - 1);
    return (this.used[slot >>> 3]! & (1 << (slot & 7))) === 0;
  }

  private setUsed(sequence: number, used: boolean): void {
    const slot = sequence & (this.usedWindow - 1);
    if (used) this.used[slot >>> 3]! |= 1 << (slot & 7);
    else this.used[slot >>> 3]! &= ~(1 << (slot & 7));
  }

  private authentic(nonce: string): Issued | undefined {
    // `use` follows `check` of the same nonce: its MAC was verified a moment ago.
    if (nonce === this.lastAuthentic?.nonce) return this.lastAuthentic.issued;
    if (nonce.length !== Math.ceil((NONCE_BYTES * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(nonce)) return undefined;
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_BYTES) return undefined;
    const head = raw.subarray(0, HEAD_BYTES);
    if (!timingSafeEqual(raw.subarray(HEAD_BYTES), this.mac(head))) return undefined;
    const issued = { at: Number(head.readBigUInt64BE(0)), sequence: head.readUInt32BE(TIME_BYTES) };
    this.lastAuthentic = { nonce, issued };
    return issued;
  }

  /**
   * A secret-prefix MAC rather than HMAC: the input always has exactly 16 bytes and the output is
   * cut to 16, so SHA-256's length extension gives a forger nothing, and `createHmac` set up a key
   * on every call, which was a tenth of a registration's CPU (two MACs each).
   */
  private mac(head: Buffer): Buffer {
    return createHash('sha256').update(this.secret).update(head).digest().subarray(0, MAC_BYTES);
  }
}
