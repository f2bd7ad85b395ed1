/**
 * The one check of a digest response (RFC 7616 §3.4.1, RFC 2617 §3.2.2, RFC 8760), for SIP
 * (authenticate.ts) and for the HTTP API (src/http/api/http-digest.ts): the nonce is one this node
 * made and still fresh, the response matches the account's stored HA1, and the nonce count has not
 * been used. Each caller reads the header its own protocol carries and decides how to answer.
 *
 * An unknown user and a wrong password get the same verdict, and for an unknown user a digest is
 * still computed from a dummy HA1, so neither the answer nor its timing tells which names exist.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { digestHash, digestResponse, type DigestAlgorithm } from '../sip/digest-hash.js';
import type { DigestCredentials } from '../sip/digest-header.js';
import type { Credentials } from '../store/credentials.js';
import type { NonceManager } from './nonce.js';

export type DigestVerdict =
  | 'ok'
  /** A nonce this node did not make: proves nothing either way, not counted as a failure. */
  | 'unknown-nonce'
  /** Wrong password or unknown user. */
  | 'wrong'
  /** Right, but the nonce is too old or its count was used (RFC 2617 §3.2.1): challenge with stale. */
  | 'stale';

export class DigestVerifier {
  /** Stands in for the password of a user that does not exist. */
  private readonly dummySecret = randomBytes(16).toString('hex');

  constructor(private readonly deps: { credentials: Credentials; nonces: NonceManager }) {}

  get realm(): string {
    return this.deps.credentials.realm;
  }

  /**
   * `cred` as parsed, its algorithm and qop already checked against what the challenge offered;
   * `request`, for SIP, tells a retransmission of the request from a replay (NonceManager.use).
   */
  verify(cred: DigestCredentials, method: string, algorithm: DigestAlgorithm, request?: string): DigestVerdict {
    const status = this.deps.nonces.check(cred.nonce);
    if (status === 'invalid') return 'unknown-nonce';
    if (!this.responseMatches(cred, method, algorithm)) return 'wrong';
    if (status === 'stale') return 'stale';
    // Without qop there is no nonce count: such a nonce is good for one request.
    const nc = cred.qop === undefined ? 1 : parseInt(cred.nc!, 16);
    return this.deps.nonces.use(cred.nonce, nc, request) ? 'ok' : 'stale';
  }

  private responseMatches(cred: DigestCredentials, method: string, algorithm: DigestAlgorithm): boolean {
    const { credentials } = this.deps;
    const ha1 = credentials.ha1(cred.username, algorithm) ?? digestHash(algorithm, `${cred.username}:${credentials.realm}:${this.dummySecret}`);
    const expected = digestResponse({
      algorithm,
      ha1,
      method,
      uri: cred.uri,
      nonce: cred.nonce,
      ...(cred.qop !== undefined && { qop: 'auth' as const, nc: cred.nc, cnonce: cred.cnonce }),
    });
    const given = Buffer.from(cred.response.toLowerCase(), 'utf8');
    const want = Buffer.from(expected, 'utf8');
    // Equal lengths for timingSafeEqual; a wrong length still costs one comparison.
    if (given.length !== want.length) return !timingSafeEqual(want, want);
    return timingSafeEqual(given, want);
  }
}
