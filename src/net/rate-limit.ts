/**
 * A token bucket per source address: each address gets `burst` at once and `perSecond` after that.
 * The STUN responder answers through one so that it cannot reflect traffic at a victim whose address
 * an attacker spoofs (RFC 8489 §16.1.4 on amplification); the SIP transports take requests through
 * another, so one source cannot flood the node (in the manner of Kamailio's `pike`). Memory is bounded: at most `maxAddresses`
 * buckets are kept, and when a new address arrives at a full table the least recently seen one goes
 * (it comes back with a full bucket, which costs at most one more burst).
 */
export interface RateLimitOptions {
  readonly now: () => number;
  readonly perSecond: number;
  readonly burst: number;
  readonly maxAddresses: number;
  /** Addresses never limited (loopback, which nobody outside the host can spoof). */
  readonly exempt?: (address: string) => boolean;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  /** Insertion order is recency order: a hit moves the bucket to the end. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: RateLimitOptions) {
    if (!(options.perSecond > 0) || !(options.burst >= 1) || !(options.maxAddresses >= 1)) {
      throw new RangeError('a rate limit needs perSecond > 0, burst >= 1 and maxAddresses >= 1');
    }
  }

  /** Takes one token for `address`; false when its bucket is empty. */
  allow(address: string): boolean {
    const { now, perSecond, burst, maxAddresses, exempt } = this.options;
    if (exempt?.(address)) return true;
    const t = now();
    let bucket = this.buckets.get(address);
    if (bucket) {
      this.buckets.delete(address);
      bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.at) / 1000) * perSecond);
      bucket.at = t;
    } else {
      if (this.buckets.size >= maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: burst, at: t };
    }
    this.buckets.set(address, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Addresses with a bucket (for tests). */
  get size(): number {
    return this.buckets.size;
  }
}

/** 127.0.0.0/8 and ::1: packets from there can only come from this host. */
export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./i.test(address);
}
