/**
 * What a sipp peer sent and received, from the file its `-trace_msg -message_file FILE` writes as it
 * goes (sipp writes each message at once, so the file can be read while sipp runs). A test reads it
 * to see what reached the peer through the node: an INVITE, the CANCEL and its Reason, or nothing.
 *
 * The file is a run of entries, each a line of dashes and a time stamp, a line such as
 * `UDP message received [514] bytes :` or `UDP message sent (313 bytes):`, an empty line and the
 * SIP message.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface SippMessage {
  direction: 'sent' | 'received';
  /** The SIP message, lines joined with CRLF. */
  text: string;
  /** Its first line: `INVITE sip:bob@... SIP/2.0` or `SIP/2.0 180 Ringing`. */
  startLine: string;
}

const ENTRY_SEPARATOR = /^-{20,} .*$/m;
const ENTRY_HEAD = /^\s*\S+ message (sent|received)\b[^\n]*\n/;

/** sipp's arguments that write every message it sends and receives to `file`. */
export function sippTraceArgs(file: string): string[] {
  return ['-trace_msg', '-message_file', file];
}

/** Every message in sipp's message file so far, in order; none when sipp has not written it yet. */
export function readSippTrace(file: string): SippMessage[] {
  if (!existsSync(file)) return [];
  const messages: SippMessage[] = [];
  for (const entry of readFileSync(file, 'latin1').split(ENTRY_SEPARATOR)) {
    const head = ENTRY_HEAD.exec(entry);
    if (!head) continue;
    const lines = entry.slice(head[0].length).replace(/^\s*\n/, '').split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const text = lines.join('\r\n');
    messages.push({ direction: head[1] as 'sent' | 'received', text, startLine: lines[0] ?? '' });
  }
  return messages;
}
