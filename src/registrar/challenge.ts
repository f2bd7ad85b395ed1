/**
 * The 401 that asks for credentials (RFC 3261 §22.4), with one `WWW-Authenticate` per algorithm in
 * the node's order of preference (RFC 8760 §2.4).
 *
 * MD5 comes first although SHA-256 is stronger: sipp, JsSIP and SIP.js read only the first
 * challenge of a 401 and only implement MD5, so a SHA-256 challenge in first place would leave them
 * unable to register at all. Clients that implement RFC 8760 pick the SHA-256 challenge from the
 * second place.
 */
import type { DigestAlgorithm } from '../sip/digest-hash.js';
import { formatDigestChallenge } from '../sip/digest-header.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';

export const CHALLENGE_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256'];

export function challenge(req: SipRequest, realm: string, nonce: string, stale: boolean): SipResponse {
  const res = createResponse(req, 401, 'Unauthorized');
  for (const algorithm of CHALLENGE_ALGORITHMS) {
    res.headers.append('WWW-Authenticate', formatDigestChallenge({ realm, nonce, algorithm, qop: 'auth', stale }));
  }
  return res;
}
