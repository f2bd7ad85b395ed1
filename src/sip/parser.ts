/**
 * Parse one complete SIP message (a UDP datagram, a frame cut by `StreamFramer`, or a WebSocket
 * message) into a `SipMessage`, checking the limits before the work they bound, and the rules a
 * server must enforce before anything else looks at the message (RFC 3261 §7, §8.1.1, §8.2, §18.3).
 */
import { type Head, readHead } from './head.js';
import { DEFAULT_LIMITS, type ParseLimits } from './limits.js';
import { NO_BODY, type SipMessage, type SipRequest } from './message.js';
import { parseNameAddr } from './name-addr.js';
import { isToken } from './params.js';
import { SipParseError } from './parse-error.js';
import { parseCSeq } from './cseq.js';
import { isAbsoluteUri, parseUri } from './uri.js';
import { parseVia } from './via.js';

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
    const message: SipMessage = { kind: 'response', status, reason: m[3] ?? '', headers, body: NO_BODY };
    return { message, version: m[1]! };
  }
  const parts = line.split(' ');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw new SipParseError('BAD_START_LINE', 'Bad request line');
  }
  const message: SipMessage = { kind: 'request', method: parts[0]!, uri: parts[1]!, headers, body: NO_BODY };
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
  if (bytes.length === 0) return NO_BODY;
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
