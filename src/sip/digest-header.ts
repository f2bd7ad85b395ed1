/**
 * The Digest header fields of RFC 3261 §22.4 / §25.1 (after RFC 2617 §3.2): parsing the
 * `Authorization` / `Proxy-Authorization` credentials a client sends, and formatting the
 * `WWW-Authenticate` / `Proxy-Authenticate` challenges the node sends.
 *
 *   credentials = "Digest" LWS dig-resp *(COMMA dig-resp)
 *   dig-resp    = name EQUAL ( token / quoted-string )
 */
import type { DigestAlgorithm } from './digest-hash.js';
import { isTokenChar } from './params.js';

export type DigestHeaderErrorCode = 'NOT_DIGEST' | 'SYNTAX' | 'DUPLICATE_PARAM' | 'MISSING_PARAM' | 'TOO_MANY_PARAMS';

export class DigestHeaderError extends Error {
  override readonly name = 'DigestHeaderError';

  constructor(
    readonly code: DigestHeaderErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The parameters of a Digest `Authorization` header; names are lower-cased, values unquoted. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  /** As written by the client; absent means MD5 (RFC 2617 §3.2.1). */
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
  /** Every parameter, including the ones above and any extension. */
  params: ReadonlyMap<string, string>;
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  qop?: 'auth';
  /** RFC 2617 §3.2.1: the credentials were right but the nonce is no longer accepted. */
  stale?: boolean;
  opaque?: string;
}

/** A real client sends about ten; more is either broken or hostile. */
const MAX_PARAMS = 32;
const REQUIRED = ['username', 'realm', 'nonce', 'uri', 'response'] as const;

/** Parse a `Digest ...` credentials value; throws DigestHeaderError on anything malformed. */
export function parseDigestCredentials(value: string): DigestCredentials {
  const scheme = /^\s*Digest(?:[ \t\r\n]+|$)/i.exec(value);
  if (!scheme) throw new DigestHeaderError('NOT_DIGEST', 'credentials do not use the Digest scheme');
  const params = parseParams(value, scheme[0].length);
  for (const name of REQUIRED) {
    if (!params.has(name)) throw new DigestHeaderError('MISSING_PARAM', `Digest credentials lack "${name}"`);
  }
  // RFC 2617 §3.2.2: cnonce and nc MUST be present when qop is.
  if (params.has('qop')) {
    for (const name of ['cnonce', 'nc']) {
      if (!params.has(name)) throw new DigestHeaderError('MISSING_PARAM', `Digest credentials with qop lack "${name}"`);
    }
  }
  return {
    username: params.get('username')!,
    realm: params.get('realm')!,
    nonce: params.get('nonce')!,
    uri: params.get('uri')!,
    response: params.get('response')!,
    algorithm: params.get('algorithm'),
    qop: params.get('qop'),
    nc: params.get('nc'),
    cnonce: params.get('cnonce'),
    opaque: params.get('opaque'),
    params,
  };
}

function parseParams(s: string, start: number): Map<string, string> {
  const params = new Map<string, string>();
  let i = skipWs(s, start);
  if (i >= s.length) throw new DigestHeaderError('SYNTAX', 'Digest credentials have no parameters');
  while (i < s.length) {
    const nameStart = i;
    while (i < s.length && isTokenChar(s[i]!)) i++;
    if (i === nameStart) throw new DigestHeaderError('SYNTAX', `expected a parameter name at offset ${i}`);
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWs(s, i);
    if (s[i] !== '=') throw new DigestHeaderError('SYNTAX', `expected "=" after "${name}"`);
    i = skipWs(s, i + 1);
    let val: string;
    if (s[i] === '"') [val, i] = readQuoted(s, i);
    else [val, i] = readToken(s, i);
    // RFC 3261 §7.3.1: a parameter name MUST NOT appear more than once.
    if (params.has(name)) throw new DigestHeaderError('DUPLICATE_PARAM', `parameter "${name}" appears twice`);
    if (params.size === MAX_PARAMS) throw new DigestHeaderError('TOO_MANY_PARAMS', `more than ${MAX_PARAMS} parameters`);
    params.set(name, val);
    i = skipWs(s, i);
    if (i >= s.length) break;
    if (s[i] !== ',') throw new DigestHeaderError('SYNTAX', `expected "," after "${name}"`);
    i = skipWs(s, i + 1);
    if (i >= s.length) throw new DigestHeaderError('SYNTAX', 'trailing comma');
  }
  return params;
}

function isLws(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isLws(s[i])) i++;
  return i;
}

/** quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE, quoted-pair = "\" any char but CR/LF. */
function readQuoted(s: string, i: number): [string, number] {
  // Most values hold no quoted-pair: take them in one slice.
  const close = s.indexOf('"', i + 1);
  const escape = s.indexOf('\\', i + 1);
  if (close >= 0 && (escape < 0 || escape > close)) return [s.slice(i + 1, close), close + 1];
  let out = '';
  for (let j = i + 1; j < s.length; j++) {
    const ch = s[j]!;
    if (ch === '"') return [out, j + 1];
    if (ch === '\\') {
      const next = s[j + 1];
      if (next === undefined || next === '\r' || next === '\n') break;
      out += next;
      j++;
    } else out += ch;
  }
  throw new DigestHeaderError('SYNTAX', 'unterminated quoted string');
}

/** Unquoted values: tokens, and in practice also hex and `MD5-sess`-like strings; stop at "," or space. */
function readToken(s: string, i: number): [string, number] {
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== '"' && !isLws(s[j])) j++;
  if (j === i) throw new DigestHeaderError('SYNTAX', `empty value at offset ${i}`);
  return [s.slice(i, j), j];
}

function quote(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A `WWW-Authenticate` value; `algorithm` and `stale` are tokens, the rest quoted (RFC 2617 §3.2.1). */
export function formatDigestChallenge(c: DigestChallenge): string {
  const parts = [`realm=${quote(c.realm)}`, `nonce=${quote(c.nonce)}`];
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  parts.push(`algorithm=${c.algorithm}`);
  if (c.qop) parts.push(`qop=${quote(c.qop)}`);
  if (c.stale) parts.push('stale=true');
  return `Digest ${parts.join(', ')}`;
}
