/**
 * The one entry point of SIP messages (DESIGN.md §2): transports deliver `(message, flow)` here;
 * retransmissions are absorbed by the server transactions (RFC 3261 §17.2.3); REGISTER goes to the
 * registrar, an OPTIONS for the node itself is answered here, and every other request goes to the
 * proxy; responses go to the client transaction that sent their request (§17.1.3).
 */
import type { Logger } from '../log.js';
import type { Location } from '../location/location.js';
import type { Registrar } from '../registrar/registrar.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import type { ClientTransactionTable } from '../sip/transactions/client-transaction-table.js';
import type { ServerTransactionTable } from '../sip/transactions/server-transaction-table.js';
import { parseUri } from '../sip/uri.js';
import type { Flow, MessageSink } from '../transport/flow.js';
import { optionsResponse } from './options.js';
import type { Proxy } from './proxy.js';

export interface DispatcherDeps {
  registrar: Registrar;
  location: Location;
  transactions: ServerTransactionTable;
  clientTransactions: ClientTransactionTable;
  proxy: Proxy;
  logger: Logger;
}

export class Dispatcher implements MessageSink {
  constructor(private readonly deps: DispatcherDeps) {}

  onMessage(message: SipRequest | SipResponse, flow: Flow): void {
    if (message.kind === 'response') {
      // §18.1.2: a response no client transaction matches is not the node's; a stateful proxy
      // keeps its transactions (RFC 6026 Accepted) as long as 2xx retransmissions may come.
      if (!this.deps.clientTransactions.receiveResponse(message)) {
        this.deps.logger.debug(`stray ${message.status} response from ${flow.id} dropped`);
      }
      return;
    }
    if (this.deps.transactions.receive(message, flow) === 'absorbed') return;
    if (message.method === 'REGISTER' || (message.method === 'OPTIONS' && forTheNode(message))) {
      this.deps.transactions.respond(message, this.answer(message, flow), flow);
      return;
    }
    this.deps.proxy.handle(message, flow);
  }

  onFlowClosed(flow: Flow): void {
    const { location, logger } = this.deps;
    // RFC 7118 §5: WebSocket bindings die with their connection. A TCP binding of a client that
    // used outbound (RFC 5626 §5.2, reg-id) dies with its flow too; plain TCP bindings stay, and a
    // request for them opens a new connection.
    const gone = flow.transport === 'ws' || flow.transport === 'wss'
      ? location.removeFlow(flow.id)
      : location.all().filter((b) => b.flowId === flow.id && b.regId !== undefined).map((b) => location.remove(b.aor, b));
    for (const b of gone) if (b) logger.info(`unregister ${b.aor} ${b.contact}: connection ${flow.id} closed`);
  }

  private answer(req: SipRequest, flow: Flow): SipResponse {
    return req.method === 'REGISTER' ? this.deps.registrar.handle(req, flow) : optionsResponse(req);
  }
}

/** An OPTIONS whose Request-URI names no user is a ping of the node (§11); one for a user is routed. */
function forTheNode(req: SipRequest): boolean {
  try {
    return !parseUri(req.uri).user;
  } catch {
    return true;
  }
}
