/**
 * The node's client transactions, matched to responses per RFC 3261 §17.1.3: the branch of the
 * top Via and the CSeq method. The method is part of the key because a CANCEL carries the branch
 * of the request it cancels (§9.1) yet is a transaction of its own.
 *
 * Use: `start(request, flow, user)` sends a request the TU built (its top Via with a fresh
 * `newBranch()`) through a new INVITE or non-INVITE client transaction; `receiveResponse(res)`
 * with every response the transports deliver. A response that matches nothing is `false` and goes
 * to the core (§18.1.2): a proxy forwards it statelessly (§16.7), a UA core decides on its own.
 *
 * A transaction that has its final response lives on only for retransmissions (Timer D, K, M: up
 * to 64*T1), and with it the TU it would pass them to, a proxy's whole fork. At most
 * `maxTransactions` are kept: the oldest of those that have their final response goes to make
 * room, never one still waiting for it. Those waiting are bounded by the server transactions that
 * caused them (at most that table's `maxTransactions`) times the devices each rings.
 */
import type { Clock } from '../../clock.js';
import type { Flow } from '../flow.js';
import { parseCSeq } from '../cseq.js';
import type { SipRequest, SipResponse } from '../message.js';
import { topVia } from '../via.js';
import { EvictionCursor } from './eviction-cursor.js';
import { InviteClientTransaction, InviteClientTransactionState } from './invite-client-transaction.js';
import { type NonInviteClientDeadlines, NonInviteClientTransaction, NonInviteClientTransactionState } from './non-invite-client-transaction.js';
import { DEFAULT_TIMERS, type TransactionTimers } from './timers.js';
import type { ClientTransactionUser } from './transaction-user.js';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

export interface ClientTransactionTableOptions {
  clock: Clock;
  /** Default: `transactionTimers()` (T1 500 ms, T2 4 s, T4 5 s). */
  timers?: TransactionTimers;
  /** Most live transactions; the oldest that has its final response is dropped for room. Default 5000. */
  maxTransactions?: number;
}

export class ClientTransactionTable {
  private readonly transactions = new Map<string, ClientTransaction>();
  /**
   * Those that have their final response, in the order they got it: what may be dropped for room,
   * found without a pass over the hundreds still waiting for theirs under a flood.
   */
  private readonly answered = new Map<string, ClientTransaction>();
  private readonly eviction = new EvictionCursor(this.answered);
  private readonly maxTransactions: number;
  /** One queue (one timer) each for Timers F and K of every non-INVITE transaction, not timers each. */
  private readonly nonInviteDeadlines: NonInviteClientDeadlines;

  constructor(private readonly options: ClientTransactionTableOptions) {
    this.maxTransactions = options.maxTransactions ?? 5000;
    this.nonInviteDeadlines = NonInviteClientTransaction.deadlines(options.clock, options.timers ?? DEFAULT_TIMERS);
  }

  /**
   * Open the transaction for `request` and send it. A transport failure is reported to `user`
   * (`onTransportError`) before this returns; the transaction is then already Terminated.
   */
  start(request: SipRequest, flow: Flow, user: ClientTransactionUser): ClientTransaction {
    const branch = topBranch(request);
    if (branch === undefined) throw new RangeError('the request has no top Via with a branch');
    // §17.1.3: the key is the branch and the method of the request that created the transaction.
    const key = transactionKey(branch, request.method);
    if (this.transactions.has(key)) throw new RangeError(`a ${request.method} transaction with branch ${branch} is already live`);
    if (this.transactions.size >= this.maxTransactions) this.eviction.next()?.terminate();
    const options = {
      clock: this.options.clock,
      timers: this.options.timers ?? DEFAULT_TIMERS,
      user,
      onTerminated: () => {
        if (this.transactions.get(key) === tx) this.transactions.delete(key);
        if (this.answered.get(key) === tx) this.answered.delete(key);
      },
    };
    const tx: ClientTransaction =
      request.method === 'INVITE'
        ? new InviteClientTransaction(request, flow, options)
        : new NonInviteClientTransaction(request, flow, { ...options, deadlines: this.nonInviteDeadlines });
    this.transactions.set(key, tx);
    tx.start();
    return tx;
  }

  /** Pass a response to its transaction; false when none matches (§17.1.3). */
  receiveResponse(response: SipResponse): boolean {
    const branch = topBranch(response);
    const cseq = response.headers.get('cseq');
    if (branch === undefined || cseq === undefined) return false;
    let method;
    try {
      method = parseCSeq(cseq).method;
    } catch {
      return false;
    }
    const key = transactionKey(branch, method);
    const tx = this.transactions.get(key);
    if (!tx) return false;
    tx.receiveResponse(response);
    // Every final response reaches a client transaction through here (§17.1.3).
    if (hasFinalResponse(tx) && this.transactions.get(key) === tx) this.answered.set(key, tx);
    return true;
  }

  /**
   * `flow` will never deliver what was sent on it (a connection that could not be made): its
   * transactions fail as if the send had failed (§17.1.4), instead of waiting for Timer B or F.
   */
  flowFailed(flow: Flow): void {
    for (const tx of [...this.transactions.values()]) if (tx.flow === flow) tx.transportFailed();
  }

  get size(): number {
    return this.transactions.size;
  }

  /** Terminate every transaction (shutdown): no timers are left behind. */
  close(): void {
    for (const tx of [...this.transactions.values()]) tx.terminate();
  }
}

function hasFinalResponse(tx: ClientTransaction): boolean {
  const state = tx.state;
  return state === InviteClientTransactionState.Completed || state === InviteClientTransactionState.Accepted || state === NonInviteClientTransactionState.Completed;
}

function transactionKey(branch: string, method: string): string {
  return `${branch}\n${method}`;
}

function topBranch(message: SipRequest | SipResponse): string | undefined {
  return topVia(message)?.params.get('branch') ?? undefined;
}
