/**
 * The proxy core (RFC 3261 §16): every request that is not a REGISTER or an OPTIONS for the node
 * itself. Requests inside a dialog follow the Route the node recorded and are never challenged
 * (§22.1); a new request is routed by where it goes (destination.ts: a local user or a peer node)
 * and who sends it (sender.ts: a local user proven by digest, 407, or a peer node proven by its
 * signature), and the callee's devices are all rung at once (fork.ts). A request for a peer node's
 * user goes to that node, signed by this one; a request from a peer node goes to local users only.
 * The node relays nothing else: no open relay.
 */
import type { Clock } from '../clock.js';
import type { Location } from '../location/location.js';
import type { Logger } from '../log.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { parseNameAddr, tagOf, tagParam, type NameAddr } from '../sip/name-addr.js';
import type { SipUri } from '../sip/uri.js';
import { createResponse } from '../sip/response.js';
import type { ClientTransactionTable } from '../sip/transactions/client-transaction-table.js';
import type { ServerTransactionTable } from '../sip/transactions/server-transaction-table.js';
import type { TransactionTimers } from '../sip/transactions/timers.js';
import type { Credentials } from '../store/credentials.js';
import { normalizeUserName } from '../store/user-name.js';
import { RateLimitedLog } from '../transport/rate-limited-log.js';
import type { Flow } from '../sip/flow.js';
import type { LocalAddresses } from '../net/local-address.js';
import { Fork, type ForkOutcome, type ForkTarget } from './fork.js';
import { destinationOf, isTheNode } from './destination.js';
import { forwardedRequest } from './forward.js';
import { isLoop, loopHash, loopSalt, proxyBranch } from './loop-detection.js';
import { inDialogHop, popOurRoutes } from './loose-route.js';
import { bindingFlow, type FlowSource } from './next-hop.js';
import type { PeerNode, Peers } from './peers.js';
import type { OurHosts } from '../core/our-host.js';
import { recordRoutes, type OurRoute, type RouteDeps } from './record-route.js';
import { proxyRefuse, type ProxyRefusal } from './refusal.js';
import { SenderCheck, senderName, type Sender } from './sender.js';
import type { FailureThrottle } from '../auth/throttle.js';
import type { MediaAnchor } from './media-anchor.js';

export interface ProxyDeps {
  credentials: Credentials;
  location: Location;
  flows: FlowSource;
  hosts: OurHosts;
  route: RouteDeps;
  addresses: LocalAddresses;
  clientTransactions: ClientTransactionTable;
  serverTransactions: ServerTransactionTable;
  timers: TransactionTimers;
  clock: Clock;
  logger: Logger;
  ringTimeoutMs: number;
  /** `message_max_body`: the largest MESSAGE body relayed or stored (RFC 3428 §7). */
  messageMaxBody: number;
  /** The verified peer nodes (federation); without it the node serves its own domain only. */
  peers?: Peers;
  /** Failed password checks, shared by every path that checks passwords (one budget per guesser); a fresh one when absent. */
  authFailures?: FailureThrottle;
  /** Stores a MESSAGE for a user with no device registered; without it such a MESSAGE gets 480. */
  offline?: { store(req: SipRequest, callee: string): SipResponse };
  /** An INVITE from outside a dialog has its final response: the call's first half is known. */
  onCall?: (call: CallAttempt) => void;
  /** A BYE is routed inside the dialog with this Call-ID: the call's end. */
  onBye?: (callId: string) => void;
  /** Puts rtpengine into calls whose ends speak different media (issue 14); without it SDP passes untouched. */
  media?: MediaAnchor;
}

/** A call to or from a local user, as the history needs it: a remote party is `user@domain`. */
export interface CallAttempt {
  caller: string;
  callee: string;
  callId: string;
  outcome: ForkOutcome;
}

/** Methods that only exist inside a dialog (§12.2, RFC 3262, RFC 3311, RFC 6086). */
const MID_DIALOG_ONLY = new Set(['BYE', 'PRACK', 'UPDATE', 'INFO']);
/** Requests that create a dialog and so are record-routed (§16.6 step 4; RFC 6665, RFC 3515). */
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);
/** Option tags the proxy understands in Proxy-Require (§16.3 step 5): none. */
const PROXY_OPTIONS = new Set<string>();

export class Proxy {
  private readonly senders: SenderCheck;
  /** INVITEs being forked, by their request, for a CANCEL to find (§9.2). */
  private readonly forks = new Map<SipRequest, Fork>();
  /** Salts the loop hash in our branches, so a peer node's Via never reads as ours. */
  private readonly loopSalt = loopSalt();
  /** MESSAGEs refused for message_max_body. */
  private readonly limitLog: RateLimitedLog;

