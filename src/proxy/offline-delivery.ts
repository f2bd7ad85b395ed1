/**
 * What waits for a user who was offline (RFC 3428 leaves store-and-forward to the implementation):
 * MESSAGEs sent to them while no device was registered, and a summary of the calls they missed.
 * When one of their devices registers anew, the node sends the summary (not to its own page, which
 * shows missed calls itself), then every stored message in the order they came, one at a time, each
 * with a `Date` of when it arrived; a message is deleted once a device answered it with 2xx, so it
 * is delivered once. Anything a device does not accept waits for the next registration.
 */
import type { Clock } from '../clock.js';
import type { Binding } from '../location/binding.js';
import type { Location } from '../location/location.js';
import type { Logger } from '../log.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ClientTransactionTable } from '../sip/transactions/client-transaction-table.js';
import type { CallHistory } from '../store/call-history.js';
import type { StoredMessages } from '../store/stored-messages.js';
import type { Flow } from '../sip/flow.js';
import type { LocalAddresses } from '../net/local-address.js';
import { missedCallSummary } from './missed-call-summary.js';
import { bindingFlow, type FlowSource } from './next-hop.js';
import { nodeRequest } from './node-request.js';
import { RateLimitedLog } from '../transport/rate-limited-log.js';

export interface OfflineDeliveryDeps {
  messages: StoredMessages;
  history: Pick<CallHistory, 'unnotifiedMissed' | 'markNotified' | 'usersWithUnnotifiedMissed'>;
  location: Location;
  flows: FlowSource;
  clientTransactions: ClientTransactionTable;
  addresses: LocalAddresses;
  clock: Clock;
  logger: Logger;
  domain: string;
  /** Writes the calls that ended but wait to be written (call-log.ts), so the summary has them. */
  flushHistory?: () => void;
}

/** One thing to hand over, and what to do once a device took it. */
interface Parcel {
  from: string;
  contentType: string;
  body: Buffer;
  date?: number;
  delivered(): void;
}

export class OfflineDelivery {
  /** Users whose delivery is under way: a second device registering must not get it twice. */
  private readonly delivering = new Set<string>();
  /**
   * Users who may have something waiting. Only their registrations read the database: a read costs
   * SQLite's lock directory (mkdir, rmdir), which was a tenth of the CPU of a REGISTER.
   */
  private readonly waiting: Set<string>;
  private readonly unsubscribe: () => void;
  /** MESSAGEs refused because the recipient's box holds message_max_stored. */
  private readonly fullLog: RateLimitedLog;

  constructor(private readonly deps: OfflineDeliveryDeps) {
    this.fullLog = new RateLimitedLog(deps.logger, () => deps.clock.now());
    this.waiting = new Set([...deps.messages.recipients(), ...deps.history.usersWithUnnotifiedMissed()]);
    this.unsubscribe = deps.location.onChange((event) => {
      // After the REGISTER's 200 has gone out: a client may not expect a MESSAGE before it.
      if (event.type === 'added') queueMicrotask(() => this.deliver(event.binding));
    });
  }

  /** A MESSAGE for `callee`, who has no device registered: stored for later, or refused. */
  store(req: SipRequest, callee: string): SipResponse {
    const result = this.deps.messages.store({
      recipient: callee,
      sender: req.headers.get('from') ?? '',
      contentType: req.headers.get('content-type') ?? 'text/plain',
      body: req.body,
    });
    if (result === 'too-large') return createResponse(req, 413, 'Message too large to store');
    if (result === 'full') {
      this.fullLog.warn(`MESSAGE for ${callee} refused with 480: message_max_stored (${this.deps.messages.maxPerUser}) messages wait for them already`);
      return createResponse(req, 480, 'Offline, and no room to store more messages');
    }
    this.waiting.add(callee);
    this.deps.logger.info(`MESSAGE for ${callee} stored until a device registers`);
    // RFC 3428 §7: 202 says the message was accepted, not that it reached the user.
    return createResponse(req, 202, 'Accepted');
  }

  /** `user` missed a call: their next registration gets the summary. */
  missedCall(user: string): void {
    this.waiting.add(user);
  }

  close(): void {
    this.unsubscribe();
  }

  private deliver(binding: Binding): void {
    const aor = binding.aor;
    if (this.delivering.has(aor) || !this.waiting.has(aor)) return;
    // Taken now: whatever comes during the delivery puts the user back (store(), missedCall()).
    this.waiting.delete(aor);
    const parcels = this.parcels(aor, this.isOwnPage(binding));
    if (parcels.length === 0) return;
    this.delivering.add(aor);
    const next = (): void => {
      const parcel = parcels.shift();
      if (!parcel) return void this.delivering.delete(aor);
      this.send(binding, parcel, (ok) => {
        if (!ok) {
          this.delivering.delete(aor);
          this.waiting.add(aor);
          return;
        }
        parcel.delivered();
        next();
      });
    };
    next();
  }

  /**
   * The node's own page, whose WebSocket its login session authenticates (RFC 7118 §7), lists
   * missed calls in its history with a badge: a summary MESSAGE would only show there as a chat
   * with nobody to answer.
   */
  private isOwnPage(binding: Binding): boolean {
    return bindingFlow(this.deps.flows, binding)?.webUser !== undefined;
  }

  /** What waits for `aor`; without the summary for the node's own page, which keeps it for the user's other devices. */
  private parcels(aor: string, ownPage: boolean): Parcel[] {
    const { history, messages, domain } = this.deps;
    const out: Parcel[] = [];
    this.deps.flushHistory?.();
    const missed = history.unnotifiedMissed(aor);
    if (missed.length > 0 && ownPage) this.waiting.add(aor);
    else if (missed.length > 0) {
      out.push({
        from: `"Missed calls" <sip:trucada@${domain}>`,
        contentType: 'text/plain;charset=UTF-8',
        body: Buffer.from(missedCallSummary(missed), 'utf8'),
        delivered: () => history.markNotified(missed.map((c) => c.id)),
      });
    }
    for (const m of messages.pending(aor)) {
      out.push({ from: m.sender, contentType: m.contentType, body: Buffer.from(m.body), date: m.receivedAt, delivered: () => messages.delete(m.id) });
    }
    return out;
  }

  private send(binding: Binding, parcel: Parcel, done: (ok: boolean) => void): void {
    const flow = bindingFlow(this.deps.flows, binding);
    if (!flow) return done(false);
    let from = parcel.from;
    let request: SipRequest;
    try {
      request = this.request(binding, flow, from, parcel);
    } catch {
      // A stored From the parser no longer accepts: the message still goes, from the node.
      from = `<sip:trucada@${this.deps.domain}>`;
      request = this.request(binding, flow, from, parcel);
    }
    let finished = false;
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      done(ok);
    };
    this.deps.clientTransactions.start(request, flow, {
      onResponse: (res) => {
        if (res.status >= 200) finish(res.status < 300);
      },
      onTimeout: () => finish(false),
      onTransportError: () => finish(false),
    });
  }

  private request(binding: Binding, flow: Flow, from: string, parcel: Parcel): SipRequest {
    const headers: Record<string, string> = { 'Content-Type': parcel.contentType };
    if (parcel.date !== undefined) headers.Date = new Date(parcel.date).toUTCString();
    return nodeRequest(
      { method: 'MESSAGE', uri: binding.contact, from, to: `<sip:${binding.aor}@${this.deps.domain}>`, flow, headers, body: parcel.body },
      this.deps.addresses,
    );
  }
}
