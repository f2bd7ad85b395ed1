/**
 * The one entry point of SIP messages (DESIGN.md §2): transports deliver `(message, flow)` here;
 * retransmissions are absorbed by the server transactions (RFC 3261 §17.2.3); REGISTER goes to the
 * registrar, an OPTIONS for the node itself (no user, one of its hosts) is answered here, and every other request goes to the
 * proxy; responses go to the client transaction that sent their request (§17.1.3). A new request
 * the server transactions cannot take on (too many in progress) gets 503 with Retry-After.
 */
import type { Logger } from '../log.js';
import { RateLimiter } from '../net/rate-limit.js';
import { RateLimitedLog } from '../transport/rate-limited-log.js';
import { diesWithFlow } from '../location/flow-bound.js';
import type { Location } from '../location/location.js';
import type { Registrar } from '../registrar/registrar.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ClientTransactionTable } from '../sip/transactions/client-transaction-table.js';
import type { ServerTransactionTable } from '../sip/transactions/server-transaction-table.js';
import type { Flow, FlowEnd, MessageSink } from '../sip/flow.js';
import { optionsResponse } from '../proxy/options.js';
import type { Proxy } from '../proxy/proxy.js';

export interface DispatcherDeps {
  registrar: Registrar;
  location: Location;
  transactions: ServerTransactionTable;
  clientTransactions: ClientTransactionTable;
  proxy: Proxy;
  logger: Logger;
  now: () => number;
  /** The `max_requests_in_progress` option, for the log line when it bites. */
  maxRequestsInProgress: number;
}

/**
 * Retry-After of a 503 for overload, in seconds: spread, so that the clients refused in one burst
 * do not all come back in the same second (RFC 6357 §3.1 on synchronised retries).
 */
const RETRY_AFTER_MIN_S = 5;
const RETRY_AFTER_SPREAD_S = 10;

/**
 * The 503s for overload the node sends in a second, as many as `max_requests_in_progress` (and a
 * burst as large); past them a refused request is dropped unanswered. A refusal costs about what
 * serving a request does (read the request, send the answer, read its ACK): under the overload
 * bench's call flood the node spent more of its time refusing than serving, and the kernel dropped
 * what it could not read, the answers and ACKs of admitted calls among it. RFC 6357 §3.1: a server
 * past what it can refuse drops; the client's retransmissions (RFC 3261 §17.1.1.2) give it another
 * chance once places free up.
 */
const refusalBudget = (perSecond: number, now: () => number) =>
  new RateLimiter({ now, perSecond, burst: perSecond, maxAddresses: 1 });

export class Dispatcher implements MessageSink {
  private readonly overloadLog: RateLimitedLog;
  private readonly refusals: RateLimiter;

  constructor(private readonly deps: DispatcherDeps) {
    this.overloadLog = new RateLimitedLog(deps.logger, deps.now);
    this.refusals = refusalBudget(deps.maxRequestsInProgress, deps.now);
  }

  onMessage(message: SipRequest | SipResponse, flow: Flow): void {
    if (message.kind === 'response') {
      // §18.1.2: a response no client transaction matches is not the node's; a stateful proxy
      // keeps its transactions (RFC 6026 Accepted) as long as 2xx retransmissions may come.
      if (!this.deps.clientTransactions.receiveResponse(message)) {
        this.deps.logger.debug(`stray ${message.status} response from ${flow.id} dropped`);
      }
      return;
    }
    const received = this.deps.transactions.receive(message, flow);
    if (received === 'absorbed') return;
    if (received === 'overloaded') {
      this.refuseForOverload(message, flow);
      return;
    }
    try {
      if (message.method === 'REGISTER' || (message.method === 'OPTIONS' && this.deps.proxy.isForTheNode(message))) {
        this.deps.transactions.respond(message, this.answer(message, flow), flow);
        return;
      }
      this.deps.proxy.handle(message, flow);
    } catch (err) {
      this.failed(message, flow, err);
    }
  }

  /**
   * A fault of the node's own while handling `req`: logged, and the request still gets a final
   * response (RFC 3261 §16.7 step 6 answers what cannot be served with a 500 too), unless one was
   * sent before the fault, which the transaction then keeps.
   */
  private failed(req: SipRequest, flow: Flow, err: unknown): void {
    this.deps.logger.error(`${req.method} ${req.uri} from ${flow.id} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (req.method === 'ACK') return;
    this.deps.transactions.respond(req, createResponse(req, 500, 'Server Internal Error'), flow);
  }

  /**
   * RFC 3261 §21.5.4: 503 with Retry-After, sent once and keeping nothing, as the request made no
   * transaction; a retransmission gets another. (An ACK makes no transaction and is never refused.)
   * Past the refusal budget, nothing is sent.
   */
  private refuseForOverload(req: SipRequest, flow: Flow): void {
    const limit = this.deps.maxRequestsInProgress;
    if (!this.refusals.allow('')) {
      this.overloadLog.warn(`overloaded: ${limit} requests in progress (max_requests_in_progress) and ${limit} refused in a second; ${req.method} from ${flow.id} dropped unanswered`);
      return;
    }
    this.overloadLog.warn(`overloaded: ${limit} requests in progress (max_requests_in_progress); ${req.method} from ${flow.id} refused with 503`);
    const response = createResponse(req, 503, 'Service Unavailable');
    response.headers.append('Retry-After', String(RETRY_AFTER_MIN_S + Math.floor(Math.random() * RETRY_AFTER_SPREAD_S)));
    flow.send(response);
  }

  onFlowClosed(flow: Flow, end: FlowEnd): void {
    const { location, logger } = this.deps;
    if (end === 'unreachable') {
      logger.info(`could not connect to ${flow.transport} ${flow.remoteAddress}:${flow.remotePort} (${flow.id})`);
      this.deps.clientTransactions.flowFailed(flow);
    }
    for (const b of location.removeFlow(flow.id, (binding) => diesWithFlow(binding, flow))) {
      logger.info(`unregister ${b.aor} ${b.contact}: connection ${flow.id} closed`);
    }
  }

  private answer(req: SipRequest, flow: Flow): SipResponse {
    return req.method === 'REGISTER' ? this.deps.registrar.handle(req, flow) : optionsResponse(req);
  }
}
