/**
 * The node's non-INVITE server transactions, matched per RFC 3261 §17.2.3: the top Via's branch,
 * its sent-by and the method. Only branches with the magic cookie `z9hG4bK` are matched; the
 * RFC 2543 fallback (matching on Request-URI, tags, Call-ID, CSeq and Via) is omitted, as every
 * client the node serves is RFC 3261 compliant. Such requests, and INVITE and ACK (which belong
 * to the INVITE server transaction, §17.2.1), are passed on as `new` and answered statelessly.
 *
 * Use: `receive(req, flow)` before handing a request to the TU; `absorbed` means it was a
 * retransmission, already answered if a response exists, and the TU must not see it. The TU then
 * answers with `respond(req, response, flow)`, which sends through the transaction.
 */
import type { Clock } from '../../clock.js';
import type { Flow } from '../../transport/flow.js';
import type { SipRequest, SipResponse } from '../message.js';
import { parseVia } from '../via.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';

export interface ServerTransactionTableOptions {
  clock: Clock;
  /** RFC 3261 T1 in ms. Default 500. */
  t1?: number;
  /** Most live transactions; the oldest is dropped to make room. Default 5000. */
  maxTransactions?: number;
}

const MAGIC_COOKIE = 'z9hG4bK';

export class ServerTransactionTable {
  private readonly transactions = new Map<string, NonInviteServerTransaction>();
  /**
   * Walks `transactions` in insertion order to find the oldest when the table is full. It is kept
   * from one eviction to the next because a fresh iterator starts at the Map's first slot and
   * steps over every entry deleted since the last rehash (thousands, with Timer J and evictions
   * deleting from the front). Everything before its position has been deleted, and entries set
   * later come after it, so the next live entry it yields is the oldest.
   */
  private evictionCursor: Iterator<NonInviteServerTransaction>;
  /**
   * The last request `receive` saw and its key: the TU answers before the next request is read,
   * so `respond` finds its request here and need not parse the top Via again.
   */
  private lastReceived: { req: SipRequest; key: string | undefined } | undefined;
  private readonly maxTransactions: number;

  constructor(private readonly options: ServerTransactionTableOptions) {
    this.maxTransactions = options.maxTransactions ?? 5000;
    this.evictionCursor = this.transactions.values();
  }

  receive(req: SipRequest, flow: Flow): 'new' | 'absorbed' {
    const key = transactionKey(req);
    this.lastReceived = { req, key };
    if (key === undefined) return 'new';
    const existing = this.transactions.get(key);
    if (existing) {
      existing.receiveRetransmission();
      return 'absorbed';
    }
    if (this.transactions.size >= this.maxTransactions) this.oldest()?.terminate();
    const tx = new NonInviteServerTransaction(req, flow, {
      clock: this.options.clock,
      t1: this.options.t1,
      onTerminated: () => {
        if (this.transactions.get(key) === tx) this.transactions.delete(key);
      },
    });
    this.transactions.set(key, tx);
    return 'new';
  }

  /** Send the TU's response through the request's transaction, or straight on the flow if none. */
  respond(req: SipRequest, response: SipResponse, flow: Flow): boolean {
    const key = this.lastReceived?.req === req ? this.lastReceived.key : transactionKey(req);
    const tx = key === undefined ? undefined : this.transactions.get(key);
    return tx ? tx.respond(response) : flow.send(response);
  }

  get size(): number {
    return this.transactions.size;
  }

  private oldest(): NonInviteServerTransaction | undefined {
    let next = this.evictionCursor.next();
    // A finished iterator stays finished, blind to entries set after it ended.
    if (next.done) {
      this.evictionCursor = this.transactions.values();
      next = this.evictionCursor.next();
    }
    return next.done ? undefined : next.value;
  }

  /** Terminate every transaction (shutdown): no timers are left behind. */
  close(): void {
    for (const tx of [...this.transactions.values()]) tx.terminate();
  }
}

/** §17.2.3: branch + sent-by + method; undefined when the request cannot be matched that way. */
function transactionKey(req: SipRequest): string | undefined {
  if (req.method === 'INVITE' || req.method === 'ACK') return undefined;
  const top = req.headers.getAll('via')[0];
  if (top === undefined) return undefined;
  let via;
  try {
    via = parseVia(top);
  } catch {
    return undefined;
  }
  const branch = via.params.get('branch');
  if (!branch || !branch.startsWith(MAGIC_COOKIE)) return undefined;
  return `${branch}\n${via.host.toLowerCase()}:${via.port ?? ''}\n${req.method}`;
}
