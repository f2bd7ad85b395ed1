/** OPTIONS to the node (RFC 3261 §11.2): 200 with what the node accepts, used by clients as a ping. */
import type { SipRequest, SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';

export const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, REGISTER, PRACK, UPDATE, INFO, REFER, SUBSCRIBE, NOTIFY';

export function optionsResponse(req: SipRequest): SipResponse {
  const res = createResponse(req, 200);
  res.headers.append('Allow', ALLOWED_METHODS);
  res.headers.append('Accept', 'application/sdp');
  res.headers.append('Supported', 'path, outbound');
  return res;
}
