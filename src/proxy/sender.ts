/**
 * Who sent a request from outside a dialog. The node routes only for senders it can prove (no open
 * relay, DESIGN.md §3): today a local user, proven by digest (RFC 3261 §22.3), whose From names that
 * same user. Federation adds a peer node proven by its signature as a second kind of Sender, checked
 * here beside the digest, so that routing below asks only "who" and never "how was it proven".
 */
import { DigestGate } from '../auth/digest-gate.js';
import type { Logger } from '../log.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import type { Credentials } from '../store/credentials.js';
import type { Flow } from '../transport/flow.js';
import type { ProxyRefusal } from './refusal.js';

export type Sender = { readonly kind: 'user'; readonly user: string };

export type SenderProof =
  | { readonly kind: 'proven'; readonly sender: Sender }
  /** The sender must answer first: a 407 challenge, or the throttle's 503. */
  | { readonly kind: 'answered'; readonly response: SipResponse }
  | { readonly kind: 'refused'; readonly refusal: ProxyRefusal };

export class SenderCheck {
  private readonly gate: DigestGate;

  constructor(private readonly deps: { credentials: Credentials; logger: Logger; now: () => number }) {
    this.gate = new DigestGate({ ...deps, by: 'proxy' });
  }

  /** `from`: the user part of the From URI, the account the request claims to come from. */
  prove(req: SipRequest, flow: Flow, from: string): SenderProof {
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
