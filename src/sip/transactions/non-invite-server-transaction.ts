/**
 * Non-INVITE server transaction, RFC 3261 §17.2.2 (Figure 8).
 *
 *                        |Request received
 *                        |pass to TU
 *                        V
 *                  +-----------+
 *                  |           |
 *                  | Trying    |-------------+
 *                  |           |             |
 *                  +-----------+             |200-699 from TU
 *                        |                   |send response
 *                        |1xx from TU        |
 *                        |send response      |
 *                        |                   |
 *     Request            V      1xx from TU  |
 *     send response+-----------+send response|
 *         +--------|           |--------+    |
 *         |        | Proceeding|        |    |
 *         +------->|           |<-------+    |
 *  +<--------------|           |             |
 *  |Trnsprt Err    +-----------+             |
 *  |Inform TU            |                   |
 *  |                     |                   |
 *  |                     |200-699 from TU    |
 *  |                     |send response      |
 *  |  Request            V                   |
 *  |  send response+-----------+             |
 *  |      +--------|           |             |
 *  |      |        | Completed |<------------+
 *  |      +------->|           |
 *  +<--------------|           |
 *  |Trnsprt Err    +-----------+
 *  |Inform TU            |
 *  |                     |Timer J fires
 *  |                     |-
 *  |                     |
 *  |                     V
 *  |               +-----------+
 *  |               |           |
 *  +-------------->| Terminated|
 *                  |           |
 *                  +-----------+
 *
 * "1xx" is only 100 (Trying): RFC 4320 §4.1 forbids the other provisionals to a non-INVITE request.
 *
 * The transaction keeps the last response so a retransmitted request gets it again without the
 * TU seeing the request twice; Timer J (64*T1 on UDP, 0 on TCP/WebSocket) bounds how long. Its
 * deadlines (Timer J, and 64*T1 for an answer) are entries in queues its table shares among all
 * its transactions (non-invite-server-deadlines.ts), not timers of its own. It
 * keeps nothing of the request, and the response only as the bytes sent: a UDP transaction
 * outlives its request by 64*T1, and under load the objects of the messages that thousands of
 * transactions held were most of the heap and of the garbage collector's work.
 */
import type { Clock } from '../../clock.js';
import type { Flow } from '../flow.js';
import type { SipRequest, SipResponse } from '../message.js';
import { serializeMessage } from '../serializer.js';
import type { ExpiryEntry, ExpiryQueue } from './expiry-queue.js';
import { type NonInviteServerDeadlines, nonInviteServerDeadlines, type Terminable } from './non-invite-server-deadlines.js';

export enum NonInviteServerTransactionState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated',
}

export interface NonInviteServerTransactionOptions {
  clock: Clock;
  /** RFC 3261 §17.1.1.1 T1, the round-trip estimate. Default 500 ms. */
  t1?: number;
  /** The queues the table's transactions share; default: queues of this one's own, for `t1`. */
  deadlines?: NonInviteServerDeadlines;
  /** Called once, on entering Terminated, so the owner can forget the transaction. */
  onTerminated: (tx: NonInviteServerTransaction) => void;
  /** Called once, when the request is done with: a final response sent, or terminated before one. */
  onSettled?: () => void;
}

export class NonInviteServerTransaction {
  private stateValue = NonInviteServerTransactionState.Trying;
  private lastResponse: Buffer | undefined;
  private readonly deadlines: NonInviteServerDeadlines;
  /** In `deadlines.unanswered` until the final response, then in `deadlines.timerJ` (unreliable flows). */
  private deadline: ExpiryEntry | undefined;

  constructor(
    request: SipRequest,
    readonly flow: Flow,
    private readonly options: NonInviteServerTransactionOptions,
  ) {
    // §17.2.1: an INVITE has a server transaction of its own, and its ACK belongs to that one.
    if (request.method === 'INVITE' || request.method === 'ACK') {
      throw new RangeError(`${request.method} does not open a non-INVITE server transaction`);
    }
    this.deadlines = options.deadlines ?? nonInviteServerDeadlines(options.clock, this.t1);
    this.deadline = this.deadlines.unanswered.add(this);
  }

  get state(): NonInviteServerTransactionState {
    return this.stateValue;
  }

  private get t1(): number {
    return this.options.t1 ?? 500;
  }

  /** The same request arrived again (matched by the table, §17.2.3). */
  receiveRetransmission(): void {
    switch (this.stateValue) {
      case NonInviteServerTransactionState.Trying:
        // §17.2.2: "any further request retransmissions are discarded" while in Trying.
        return;
      case NonInviteServerTransactionState.Proceeding:
      case NonInviteServerTransactionState.Completed:
        // §17.2.2: the most recent provisional / the final response is passed to the transport again.
        if (this.lastResponse) this.send(this.lastResponse);
        return;
      case NonInviteServerTransactionState.Terminated:
        return;
    }
  }

  /**
   * The TU answers. Returns false when the transaction can no longer send (or the send failed), or
   * when the response is a provisional other than 100, which is not sent.
   */
  respond(response: SipResponse): boolean {
    const s = this.stateValue;
    if (s === NonInviteServerTransactionState.Completed || s === NonInviteServerTransactionState.Terminated) return false;
    // RFC 4320 §4.1: "An SIP element MUST NOT send any provisional response with a Status-Code
    // other than 100 to a non-INVITE request." A 180 a device sends to a MESSAGE the proxy forwards
    // stops here; the state stays as it was, so a retransmission still gets the last response sent.
    if (response.status > 100 && response.status < 200) return false;
    const data = serializeMessage(response);
    this.lastResponse = data;
    if (response.status < 200) {
      this.stateValue = NonInviteServerTransactionState.Proceeding;
      return this.send(data);
    }
    this.stateValue = NonInviteServerTransactionState.Completed;
    this.options.onSettled?.();
    this.leaveQueue(this.deadlines.unanswered);
    const sent = this.send(data);
    if (this.stateValue === NonInviteServerTransactionState.Completed) {
      // §17.2.2: Timer J = 64*T1 for unreliable transports, zero for reliable ones.
      if (this.flow.reliable) this.terminate();
      else this.deadline = this.deadlines.timerJ.add(this);
    }
    return sent;
  }

  /** Drop the transaction now (table full, or shutting down). */
  terminate(): void {
    const s = this.stateValue;
    if (s === NonInviteServerTransactionState.Terminated) return;
    this.stateValue = NonInviteServerTransactionState.Terminated;
    if (s !== NonInviteServerTransactionState.Completed) this.options.onSettled?.();
    this.lastResponse = undefined;
    this.leaveQueue(s === NonInviteServerTransactionState.Completed ? this.deadlines.timerJ : this.deadlines.unanswered);
    this.options.onTerminated(this);
  }

  private leaveQueue(queue: ExpiryQueue<Terminable>): void {
    if (this.deadline === undefined) return;
    queue.remove(this.deadline);
    this.deadline = undefined;
  }

  private send(data: Buffer): boolean {
    if (this.flow.sendBytes(data)) return true;
    // §17.2.4: a transport failure moves the transaction straight to Terminated.
    this.terminate();
    return false;
  }
}
