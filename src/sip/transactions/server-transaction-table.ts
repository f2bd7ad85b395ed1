/**
 * The node's server transactions, matched per RFC 3261 §17.2.3: the top Via's branch, its sent-by
 * and the method, where an ACK matches the INVITE it acknowledges. Only branches with the magic
 * cookie `z9hG4bK` are matched; the RFC 2543 fallback (matching on Request-URI, tags, Call-ID,
 * CSeq and Via) is omitted, as every client the node serves is RFC 3261 compliant. Such requests
 * are passed on as `new` and answered statelessly.
 *
 * Use: `receive(req, flow)` before handing a request to the TU; `absorbed` means it was a
 * retransmission (or the ACK of a non-2xx final response), already answered if a response exists,
 * and the TU must not see it. The TU then answers with `respond(req, response, flow)`, which sends
 * through the transaction; an INVITE may be answered several times (provisionals, then a final).
 *
 * Bounds keep memory flat under a flood. New work in progress (no final response yet: calls
 * ringing, requests forwarded and not answered) is at most `maxInProgress`: past it `receive`
 * says `overloaded` and no transaction is made, so the TU refuses the request (503) instead of
 * taking on work it would hold without bound. Up to half of those places may be held for the
 * retries of requests the node has just challenged (challenge-reservations.ts). A request that
 * finishes work already taken on (a CANCEL, or a request within a dialog, such as BYE) is neither
 * refused for that bound nor counted in it, and may take the rest of the table: a BYE to a callee
 * that has forgotten the call waits 64*T1 for its Timer F (RFC 3261 §17.1.2.2), and a few hundred
 * of those, which a flood leaves behind, would otherwise refuse every new call for that long; and
 * a refused BYE leaves a call up at the other end. Transactions that have answered only wait for
 * retransmissions (Timer J, Timer I, Timer L), and the oldest of those goes when the table holds
 * `maxTransactions`; one in progress is never dropped, since a retransmission of its request would
 * then start the same work a second time. The two bounds together are the table's, so there is
 * always one to drop when a request is taken.
 */
import type { Clock } from '../../clock.js';
import type { Flow } from '../flow.js';
import type { SipRequest, SipResponse } from '../message.js';
import { tagOf } from '../name-addr.js';
import { topVia } from '../via.js';
import { InviteServerTransaction, InviteServerTransactionState } from './invite-server-transaction.js';
import { ChallengeReservations } from './challenge-reservations.js';
import { EvictionCursor } from './eviction-cursor.js';
import { type NonInviteServerDeadlines, nonInviteServerDeadlines } from './non-invite-server-deadlines.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import type { TransactionTimers } from './timers.js';

export interface ServerTransactionTableOptions {
  clock: Clock;
  /** RFC 3261 T1 in ms. Default 500. */
  t1?: number;
  /** Timers of INVITE transactions; default `transactionTimers({ t1 })`. */
  timers?: TransactionTimers;
  /** Most live transactions; the oldest that has answered is dropped to make room. Default 5000. */
  maxTransactions?: number;
  /** Most requests in progress at once; further new ones are `overloaded`. Default 1000. */
  maxInProgress?: number;
  /** How long a place stays held for the retry of a challenged request, in ms. Default 4*T1. */
  challengeHoldMs?: number;
}

const MAGIC_COOKIE = 'z9hG4bK';


type ServerTransaction = NonInviteServerTransaction | InviteServerTransaction;

