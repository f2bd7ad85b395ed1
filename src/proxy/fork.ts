/**
 * One request the node proxies statefully (RFC 3261 §16), to one target or forked in parallel to
 * several (every device of a user, §16.6): a client transaction per branch, the responses relayed
 * through the request's server transaction.
 *
 *   - provisional responses go upstream at once, except 100 (§16.7 step 5);
 *   - the first 2xx goes upstream and, for an INVITE, every branch still ringing gets a CANCEL
 *     with `Reason: SIP;cause=200;text="Call completed elsewhere"`; later 2xx go up too (§16.7
 *     step 5: the caller acknowledges and ends the extra dialogs);
 *   - when every branch has failed the best final response goes up (§16.7 step 6, best-response.ts),
 *     a 503 as 500; a branch that timed out counts as 408 (§16.8), one the transport failed as 503
 *     (§16.9), and when the transport failed every branch the caller gets 480: none of the
 *     callee's devices could be reached, which is a state of the callee, not a fault of the node;
 *   - the caller's CANCEL (§16.10) and the ring timeout (Timer C, §16.6 step 11, shortened to
 *     `ring_timeout` for calls to a user) cancel every branch; the caller gets 487 or 480 once the
 *     branches have ended, unless a 2xx won the race. A CANCEL waits for the branch's first
 *     provisional (§9.1), and a branch that never ends is dropped after 64*T1.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ClientTransaction, ClientTransactionTable } from '../sip/transactions/client-transaction-table.js';
import type { ServerTransactionTable } from '../sip/transactions/server-transaction-table.js';
import type { TransactionTimers } from '../sip/transactions/timers.js';
import type { Flow } from '../sip/flow.js';
import type { LocalAddresses } from '../net/local-address.js';
import { bestResponse } from './best-response.js';
import { ANSWERED_ELSEWHERE, cancelFor } from './cancel-request.js';
import { forwardedRequest } from './forward.js';
import { proxyBranch } from './loop-detection.js';

export interface ForkTarget {
  /** The Request-URI for this branch: a binding's Contact, or the request's own in a dialog. */
  uri: string;
  flow: Flow;
  /** Record-Route values for this branch, first on top (record-route.ts). */
  recordRoute?: readonly string[];
  /** What was rung, for the call history: the contact and its user agent. */
  device: string;
  /** The branch timed out or its transport failed (§16.8, §16.9): the next hop may be gone. */
  onUnreachable?: () => void;
  /** The body this branch carries instead of the request's: the SDP the media relay made for its device. */
  body?: Buffer;
  /** Sees each of the branch's responses before the fork does, and hands it on, rewritten or not (media-anchor.ts). */
  receive?: (res: SipResponse, deliver: (res: SipResponse) => void) => void;
}

export interface ForkDeps {
  clock: Clock;
  clientTransactions: ClientTransactionTable;
  serverTransactions: ServerTransactionTable;
  addresses: LocalAddresses;
  timers: TransactionTimers;
  logger: Logger;
}

/** How the request ended, known when the final response goes upstream. */
export interface ForkOutcome {
  /** The final status sent to the caller. */
  status: number;
  devices: string[];
  startedAt: number;
  answeredAt?: number;
  answeredBy?: string;
  /** The caller cancelled before anyone answered. */
  cancelled: boolean;
  /** The ring timeout ended it. */
  timedOut: boolean;
}

export interface ForkOptions {
  request: SipRequest;
  flow: Flow;
  /** Known at once, or once the media relay has made each branch's SDP (the promise never rejects). */
  targets: readonly ForkTarget[] | Promise<readonly ForkTarget[]>;
  loopHash: string;
  /** Consumed Proxy-Authorization realm (forward.ts). */
  realm?: string;
  /** INVITE only: end an unanswered request after this long. Default Timer C, 3 minutes. */
  ringTimeoutMs?: number;
  /** The caller's answer when the transport failed every branch; default 480 (a MESSAGE is stored instead). */
  whenUnreachable?: (request: SipRequest) => SipResponse;
  onDone?: (outcome: ForkOutcome) => void;
}

/** §16.6 step 11: Timer C, "greater than 3 minutes". */
const TIMER_C_MS = 181_000;

interface Branch {
  readonly target: ForkTarget;
  /** The forwarded copy, until its final response (then only the client transaction's own). */
  request: SipRequest | undefined;
  tx?: ClientTransaction;
  provisional: boolean;
  /** The branch's final status, from its first final response (or the one it is given). */
  finalStatus?: number;
  /**
   * That response, until the caller has its own: the best of them may be it (§16.7 step 6). After
   * that a call's forks live on for the 2xx retransmissions of 64*T1 and would otherwise hold every
   * branch's answer, headers and SDP, for those 32 s: most of the heap under a call flood.
   */
  final?: SipResponse;
  /** A CANCEL is owed as soon as a provisional arrives (§9.1). */
  cancelReason?: string | null;
  cancelSent: boolean;
  /** The transport could not deliver the request (§16.9). */
  unreachable?: boolean;
}

