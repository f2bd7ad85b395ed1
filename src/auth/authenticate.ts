/**
 * Checks digest credentials (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 8760): a REGISTER's
 * `Authorization` for the registrar, a request's `Proxy-Authorization` for the proxy (§22.3).
 * The response itself is checked by digest-verifier.ts, which the HTTP API shares; an unknown user
 * and a wrong password get the same answer (a fresh challenge).
 */
import { createHash } from 'node:crypto';
import type { DigestAlgorithm } from '../sip/digest-hash.js';
import { DigestHeaderError, parseDigestCredentials, type DigestCredentials } from '../sip/digest-header.js';
import type { SipRequest } from '../sip/message.js';
import { topVia } from '../sip/via.js';
import type { DigestVerifier } from './digest-verifier.js';

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
  constructor(private readonly verifier: DigestVerifier) {}

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
    switch (this.verifier.verify(cred, req.method, algorithm, requestIdentity(req))) {
      case 'ok':
        return { kind: 'ok', user: cred.username };
      case 'unknown-nonce':
        return { kind: 'challenge', stale: false };
      case 'wrong':
        return { kind: 'challenge', stale: false, failedUser: cred.username };
      case 'stale':
        return { kind: 'challenge', stale: true };
    }
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
      if (cred.realm === this.verifier.realm) return cred;
    }
    return undefined;
  }
}

/** RFC 2617 §3.2.1: no algorithm means MD5; names compare case-insensitively. */
function algorithmOf(name: string | undefined): DigestAlgorithm | undefined {
  if (name === undefined) return 'MD5';
  const upper = name.toUpperCase();
  return upper === 'MD5' || upper === 'SHA-256' ? upper : undefined;
}

/**
 * What a retransmission shares with the request it repeats and another request does not: the top
 * Via branch (RFC 3261 §8.1.1.7, §17.2.3) and the CSeq; undefined without a branch. Kept as a
 * digest, because the nonce table keeps it for minutes and the strings themselves are slices of
 * the whole received message, which they would keep alive with them.
 */
function requestIdentity(req: SipRequest): string | undefined {
  const branch = topVia(req)?.params.get('branch');
  return branch ? createHash('sha1').update(`${branch} ${req.headers.get('cseq') ?? ''}`).digest('base64') : undefined;
}
