/**
 * The digest check in front of the registrar (401, RFC 3261 §22.2) and the proxy (407, §22.3):
 * failure throttling per source address and per user, the credentials themselves, and the
 * challenge when they are missing, wrong or stale. Both ask the same accounts with their own nonces.
 */
import type { Logger } from '../log.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { Credentials } from '../store/credentials.js';
import type { Flow } from '../transport/flow.js';
import { DigestAuthenticator } from './authenticate.js';
import { challenge } from './challenge.js';
import { NonceManager } from './nonce.js';
import { FailureThrottle } from './throttle.js';

export interface DigestGateDeps {
  credentials: Credentials;
  logger: Logger;
  now: () => number;
  by: 'registrar' | 'proxy';
}

export type GateResult = { kind: 'ok'; user: string } | { kind: 'refuse'; response: SipResponse };

const REFUSALS = {
  BAD_AUTHORIZATION: 'Bad Authorization header',
  // RFC 2617 §3.2.2.5: the digest-uri must name the Request-URI.
  AUTH_URI_MISMATCH: 'Digest uri does not match Request-URI',
} as const;

export class DigestGate {
  private readonly nonces: NonceManager;
  private readonly throttle: FailureThrottle;
  private readonly auth: DigestAuthenticator;

  constructor(private readonly deps: DigestGateDeps) {
    this.nonces = new NonceManager({ now: deps.now });
    this.throttle = new FailureThrottle({ now: deps.now });
    this.auth = new DigestAuthenticator({ credentials: deps.credentials, nonces: this.nonces });
  }

  /** `claimed`: the account the request speaks for (To of a REGISTER, From of a call), for throttling. */
  check(req: SipRequest, flow: Flow, claimed: string): GateResult {
    const addrKey = `addr:${flow.remoteAddress}`;
    const userKey = `user:${claimed}`;
    const wait = Math.max(this.throttle.blockedFor(addrKey), this.throttle.blockedFor(userKey));
    if (wait > 0) {
      const response = createResponse(req, 503, 'Too many failed attempts');
      response.headers.append('Retry-After', String(Math.ceil(wait / 1000)));
      return { kind: 'refuse', response };
    }
    const result = this.auth.authenticate(req, this.deps.by === 'proxy' ? 'proxy-authorization' : 'authorization');
    if (result.kind === 'refuse') return { kind: 'refuse', response: createResponse(req, 400, REFUSALS[result.refusal]) };
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
