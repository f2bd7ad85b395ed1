/**
 * INVITE client transaction, RFC 3261 §17.1.1 (Figure 5) with the Accepted state of RFC 6026.
 *
 *                  | INVITE from TU: send, arm A and B
 *                  V
 *            +------------+  Timer A: resend, double A
 *            |  Calling   |  Timer B or transport error: inform TU -------------+
 *            +------------+--------------------------------+                    |
 *  300-699: ACK,   |    | 1xx: to TU           2xx: to TU  |                    |
 *  to TU           |    V                                  V                    |
 *                  | +------------+  2xx: to TU     +------------+              |
 *                  | | Proceeding |---------------->|  Accepted  |  2xx: to TU  |
 *                  | +------------+  1xx: to TU     +------------+              |
 *                  |    | 300-699: ACK, to TU              | Timer M            |
 *                  V    V                                  |                    |
 *            +------------+  300-699: resend the ACK       |                    |
 *            | Completed  |  transport error: inform TU ---+------------------->|
 *            +------------+                                |                    |
 *                  | Timer D                               |                    |
 *                  V                                       V                    |
 *            +-------------------------------------------------+                |
 *            |                   Terminated                    |<---------------+
 *            +-------------------------------------------------+
 *
 * Timer A runs on unreliable flows only (§17.1.1.2); Timer D is zero on reliable ones. Timer B
 * guards Calling only: once a provisional response arrives the transaction waits for the final
 * one as long as the TU lets it (a proxy's Timer C, §16.6 step 11, or a CANCEL and then, per
 * §9.1, `terminate()` if nothing answers within 64*T1).
 *
 * Accepted (RFC 6026) rather than RFC 3261's immediate Terminated on 2xx: 2xx retransmissions
 * and the 2xx of other forks then still match this transaction and reach the TU as responses,
 * instead of arriving as strays.
 */
import type { Flow } from '../flow.js';
import { parseCSeq } from '../cseq.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { ClientTransactionOptions } from './client-transaction-options.js';
import { buildNon2xxAck } from './non-2xx-ack.js';
import { backoff, DEFAULT_TIMERS, type TransactionTimers, unreliableOnly } from './timers.js';

export enum InviteClientTransactionState {
  Calling = 'Calling',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Accepted = 'Accepted',
  Terminated = 'Terminated',
}

const State = InviteClientTransactionState;

export class InviteClientTransaction {
  private stateValue = State.Calling;
  private readonly timers: TransactionTimers;
  private timerA: unknown;
  private intervalA: number;
  private timerB: unknown;
  /** Timer D in Completed, Timer M in Accepted: the state's lifetime. */
  private endTimer: unknown;
  private ack: SipRequest | undefined;
  private started = false;
  private held: SipRequest | undefined;