  constructor(private readonly deps: ProxyDeps) {
    this.senders = new SenderCheck({
      credentials: deps.credentials,
      logger: deps.logger,
      now: () => deps.clock.now(),
      ...(deps.peers ? { peers: deps.peers } : {}),
      authFailures: deps.authFailures,
    });
    this.limitLog = new RateLimitedLog(deps.logger, () => deps.clock.now());
  }

  /** An OPTIONS for this is a ping of the node, answered by it (§11); any other is routed. */
  isForTheNode(req: SipRequest): boolean {
    return isTheNode(req.uri, this.deps.hosts);
  }

  /** A request the server transactions passed on (retransmissions are absorbed there). */
  handle(req: SipRequest, flow: Flow): void {
    if (req.method === 'CANCEL') return this.cancel(req, flow);
    const refusal = this.route(req, flow);
    if (refusal !== undefined) this.refuse(req, flow, refusal);
  }

  /** Every request leaving the node goes through here, which answers anything it cannot route. */
  private route(req: SipRequest, flow: Flow): ProxyRefusal | undefined {
    // §16.3 step 3: a request with no hops left is answered, not forwarded.
    const maxForwards = req.headers.get('max-forwards');
    if (maxForwards !== undefined && !/^\s*\d{1,9}\s*$/.test(maxForwards)) return 'BAD_MAX_FORWARDS';
    if (maxForwards !== undefined && Number(maxForwards) === 0) return 'TOO_MANY_HOPS';
    // From and To are read once here for everything below (the parser has checked both).
    let from: NameAddr;
    try {
      from = parseNameAddr(req.headers.get('from') ?? '');
    } catch {
      return 'BAD_FROM';
    }
    const fromTagValue = tagParam(from);
    const toTag = tagOf(req.headers.get('to'));
    const hash = loopHash(req, this.loopSalt, fromTagValue ?? '', toTag ?? '');
    if (isLoop(req, hash)) return 'LOOP';
    const unknown = req.headers.getAll('proxy-require').filter((o) => !PROXY_OPTIONS.has(o.toLowerCase()));
    if (unknown.length > 0) {
      this.refuse(req, flow, 'BAD_EXTENSION', { Unsupported: unknown.join(', ') });
      return undefined;
    }
    const popped = popOurRoutes(this.deps.route, req);
    // A bare `tag` names no dialog direction (fromTag in loose-route.ts).
    const dialogFromTag = fromTagValue || undefined;
    if (toTag !== undefined) {
      // §12.2.2: inside a dialog, the node routes only what it record-routed.
      if (popped.length === 0) return 'NO_DIALOG';
      return this.inDialog(req, flow, popped, hash, dialogFromTag);
    }
    if (req.method === 'ACK') return undefined;
    if (MID_DIALOG_ONLY.has(req.method)) return 'NO_DIALOG';
    if (req.method === 'PUBLISH') return 'NOT_IMPLEMENTED';
    if (req.headers.has('route')) return 'FOREIGN_ROUTE';
    return this.newRequest(req, flow, hash, from.uri, dialogFromTag);
  }

  private inDialog(
    req: SipRequest,
    flow: Flow,
    popped: readonly OurRoute[],
    hash: string,
    fromTag: string | undefined,
  ): ProxyRefusal | undefined {
    const hop = inDialogHop(this.deps.flows, req, popped, fromTag);
    if (typeof hop === 'string') return req.method === 'ACK' ? undefined : hop;
    if (req.method === 'BYE') {
      const callId = req.headers.get('call-id') ?? '';
      this.deps.onBye?.(callId);
      this.deps.media?.ended(callId);
    }
    if (req.method === 'ACK') {
      // An ACK for a 2xx is a transaction of its own with no response (§17.1.1.3): sent on statelessly.
      const ack = forwardedRequest(req, { requestUri: req.uri, outbound: hop, branch: proxyBranch(hash) }, this.deps.addresses);
      if (!hop.send(ack)) this.deps.logger.debug(`ACK for ${req.uri} not sent on ${hop.id}`);
      return undefined;
    }
    const target: ForkTarget = { uri: req.uri, flow: hop, device: req.uri };
    this.fork(req, flow, this.deps.media?.inDialog(req, target) ?? [target], hash);
    return undefined;
  }

