/**
 * The 401 (registrar, §22.2) or 407 (proxy, §22.3) that asks for credentials (RFC 3261 §22.4):
 * one `WWW-Authenticate` (or `Proxy-Authenticate`) per algorithm, in
 * the node's order of preference (RFC 8760 §2.4), with MD5 both first and last:
 *
 *   WWW-Authenticate: Digest ..., algorithm=MD5, qop="auth"
 *   WWW-Authenticate: Digest ..., algorithm=SHA-256, qop="auth"
 *   WWW-Authenticate: Digest ..., algorithm=MD5, qop="auth"
 *
 * The clients that matter most implement only MD5 and read only one challenge: sipp takes the
 * first, while JsSIP and SIP.js take the last (their parsers store the header with `setHeader`,
 * so each WWW-Authenticate line overwrites the one before). A SHA-256 challenge at either end
 * would leave one of them unable to register. Clients that implement RFC 8760 see SHA-256 offered
 * and may answer it; the repeated MD5 challenge carries the same nonce and changes nothing for them.
 */
import type { DigestAlgorithm } from '../sip/digest-hash.js';
import { formatDigestChallenge } from '../sip/digest-header.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';

export const CHALLENGE_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256', 'MD5'];

export function challenge(req: SipRequest, realm: string, nonce: string, stale: boolean, by: 'registrar' | 'proxy' = 'registrar'): SipResponse {
  const res = by === 'proxy' ? createResponse(req, 407, 'Proxy Authentication Required') : createResponse(req, 401, 'Unauthorized');
  const header = by === 'proxy' ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  for (const algorithm of CHALLENGE_ALGORITHMS) {
    res.headers.append(header, formatDigestChallenge({ realm, nonce, algorithm, qop: 'auth', stale }));
  }
  return res;
}
