/**
 * Checks digest credentials (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 8760): a REGISTER's
 * `Authorization` for the registrar, a request's `Proxy-Authorization` for the proxy (§22.3).
 *
 * An unknown user and a wrong password get the same answer (a fresh challenge), and for an unknown
 * user a digest is still computed from a dummy HA1, so neither the reply nor its timing tells which
 * user names exist.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Credentials } from '../store/credentials.js';
import { digestHash, digestResponse, type DigestAlgorithm } from '../sip/digest-hash.js';
import { DigestHeaderError, parseDigestCredentials, type DigestCredentials } from '../sip/digest-header.js';
import type { SipRequest } from '../sip/message.js';
import type { NonceManager } from './nonce.js';

/** Credentials so malformed that a new challenge would not help; the caller maps them to a 400. */
export type AuthRefusal = 'BAD_AUTHORIZATION' | 'AUTH_URI_MISMATCH';

/** Where the credentials are: a UAS asks with 401 (§22.2), a proxy with 407 (§22.3). */
export type AuthHeader = 'authorization' | 'proxy-authorization';

export type AuthResult =
  /** Credentials verified for `user` (as the client wrote the name). */
  | { kind: 'ok'; user: string }
  /**
   * Answer with a fresh challenge. `stale`: the credentials were right but the nonce is used up or
   * too old (RFC 2617 §3.2.1). `failedUser`: a wrong password or an unknown user, which counts
   * towards throttling.
   */
  | { kind: 'challenge'; stale: boolean; failedUser?: string }
  | { kind: 'refuse'; refusal: AuthRefusal };

const NC = /^[0-9A-Fa-f]{8}$/;

export class DigestAuthenticator {
  /** Stands in for the password of a user that does not exist. */
  private readonly dummySecret = randomBytes(16).toString('hex');

  constructor(private readonly deps: { credentials: Credentials; nonces: NonceManager }) {}

  authenticate(req: SipRequest, header: AuthHeader = 'authorization'): AuthResult {
    const parsed = this.ourCredentials(req, header);
    if (parsed === 'malformed') return { kind: 'refuse', refusal: 'BAD_AUTHORIZATION' };
    if (parsed === undefined) return { kind: 'challenge', stale: false };
    const cred = parsed;
    const algorithm = algorithmOf(cred.algorithm);
    // Anything but MD5/SHA-256 and qop "auth" (or none) was not offered: ask again.
    if (algorithm === undefined) return { kind: 'challenge', stale: false };
    if (cred.qop !== undefined && cred.qop.toLowerCase() !== 'auth') return { kind: 'challenge', stale: false };
    if (cred.qop !== undefined && !NC.test(cred.nc ?? '')) return { kind: 'refuse', refusal: 'BAD_AUTHORIZATION' };
    // RFC 2617 §3.2.2.5: the digest-uri must name the resource of the request line.
    if (cred.uri !== req.uri) return { kind: 'refuse', refusal: 'AUTH_URI_MISMATCH' };

    const status = this.deps.nonces.check(cred.nonce);
    // A nonce the node did not make proves nothing either way: not counted as a failure.
    if (status === 'invalid') return { kind: 'challenge', stale: false };
    if (!this.responseMatches(req, cred, algorithm)) return { kind: 'challenge', stale: false, failedUser: cred.username };
    // RFC 2617 §3.2.1: stale only when the digest itself was right.
    if (status === 'stale') return { kind: 'challenge', stale: true };
    // Without qop there is no nonce count: such a nonce is good for one request.
    const nc = cred.qop === undefined ? 1 : parseInt(cred.nc!, 16);
    if (!this.deps.nonces.use(cred.nonce, nc)) return { kind: 'challenge', stale: true };
    return { kind: 'ok', user: cred.username };
  }

  /** The first credentials whose realm is ours; those for other realms are not ours to read. */
  private ourCredentials(req: SipRequest, header: AuthHeader): DigestCredentials | 'malformed' | undefined {
    for (const value of req.headers.getAll(header)) {
      let cred: DigestCredentials;
      try {
        cred = parseDigestCredentials(value);
      } catch (err) {
        if (err instanceof DigestHeaderError && err.code === 'NOT_DIGEST') continue;
        return 'malformed';
      }
      if (cred.realm === this.deps.credentials.realm) return cred;
    }
    return undefined;
  }

  private responseMatches(req: SipRequest, cred: DigestCredentials, algorithm: DigestAlgorithm): boolean {
    const { credentials } = this.deps;
    const ha1 =
      credentials.ha1(cred.username, algorithm) ??
      digestHash(algorithm, `${cred.username}:${credentials.realm}:${this.dummySecret}`);
    const expected = digestResponse({
      algorithm,
      ha1,
      method: req.method,
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

/** RFC 2617 §3.2.1: no algorithm means MD5; names compare case-insensitively. */
function algorithmOf(name: string | undefined): DigestAlgorithm | undefined {
  if (name === undefined) return 'MD5';
  const upper = name.toUpperCase();
  return upper === 'MD5' || upper === 'SHA-256' ? upper : undefined;
}
