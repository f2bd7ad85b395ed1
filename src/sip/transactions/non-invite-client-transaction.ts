/**
 * Non-INVITE client transaction, RFC 3261 §17.1.2 (Figure 6).
 *
 *                  | request from TU: send, arm E and F
 *                  V
 *            +------------+  Timer E: resend, E = min(2E, T2)
 *            |   Trying   |  Timer F or transport error: inform TU ---------------+
 *            +------------+                                                      |
 *                  |    | 1xx: to TU                                             |
 *                  |    V                                                        |
 *                  | +------------+  Timer E: resend, E = T2                     |
 *   200-699: to TU | | Proceeding |  1xx: to TU                                  |
 *                  | +------------+  Timer F or transport error: inform TU ------+
 *                  |    | 200-699: to TU                                         |
 *                  V    V                                                        |
 *            +------------+                                                      |
 *            | Completed  |  200-699: absorbed                                   |
 *            +------------+                                                      |
 *                  | Timer K                                                     |
 *                  V                                                             |
 *            +------------+                                                      |
 *            | Terminated |<-----------------------------------------------------+
 *            +------------+
 *
 * Timer E runs on unreliable flows only; Timer K is T4 on them and zero on reliable ones. Timers F
 * and K are each of one length for every transaction of a table, so they are entries in queues the
 * table shares (`NonInviteClientTransaction.deadlines`, expiry-queue.ts), not timers of each
 * transaction's; only Timer E, which backs off per transaction, is a timer of its own.
 */
import type { Clock } from '../../clock.js';
import type { Flow } from '../flow.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { ClientTransactionOptions } from './client-transaction-options.js';
import { type ExpiryEntry, ExpiryQueue } from './expiry-queue.js';
import { backoff, DEFAULT_TIMERS, type TransactionTimers, unreliableOnly } from './timers.js';

export enum NonInviteClientTransactionState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated',
}

const State = NonInviteClientTransactionState;

/** The deadlines a table's non-INVITE client transactions share, made for its timers. */
export interface NonInviteClientDeadlines {
  /** Timer F (§17.1.2.2): 64*T1 from the request until a final response. */
  readonly timerF: ExpiryQueue<NonInviteClientTransaction>;
  /** Timer K (§17.1.2.2): T4 in Completed on unreliable flows; zero on reliable ones, not queued. */
  readonly timerK: ExpiryQueue<NonInviteClientTransaction>;
}

export interface NonInviteClientTransactionOptions extends ClientTransactionOptions {
  /** Made by `NonInviteClientTransaction.deadlines` for the same `timers`; default: this one's own. */
  deadlines?: NonInviteClientDeadlines;
}

export class NonInviteClientTransaction {
  /** The queues for a table whose transactions all run on `timers`. */
  static deadlines(clock: Clock, timers: TransactionTimers): NonInviteClientDeadlines {
    return {
      timerF: new ExpiryQueue<NonInviteClientTransaction>(clock, timers.f, (tx) => tx.fireF()),
      timerK: new ExpiryQueue<NonInviteClientTransaction>(clock, timers.k, (tx) => tx.terminate()),
    };
  }

  private stateValue = State.Trying;
  private readonly timers: TransactionTimers;
  private readonly deadlines: NonInviteClientDeadlines;
  private started = false;
  private timerE: unknown;
  private intervalE: number;
  /** In `deadlines.timerF` from the request to the final response. */
  private timerF: ExpiryEntry | undefined;
  /** In `deadlines.timerK` while Completed on an unreliable flow. */
  private timerK: ExpiryEntry | undefined;
  private held: SipRequest | undefined;

  constructor(
    request: SipRequest,
    readonly flow: Flow,
    private readonly options: NonInviteClientTransactionOptions,
  ) {
    // §17.1: INVITE has a transaction of its own; an ACK has none (it is never answered).
    if (request.method === 'INVITE' || request.method === 'ACK') {
      throw new RangeError(`${request.method} does not open a non-INVITE client transaction`);
    }
    this.timers = options.timers ?? DEFAULT_TIMERS;
    this.deadlines = options.deadlines ?? NonInviteClientTransaction.deadlines(options.clock, this.timers);
    this.intervalE = this.timers.e;
    this.held = request;
  }

