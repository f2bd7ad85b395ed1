/**
 * Slows down password guessing: after `maxFailures` failed authentications for one key (a source
 * address, or a user) within `windowMs`, the key is refused for `coolDownMs`. Memory is bounded:
 * at most `maxKeys` keys are remembered; stale ones are pruned first, then the oldest.
 *
 * A per-user limit also lets a stranger lock a user out for the cool-down; the cool-down is kept
 * short so that costs a legitimate client one retry, while a guesser is held to a few tries a minute.
 */

export interface ThrottleOptions {
  now: () => number;
  /** Failures tolerated within the window before the key is refused. Default 10. */
  maxFailures?: number;
  /** Window over which failures are counted, in ms. Default 60 000. */
  windowMs?: number;
  /** How long a key is refused once over the limit, in ms. Default 60 000. */
  coolDownMs?: number;
  /** Most keys remembered at once. Default 10 000. */
  maxKeys?: number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

export class FailureThrottle {
  private readonly now: () => number;
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly coolDownMs: number;
  private readonly maxKeys: number;
  private readonly entries = new Map<string, Entry>();

  constructor(options: ThrottleOptions) {
    this.now = options.now;
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.coolDownMs = options.coolDownMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Milliseconds the key stays refused; 0 when it is not. */
  blockedFor(key: string): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    return Math.max(0, entry.blockedUntil - this.now());
  }

  recordFailure(key: string): void {
    const now = this.now();
    let entry = this.entries.get(key);
    if (!entry || now - entry.windowStart > this.windowMs) {
      if (!entry) this.makeRoom(now);
      entry = { windowStart: now, failures: 0, blockedUntil: entry?.blockedUntil ?? 0 };
      this.entries.set(key, entry);
    }
    entry.failures++;
    if (entry.failures >= this.maxFailures) {
      entry.blockedUntil = now + this.coolDownMs;
      entry.windowStart = now;
      entry.failures = 0;
    }
  }

  /** A successful authentication clears the key's failures. */
  recordSuccess(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.maxKeys) return;
    for (const [key, e] of this.entries) {
      if (e.blockedUntil <= now && now - e.windowStart > this.windowMs) this.entries.delete(key);
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxKeys) break;
      this.entries.delete(key);
    }
  }
}
