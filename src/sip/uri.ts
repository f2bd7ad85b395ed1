/**
 * SIP, SIPS (RFC 3261 §19.1) and tel (RFC 3966) URIs.
 *
 * The user, password, parameter and header parts are stored unescaped (§19.1.2) and escaped again
 * by `formatUri`; scheme, host and parameter names are case-insensitive and stored lower-case.
 * An IPv6 host keeps its brackets (`[2001:db8::1]`, the IPv6reference of §25.1); `bareHost` strips
 * them for a socket. A tel URI has its number in `user` and an empty `host`.
 */
import { isIPv6 } from 'node:net';
import { ParseMemo } from './parse-memo.js';
import { SipParseError } from './parse-error.js';

/** Read-only: a parsed URI is shared by every message that names it (`parseUri`). */
export interface SipUri {
  readonly scheme: 'sip' | 'sips' | 'tel';
  readonly user?: string;
  readonly password?: string;
  readonly host: string;
  readonly port?: number;
  readonly params: ReadonlyMap<string, string | null>;
  readonly headers: ReadonlyMap<string, string>;
}

/**
 * The characters one part of a URI may hold unescaped: alphanumerics, RFC 3261 `mark` and the
 * part's own `extra`. Kept as patterns over a whole part, as the parts are checked on every message.
 */
interface UriPart {
  readonly extra: string;
  /** The part as written: these characters, `%` of an escape, and non-ASCII tolerated raw. */
  readonly raw: RegExp;
  /** Text that `escapePart` leaves as it is. */
  readonly plain: RegExp;
}

function uriPart(extra: string): UriPart {
  const chars = `A-Za-z0-9\\-_.!~*'()${extra.replace(/[[\]\\^-]/g, '\\$&')}`;
  return { extra, raw: new RegExp(`^[${chars}%\\u0080-\\uffff]*$`), plain: new RegExp(`^[${chars}]*$`) };
}

const USER = uriPart('&=+$,;?/');
const PASSWORD = uriPart('&=+$,');
const PARAM = uriPart('[]/:&+$');
const HEADER = uriPart('[]/?:+$');

/** Most URIs have no parameters or headers: one empty map serves them all. */
const NONE: ReadonlyMap<string, never> = new Map<string, never>();
/** URIs of the users, devices and nodes in play (parse-memo.ts). */
const uris = new ParseMemo(2048, parseUriText);

/** The URI `s`, shared with every other reader of the same text: read-only. */
export function parseUri(s: string): SipUri {
  return uris.get(s);
}

function parseUriText(s: string): SipUri {
  const colon = s.indexOf(':');
  const scheme = s.slice(0, Math.max(colon, 0)).toLowerCase();
  if (scheme === 'tel') return parseTel(s.slice(colon + 1));
  if (scheme !== 'sip' && scheme !== 'sips') throw bad('Bad URI scheme');
  let rest = s.slice(colon + 1);
  let user: string | undefined;
  let password: string | undefined;

  // The user part may hold ';' and '?' but never a raw '@' (§25.1 user-unreserved), so the first
  // '@' ends the userinfo.
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const pc = userinfo.indexOf(':');
    user = unescapePart(pc < 0 ? userinfo : userinfo.slice(0, pc), USER, 'Bad URI user');
    if (!user) throw bad('Bad URI user');
    if (pc >= 0) password = unescapePart(userinfo.slice(pc + 1), PASSWORD, 'Bad URI password');
    rest = rest.slice(at + 1);
  }

  const q = rest.indexOf('?');
  const hostParams = q < 0 ? rest : rest.slice(0, q);
  const semi = hostParams.indexOf(';');
  const hostport = semi < 0 ? hostParams : hostParams.slice(0, semi);
  const { host, port } = parseHostPort(hostport);
  return {
    scheme,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    host,
    ...(port !== undefined ? { port } : {}),
    params: semi >= 0 ? parseUriParams(hostParams.slice(semi + 1)) : NONE,
    headers: q >= 0 ? parseUriHeaders(rest.slice(q + 1)) : NONE,
  };
}

export function formatUri(u: SipUri): string {
  const params = formatUriParams(u.params);
  if (u.scheme === 'tel') return `tel:${u.user ?? ''}${params}`;
  let out = `${u.scheme}:`;
  if (u.user !== undefined) {
    out += escapePart(u.user, USER);
    if (u.password !== undefined) out += `:${escapePart(u.password, PASSWORD)}`;
    out += '@';
  }
  out += u.host.includes(':') && !u.host.startsWith('[') ? `[${u.host}]` : u.host;
  if (u.port !== undefined) out += `:${u.port}`;
  out += params;
  const headers = [...u.headers].map(([n, v]) => `${escapePart(n, HEADER)}=${escapePart(v, HEADER)}`);
  if (headers.length) out += `?${headers.join('&')}`;
  return out;
}

