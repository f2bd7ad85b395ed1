/**
 * Write a `SipMessage` as bytes: start line, header fields as stored (names as written, compact or
 * not), a Content-Length that matches the body, the empty line, the body. Lines end with CRLF.
 */
import { canonicalName } from './headers.js';
import type { SipMessage } from './message.js';

export function serializeMessage(m: SipMessage): Buffer {
  const lines = [m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`];
  let wroteLength = false;
  for (const { name, value } of m.headers.entries()) {
    if (canonicalName(name) !== 'content-length') lines.push(`${name}: ${value}`);
    else if (!wroteLength) {
      // The first Content-Length is rewritten where it stood, under its written name; repeats go.
      lines.push(`${name}: ${m.body.length}`);
      wroteLength = true;
    }
  }
  // RFC 3261 §18.3: mandatory on stream transports, and correct on every one.
  if (!wroteLength) lines.push(`Content-Length: ${m.body.length}`);
  // A line break inside a stored value would start a forged header field; as folding (§7.3.1) it
  // means one SP, so writing one SP keeps the meaning and closes the hole.
  const head = lines.map((l) => l.replace(/[\r\n]+[ \t]*/g, ' ')).join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), m.body]);
}
