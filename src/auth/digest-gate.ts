/**
 * The digest check in front of the registrar (401, RFC 3261 §22.2) and the proxy (407, §22.3):
 * failure throttling per source address and per user, the credentials themselves, and the
 * challenge when they are missing, wrong or stale. Both ask the same accounts with their own nonces
 * and count failures in one throttle, so a guesser cannot double its tries by alternating
 * REGISTER and INVITE.
 */
import type { Logger } from '../log.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { refusalResponse } from '../sip/response.js';
import type { Credentials } from '../store/credentials.js';
import type { Flow } from '../sip/flow.js';
import { DigestAuthenticator } from './authenticate.js';
import { challenge } from './challenge.js';
import { DigestVerifier } from './digest-verifier.js';
import { NonceManager } from './nonce.js';
import { FailureThrottle } from './throttle.js';

export interface DigestGateDeps {
  credentials: Credentials;
  logger: Logger;
  now: () => number;
  by: 'registrar' | 'proxy';
  /** Failed password checks, shared by every path that checks passwords (one budget per guesser); a fresh one when absent. */
  authFailures?: FailureThrottle;
}

export type GateResult = { kind: 'ok'; user: string } | { kind: 'refuse'; response: SipResponse };

/** The gate's refusals, named as the registrar's and the proxy's are (refusal.ts), one code each. */
const REFUSALS = {
  BAD_AUTHORIZATION: { status: 400, reason: 'Bad Authorization header' },
  /** RFC 2617 §3.2.2.5: the digest-uri must name the Request-URI. */
  AUTH_URI_MISMATCH: { status: 400, reason: 'Digest uri does not match Request-URI' },
  /** Too many failed authentications from this address or for this user; temporary. */
  TOO_MANY_FAILURES: { status: 503, reason: 'Too many failed attempts' },
} as const;

export class DigestGate {
  private readonly nonces: NonceManager;
  private readonly throttle: FailureThrottle;
  private readonly auth: DigestAuthenticator;

  constructor(private readonly deps: DigestGateDeps) {
    this.nonces = new NonceManager({ now: deps.now });
    this.throttle = deps.authFailures ?? new FailureThrottle({ now: deps.now });
    this.auth = new DigestAuthenticator(new DigestVerifier({ credentials: deps.credentials, nonces: this.nonces }));
  }

  /** `claimed`: the account the request speaks for (To of a REGISTER, From of a call), for throttling. */
  check(req: SipRequest, flow: Flow, claimed: string): GateResult {
    // The page's own WebSocket, opened with a live login session of that very user (RFC 7118 §7).
    if (flow.webUser !== undefined && flow.webUser() === claimed) return { kind: 'ok', user: claimed };
    const addrKey = `addr:${flow.remoteAddress}`;
    const userKey = `user:${claimed}`;
    const wait = Math.max(this.throttle.blockedFor(addrKey), this.throttle.blockedFor(userKey));
    if (wait > 0) {
      return { kind: 'refuse', response: refusalResponse(req, REFUSALS.TOO_MANY_FAILURES, { 'Retry-After': String(Math.ceil(wait / 1000)) }) };
    }
    const result = this.auth.authenticate(req, this.deps.by === 'proxy' ? 'proxy-authorization' : 'authorization');
    if (result.kind === 'refuse') return { kind: 'refuse', response: refusalResponse(req, REFUSALS[result.refusal]) };
    if (result.kind === 'challenge') {
      if (result.failedUser !== undefined) {
        const source = `${flow.transport} ${flow.remoteAddress}:${flow.remotePort}`;
        this.deps.logger.warn(`authentication failed for ${JSON.stringify(result.failedUser)} (${req.method} as ${claimed}) from ${source}`);
        this.throttle.recordFailure(addrKey);
        this.throttle.recordFailure(userKey);
      }
      const response = challenge(req, this.deps.credentials.realm, this.nonces.issue(), result.stale, this.deps.by);
      return { kind: 'refuse', response };
    }
    // Only the user's own key is cleared: a success with one account must not wipe the failures
    // an address has piled up guessing others.
    this.throttle.recordSuccess(userKey);
    return { kind: 'ok', user: result.user };
  }
}
