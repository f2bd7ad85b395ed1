/**
 * The client's side of a digest challenge (RFC 3261 §22.2, qop=auth), with the node's own hash
 * functions: the Authorization or Proxy-Authorization line answering a 401 or 407. The first
 * challenge is the MD5 one (RFC 8760 order, DESIGN.md §3).
 */
import { digestResponse, ha1 } from '../../src/sip/digest-hash.js';
import type { SipResponse } from '../../src/sip/message.js';

export interface DigestCredentials {
  user: string;
  password: string;
  method: string;
  /** The Request-URI of the request answered. */
  uri: string;
}

/** The header line (`Authorization: Digest ...`) for a request challenged by `challenge`. */
export function digestAuthorization(challenge: SipResponse, c: DigestCredentials): string {
  const proxy = challenge.status === 407;
  const { realm, nonce } = parseChallenge(challenge.headers.getAll(proxy ? 'proxy-authenticate' : 'www-authenticate')[0] ?? '');
  const algorithm = 'MD5';
  const cnonce = 'c0ffee';
  const nc = '00000001';
  const response = digestResponse({ algorithm, ha1: ha1(algorithm, c.user, realm, c.password), method: c.method, uri: c.uri, nonce, qop: 'auth', nc, cnonce });
  const name = proxy ? 'Proxy-Authorization' : 'Authorization';
  return `${name}: Digest username="${c.user}", realm="${realm}", nonce="${nonce}", uri="${c.uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
}

function parseChallenge(value: string): { realm: string; nonce: string } {
  const field = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(value)?.[1] ?? '';
  return { realm: field('realm'), nonce: field('nonce') };
}