  constructor(
    request: SipRequest,
    readonly flow: Flow,
    private readonly options: ClientTransactionOptions,
  ) {
    if (request.method !== 'INVITE') throw new RangeError(`${request.method} does not open an INVITE client transaction`);
    // The ACK is built from these (§17.1.1.3); better to refuse the INVITE now than fail on a 4xx.
    for (const name of ['via', 'from', 'to', 'call-id']) {
      if (!request.headers.has(name)) throw new RangeError(`the INVITE has no ${name} header`);
    }
    parseCSeq(request.headers.get('cseq') ?? '');
    this.timers = options.timers ?? DEFAULT_TIMERS;
    this.intervalA = this.timers.a;
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

  get state(): InviteClientTransactionState {
    return this.stateValue;
  }

  /** Send the INVITE and arm Timers A and B (§17.1.1.2). False if the transport failed. */
  start(): boolean {
    if (this.started || this.stateValue !== State.Calling) return false;
    this.started = true;
    if (!this.flow.reliable) this.timerA = this.options.clock.setTimeout(() => this.fireA(), this.intervalA);
    this.timerB = this.options.clock.setTimeout(() => this.fireB(), this.timers.b);
    return this.send(request(this.held));
  }

  /** A response matched to this transaction (§17.1.3). */
  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.stateValue) {
      case State.Calling:
      case State.Proceeding:
        this.stopCalling();
        if (status < 200) {
          // §17.1.1.2: a provisional response moves Calling to Proceeding; every one goes to the TU.
          this.stateValue = State.Proceeding;
          this.options.user.onResponse(response);
        } else if (status < 300) {
          // RFC 6026: a 2xx moves to Accepted, starts Timer M, and is passed to the TU.
          this.stateValue = State.Accepted;
          this.held = undefined;
          this.endTimer = this.options.clock.setTimeout(() => this.terminate(), this.timers.m);
          this.options.user.onResponse(response);
        } else {
          this.complete(response);
        }
        return;
      case State.Completed:
        // §17.1.1.2: "Any retransmissions of the final response that are received while in the
        // "Completed" state MUST cause the ACK to be re-passed to the transport layer".
        if (status >= 300 && this.ack) this.send(this.ack);
        return;
      case State.Accepted:
        // RFC 6026: 2xx responses in Accepted are passed to the TU; nothing else is.
        if (status >= 200 && status < 300) this.options.user.onResponse(response);
        return;
      case State.Terminated:
        return;
    }
  }

  /**
   * The flow the INVITE went on failed after it was handed over (a connection that never came up,
   * §18.1.1): the transaction learns of it late but as of a failed send (§17.1.4).
   */
  transportFailed(): void {
    if (this.stateValue === State.Calling || this.stateValue === State.Proceeding) this.transportError();
  }

  /** End the transaction now (the TU gave up, or shutdown): every timer is cleared. */
  terminate(): void {
    if (this.stateValue === State.Terminated) return;
    this.stateValue = State.Terminated;
    this.stopCalling();
    this.options.clock.clearTimeout(this.endTimer);
    this.ack = undefined;
    this.held = undefined;
    this.options.user.onTerminated?.();
    this.options.onTerminated?.();
  }

  /** §17.1.1.2: a 300-699 in Calling or Proceeding. */
  private complete(response: SipResponse): void {
    this.stateValue = State.Completed;
    // §17.1.1.2: the response goes to the TU and the ACK to the transport.
    this.ack = buildNon2xxAck(request(this.held), response);
    this.held = undefined;
    const sent = this.flow.send(this.ack);
    this.options.user.onResponse(response);
    if (this.stateValue !== State.Completed) return;
    if (!sent) return this.transportError();
    // §17.1.1.2: Timer D, at least 32 s for unreliable transports and zero for reliable ones.
    const d = unreliableOnly(this.timers.d, this.flow.reliable);
    if (d === 0) this.terminate();
    else this.endTimer = this.options.clock.setTimeout(() => this.terminate(), d);
  }

  private fireA(): void {
    this.timerA = undefined;
    if (this.stateValue !== State.Calling) return;
    // §17.1.1.2: retransmit and reset Timer A with twice its value (no cap, unlike Timer E).
    this.intervalA = backoff(this.intervalA);
    this.timerA = this.options.clock.setTimeout(() => this.fireA(), this.intervalA);
    this.send(request(this.held));
  }

  private fireB(): void {
    this.timerB = undefined;
    if (this.stateValue !== State.Calling) return;
    // §17.1.1.2: "If timer B fires while still in the Calling state, the client transaction SHOULD
    // inform the TU that a timeout has occurred" (the TU treats it as a 408, §8.1.3.1).
    this.options.user.onTimeout();
    this.terminate();
  }

  private stopCalling(): void {
    this.options.clock.clearTimeout(this.timerA);
    this.options.clock.clearTimeout(this.timerB);
    this.timerA = undefined;
  }

  private send(message: SipRequest): boolean {
    if (this.flow.send(message)) return true;
    this.transportError();
    return false;
  }

  /** §17.1.4: the TU is told and the transaction moves straight to Terminated. */
  private transportError(): void {
    if (this.stateValue === State.Terminated) return;
    this.options.user.onTransportError();
    this.terminate();
  }
}

function request(held: SipRequest | undefined): SipRequest {
  if (!held) throw new RangeError('the INVITE was let go after its final response');
  return held;
}
