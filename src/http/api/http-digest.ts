/**
 * HTTP Digest (RFC 7616, `qop=auth`, MD5 because the node stores the MD5 HA1 of every account) for
 * API clients without a login session. The response is checked by the verifier SIP digest uses
 * (src/auth/digest-verifier.ts): the registrar's stateless nonces, nonce-count replay protection,
 * and the same work for an unknown user as for a wrong password.
 */
import type { IncomingMessage } from 'node:http';
import { DigestVerifier } from '../../auth/digest-verifier.js';
import type { NonceManager } from '../../auth/nonce.js';
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
  private readonly verifier: DigestVerifier;

  constructor(private readonly deps: { credentials: Credentials; nonces: NonceManager }) {
    this.verifier = new DigestVerifier(deps);
  }

  /** The `WWW-Authenticate` value of a 401 (RFC 7616 §3.3). */
  challenge(stale = false): string {
    return formatDigestChallenge({ realm: this.verifier.realm, nonce: this.deps.nonces.issue(), algorithm: 'MD5', qop: 'auth', stale });
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
    if (cred.realm !== this.verifier.realm || cred.uri !== req.url) return { kind: 'refused', stale: false };
    const verdict = this.verifier.verify(cred, req.method ?? 'GET', 'MD5');
    if (verdict === 'ok') return { kind: 'ok', user: cred.username.toLowerCase() };
    return { kind: 'refused', stale: verdict === 'stale' };
  }
}
