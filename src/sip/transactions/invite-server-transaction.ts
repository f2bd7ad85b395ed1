/**
 * INVITE server transaction, RFC 3261 §17.2.1 (Figure 7) with the Accepted state of RFC 6026.
 *
 *                  | INVITE: pass to TU
 *                  V
 *            +------------+  INVITE: resend the last provisional
 *            | Proceeding |  1xx from TU: send
 *            +------------+  transport error: inform TU -------------------------+
 *  300-699 from TU |    | 2xx from TU: send                                      |
 *  send            |    +----------------------------+                           |
 *                  V                                 V                           |
 *            +------------+                   +------------+  INVITE: absorbed   |
 *            | Completed  |                   |  Accepted  |  ACK: to TU         |
 *            +------------+                   +------------+  2xx from TU: send  |
 *  INVITE or Timer G: resend the final             |          transport error:   |
 *  Timer H or transport error: inform TU --+       |          inform TU, stay    |
 *                  | ACK                   |       |                             |
 *                  V                       |       |                             |
 *            +------------+                |       | Timer L                     |
 *            | Confirmed  |  ACK, INVITE:  |       |                             |
 *            +------------+  absorbed      |       |                             |
 *                  | Timer I               |       |                             |
 *                  V                       V       V                             |
 *            +--------------------------------------------+                      |
 *            |                 Terminated                 |<---------------------+
 *            +--------------------------------------------+
 *
 * Timer G runs on unreliable flows only; Timer I is T4 on them and zero on reliable ones.
 *
 * Accepted (RFC 6026) rather than RFC 3261's immediate Terminated on 2xx: for 64*T1 (Timer L)
 * retransmissions of the INVITE are absorbed here instead of reaching the TU as a new INVITE, the
 * 2xx retransmissions a proxy relays from downstream (or a UAS core resends) still go out through
 * this transaction, and an ACK matched to it is passed to the TU.
 *
 * The transaction does not send 100 Trying by itself: `sendProvisional()` sends one when the TU
 * decides to (§17.2.1 lets the TU answer within 200 ms instead; a proxy sends it per §16.2).
 */
