/**
 * Places among the requests in progress held for requests the node has just challenged. A client
 * answers a 401 or 407 by sending the request again with credentials, in the same call (RFC 3261
 * §22.2, §8.1.3.5: same Call-ID). Without a held place, a node at its bound challenges new requests
 * as fast as they come and then refuses most of the retries with 503, once the places have gone to
 * others: under the overload bench's call flood, 87% of the calls challenged were refused at their
 * retry, and the node spent most of its time on them. With one, a new request is taken only when
 * its retry will be too.
 *
 * A held place lasts `ttlMs`, and at most `max` are held at once: requests that never come back
 * (a flood from spoofed sources) take at most that many places, and only for that long, so they can
 * narrow the node's bound but never close it.
 */
export interface ChallengeReservationsOptions {
  readonly now: () => number;
  readonly ttlMs: number;
  readonly max: number;
}

export class ChallengeReservations {
  /** Call-ID to the time its place lapses; the order of insertion is that of expiry (one ttl). */
  private readonly held = new Map<string, number>();

  constructor(private readonly options: ChallengeReservationsOptions) {}

  /** Hold a place for the retry of the request of `callId`; false when `max` are held already. */
  hold(callId: string): boolean {
    this.expire();
    this.held.delete(callId);
    if (this.held.size >= this.options.max) return false;
    this.held.set(callId, this.options.now() + this.options.ttlMs);
    return true;
  }

  /** Give the place held for `callId` to its retry; false when none is held. */
  take(callId: string): boolean {
    this.expire();
    return this.held.delete(callId);
  }

  get size(): number {
    this.expire();
    return this.held.size;
  }

  private expire(): void {
    const now = this.options.now();
    for (const [callId, until] of this.held) {
      if (until > now) return;
      this.held.delete(callId);
    }
  }
}
