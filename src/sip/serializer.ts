/**
 * Write a `SipMessage` as bytes: start line, header fields as stored (names as written, compact or
 * not), a Content-Length that matches the body, the empty line, the body. Lines end with CRLF.
 */
import type { SipMessage } from './message.js';

export function serializeMessage(m: SipMessage): Buffer {
  let head = oneLine(m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`);
  const fields = m.headers.entries();
  const names = m.headers.canonicalNames();
  let wroteLength = false;
  for (let i = 0; i < fields.length; i++) {
    const { name, value } = fields[i]!;
    if (names[i] !== 'content-length') head += `\r\n${oneLine(`${name}: ${value}`)}`;
    else if (!wroteLength) {
      // The first Content-Length is rewritten where it stood, under its written name; repeats go.
      head += `\r\n${oneLine(name)}: ${m.body.length}`;
      wroteLength = true;
    }
  }
  // RFC 3261 §18.3: mandatory on stream transports, and correct on every one.
  if (!wroteLength) head += `\r\nContent-Length: ${m.body.length}`;
  const bytes = Buffer.from(`${head}\r\n\r\n`, 'utf8');
  return m.body.length === 0 ? bytes : Buffer.concat([bytes, m.body]);
}

/**
 * A line break inside a stored value would start a forged header field; as folding (§7.3.1) it
 * means one SP, so writing one SP keeps the meaning and closes the hole.
 */
function oneLine(line: string): string {
  // Nearly every line is clean, and two searches for a character cost less than a replace.
  if (!line.includes('\r') && !line.includes('\n')) return line;
  return line.replace(/[\r\n]+[ \t]*/g, ' ');
}