import type { Clock } from '../../clock.js';
import type { Flow } from '../flow.js';
import type { SipRequest, SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import { serializeMessage } from '../serializer.js';
import { backoff, DEFAULT_TIMERS, type TransactionTimers, unreliableOnly } from './timers.js';
import type { InviteServerTransactionUser } from './transaction-user.js';

export enum InviteServerTransactionState {
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Confirmed = 'Confirmed',
  Accepted = 'Accepted',
  Terminated = 'Terminated',
}

const State = InviteServerTransactionState;

export interface InviteServerTransactionOptions {
  clock: Clock;
  /** Default: `transactionTimers()` (T1 500 ms, T2 4 s, T4 5 s). */
  timers?: TransactionTimers;
  user?: InviteServerTransactionUser;
  /** For the owner (a transaction table): called once, on entering Terminated, after the TU's. */
  onTerminated?: () => void;
  /** For the owner: called once, when Proceeding ends (a final response, or terminated before one). */
  onSettled?: () => void;
}

export class InviteServerTransaction {
  private stateValue = State.Proceeding;
  private readonly timers: TransactionTimers;
  /**
   * The most recent provisional in Proceeding, the final response in Completed, as the bytes sent
   * (the message's objects would weigh on the heap for up to 64*T1).
   */
  private lastResponse: Buffer | undefined;
  private timerG: unknown;
  private intervalG: number;
  private timerH: unknown;
  /** Timer I in Confirmed, Timer L in Accepted: the state's lifetime. */
  private endTimer: unknown;
  private held: SipRequest | undefined;

  constructor(
    request: SipRequest,
    readonly flow: Flow,
    private readonly options: InviteServerTransactionOptions,
  ) {
    if (request.method !== 'INVITE') throw new RangeError(`${request.method} does not open an INVITE server transaction`);
    this.timers = options.timers ?? DEFAULT_TIMERS;
    this.intervalG = this.timers.g;
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

  get state(): InviteServerTransactionState {
    return this.stateValue;
  }

  /** A retransmission of the INVITE matched to this transaction (§17.2.3); never for the TU. */
  receiveInvite(): void {
    switch (this.stateValue) {
      case State.Proceeding:
        // §17.2.1: "the most recent provisional response that was received from the TU MUST be
        // passed to the transport layer for retransmission".
        if (this.lastResponse) this.send(this.lastResponse);
        return;
      case State.Completed:
        // §17.2.1: "while in the "Completed" state, if a request retransmission is received, the
        // server SHOULD pass the response to the transport for retransmission."
        if (this.lastResponse) this.send(this.lastResponse);
        return;
      case State.Confirmed:
      case State.Accepted:
      case State.Terminated:
        // RFC 6026: absorbed in Accepted; §17.2.1: Confirmed exists to absorb stragglers.
        return;
    }
  }

  /** An ACK matched to this transaction (§17.2.3). */
  receiveAck(ack: SipRequest): void {
    switch (this.stateValue) {
      case State.Completed: {
        // §17.2.1: the ACK for the non-2xx final response moves to Confirmed; Timer G stops, and
        // Timer I (T4 unreliable, zero reliable) absorbs ACK retransmissions.
        this.stateValue = State.Confirmed;
        this.stopCompleted();
        const i = unreliableOnly(this.timers.i, this.flow.reliable);
        if (i === 0) this.terminate();
        else this.endTimer = this.options.clock.setTimeout(() => this.terminate(), i);
        return;
      }
      case State.Accepted:
        // RFC 6026: an ACK in Accepted acknowledges the 2xx and is the TU's business.
        this.options.user?.onAck?.(ack);
        return;
      case State.Proceeding:
      case State.Confirmed:
      case State.Terminated:
        return;
    }
  }

  /** Send a provisional response; by default a 100 (Trying) built from the INVITE (§8.2.6.1). */
  sendProvisional(response?: SipResponse): boolean {
    if (response === undefined) {
      if (!this.held) return false;
      response = createResponse(this.held, 100);
    }
    if (response.status >= 200) throw new RangeError(`${response.status} is not a provisional response`);
    return this.respond(response);
  }

  /**
   * The TU's response. 1xx only in Proceeding; a final response once, except a 2xx, which may be
   * sent again in Accepted. False when the state allows no such response or the send failed.
   */
  respond(response: SipResponse): boolean {
    const status = response.status;
    if (this.stateValue === State.Proceeding) {
      if (status < 200) {
        this.lastResponse = serializeMessage(response);
        return this.send(this.lastResponse);
      }
      if (status < 300) return this.accept(response);
      return this.complete(response);
    }
    // RFC 6026: "2xx from TU / send response" while in Accepted.
    if (this.stateValue === State.Accepted && status >= 200 && status < 300) return this.send(serializeMessage(response));
    return false;
  }

  /** End the transaction now (the TU gave up, or shutdown): every timer is cleared. */
  terminate(): void {
    const was = this.stateValue;
    if (was === State.Terminated) return;
    this.stateValue = State.Terminated;
    if (was === State.Proceeding) this.options.onSettled?.();
    this.stopCompleted();
    this.options.clock.clearTimeout(this.endTimer);
    this.lastResponse = undefined;
    this.held = undefined;
    this.options.user?.onTerminated?.();
    this.options.onTerminated?.();
  }

  /** RFC 6026: a 2xx from the TU in Proceeding moves to Accepted and starts Timer L. */
  private accept(response: SipResponse): boolean {
    this.stateValue = State.Accepted;
    this.options.onSettled?.();
    this.lastResponse = undefined;
    this.held = undefined;
    this.endTimer = this.options.clock.setTimeout(() => this.terminate(), this.timers.l);
    return this.send(serializeMessage(response));
  }

  /** §17.2.1: a 300-699 from the TU in Proceeding. */
  private complete(response: SipResponse): boolean {
    this.stateValue = State.Completed;
    this.options.onSettled?.();
    this.lastResponse = serializeMessage(response);
    this.held = undefined;
    // §17.2.1: "For unreliable transports, timer G is set to fire in T1 seconds, and is not set to
    // fire for reliable transports." Timer H (64*T1) is set for any transport.
    if (!this.flow.reliable) this.timerG = this.options.clock.setTimeout(() => this.fireG(), this.intervalG);
    this.timerH = this.options.clock.setTimeout(() => this.fireH(), this.timers.h);
    return this.send(this.lastResponse);
  }

  private fireG(): void {
    this.timerG = undefined;
    if (this.stateValue !== State.Completed || !this.lastResponse) return;
    // §17.2.1: resend, and reset Timer G to min(2*G, T2).
    this.intervalG = backoff(this.intervalG, this.timers.t2);
    this.timerG = this.options.clock.setTimeout(() => this.fireG(), this.intervalG);
    this.send(this.lastResponse);
  }

  private fireH(): void {
    this.timerH = undefined;
    // §17.2.1: no ACK within 64*T1: "the server transaction MUST transition to the "Terminated"
    // state, and MUST indicate to the TU that a transaction failure has occurred."
    this.options.user?.onTimeout?.();
    this.terminate();
  }

  private stopCompleted(): void {
    this.options.clock.clearTimeout(this.timerG);
    this.options.clock.clearTimeout(this.timerH);
    this.timerG = undefined;
    this.timerH = undefined;
  }

  private send(data: Buffer): boolean {
    if (this.flow.sendBytes(data)) return true;
    this.options.user?.onTransportError?.();
    // §17.2.4: a transport failure ends the transaction, except in Accepted (RFC 6026), where the
    // TU is told and the transaction stays to absorb the INVITE's retransmissions.
    if (this.stateValue !== State.Accepted) this.terminate();
    return false;
  }
}