export class ServerTransactionTable {
  private readonly transactions = new Map<string, ServerTransaction>();
  /**
   * Those that have answered, in the order they did: what may be dropped for room. Kept apart so
   * that finding one costs no pass over the transactions in progress, which a flood leaves by the
   * hundred (that pass was a tenth of the node's time under the overload bench's call flood).
   */
  private readonly answered = new Map<string, ServerTransaction>();
  private readonly eviction: EvictionCursor<ServerTransaction>;
  /**
   * The last request `receive` saw and its key: the TU answers before the next request is read,
   * so `respond` finds its request here and need not parse the top Via again.
   */
  private lastReceived: { req: SipRequest; key: string | undefined } | undefined;
  private readonly maxTransactions: number;
  private readonly maxInProgress: number;
  /** New work without a final response: what `maxInProgress` bounds. */
  private readonly inProgress = new Set<ServerTransaction>();
  /** CANCELs and requests within a dialog without a final response: at most the table's places new work leaves. */
  private readonly finishing = new Set<ServerTransaction>();
  /** Places within that bound held for the retries of challenged requests, at most half of it. */
  private readonly reservations: ChallengeReservations;
  /** One queue (and one timer) per deadline for all the non-INVITE transactions, not two timers each. */
  private readonly nonInviteDeadlines: NonInviteServerDeadlines;

  constructor(private readonly options: ServerTransactionTableOptions) {
    this.maxTransactions = options.maxTransactions ?? 5000;
    this.maxInProgress = options.maxInProgress ?? 1000;
    if (this.maxInProgress >= this.maxTransactions) {
      throw new RangeError(`maxInProgress (${this.maxInProgress}) must be below maxTransactions (${this.maxTransactions})`);
    }
    this.eviction = new EvictionCursor(this.answered);
    this.nonInviteDeadlines = nonInviteServerDeadlines(options.clock, options.t1 ?? 500);
    // 4*T1: the retry, one retransmission of it (Timers A and E start at T1) and the queueing of a
    // loaded node; a client answers a challenge at once, with the credentials it holds.
    const ttlMs = options.challengeHoldMs ?? 4 * (options.t1 ?? 500);
    this.reservations = new ChallengeReservations({ now: () => options.clock.now(), ttlMs, max: Math.floor(this.maxInProgress / 2) });
  }

  receive(req: SipRequest, flow: Flow): 'new' | 'absorbed' | 'overloaded' {
    const key = transactionKey(req);
    this.lastReceived = { req, key };
    if (key === undefined) return 'new';
    const existing = this.transactions.get(key);
    if (req.method === 'ACK') return this.receiveAck(req, existing);
    if (existing) {
      if (existing instanceof InviteServerTransaction) existing.receiveInvite();
      else existing.receiveRetransmission();
      return 'absorbed';
    }
    const work = finishesWork(req) ? this.finishing : this.inProgress;
    if (work === this.inProgress ? !this.admits(req) : this.finishing.size >= this.maxTransactions - this.maxInProgress) return 'overloaded';
    if (this.transactions.size >= this.maxTransactions) this.eviction.next()?.terminate();
    const onTerminated = () => {
      if (this.transactions.get(key) === tx) this.transactions.delete(key);
      if (this.answered.get(key) === tx) this.answered.delete(key);
    };
    const onSettled = () => {
      work.delete(tx);
      this.answered.set(key, tx);
    };
    const { clock, timers } = this.options;
    const tx: ServerTransaction =
      req.method === 'INVITE'
        ? new InviteServerTransaction(req, flow, { clock, onTerminated, onSettled, ...(timers ? { timers } : {}) })
        : new NonInviteServerTransaction(req, flow, { clock, deadlines: this.nonInviteDeadlines, onTerminated, onSettled });
    this.transactions.set(key, tx);
    work.add(tx);
    return 'new';
  }

  /** New work takes the place held for it (the retry of a challenged request), else a free one. */
  private admits(req: SipRequest): boolean {
    const callId = req.headers.get('call-id');
    if (callId !== undefined && this.reservations.take(callId)) return true;
    return this.inProgress.size + this.reservations.size < this.maxInProgress;
  }

  /**
   * The transaction of the INVITE that a CANCEL or an ACK names (§9.2: same branch and sent-by,
   * method INVITE), while it lives; its `request` is there until the final response.
   */
  inviteTransactionFor(req: SipRequest): InviteServerTransaction | undefined {
    const key = transactionKey(req, 'INVITE');
    const tx = key === undefined ? undefined : this.transactions.get(key);
    return tx instanceof InviteServerTransaction ? tx : undefined;
  }

