/**
 * The one entry point of SIP messages (DESIGN.md §2): transports deliver `(message, flow)` here;
 * retransmissions are absorbed by the server transactions (RFC 3261 §17.2.3); each request goes to
 * the part of the node that owns its method; responses go back through the transaction.
 */
import type { Logger } from '../log.js';
import type { Location } from '../location/location.js';
import type { Registrar } from '../registrar/registrar.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ServerTransactionTable } from '../sip/transactions/server-transaction-table.js';
import type { Flow, MessageSink } from '../transport/flow.js';
import { optionsResponse } from './options.js';

export interface DispatcherDeps {
  registrar: Registrar;
  location: Location;
  transactions: ServerTransactionTable;
  logger: Logger;
}

export class Dispatcher implements MessageSink {
  constructor(private readonly deps: DispatcherDeps) {}

  onMessage(message: SipRequest | SipResponse, flow: Flow): void {
    if (message.kind === 'response') {
      // The node sends no requests of its own yet, so no client transaction can match (§17.1.3).
      this.deps.logger.debug(`stray ${message.status} response from ${flow.id} dropped`);
      return;
    }
    // An ACK has no response (§17.1.1.3); the node answers no INVITE with a 2xx yet.
    if (message.method === 'ACK') return;
    if (this.deps.transactions.receive(message, flow) === 'absorbed') return;
    this.deps.transactions.respond(message, this.answer(message, flow), flow);
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
    switch (req.method) {
      case 'REGISTER':
        return this.deps.registrar.handle(req, flow);
      case 'OPTIONS':
        return optionsResponse(req);
      case 'CANCEL':
        // No INVITE transaction exists for it to cancel (RFC 3261 §9.2).
        return createResponse(req, 481, 'Call/Transaction Does Not Exist');
      default:
        return createResponse(req, 501, 'Not Implemented');
    }
  }
}
