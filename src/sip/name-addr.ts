/**
 * name-addr and addr-spec values of From, To, Contact, Route, Record-Route and the like
 * (RFC 3261 §20.10, §25.1).
 */
import { ParseMemo } from './parse-memo.js';
import { SipParseError } from './parse-error.js';
import { formatParams, parseParams, quote, quotedEnd, skipWhitespace, trimWhitespace, unquote } from './params.js';
import { formatUri, parseUri, type SipUri } from './uri.js';

/** Read-only: a parsed name-addr is shared by every reader of the same text (`parseNameAddr`). */
export interface NameAddr {
  /** Unquoted text; undefined when none was written. */
  readonly displayName?: string;
  readonly uri: SipUri;
  /** Header parameters (tag, expires, q, +sip.instance...), not URI parameters. */
  readonly params: ReadonlyMap<string, string | null>;
}

/** From, To and Contact of the users and devices in play: each read by the parser, the transaction layer and the registrar or proxy. */
const nameAddrs = new ParseMemo(2048, parseNameAddrText);

export function parseNameAddr(s: string): NameAddr {
  return nameAddrs.get(s);
}

function parseNameAddrText(s: string): NameAddr {
  const text = trimWhitespace(s);
  let displayName: string | undefined;
  let lt: number;
  if (text.startsWith('"')) {
    const end = quotedEnd(text, 0);
    if (end < 0) throw bad('Unterminated quoted string');
    displayName = unquote(text.slice(0, end));
    lt = skipWhitespace(text, end);
    if (text[lt] !== '<') throw bad('Missing < after display name');
  } else {
    lt = unquotedIndex(text, '<');
    if (lt > 0) {
      // An unquoted display name is a run of tokens (§25.1 display-name); a comma or other
      // separator there is an error (RFC 4475 §3.1.2.15).
      const words = trimWhitespace(text.slice(0, lt)).split(/[ \t]+/);
      if (!words.every(isDisplayWord)) throw bad('Bad display name');
      displayName = words.join(' ');
    }
  }
  if (lt < 0) return parseAddrSpec(text);
  const gt = text.indexOf('>', lt);
  if (gt < 0) throw bad('Missing >');
  // No LWS is allowed inside the angle brackets (RFC 4475 §3.1.2.14): parseUri refuses it.
  const uri = parseUri(text.slice(lt + 1, gt));
  const params = parseHeaderParams(text.slice(gt + 1));
  return displayName === undefined ? { uri, params } : { displayName, uri, params };
}

/** Always in name-addr form, so parameters of the URI and of the header cannot be confused. */
export function formatNameAddr(n: NameAddr): string {
  const name = n.displayName ? `${quote(n.displayName)} ` : '';
  return `${name}<${formatUri(n.uri)}>${formatParams(n.params)}`;
}

/** The `tag` of a From or To (§19.3): '' when written without a value, undefined when absent. */
export function tagParam(addr: NameAddr): string | undefined {
  const tag = addr.params.get('tag');
  return tag === undefined ? undefined : (tag ?? '');
}

/** The `tag` of a From or To header value; undefined also when the value cannot be read. */
export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return tagParam(parseNameAddr(value));
  } catch {
    return undefined;
  }
}

/** One Contact value: a name-addr or the `*` of a REGISTER removing every binding (§10.2.2). */
export function parseContact(s: string): NameAddr | '*' {
  return trimWhitespace(s) === '*' ? '*' : parseNameAddr(s);
}

/**
 * RFC 3261 §20.10: without angle brackets every parameter after the URI is a header parameter,
 * and a URI holding a comma, semicolon or question mark must have been enclosed.
 */
function parseAddrSpec(text: string): NameAddr {
  const semi = text.indexOf(';');
  const uriText = semi < 0 ? text : text.slice(0, semi);
  if (/[?,\s]/.test(uriText)) throw bad('URI with ? , or space must be in <>');
  return { uri: parseUri(uriText), params: parseHeaderParams(semi < 0 ? '' : text.slice(semi)) };
}

function parseHeaderParams(text: string): Map<string, string | null> {
  try {
    return parseParams(text);
  } catch (e) {
    throw e instanceof SipParseError ? bad(e.reason) : e;
  }
}

/** A token, leniently also holding UTF-8 letters that a strict sender would have quoted. */
function isDisplayWord(word: string): boolean {
  return /^(?:[A-Za-z0-9\-.!%*_+`'~]|[^\x00-\x7f])+$/.test(word);
}

/** Index of `ch` outside quoted strings, or -1. */
function unquotedIndex(text: string, ch: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') {
      i = quotedEnd(text, i) - 1;
      if (i < 0) return -1;
    } else if (text[i] === ch) return i;
  }
  return -1;
}

function bad(reason: string): SipParseError {
  return new SipParseError('BAD_NAME_ADDR', reason);
}