  /**
   * §17.2.3: an ACK matches the INVITE's transaction. It is that transaction's own when it
   * acknowledges a non-2xx final response (Completed, Confirmed); an ACK for a 2xx has a branch
   * of its own (§13.2.2.4) or meets an Accepted transaction, and goes to the TU to be routed.
   */
  private receiveAck(ack: SipRequest, tx: ServerTransaction | undefined): 'new' | 'absorbed' {
    if (!(tx instanceof InviteServerTransaction)) return 'new';
    const state = tx.state;
    if (state !== InviteServerTransactionState.Completed && state !== InviteServerTransactionState.Confirmed) return 'new';
    tx.receiveAck(ack);
    return 'absorbed';
  }

  /** Send the TU's response through the request's transaction, or straight on the flow if none. */
  respond(req: SipRequest, response: SipResponse, flow: Flow): boolean {
    return this.responder(req, flow).respond(response);
  }

  /**
   * RFC 3261 §26.3.2.4: a challenge to a request that proved nothing is sent once, "foregoing the
   * normal response retransmission algorithm": the request's transaction ends here, so a spoofed
   * source is sent one answer per request, never an INVITE transaction's retransmissions for 32 s.
   * A retransmitted request is then new and gets a new challenge; its ACK matches nothing and the TU
   * drops it. The place of a challenged new request is held for its retry with credentials.
   */
  respondStatelessly(req: SipRequest, response: SipResponse, flow: Flow): boolean {
    const key = this.lastReceived?.req === req ? this.lastReceived.key : transactionKey(req);
    const tx = key === undefined ? undefined : this.transactions.get(key);
    const newWork = tx !== undefined && this.inProgress.has(tx);
    tx?.terminate();
    const callId = req.headers.get('call-id');
    if (newWork && callId !== undefined && (response.status === 401 || response.status === 407)) this.reservations.hold(callId);
    return flow.send(response);
  }

  /**
   * What answers `req` from now on: its transaction, or the flow for a request without one. A TU
   * that answers long after (a proxy relaying a 2xx retransmission) keeps this, not the request.
   */
  responder(req: SipRequest, flow: Flow): { respond(response: SipResponse): boolean } {
    const key = this.lastReceived?.req === req ? this.lastReceived.key : transactionKey(req);
    const tx = key === undefined ? undefined : this.transactions.get(key);
    return tx ?? { respond: (response) => flow.send(response) };
  }

  get size(): number {
    return this.transactions.size;
  }

  /** New requests the node has not given a final response yet (CANCEL and in-dialog ones aside). */
  get inProgressCount(): number {
    return this.inProgress.size;
  }

  /** Terminate every transaction (shutdown): no timers are left behind. */
  close(): void {
    for (const tx of [...this.transactions.values()]) tx.terminate();
  }
}

/**
 * A request that ends or tears down what the node took on already: refusing it under load would
 * keep that work (a ringing call, an established one) alive longer. CANCEL (§9.2) and any request
 * within a dialog, which carries the To tag (§12.2).
 */
function finishesWork(req: SipRequest): boolean {
  return req.method === 'CANCEL' || tagOf(req.headers.get('to')) !== undefined;
}

/**
 * §17.2.3: branch + sent-by + method (INVITE for an ACK); undefined when the request cannot be
 * matched that way.
 */
function transactionKey(req: SipRequest, method = req.method === 'ACK' ? 'INVITE' : req.method): string | undefined {
  const via = topVia(req);
  if (via === undefined) return undefined;
  const branch = via.params.get('branch');
  if (!branch || !branch.startsWith(MAGIC_COOKIE)) return undefined;
  return `${branch}\n${via.host.toLowerCase()}:${via.port ?? ''}\n${method}`;
}