export class Fork {
  private branches: Branch[] = [];
  private readonly invite: boolean;
  private readonly startedAt: number;
  private answeredAt: number | undefined;
  private answeredBy: string | undefined;
  private finalSent = false;
  private starting = true;
  /** Set by a CANCEL or the ring timeout: the status the caller gets if no 2xx comes. */
  private override: { status: number; cancelled: boolean; timedOut: boolean } | undefined;
  private ringTimer: unknown;
  private giveUpTimer: unknown;
  /**
   * The caller's request, until the final response has gone up; after that only the server
   * transaction is kept, for the 2xx retransmissions of the next 64*T1 (RFC 6026), which is why
   * a finished fork holds so little.
   */
  private request: SipRequest | undefined;
  private readonly upstream: { respond(response: SipResponse): boolean };

  private readonly flowId: string;
  private readonly targets: ForkOptions['targets'];
  private readonly loopHash: string;
  private readonly realm: string | undefined;
  private readonly ringTimeoutMs: number;
  private readonly whenUnreachable: ForkOptions['whenUnreachable'];
  /** Called once; let go then, with whatever it holds. */
  private onDone: ForkOptions['onDone'];

  constructor(private readonly deps: ForkDeps, options: ForkOptions) {
    this.flowId = options.flow.id;
    this.ringTimeoutMs = options.ringTimeoutMs ?? TIMER_C_MS;
    this.whenUnreachable = options.whenUnreachable;
    this.onDone = options.onDone;
    this.invite = options.request.method === 'INVITE';
    this.startedAt = deps.clock.now();
    this.request = options.request;
    this.upstream = deps.serverTransactions.responder(options.request, options.flow);
    this.targets = options.targets;
    this.loopHash = options.loopHash;
    this.realm = options.realm;
  }

  /** Whether the caller has its final response. */
  get answered(): boolean {
    return this.finalSent;
  }

  start(): void {
    // §16.2: a stateful proxy answers an INVITE with 100 at once, so the caller stops retransmitting.
    if (this.invite) this.upstream.respond(createResponse(this.request!, 100));
    if (Array.isArray(this.targets)) this.startBranches(this.targets);
    else void (this.targets as Promise<readonly ForkTarget[]>).then((targets) => this.startBranches(targets));
  }

  /** A CANCEL or a ring timeout that came while the targets were being made leaves none to start. */
  private startBranches(targets: readonly ForkTarget[]): void {
    const request = this.request;
    if (request && !this.override) this.branches = targets.map((target) => this.branchFor(request, target));
    for (const branch of this.branches) {
      const { receive } = branch.target;
      const onResponse = (res: SipResponse) => this.onResponse(branch, res);
      // The callbacks reach the request through the branch, which lets go of it at the final response.
      branch.tx = this.deps.clientTransactions.start(branch.request!, branch.target.flow, {
        onResponse: receive ? (res) => receive(res, onResponse) : onResponse,
        onTimeout: () => {
          branch.target.onUnreachable?.();
          this.failBranch(branch, 408);
        },
        onTransportError: () => {
          branch.unreachable = true;
          branch.target.onUnreachable?.();
          this.failBranch(branch, 503);
        },
      });
    }
    this.starting = false;
    if (this.invite && !this.override) {
      this.ringTimer = this.deps.clock.setTimeout(() => this.stop(480, false, true), this.ringTimeoutMs);
    }
    this.settle();
  }

  private branchFor(request: SipRequest, target: ForkTarget): Branch {
    const spec = {
      requestUri: target.uri,
      outbound: target.flow,
      branch: proxyBranch(this.loopHash),
      ...(target.recordRoute ? { recordRoute: target.recordRoute } : {}),
      ...(this.realm !== undefined ? { realm: this.realm } : {}),
      ...(target.body ? { body: target.body } : {}),
    };
    return { target, request: forwardedRequest(request, spec, this.deps.addresses), provisional: false, cancelSent: false };
  }

  /** §16.10: the caller's CANCEL; its Reason (RFC 3326) goes on to the branches. */
  cancel(reason?: string): void {
    this.stop(487, true, false, reason);
  }

  private onResponse(branch: Branch, res: SipResponse): void {
    // §16.7 step 3: the top Via is the node's own.
    res.headers.shift('via');
    const status = res.status;
    if (status < 200) {
      branch.provisional = true;
      if (branch.cancelReason !== undefined) this.sendCancel(branch);
      // §16.7 step 5: every provisional but 100 goes upstream.
      if (status > 100 && !this.finalSent) this.relay(res);
      return;
    }
    if (status < 300) {
      this.setFinal(branch, res);
      // §16.7 step 5: every 2xx of an INVITE goes upstream; a non-INVITE gets one final response.
      if (this.invite || !this.finalSent) this.answer(branch, res);
      return;
    }
    this.onFinal(branch, res);
  }

