/**
 * The head of a SIP message (RFC 3261 §7): the start line and the header fields up to the empty
 * line, with the limits on line length and header count and the characters a head may hold checked
 * before anything else is read.
 */
import { isUtf8 } from 'node:buffer';
import { Headers, type HeaderField } from './headers.js';
import type { ParseLimits } from './limits.js';
import { isToken, trimWhitespace } from './params.js';
import { SipParseError } from './parse-error.js';

const CR = 0x0d;
const LF = 0x0a;
const HT = 0x09;
const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface Head {
  startLine: string;
  headers: Headers;
  bodyStart: number;
}

/**
 * What the plain reading leaves to the exact one: anything but HT, LF, CR and printable ASCII (the
 * exact reading refuses controls and DEL, and decodes UTF-8), and a CR that does not end a line.
 * One class and one pair cost a third of a lookahead and a second expression.
 */
const NOT_PLAIN = /[^\t\n\r\x20-\x7e]|\r[^\n]/;

/**
 * The head of an ordinary message, read with native searches instead of a loop over its bytes:
 * ASCII only, no folded lines, every limit kept. Anything else (and every malformed head) returns
 * undefined, and `readHeadExact` reads the message again and names what is wrong, so both give
 * the same answer for every input. Most of a registration's parsing was that loop, a byte at a time.
 */
export function readPlainHead(data: Buffer, limits: ParseLimits): Head | undefined {
  let pos = 0;
  while (data[pos] === CR || data[pos] === LF) pos++;
  // The LF that ends the last header line: the empty line (bare LF, or CRLF) comes right after it.
  const crlf = data.indexOf('\n\r\n', pos);
  const lf = data.indexOf('\n\n', pos);
  const end = crlf < 0 ? lf : lf < 0 ? crlf : Math.min(crlf, lf);
  if (end < 0) return undefined;
  const text = data.toString('latin1', pos, end + 1);
  if (NOT_PLAIN.test(text)) return undefined;
  // Lines are found by index, and each field's name and value cut from the text once: splitting
  // into lines first made every line a string of its own, and again without its CR.
  const fields: HeaderField[] = [];
  let startLine: string | undefined;
  for (let lineStart = 0; lineStart < text.length; ) {
    // The text ends with an LF, so every line has one.
    const lf = text.indexOf('\n', lineStart);
    const lineEnd = lf > lineStart && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
    if (lineEnd - lineStart > limits.maxLineLength) return undefined;
    if (startLine === undefined) startLine = text.slice(lineStart, lineEnd);
    else {
      if (fields.length >= limits.maxHeaders) return undefined;
      const lead = text.charCodeAt(lineStart);
      if (lead === SP || lead === HT) return undefined;
      const field = plainFieldIn(text, lineStart, lineEnd);
      if (field === undefined) return undefined;
      fields.push(field);
    }
    lineStart = lf + 1;
  }
  return { startLine: startLine!, headers: new Headers(fields), bodyStart: end === crlf ? end + 3 : end + 2 };
}

/** `name HCOLON value` within text[start, end), cut without the whitespace around either (§7.3.1). */
function plainFieldIn(text: string, start: number, end: number): HeaderField | undefined {
  const colon = text.indexOf(':', start);
  if (colon < 0 || colon >= end) return undefined;
  let nameEnd = colon;
  while (nameEnd > start && isSpaceOrTab(text.charCodeAt(nameEnd - 1))) nameEnd--;
  const name = text.slice(start, nameEnd);
  if (!isToken(name)) return undefined;
  let valueStart = colon + 1;
  while (valueStart < end && isSpaceOrTab(text.charCodeAt(valueStart))) valueStart++;
  let valueEnd = end;
  while (valueEnd > valueStart && isSpaceOrTab(text.charCodeAt(valueEnd - 1))) valueEnd--;
  return { name, value: text.slice(valueStart, valueEnd) };
}

function isSpaceOrTab(code: number): boolean {
  return code === SP || code === HT;
}

/**
 * Read the start line and header fields up to the empty line, in one pass over the bytes: line
 * length, header count and characters are checked as they are met. CRLF or bare LF end a line;
 * a line starting with SP or HT continues the previous field (§7.3.1), joined by one SP.
 */
