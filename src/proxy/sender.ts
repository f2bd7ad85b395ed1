/**
 * Who sent a request from outside a dialog. The node routes only for senders it can prove (no open
 * relay, DESIGN.md §3): a local user, proven by digest (RFC 3261 §22.3), whose From names that same
 * user; or a peer node, proven by its signature (request-signature.ts), speaking for one of its own
 * users. A request that claims a known node's domain without that node's valid signature is
 * refused before any challenge, so nobody can speak for another node's users.
 */
import { DigestGate } from '../auth/digest-gate.js';
import type { FailureThrottle } from '../auth/throttle.js';
import type { Logger } from '../log.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { bareHost, type SipUri } from '../sip/uri.js';
import type { Credentials } from '../store/credentials.js';
import type { Flow } from '../sip/flow.js';
import type { Peers } from './peers.js';
import type { ProxyRefusal } from './refusal.js';

export type Sender =
  | { readonly kind: 'user'; readonly user: string }
  /** `user` is the From user at the node's domain. */
  | { readonly kind: 'node'; readonly nodeId: string; readonly user: string; readonly domain: string };

export type SenderProof =
  | { readonly kind: 'proven'; readonly sender: Sender }
  /** The sender must answer first: a 407 challenge, or the throttle's 503. */
  | { readonly kind: 'answered'; readonly response: SipResponse }
  | { readonly kind: 'refused'; readonly refusal: ProxyRefusal };

export interface SenderCheckDeps {
  credentials: Credentials;
  logger: Logger;
  now: () => number;
  peers?: Peers;
  /** Failed password checks, shared by every path that checks passwords (one budget per guesser); a fresh one when absent. */
  authFailures?: FailureThrottle;
}

/** How a sender is named in logs and the call history: a local user bare, a remote one in full. */
export function senderName(sender: Sender): string {
  return sender.kind === 'user' ? sender.user : `${sender.user}@${sender.domain}`;
}

export class SenderCheck {
  private readonly gate: DigestGate;

  constructor(private readonly deps: SenderCheckDeps) {
    const { credentials, logger, now, authFailures } = deps;
    this.gate = new DigestGate({ credentials, logger, now, by: 'proxy', authFailures });
  }

  /** `from`: the From URI, which names the account or the node the request claims to come from. */
  prove(req: SipRequest, flow: Flow, from: SipUri): SenderProof {
    const peers = this.deps.peers;
    const fromDomain = bareHost(from.host).toLowerCase();
    const check = peers?.verify(req) ?? { kind: 'unsigned' as const };
    if (check.kind === 'verified') return this.fromNode(req, flow, from, fromDomain, check.nodeId);
    if (check.kind === 'refused' || peers?.nodeForDomain(fromDomain)) {
      const why = check.kind === 'refused' ? check.why : 'unsigned';
      this.deps.logger.warn(`${req.method} from ${flow.transport} ${flow.remoteAddress}:${flow.remotePort} as ${fromDomain}: node signature refused (${why})`);
      return { kind: 'refused', refusal: 'BAD_NODE_SIGNATURE' };
    }
    return this.fromUser(req, flow, from.user ?? '');
  }

  private fromNode(req: SipRequest, flow: Flow, from: SipUri, fromDomain: string, nodeId: string): SenderProof {
    const node = this.deps.peers?.nodeById(nodeId);
    // A node vouches for its own users only: its signature on another node's domain is a forgery.
    // Any other From host is the one the user's phone wrote (an address of its node, say): the
    // sender is named by the signing node's domain, which is what was proven.
    const other = this.deps.peers?.nodeForDomain(fromDomain);
    if (!node || !from.user || (other !== undefined && other.id !== nodeId)) {
      this.deps.logger.warn(`node ${nodeId} signed ${req.method} from ${fromDomain} (${flow.remoteAddress}): not its domain`);
      return { kind: 'refused', refusal: 'BAD_NODE_SIGNATURE' };
    }
    return { kind: 'proven', sender: { kind: 'node', nodeId, user: from.user.toLowerCase(), domain: node.domain } };
  }

  private fromUser(req: SipRequest, flow: Flow, from: string): SenderProof {
    const claimed = from.toLowerCase();
    const gate = this.gate.check(req, flow, claimed);
    if (gate.kind === 'refuse') return { kind: 'answered', response: gate.response };
    const user = gate.user.toLowerCase();
    if (user !== claimed) {
      this.deps.logger.warn(`${JSON.stringify(gate.user)} sent ${req.method} as ${JSON.stringify(from)} from ${flow.transport} ${flow.remoteAddress}:${flow.remotePort}`);
      return { kind: 'refused', refusal: 'FROM_MISMATCH' };
    }
    return { kind: 'proven', sender: { kind: 'user', user } };
  }
}