  private answer(branch: Branch, res: SipResponse): void {
    const first = this.answeredAt === undefined;
    if (first) {
      this.answeredAt = this.deps.clock.now();
      this.answeredBy = branch.target.device;
    }
    this.relay(res);
    if (!first) return;
    this.finalSent = true;
    if (this.invite) for (const other of this.branches) if (other !== branch) this.cancelBranch(other, ANSWERED_ELSEWHERE);
    this.done(res.status);
  }

  private onFinal(branch: Branch, res: SipResponse): void {
    if (branch.finalStatus !== undefined) return;
    this.setFinal(branch, res);
    // §16.7 step 5: a 6xx ends the search; the other branches are cancelled.
    if (this.invite && res.status >= 600) for (const other of this.branches) this.cancelBranch(other, null);
    this.settle();
  }

  /** Once every branch has its final response, the caller gets the best one (§16.7 step 6). */
  private settle(): void {
    const request = this.request;
    if (this.starting || this.finalSent || !request || this.branches.some((b) => b.finalStatus === undefined)) return;
    let res: SipResponse;
    if (this.override) res = createResponse(request, this.override.status);
    else if (this.branches.every((b) => b.unreachable)) res = this.whenUnreachable?.(request) ?? createResponse(request, 480, 'Temporarily Unavailable');
    else {
      const best = bestResponse(this.branches.map((b) => b.final!)) ?? createResponse(request, 480);
      // §16.7 step 6: a 503 means this proxy cannot serve; the caller must not retry elsewhere for it.
      res = best.status === 503 ? createResponse(request, 500, 'Server Internal Error') : best;
    }
    this.finalSent = true;
    this.relay(res);
    this.done(res.status);
  }

  private stop(status: number, cancelled: boolean, timedOut: boolean, reason?: string): void {
    // After a 6xx the branches are cancelled already and the 6xx is the answer (§16.7 step 6).
    if (this.finalSent || this.override || this.branches.some((b) => b.finalStatus !== undefined && b.finalStatus >= 600)) return;
    this.override = { status, cancelled, timedOut };
    this.deps.clock.clearTimeout(this.ringTimer);
    for (const branch of this.branches) this.cancelBranch(branch, reason ?? null);
    this.settle();
  }

  private cancelBranch(branch: Branch, reason: string | null): void {
    if (branch.finalStatus !== undefined || branch.cancelReason !== undefined) return;
    branch.cancelReason = reason;
    if (branch.provisional) this.sendCancel(branch);
    // §9.1: a branch that answers neither the INVITE nor the CANCEL is let go after 64*T1, whatever
    // cancelled it (the caller, the ring timeout, a 2xx or a 6xx elsewhere).
    this.giveUpTimer ??= this.deps.clock.setTimeout(() => this.giveUp(), this.deps.timers.b);
  }

  private giveUp(): void {
    for (const branch of this.branches) {
      if (branch.finalStatus !== undefined || !branch.request) continue;
      this.setFinal(branch, createResponse(branch.request, 487));
      branch.tx?.terminate();
    }
    this.settle();
  }

  private sendCancel(branch: Branch): void {
    if (branch.cancelSent || branch.finalStatus !== undefined || !branch.request) return;
    branch.cancelSent = true;
    const cancel = cancelFor(branch.request, branch.cancelReason ?? undefined);
    // The CANCEL's own outcome changes nothing: the INVITE's final response (487) ends the branch.
    const ignore = () => {};
    this.deps.clientTransactions.start(cancel, branch.target.flow, { onResponse: ignore, onTimeout: ignore, onTransportError: ignore });
  }

  /** §16.8 (timeout: 408), §16.9 (transport error: 503): the branch fails as if it had answered so. */
  private failBranch(branch: Branch, status: number): void {
    if (branch.request) this.onFinal(branch, createResponse(branch.request, status));
  }

  private setFinal(branch: Branch, res: SipResponse): void {
    if (branch.finalStatus === undefined) {
      branch.finalStatus = res.status;
      if (!this.finalSent) branch.final = res;
    }
    branch.request = undefined;
  }

  private relay(res: SipResponse): void {
    if (!this.upstream.respond(res)) this.deps.logger.debug(`could not relay ${res.status} to ${this.flowId}`);
  }

  private done(status: number): void {
    this.request = undefined;
    for (const branch of this.branches) branch.final = undefined;
    this.deps.clock.clearTimeout(this.ringTimer);
    if (this.branches.every((b) => b.finalStatus !== undefined)) this.deps.clock.clearTimeout(this.giveUpTimer);
    const onDone = this.onDone;
    this.onDone = undefined;
    onDone?.({
      status,
      devices: this.branches.map((b) => b.target.device),
      startedAt: this.startedAt,
      ...(this.answeredAt !== undefined ? { answeredAt: this.answeredAt, answeredBy: this.answeredBy } : {}),
      cancelled: this.override?.cancelled ?? false,
      timedOut: this.override?.timedOut ?? false,
    });
  }
}
