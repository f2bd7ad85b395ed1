/**
 * HTTP Digest (RFC 7616, `qop=auth`, MD5 because the node stores the MD5 HA1 of every account) for
 * the JSON API, until the page brings login sessions. Nonces are the registrar's stateless kind,
 * with nonce-count replay protection; an unknown user costs the same work as a wrong password.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NonceManager } from '../../auth/nonce.js';
import { digestHash, digestResponse } from '../../sip/digest-hash.js';
import { DigestHeaderError, formatDigestChallenge, parseDigestCredentials, type DigestCredentials } from '../../sip/digest-header.js';
import type { Credentials } from '../../store/credentials.js';

export type HttpAuthResult =
  /** No Authorization header at all. */
  | { kind: 'anonymous' }
  | { kind: 'ok'; user: string }
  /** Wrong, malformed, replayed or stale: answer 401 with a fresh challenge. */
  | { kind: 'refused'; stale: boolean };

const NC = /^[0-9A-Fa-f]{8}$/;

export class HttpDigest {
  /** Stands in for the password of a user that does not exist. */
  private readonly dummySecret = randomBytes(16).toString('hex');

  constructor(private readonly deps: { credentials: Credentials; nonces: NonceManager }) {}

  /** The `WWW-Authenticate` value of a 401 (RFC 7616 §3.3). */
  challenge(stale = false): string {
    return formatDigestChallenge({ realm: this.deps.credentials.realm, nonce: this.deps.nonces.issue(), algorithm: 'MD5', qop: 'auth', stale });
  }

  authenticate(req: IncomingMessage): HttpAuthResult {
    const header = req.headers.authorization;
    if (header === undefined) return { kind: 'anonymous' };
    let cred: DigestCredentials;
    try {
      cred = parseDigestCredentials(header);
    } catch (err) {
      if (err instanceof DigestHeaderError) return { kind: 'refused', stale: false };
      throw err;
    }
    const algorithm = cred.algorithm?.toUpperCase() ?? 'MD5';
    // RFC 7616 §3.4: qop is required; only what the challenge offered is accepted.
    if (algorithm !== 'MD5' || cred.qop?.toLowerCase() !== 'auth' || !NC.test(cred.nc ?? '') || cred.cnonce === undefined) {
      return { kind: 'refused', stale: false };
    }
    // RFC 7616 §3.4.6: the digest-uri names the request target.
    if (cred.realm !== this.deps.credentials.realm || cred.uri !== req.url) return { kind: 'refused', stale: false };
    const status = this.deps.nonces.check(cred.nonce);
    if (status === 'invalid') return { kind: 'refused', stale: false };
    const ha1 = this.deps.credentials.ha1(cred.username, 'MD5') ?? digestHash('MD5', `${cred.username}:${this.deps.credentials.realm}:${this.dummySecret}`);
    const expected = digestResponse({
      algorithm: 'MD5',
      ha1,
      method: req.method ?? 'GET',
      uri: cred.uri,
      nonce: cred.nonce,
      qop: 'auth',
      nc: cred.nc,
      cnonce: cred.cnonce,
    });
    const given = Buffer.from(cred.response.toLowerCase());
    const want = Buffer.from(expected);
    const match = given.length === want.length ? timingSafeEqual(given, want) : !timingSafeEqual(want, want);
    if (!match || this.deps.credentials.ha1(cred.username, 'MD5') === undefined) return { kind: 'refused', stale: false };
    if (status === 'stale' || !this.deps.nonces.use(cred.nonce, parseInt(cred.nc!, 16))) return { kind: 'refused', stale: true };
    return { kind: 'ok', user: cred.username.toLowerCase() };
  }
}
