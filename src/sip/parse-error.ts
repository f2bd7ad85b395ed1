/**
 * The one error class of the SIP message layer. `code` is stable for programs; `reason` is short
 * text fit for the reason phrase of the 400 (or 505, 513) the node answers with.
 *
 * Codes: TOO_LARGE, TOO_MANY_HEADERS, LINE_TOO_LONG, EMPTY, NO_HEADER_END, BAD_CHARACTER,
 * BAD_START_LINE, BAD_STATUS, BAD_VERSION, BAD_METHOD, BAD_URI, BAD_HEADER, MISSING_HEADER,
 * BAD_VIA, BAD_FROM, BAD_TO, BAD_CALL_ID, BAD_CSEQ, CSEQ_MISMATCH, BAD_MAX_FORWARDS,
 * BAD_CONTENT_LENGTH, MISSING_CONTENT_LENGTH, BODY_TOO_SHORT, BAD_PARAMS, BAD_NAME_ADDR.
 */
import type { SipMessage } from './message.js';

/** Reply codes other than 400 Bad Request. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  TOO_LARGE: 513, // RFC 3261 §21.5.14 Message Too Large
  BAD_VERSION: 505, // RFC 3261 §21.5.7 Version Not Supported
};

export class SipParseError extends Error {
  override readonly name = 'SipParseError';

  constructor(
    readonly code: string,
    readonly reason: string,
    /** Set when the start line and headers were readable, so a reply can be routed by its Via. */
    readonly partial?: SipMessage,
  ) {
    super(reason);
  }

  /** The status code a server answers a request refused with this error. */
  get status(): number {
    return STATUS_BY_CODE[this.code] ?? 400;
  }
}