  /** A request from outside a dialog: where it goes, then who sends it (destination.ts, sender.ts). */
  private newRequest(req: SipRequest, flow: Flow, hash: string, from: SipUri, tag: string | undefined): ProxyRefusal | undefined {
    const destination = destinationOf(req.uri, this.deps.hosts, this.deps.peers);
    if (destination.kind === 'refused') return destination.refusal;
    const proof = this.senders.prove(req, flow, from);
    if (proof.kind === 'answered') {
      // A challenge or the throttle's 503 to a sender that proved nothing yet.
      this.deps.serverTransactions.respondStatelessly(req, proof.response, flow);
      return undefined;
    }
    if (proof.kind === 'refused') return proof.refusal;
    if (destination.kind === 'local') {
      const elsewhere = this.meshUser(req, flow, proof.sender, destination.user);
      if (elsewhere === 'answered') return undefined;
      if (elsewhere !== undefined) return this.toPeerNode(req, flow, hash, tag, proof.sender, elsewhere.node, elsewhere.user);
      return this.toLocalUser(req, flow, hash, tag, proof.sender, destination.user);
    }
    // Each node serves its own users: a node's request for a third node would make this one a relay.
    if (proof.sender.kind === 'node') return 'NO_TRANSIT';
    return this.toPeerNode(req, flow, hash, tag, proof.sender, destination.node, destination.user);
  }

  /**
   * A bare name a local user dialled that no account here has (issue 11): when exactly one peer node
   * publishes it, the request goes there, its Request-URI retargeted (RFC 3261 §16.5); when several
   * do, the caller gets 300 Multiple Choices with each (§21.3.1) and picks. Undefined for a name
   * this node serves, or that no node does (then 404 as before); nodes' own requests never resolve
   * here, or this node would relay between two others.
   */
  private meshUser(req: SipRequest, flow: Flow, sender: Sender, user: string | undefined): { node: PeerNode; user: string } | 'answered' | undefined {
    if (sender.kind === 'node' || !user || this.deps.peers === undefined) return undefined;
    let name: string;
    try {
      name = normalizeUserName(user);
    } catch {
      return undefined;
    }
    if (this.deps.credentials.ha1(name, 'MD5') !== undefined) return undefined;
    const nodes = this.deps.peers.nodesWithUser(name);
    if (nodes.length === 0) return undefined;
    if (nodes.length === 1) {
      req.uri = `sip:${name}@${nodes[0]!.domain}`;
      return { node: nodes[0]!, user: name };
    }
    const choices = createResponse(req, 300);
    for (const node of nodes) choices.headers.append('Contact', `<sip:${name}@${node.domain}>`);
    this.deps.logger.info(`${req.method} from ${senderName(sender)} to ${name}: ${nodes.length} nodes have a ${name}, the caller chooses`);
    this.respond(req, flow, choices);
    return 'answered';
  }

  /** A local user's request for a user of a peer node: sent there, signed by this node (DESIGN.md §5). */
  private toPeerNode(req: SipRequest, flow: Flow, hash: string, tag: string | undefined, sender: Sender, node: PeerNode, user: string): ProxyRefusal | undefined {
    if (req.method === 'MESSAGE' && req.body.length > this.deps.messageMaxBody) return 'MESSAGE_TOO_LARGE';
    let callee: string;
    try {
      callee = `${normalizeUserName(user)}@${node.domain}`;
    } catch {
      return 'UNKNOWN_USER';
    }
    const out = this.deps.flows.flowTo(node.sip);
    if (!out) return 'UNREACHABLE';
    this.deps.peers?.sign(req);
    const caller = senderName(sender);
    this.deps.logger.info(`${req.method} from ${caller} to ${callee}: via node ${node.id}`);
    const recorded = DIALOG_CREATING.has(req.method);
    const target: ForkTarget = {
      uri: req.uri,
      flow: out,
      device: `node ${node.id}`,
      onUnreachable: () => this.deps.peers?.unreachable(node.id),
      ...(recorded ? { recordRoute: recordRoutes(this.deps.route, flow, out, tag) } : {}),
    };
    this.fork(req, flow, [target], hash, { caller, callee });
    return undefined;
  }

