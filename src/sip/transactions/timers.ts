/**
 * Transaction timer values, RFC 3261 §17 and Appendix A (Table 4), with Timers L and M that
 * RFC 6026 adds to that table. Everything derives from three base values:
 *
 *   T1  500 ms  round-trip estimate (§17.1.1.1)
 *   T2  4 s     longest retransmit interval of non-INVITE requests and INVITE responses
 *   T4  5 s     longest time a message stays in the network
 *
 *   A  initially T1   INVITE request retransmit interval, doubling, unreliable transports only
 *   B  64*T1          INVITE transaction timeout (Calling)
 *   (C  > 3 min        proxy INVITE timeout, §16.6 step 11: the proxy's own, not a transaction's)
 *   D  > 32 s         wait for response retransmits (INVITE client, Completed); 0 on reliable
 *   E  initially T1   non-INVITE request retransmit interval, doubling up to T2; unreliable only
 *   F  64*T1          non-INVITE transaction timeout
 *   G  initially T1   INVITE response retransmit interval, doubling up to T2; unreliable only
 *   H  64*T1          wait time for ACK receipt (INVITE server, Completed)
 *   I  T4             wait time for ACK retransmits (INVITE server, Confirmed); 0 on reliable
 *   J  64*T1          wait time for non-INVITE request retransmits; 0 on reliable
 *   K  T4             wait time for non-INVITE response retransmits; 0 on reliable
 *   L  64*T1          wait time for INVITE retransmits and 2xx from the TU (server, Accepted)
 *   M  64*T1          wait time for 2xx retransmits (INVITE client, Accepted)
 *
 * The "0 on reliable" rule is applied by each transaction from its flow (`unreliableOnly`), so the
 * values here are the unreliable ones.
 */

export interface TimerOptions {
  /** RFC 3261 T1 in ms. Default 500. */
  t1?: number;
  /** RFC 3261 T2 in ms; at least T1. Default 4000. */
  t2?: number;
  /** RFC 3261 T4 in ms. Default 5000. */
  t4?: number;
}

export interface TransactionTimers {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  readonly a: number;
  readonly b: number;
  readonly d: number;
  readonly e: number;
  readonly f: number;
  readonly g: number;
  readonly h: number;
  readonly i: number;
  readonly j: number;
  readonly k: number;
  readonly l: number;
  readonly m: number;
}

export const TIMER_DEFAULTS: Readonly<Required<TimerOptions>> = { t1: 500, t2: 4000, t4: 5000 };

/** The timer values for T1, T2 and T4 (defaults where not given); contradictory values throw. */
export function transactionTimers(options: TimerOptions = {}): TransactionTimers {
  const t1 = options.t1 ?? TIMER_DEFAULTS.t1;
  const t2 = options.t2 ?? TIMER_DEFAULTS.t2;
  const t4 = options.t4 ?? TIMER_DEFAULTS.t4;
  for (const [name, value] of [['t1', t1], ['t2', t2], ['t4', t4]] as const) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of ms, not ${value}`);
  }
  // §17.1.2.2: T2 caps intervals that start at T1, so a T2 below T1 would shorten the first one.
  if (t2 < t1) throw new RangeError(`t2 (${t2} ms) must not be less than t1 (${t1} ms)`);
  const timeout = 64 * t1;
  return {
    t1,
    t2,
    t4,
    a: t1,
    b: timeout,
    // §17.1.1.2: "at least 32 seconds"; a server resends its final response for up to 64*T1
    // (Timer H), so a larger T1 needs a longer wait.
    d: Math.max(32_000, timeout),
    e: t1,
    f: timeout,
    g: t1,
    h: timeout,
    i: t4,
    j: timeout,
    k: t4,
    l: timeout,
    m: timeout,
  };
}

/** Timers D, I, J and K: their value on unreliable transports, zero on reliable ones (Table 4). */
export function unreliableOnly(value: number, reliable: boolean): number {
  return reliable ? 0 : value;
}

/** The next retransmit interval: doubled, and capped at T2 where the RFC caps it (E and G). */
export function backoff(interval: number, cap = Infinity): number {
  return Math.min(interval * 2, cap);
}

/** The RFC's defaults, computed once; the object is frozen, so sharing it is safe. */
export const DEFAULT_TIMERS: TransactionTimers = Object.freeze(transactionTimers());
