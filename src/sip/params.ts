/**
 * Generic `;name=value` parameter lists of header fields (RFC 3261 §25.1 generic-param), and the
 * token / quoted-string helpers the other header parsers share.
 *
 * Names are case-insensitive and kept lower-case; values are kept exactly as written, quotes
 * included, so a relayed parameter is not changed in meaning (a quoted string and a token differ in
 * RFC 3840 feature tags). `unquote` gives the text inside a quoted value.
 */
import { SipParseError } from './parse-error.js';

export type Params = Map<string, string | null>;

/** RFC 3261 §25.1 token characters besides alphanumerics. */
const TOKEN_MARKS = "-.!%*_+`'~";

/** Token characters by character code: a table lookup per character, as parsers test every one. */
const TOKEN_TABLE = (() => {
  const table = new Uint8Array(128);
  const alphanumerics = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (const ch of alphanumerics + TOKEN_MARKS) table[ch.charCodeAt(0)] = 1;
  return table;
})();

export function isTokenChar(ch: string): boolean {
  return ch.length === 1 && TOKEN_TABLE[ch.charCodeAt(0)] === 1;
}

export function isToken(s: string): boolean {
  return /^[A-Za-z0-9\-.!%*_+`'~]+$/.test(s);
}

export function isWhitespace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/** Trim SP and HT only: String.prototype.trim also eats characters such as U+FEFF that SIP keeps. */
export function trimWhitespace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isWhitespace(s[start])) start++;
  while (end > start && isWhitespace(s[end - 1])) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

export function skipWhitespace(s: string, i: number): number {
  while (isWhitespace(s[i])) i++;
  return i;
}

/** Index just past the closing quote of the quoted-string opening at `start`, or -1. */
export function quotedEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i + 1;
  }
  return -1;
}

/** The text inside a quoted-string with its quoted-pairs resolved; other values as they are. */
export function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/gs, '$1');
}

export function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/** A value character outside quotes: gen-value is a token or a host (IPv6 too), read leniently. */
function isValueChar(ch: string): boolean {
  return ch > ' ' && ch !== '\x7f' && !';,"<>'.includes(ch);
}

/**
 * Parse `;a=1;b;c="x y"` (whitespace allowed around `;` and `=`, RFC 3261 §25.1 SEMI and EQUAL).
 * The first occurrence of a repeated name wins. Throws BAD_PARAMS on an empty name or value,
 * an unterminated quote, or text that is not a parameter.
 */
export function parseParams(s: string): Params {
  const params: Params = new Map();
  let i = skipWhitespace(s, 0);
  while (i < s.length) {
    if (s[i] !== ';') throw bad(`Unexpected text in parameters`);
    i = skipWhitespace(s, i + 1);
    const nameStart = i;
    while (i < s.length && isTokenChar(s[i]!)) i++;
    const name = s.slice(nameStart, i).toLowerCase();
    if (!name) throw bad('Empty parameter name');
    i = skipWhitespace(s, i);
    let value: string | null = null;
    if (s[i] === '=') {
      i = skipWhitespace(s, i + 1);
      const valueStart = i;
      if (s[i] === '"') {
        i = quotedEnd(s, i);
        if (i < 0) throw bad('Unterminated quoted parameter');
      } else {
        while (i < s.length && isValueChar(s[i]!)) i++;
      }
      value = s.slice(valueStart, i);
      if (!value) throw bad('Empty parameter value');
      i = skipWhitespace(s, i);
    }
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}

export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

function bad(reason: string): SipParseError {
  return new SipParseError('BAD_PARAMS', reason);
}
