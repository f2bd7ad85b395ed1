/**
 * The two deadlines of a table's non-INVITE server transactions, each of one length for all of
 * them and so each one FIFO behind one timer (expiry-queue.ts) instead of two timers per
 * transaction: under a REGISTER flood a table holds thousands of transactions that only wait.
 */
import type { Clock } from '../../clock.js';
import { ExpiryQueue } from './expiry-queue.js';

/** What a deadline ends. */
export interface Terminable {
  terminate(): void;
}

export interface NonInviteServerDeadlines {
  /**
   * 64*T1 from the request while no final response is sent: the client's Timer F gives up then
   * (RFC 3261 §17.1.2.2), so a transaction the TU never answers would only hold memory.
   */
  readonly unanswered: ExpiryQueue<Terminable>;
  /**
   * Timer J, 64*T1 from the final response on unreliable flows (§17.2.2); on reliable ones it is
   * zero and nothing is queued.
   */
  readonly timerJ: ExpiryQueue<Terminable>;
}

export function nonInviteServerDeadlines(clock: Clock, t1: number): NonInviteServerDeadlines {
  const end = (tx: Terminable) => tx.terminate();
  return { unanswered: new ExpiryQueue(clock, 64 * t1, end), timerJ: new ExpiryQueue(clock, 64 * t1, end) };
}