  /** Every device of a local user, rung at once; a MESSAGE for a user with none is stored. */
  private toLocalUser(req: SipRequest, flow: Flow, hash: string, tag: string | undefined, sender: Sender, user: string | undefined): ProxyRefusal | undefined {
    const caller = senderName(sender);
    if (!user) return 'NO_USER';
    let callee: string;
    try {
      callee = normalizeUserName(user);
    } catch {
      return 'UNKNOWN_USER';
    }
    if (this.deps.credentials.ha1(callee, 'MD5') === undefined) return 'UNKNOWN_USER';
    if (req.method === 'MESSAGE' && req.body.length > this.deps.messageMaxBody) return 'MESSAGE_TOO_LARGE';

    const targets: ForkTarget[] = [];
    const recorded = DIALOG_CREATING.has(req.method);
    for (const binding of this.deps.location.lookup(callee)) {
      const out = bindingFlow(this.deps.flows, binding);
      if (!out) continue;
      targets.push({
        uri: binding.contact,
        flow: out,
        device: binding.userAgent ? `${binding.contact} (${binding.userAgent})` : binding.contact,
        ...(recorded ? { recordRoute: recordRoutes(this.deps.route, flow, out, tag) } : {}),
      });
    }
    if (targets.length === 0) {
      this.deps.logger.info(`${req.method} from ${caller} to ${callee}: no device registered`);
      if (req.method === 'INVITE') this.reportOffline(req, caller, callee);
      if (req.method === 'MESSAGE' && this.deps.offline) {
        this.respond(req, flow, this.deps.offline.store(req, callee));
        return undefined;
      }
      return 'OFFLINE';
    }
    this.deps.logger.info(`${req.method} from ${caller} to ${callee}: ${targets.length} device(s)`);
    // A MESSAGE none of whose devices could be reached is kept as if none were registered.
    const offline = this.deps.offline;
    const store = req.method === 'MESSAGE' && offline ? (r: SipRequest) => offline.store(r, callee) : undefined;
    const anchored = req.method === 'INVITE' ? this.deps.media?.newCall(req, flow, targets) : undefined;
    this.fork(req, flow, anchored ?? targets, hash, { caller, callee }, store);
    return undefined;
  }

  private fork(
    req: SipRequest,
    flow: Flow,
    targets: readonly ForkTarget[] | Promise<readonly ForkTarget[]>,
    hash: string,
    call?: { caller: string; callee: string },
    whenUnreachable?: (request: SipRequest) => SipResponse,
  ): void {
    const invite = req.method === 'INVITE';
    const fork = new Fork(
      {
        clock: this.deps.clock,
        clientTransactions: this.deps.clientTransactions,
        serverTransactions: this.deps.serverTransactions,
        addresses: this.deps.addresses,
        timers: this.deps.timers,
        logger: this.deps.logger,
      },
      {
        request: req,
        flow,
        targets,
        loopHash: hash,
        realm: this.deps.credentials.realm,
        ...(invite && call ? { ringTimeoutMs: this.deps.ringTimeoutMs } : {}),
        ...(whenUnreachable ? { whenUnreachable } : {}),
        onDone: (outcome) => {
          this.forks.delete(req);
          if (!invite || !call) return;
          const callId = req.headers.get('call-id') ?? '';
          this.deps.media?.settled(callId, outcome.status);
          this.deps.onCall?.({ ...call, callId, outcome });
        },
      },
    );
    if (invite) this.forks.set(req, fork);
    fork.start();
  }

  /** §9.2, §16.10: answer the CANCEL, then cancel the INVITE's branches. */
  private cancel(req: SipRequest, flow: Flow): void {
    const tx = this.deps.serverTransactions.inviteTransactionFor(req);
    if (tx === undefined) {
      this.refuse(req, flow, 'NO_DIALOG');
      return;
    }
    // §16.10: a response context was found, so the CANCEL gets its 200 at once. When the INVITE has
    // had its final response (§9.2), there is nothing left to cancel, but the answer is the same.
    this.respond(req, flow, createResponse(req, 200));
    const fork = tx.request && this.forks.get(tx.request);
    fork?.cancel(req.headers.get('reason'));
  }

  private reportOffline(req: SipRequest, caller: string, callee: string): void {
    const now = this.deps.clock.now();
    this.deps.onCall?.({
      caller,
      callee,
      callId: req.headers.get('call-id') ?? '',
      outcome: { status: 480, devices: [], startedAt: now, cancelled: false, timedOut: false },
    });
  }

  private refuse(req: SipRequest, flow: Flow, name: ProxyRefusal, headers: Record<string, string> = {}): void {
    if (name === 'MESSAGE_TOO_LARGE') {
      const from = `${flow.transport} ${flow.remoteAddress}:${flow.remotePort}`;
      this.limitLog.warn(`MESSAGE of ${req.body.length} bytes from ${from} refused with 413: over message_max_body (${this.deps.messageMaxBody})`);
    }
    this.respond(req, flow, proxyRefuse(req, name, headers));
  }

  private respond(req: SipRequest, flow: Flow, res: SipResponse): void {
    // An ACK is never answered (§17.1.1.3).
    if (req.method === 'ACK') return;
    this.deps.serverTransactions.respond(req, res, flow);
  }
}
