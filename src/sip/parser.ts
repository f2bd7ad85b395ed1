/**
 * Parse one complete SIP message (a UDP datagram, a frame cut by `StreamFramer`, or a WebSocket
 * message) into a `SipMessage`, checking the limits before the work they bound, and the rules a
 * server must enforce before anything else looks at the message (RFC 3261 §7, §8.1.1, §8.2, §18.3).
 */
import { isUtf8 } from 'node:buffer';
import { Headers } from './headers.js';
import { DEFAULT_LIMITS, type ParseLimits } from './limits.js';
import type { SipMessage, SipRequest } from './message.js';
import { parseNameAddr } from './name-addr.js';
import { isToken, trimWhitespace } from './params.js';
import { SipParseError } from './parse-error.js';
import { parseCSeq } from './cseq.js';
import { isAbsoluteUri, parseUri } from './uri.js';
import { parseVia } from './via.js';

const CR = 0x0d;
const LF = 0x0a;
const HT = 0x09;
const SP = 0x20;

interface Head {
  startLine: string;
  headers: Headers;
  bodyStart: number;
}

export function parseMessage(data: Buffer, limits: ParseLimits = DEFAULT_LIMITS): SipMessage {
  if (data.length > limits.maxMessageSize) throw new SipParseError('TOO_LARGE', 'Message too large');
  const head = readHead(data, limits);
  const { message, version } = startLine(head);
  const fail = (code: string, reason: string): never => {
    throw new SipParseError(code, reason, message);
  };
  if (message.kind === 'request') checkRequestLine(message, version, fail);
  checkMandatory(message, fail);
  message.body = readBody(data, head, fail);
  return message;
}

/**
 * Read the start line and header fields up to the empty line, in one pass over the bytes: line
 * length, header count and characters are checked as they are met. CRLF or bare LF end a line;
 * a line starting with SP or HT continues the previous field (§7.3.1), joined by one SP.
 */
