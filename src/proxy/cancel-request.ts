/**
 * The CANCEL for a forwarded INVITE (RFC 3261 §9.1): the INVITE's Request-URI, Call-ID, To, From,
 * CSeq number and Route, and a single Via equal to its top Via, so the downstream server matches
 * it to the INVITE (§9.2). RFC 3326 `Reason` says why, for instance that another device answered.
 */
import { formatCSeq, parseCSeq } from '../sip/cseq.js';
import { Headers } from '../sip/headers.js';
import { NO_BODY, type SipRequest } from '../sip/message.js';

export const ANSWERED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

export function cancelFor(invite: SipRequest, reason?: string): SipRequest {
  const h = invite.headers;
  const headers = new Headers();
  headers.append('Via', h.first('via')!);
  headers.append('Max-Forwards', '70');
  headers.append('From', h.get('from')!);
  headers.append('To', h.get('to')!);
  headers.append('Call-ID', h.get('call-id')!);
  headers.append('CSeq', formatCSeq({ seq: parseCSeq(h.get('cseq')!).seq, method: 'CANCEL' }));
  for (const route of h.getAll('route')) headers.append('Route', route);
  if (reason !== undefined) headers.append('Reason', reason);
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, headers, body: NO_BODY };
}
