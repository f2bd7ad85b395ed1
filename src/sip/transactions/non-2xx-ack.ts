/**
 * The ACK an INVITE client transaction sends for a 300-699 final response (RFC 3261 §17.1.1.3).
 * It is hop-by-hop and belongs to the INVITE's transaction, so it reuses the INVITE's branch; the
 * ACK for a 2xx is a new request of the TU's (§13.2.2.4) and is not built here.
 */
import { formatCSeq, parseCSeq } from '../cseq.js';
import { Headers } from '../headers.js';
import { NO_BODY, type SipRequest, type SipResponse } from '../message.js';

export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const h = invite.headers;
  const headers = new Headers();
  // §17.1.1.3: "a single Via header field ... equal to the top Via header field of the original request".
  headers.append('Via', required(h.first('via'), 'Via'));
  // The ACK travels the INVITE's path hop by hop, so the INVITE's hop budget serves it too.
  headers.append('Max-Forwards', h.get('max-forwards') ?? '70');
  // §17.1.1.3: "the To header field ... MUST equal the To header field in the response being acknowledged"
  // (it carries the callee's tag); Call-ID, From and Request-URI are the INVITE's.
  headers.append('From', required(h.get('from'), 'From'));
  headers.append('To', required(response.headers.get('to') ?? h.get('to'), 'To'));
  headers.append('Call-ID', required(h.get('call-id'), 'Call-ID'));
  // §17.1.1.3: the CSeq number of the INVITE, with the method ACK.
  headers.append('CSeq', formatCSeq({ seq: parseCSeq(required(h.get('cseq'), 'CSeq')).seq, method: 'ACK' }));
  // §17.1.1.3: "If the INVITE request ... had Route header fields, those header fields MUST appear in the ACK."
  for (const route of h.getAll('route')) headers.append('Route', route);
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: NO_BODY };
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new RangeError(`the INVITE has no ${name} header to build its ACK from`);
  return value;
}