function readHead(data: Buffer, limits: ParseLimits): Head {
  let pos = 0;
  // RFC 3261 §7.5: empty lines before the start line are ignored.
  while (data[pos] === CR || data[pos] === LF) pos++;
  if (pos === data.length) throw new SipParseError('EMPTY', 'Empty message');
  const fields: { name: string; value: string }[] = [];
  let startLine: string | undefined;
  let lineStart = pos;
  for (let i = pos; ; i++) {
    if (i >= data.length) {
      throw i - lineStart > limits.maxLineLength
        ? new SipParseError('LINE_TOO_LONG', 'Header line too long')
        : new SipParseError('NO_HEADER_END', 'Missing empty line after headers');
    }
    const b = data[i]!;
    if (b === LF) {
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
  const colon = line.indexOf(':');
  const name = colon < 0 ? '' : line.slice(0, colon).replace(/[ \t]+$/, '');
  if (!isToken(name)) throw new SipParseError('BAD_HEADER', 'Bad header line');
  return { name, value: trimWhitespace(line.slice(colon + 1)) };
}

/**
 * Status-Line `SIP/2.0 SP 3DIGIT SP Reason-Phrase` or Request-Line `Method SP Request-URI SP
 * SIP-Version`, single spaces only (RFC 4475 §3.1.2.9, §3.1.2.10). The request's method, URI and
 * version are checked later, once the message is known enough to be answered.
 */
function startLine(head: Head): { message: SipMessage; version: string } {
  const { startLine: line, headers } = head;
  if (/^SIP\//i.test(line)) {
    const m = /^(\S+) (\S+)(?: ([^]*))?$/.exec(line);
    if (!m) throw new SipParseError('BAD_START_LINE', 'Bad status line');
    if (m[1]!.toUpperCase() !== 'SIP/2.0') throw new SipParseError('BAD_VERSION', 'Version not supported');
    const status = /^\d{3}$/.test(m[2]!) ? Number(m[2]) : 0;
    if (status < 100 || status > 699) throw new SipParseError('BAD_STATUS', 'Bad status code');
    const message: SipMessage = { kind: 'response', status, reason: m[3] ?? '', headers, body: Buffer.alloc(0) };
    return { message, version: m[1]! };
  }
  const parts = line.split(' ');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw new SipParseError('BAD_START_LINE', 'Bad request line');
  }
  const message: SipMessage = { kind: 'request', method: parts[0]!, uri: parts[1]!, headers, body: Buffer.alloc(0) };
  return { message, version: parts[2]! };
}

type Fail = (code: string, reason: string) => never;

function checkRequestLine(request: SipRequest, version: string, fail: Fail): void {
  if (version.toUpperCase() !== 'SIP/2.0') fail('BAD_VERSION', 'Version not supported');
  if (!isToken(request.method)) fail('BAD_METHOD', 'Bad method');
  if (!validRequestUri(request.uri)) fail('BAD_URI', 'Bad Request-URI');
}

/** §19.1.1: a SIP Request-URI carries no headers; other schemes need only look absolute. */
function validRequestUri(text: string): boolean {
  if (!/^(sips?|tel):/i.test(text)) return isAbsoluteUri(text);
  try {
    return parseUri(text).headers.size === 0;
  } catch {
    return false;
  }
}

/** RFC 3261 §8.1.1: the header fields every request carries, and that a response copies (§8.2.6.2). */
function checkMandatory(message: SipMessage, fail: Fail): void {
  const h = message.headers;
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!h.has(name)) fail('MISSING_HEADER', `Missing ${name} header`);
  }
  attempt(() => h.getAll('via').forEach(parseVia), () => fail('BAD_VIA', 'Bad Via header'));
  attempt(() => parseNameAddr(h.get('from')!), () => fail('BAD_FROM', 'Bad From header'));
  attempt(() => parseNameAddr(h.get('to')!), () => fail('BAD_TO', 'Bad To header'));
  // §25.1 callid: words of visible characters, no whitespace.
  if (!/^[\x21-\x7e]+$/.test(h.get('call-id')!)) fail('BAD_CALL_ID', 'Bad Call-ID header');
  const cseq = attempt(() => parseCSeq(h.get('cseq')!), () => fail('BAD_CSEQ', 'Bad CSeq header'));
  if (message.kind === 'request' && cseq.method !== message.method) {
    fail('CSEQ_MISMATCH', 'CSeq method does not match request method');
  }
  const maxForwards = h.get('max-forwards');
  // §20.22: an integer 0-255.
  if (maxForwards !== undefined && !(/^\d+$/.test(maxForwards) && Number(maxForwards) <= 255)) {
    fail('BAD_MAX_FORWARDS', 'Bad Max-Forwards header');
  }
}

/**
 * RFC 3261 §18.3: a body longer than Content-Length is cut to it; a shorter one is an error; with
 * no Content-Length (allowed on datagrams) the body is the rest of the data.
 */
function readBody(data: Buffer, head: Head, fail: Fail): Buffer {
  const lengths = head.headers.getAll('content-length');
  const available = data.length - head.bodyStart;
  if (lengths.length === 0) return ownCopy(data.subarray(head.bodyStart));
  if (!lengths.every((l) => /^\d+$/.test(l) && Number(l) === Number(lengths[0]))) {
    fail('BAD_CONTENT_LENGTH', 'Bad Content-Length header');
  }
  const length = Number(lengths[0]);
  if (length > available) fail('BODY_TOO_SHORT', 'Body shorter than Content-Length');
  return ownCopy(data.subarray(head.bodyStart, head.bodyStart + length));
}

/**
 * The body in memory of its own. `Buffer.from` would put a small body in a slice of Node's shared
 * 8 KiB pool, and one body a transaction keeps for 32 s then holds the whole 8 KiB: that was most
 * of the node's memory under a load of calls. A copy rather than a view also lets the datagram go.
 */
function ownCopy(bytes: Buffer): Buffer {
  if (bytes.length === 0) return Buffer.alloc(0);
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

function attempt<T>(work: () => T, onError: () => never): T {
  try {
    return work();
  } catch (e) {
    if (e instanceof SipParseError) return onError();
    throw e;
  }
}
