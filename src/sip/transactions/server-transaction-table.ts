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
  private readonly maxTransactions: number;

  constructor(private readonly options: ServerTransactionTableOptions) {
    this.maxTransactions = options.maxTransactions ?? 5000;
  }

  receive(req: SipRequest, flow: Flow): 'new' | 'absorbed' {
    const key = transactionKey(req);
    if (key === undefined) return 'new';
    const existing = this.transactions.get(key);
    if (existing) {
      existing.receiveRetransmission();
      return 'absorbed';
    }
    if (this.transactions.size >= this.maxTransactions) this.transactions.values().next().value?.terminate();
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
    const key = transactionKey(req);
    const tx = key === undefined ? undefined : this.transactions.get(key);
    return tx ? tx.respond(response) : flow.send(response);
  }

  get size(): number {
    return this.transactions.size;
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