/** The host as a socket wants it: an IPv6 reference without its brackets. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** RFC 3986 absolute URI, loosely: what a Request-URI of another scheme must at least look like. */
export function isAbsoluteUri(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"\x00-\x1f\x7f]+$/.test(s);
}

/**
 * URI equality of RFC 3261 §19.1.4: userinfo compared case-sensitively, the rest not; a port,
 * user, ttl, method or maddr present in one URI only makes them differ, other parameters present
 * in one only are ignored; headers must all match.
 */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme || a.user !== b.user || a.password !== b.password) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  for (const name of new Set([...a.params.keys(), ...b.params.keys()])) {
    const va = a.params.get(name);
    const vb = b.params.get(name);
    if (va !== undefined && vb !== undefined) {
      if ((va ?? '').toLowerCase() !== (vb ?? '').toLowerCase()) return false;
    } else if (['user', 'ttl', 'method', 'maddr'].includes(name)) return false;
  }
  if (a.headers.size !== b.headers.size) return false;
  const bHeaders = new Map([...b.headers].map(([n, v]) => [n.toLowerCase(), v]));
  for (const [name, value] of a.headers) if (bHeaders.get(name.toLowerCase()) !== value) return false;
  return true;
}

function parseTel(rest: string): SipUri {
  const semi = rest.indexOf(';');
  const number = semi < 0 ? rest : rest.slice(0, semi);
  // RFC 3966 §3: digits, visual separators, and for a local number hex digits, '*' and '#'.
  if (!/^\+?[0-9A-Fa-f*#().\-]+$/.test(number) || !/[0-9A-Fa-f*#]/.test(number)) throw bad('Bad tel number');
  const params = semi < 0 ? NONE : parseUriParams(rest.slice(semi + 1));
  return { scheme: 'tel', user: number, host: '', params, headers: NONE };
}

function parseHostPort(hostport: string): { host: string; port?: number } {
  let host: string;
  let after: string;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0 || !isIPv6(hostport.slice(1, close))) throw bad('Bad URI host');
    host = hostport.slice(0, close + 1).toLowerCase();
    after = hostport.slice(close + 1);
  } else {
    const pc = hostport.indexOf(':');
    host = (pc < 0 ? hostport : hostport.slice(0, pc)).toLowerCase();
    after = pc < 0 ? '' : hostport.slice(pc);
    // RFC 3261 §25.1 hostname (an IPv4 address fits it too); '_' tolerated as many stacks do.
    if (!/^[a-z0-9]([a-z0-9_.-]*)$/.test(host)) throw bad('Bad URI host');
  }
  if (!after) return { host };
  if (!/^:\d{1,5}$/.test(after) || Number(after.slice(1)) > 65535) throw bad('Bad URI port');
  return { host, port: Number(after.slice(1)) };
}

function parseUriParams(text: string): Map<string, string | null> {
  const params = new Map<string, string | null>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    const name = unescapePart(eq < 0 ? part : part.slice(0, eq), PARAM, 'Bad URI parameter').toLowerCase();
    if (!name) throw bad('Bad URI parameter');
    const value = eq < 0 ? null : unescapePart(part.slice(eq + 1), PARAM, 'Bad URI parameter');
    if (value === '') throw bad('Bad URI parameter');
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}

function parseUriHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw bad('Bad URI header');
    const name = unescapePart(part.slice(0, eq), HEADER, 'Bad URI header');
    headers.set(name, unescapePart(part.slice(eq + 1), HEADER, 'Bad URI header'));
  }
  return headers;
}

function formatUriParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) {
    out += `;${escapePart(name, PARAM)}`;
    if (value !== null) out += `=${escapePart(value, PARAM)}`;
  }
  return out;
}

/**
 * Resolve %HH escapes (§19.1.2), refusing characters the part may not hold raw. Non-ASCII
 * characters written raw are tolerated; escaped octets must form UTF-8.
 */
function unescapePart(text: string, part: UriPart, reason: string): string {
  if (!part.raw.test(text)) throw bad(reason);
  if (!text.includes('%')) return text;
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw bad('Bad URI escape');
  try {
    return decodeURIComponent(text);
  } catch {
    throw bad('Bad URI escape');
  }
}

/** Escape every character outside unreserved and `extra` as UTF-8 %HH (upper-case hex). */
function escapePart(text: string, part: UriPart): string {
  if (part.plain.test(text)) return text;
  return encodeURIComponent(text).replace(/%([0-9A-F]{2})/g, (escaped, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return part.extra.includes(ch) ? ch : escaped;
  });
}

function bad(reason: string): SipParseError {
  return new SipParseError('BAD_URI', reason);
}