  /**
   * The request, until a final response makes it useless: transactions outlive their request by
   * up to 64*T1 (Accepted, Completed), and holding every request of the last 32 s was most of the
   * node's memory under load.
   */
  get request(): SipRequest | undefined {
    return this.held;
  }

  get state(): NonInviteClientTransactionState {
    return this.stateValue;
  }

  /** Send the request and arm Timers E and F (§17.1.2.2). False if the transport failed. */
  start(): boolean {
    if (this.started || this.stateValue !== State.Trying) return false;
    this.started = true;
    if (!this.flow.reliable) this.timerE = this.options.clock.setTimeout(() => this.fireE(), this.intervalE);
    this.timerF = this.deadlines.timerF.add(this);
    return this.send();
  }

  /** A response matched to this transaction (§17.1.3). */
  receiveResponse(response: SipResponse): void {
    switch (this.stateValue) {
      case State.Trying:
      case State.Proceeding:
        if (response.status < 200) {
          // §17.1.2.2: a provisional response moves to (or keeps) Proceeding and goes to the TU.
          this.stateValue = State.Proceeding;
          this.options.user.onResponse(response);
          return;
        }
        this.complete(response);
        return;
      case State.Completed:
        // §17.1.2.2: the Completed state buffers response retransmissions; none reach the TU.
        return;
      case State.Terminated:
        return;
    }
  }

  /**
   * The flow the request went on failed after it was handed over (a connection that never came
   * up, §18.1.1): the transaction learns of it late but as of a failed send (§17.1.4).
   */
  transportFailed(): void {
    if (this.stateValue === State.Trying || this.stateValue === State.Proceeding) this.transportError();
  }

  /** End the transaction now (the TU gave up, or shutdown): every timer is cleared. */
  terminate(): void {
    if (this.stateValue === State.Terminated) return;
    this.stateValue = State.Terminated;
    this.stopRetransmitting();
    if (this.timerK !== undefined) this.deadlines.timerK.remove(this.timerK);
    this.timerK = undefined;
    this.held = undefined;
    this.options.user.onTerminated?.();
    this.options.onTerminated?.();
  }

  /** §17.1.2.2: a 200-699 in Trying or Proceeding. */
  private complete(response: SipResponse): void {
    this.stateValue = State.Completed;
    this.stopRetransmitting();
    this.held = undefined;
    this.options.user.onResponse(response);
    if (this.stateValue !== State.Completed) return;
    // §17.1.2.2: Timer K, T4 for unreliable transports and zero for reliable ones.
    const k = unreliableOnly(this.timers.k, this.flow.reliable);
    if (k === 0) this.terminate();
    else this.timerK = this.deadlines.timerK.add(this);
  }

  private fireE(): void {
    this.timerE = undefined;
    // §17.1.2.2: in Trying the interval doubles up to T2; "If Timer E fires while in the
    // Proceeding state, ... Timer E MUST be reset with a value of T2 seconds."
    this.intervalE = this.stateValue === State.Proceeding ? this.timers.t2 : backoff(this.intervalE, this.timers.t2);
    this.timerE = this.options.clock.setTimeout(() => this.fireE(), this.intervalE);
    this.send();
  }

  private fireF(): void {
    this.timerF = undefined;
    // §17.1.2.2: Timer F in Trying or Proceeding informs the TU of the timeout and ends the
    // transaction. The TU treats it as a 408 (§8.1.3.1).
    this.options.user.onTimeout();
    this.terminate();
  }

  private stopRetransmitting(): void {
    this.options.clock.clearTimeout(this.timerE);
    if (this.timerF !== undefined) this.deadlines.timerF.remove(this.timerF);
    this.timerE = undefined;
    this.timerF = undefined;
  }

  private send(): boolean {
    if (this.held && this.flow.send(this.held)) return true;
    this.transportError();
    return false;
  }

  /** §17.1.4: the TU is told and the transaction moves straight to Terminated. */
  private transportError(): void {
    this.options.user.onTransportError();
    this.terminate();
  }
}
