/** The CSeq header value (RFC 3261 §20.16): a sequence number and the request's method. */
import { SipParseError } from './parse-error.js';

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(s: string): CSeq {
  const m = /^[ \t]*(\d{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*$/.exec(s);
  const seq = m ? Number(m[1]) : NaN;
  // RFC 3261 §8.1.1.5: the sequence number MUST be expressible as a 32-bit unsigned integer and
  // less than 2**31.
  if (!m || !(seq < 2 ** 31)) throw new SipParseError('BAD_CSEQ', 'Bad CSeq header');
  return { seq, method: m[2]! };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}
