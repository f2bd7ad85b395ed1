/**
 * Build a response to a request as a UAS or a proxy answering on its own (RFC 3261 §8.2.6).
 * Works on the `partial` message of a `SipParseError` too: what is missing or unreadable there is
 * copied as it is or left out, so a 400 can still be sent back along the Via.
 */
import { newTag } from './branch.js';
import { Headers } from './headers.js';
import { NO_BODY, type SipRequest, type SipResponse } from './message.js';
import { parseNameAddr } from './name-addr.js';

/** Reason phrases of RFC 3261 §21 and the extensions the node uses. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted', // RFC 3265 / RFC 6665
  300: 'Multiple Choices',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event', // RFC 6665 §8.3.2
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
};

/** Phrase for classes whose code is not in the table (§21: the class decides the meaning). */
const CLASS_PHRASES = ['', 'Progress', 'OK', 'Redirection', 'Client Error', 'Server Error', 'Global Failure'];

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? CLASS_PHRASES[Math.floor(status / 100)] ?? '';
}

/** Header fields a response copies from its request (§8.2.6.2); Timestamp only into a 100 (§8.2.6.1). */
const COPIED = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

export function createResponse(req: SipRequest, status: number, reason?: string, toTag?: string): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) {
    throw new RangeError(`status ${status} is not a SIP status code`);
  }
  const headers = new Headers();
  const fields = req.headers.entries();
  const names = req.headers.canonicalNames();
  for (let i = 0; i < fields.length; i++) {
    const { name, value } = fields[i]!;
    const canonical = names[i]!;
    if (canonical === 'to' && status > 100) headers.append(name, withTag(value, toTag));
    else if (COPIED.has(canonical) || (canonical === 'timestamp' && status === 100)) headers.append(name, value);
  }
  return { kind: 'response', status, reason: reason ?? reasonPhrase(status), headers, body: NO_BODY };
}

/**
 * §8.2.6.2: a To without a tag gets one; the value is extended, not rewritten, so everything else
 * in it reaches the client as sent. An unreadable To (in a partial message) is copied unchanged.
 */
function withTag(to: string, tag: string | undefined): string {
  try {
    if (parseNameAddr(to).params.has('tag')) return to;
  } catch {
    return to;
  }
  return `${to};tag=${tag ?? newTag()}`;
}

/** A response from a named refusal (status and reason) with extra fields: Min-Expires, Retry-After, Unsupported. */
export function refusalResponse(
  req: SipRequest,
  refusal: { readonly status: number; readonly reason: string },
  headers: Readonly<Record<string, string>> = {},
): SipResponse {
  const res = createResponse(req, refusal.status, refusal.reason);
  for (const [name, value] of Object.entries(headers)) res.headers.append(name, value);
  return res;
}