export function readHeadExact(data: Buffer, limits: ParseLimits): Head {
  let pos = 0;
  // RFC 3261 §7.5: empty lines before the start line are ignored.
  while (data[pos] === CR || data[pos] === LF) pos++;
  if (pos === data.length) throw new SipParseError('EMPTY', 'Empty message');
  const fields: { name: string; value: string }[] = [];
  let startLine: string | undefined;
  let lineStart = pos;
  // Inside a header's quoted-string, where a quoted-pair may escape any octet but CR and LF
  // (§25.1: `"\\" (%x00-09 / %x0B-0C / %x0E-7F)`; RFC 4475 §3.1.1.3 escapes BEL, NUL and DEL).
  let quoted = false;
  for (let i = pos; ; i++) {
    if (i >= data.length) {
      throw i - lineStart > limits.maxLineLength
        ? new SipParseError('LINE_TOO_LONG', 'Header line too long')
        : new SipParseError('NO_HEADER_END', 'Missing empty line after headers');
    }
    const b = data[i]!;
    if (quoted && b === BACKSLASH && data[i + 1] !== CR && data[i + 1] !== LF && i + 1 < data.length) {
      i++;
      continue;
    }
    if (b === DQUOTE && startLine !== undefined) quoted = !quoted;
    if (b === LF) {
      // A quoted-string never spans lines, but a folded one goes on in the continuation.
      if (data[i + 1] !== SP && data[i + 1] !== HT) quoted = false;
      const end = i > lineStart && data[i - 1] === CR ? i - 1 : i;
      if (end - lineStart > limits.maxLineLength) throw new SipParseError('LINE_TOO_LONG', 'Header line too long');
      // The first line is never empty: the CRs and LFs before it were skipped.
      if (end === lineStart && startLine !== undefined) {
        if (!isUtf8(data.subarray(pos, i))) throw new SipParseError('BAD_CHARACTER', 'Invalid UTF-8 in headers');
        return { startLine, headers: new Headers(fields), bodyStart: i + 1 };
      }
      const line = data.toString('utf8', lineStart, end);
      if (startLine === undefined) startLine = line;
      else if (data[lineStart] === SP || data[lineStart] === HT) {
        const last = fields[fields.length - 1];
        if (!last) throw new SipParseError('BAD_HEADER', 'Continuation line before first header');
        last.value = trimWhitespace(`${last.value} ${trimWhitespace(line)}`);
        if (last.value.length + last.name.length > limits.maxLineLength) {
          throw new SipParseError('LINE_TOO_LONG', 'Header line too long');
        }
      } else {
        if (fields.length >= limits.maxHeaders) throw new SipParseError('TOO_MANY_HEADERS', 'Too many headers');
        fields.push(splitField(line));
      }
      lineStart = i + 1;
    } else if (i - lineStart > limits.maxLineLength) {
      throw new SipParseError('LINE_TOO_LONG', 'Header line too long');
    } else if (b === 0) {
      throw new SipParseError('BAD_CHARACTER', 'NUL byte in headers');
    } else if ((b < SP && b !== HT && !(b === CR && data[i + 1] === LF)) || b === 0x7f) {
      throw new SipParseError('BAD_CHARACTER', 'Control character in headers');
    }
  }
}

/** `name HCOLON value` (§7.3.1): whitespace may precede the colon; the value is trimmed. */
function splitField(line: string): { name: string; value: string } {
  const field = plainField(line);
  if (field === undefined) throw new SipParseError('BAD_HEADER', 'Bad header line');
  return field;
}

function plainField(line: string): { name: string; value: string } | undefined {
  const colon = line.indexOf(':');
  const name = colon < 0 ? '' : trimWhitespace(line.slice(0, colon));
  // A name that began with whitespace would be a continuation line, which never reaches here.
  if (!isToken(name)) return undefined;
  return { name, value: trimWhitespace(line.slice(colon + 1)) };
}

/** The head of `data`: the plain reading when it applies, else the exact one (which throws). */
export function readHead(data: Buffer, limits: ParseLimits): Head {
  return readPlainHead(data, limits) ?? readHeadExact(data, limits);
}
