/**
 * Every way the registrar can refuse a REGISTER, each a named reason with one reply code (the way
 * Kamailio's registrar maps its `rerrno` values to codes), so logs and tests speak of the reason
 * and the code lives in one place.
 */
import type { SipRequest, SipResponse } from '../sip/message.js';
import { refusalResponse } from '../sip/response.js';

export const REFUSALS = {
  /** To missing, unreadable, or not a SIP/SIPS URI (RFC 3261 §10.2: the AOR MUST be one). */
  BAD_TO: { status: 400, reason: 'Bad To header' },
  NO_TO_USER: { status: 400, reason: 'No user in To URI' },
  /** §10.3 step 5: a To user that cannot be an account name here (an unknown valid one gets 401). */
  NOT_AN_ACCOUNT: { status: 404, reason: 'Not Found' },
  BAD_REQUEST_URI: { status: 400, reason: 'Bad Request-URI' },
  BAD_CALL_ID: { status: 400, reason: 'Bad Call-ID header' },
  BAD_CSEQ: { status: 400, reason: 'Bad CSeq header' },
  /** §10.3 step 1: the node keeps bindings for its own domain only and relays no REGISTER. */
  NOT_OUR_DOMAIN: { status: 404, reason: 'Not our domain' },
  /** §10.3 step 2 / §8.2.2.3: a Require option the node does not know. */
  BAD_EXTENSION: { status: 420, reason: 'Bad Extension' },
  /** §10.3 step 4: only the user may register their own AOR; third-party registration is refused. */
  USER_MISMATCH: { status: 403, reason: 'Authenticated user does not match To' },
  BAD_CONTACT: { status: 400, reason: 'Bad Contact header' },
  /** §10.3 step 6: `*` is only valid with `Expires: 0`. */
  STAR_WITH_EXPIRES: { status: 400, reason: 'Contact * needs Expires: 0' },
  /** §10.3 step 6: `*` must be the only Contact. */
  STAR_NOT_ALONE: { status: 400, reason: 'Contact * with other contacts' },
  BAD_EXPIRES: { status: 400, reason: 'Bad expires value' },
  BAD_Q: { status: 400, reason: 'Bad q value' },
  BAD_REG_ID: { status: 400, reason: 'Bad reg-id' },
  /** RFC 5626 §6: at most one Contact of a REGISTER may carry a reg-id. */
  MULTIPLE_REG_ID: { status: 400, reason: 'More than one Contact with reg-id' },
  /** §10.3 step 7: below Min-Expires (the reply carries Min-Expires). */
  INTERVAL_TOO_BRIEF: { status: 423, reason: 'Interval Too Brief' },
  /**
   * §10.3 step 7: same Call-ID as a stored binding and a CSeq not higher: "the update MUST be
   * aborted and the request fails"; step 8 makes a failed update a 500.
   */
  OUT_OF_ORDER: { status: 500, reason: 'Out of order request' },
  /** Over `max_contacts`: Kamailio's registrar answers this 503 too (R_TOO_MANY). */
  TOO_MANY_CONTACTS: { status: 503, reason: 'Too many registered contacts' },
} as const;

export type RefusalName = keyof typeof REFUSALS;

/** The reply for a refusal; `headers` adds fields such as Min-Expires or Retry-After. */
export function refuse(req: SipRequest, name: RefusalName, headers: Record<string, string> = {}): SipResponse {
  return refusalResponse(req, REFUSALS[name], headers);
}
