/** Why a datagram was refused by the STUN codec; `code` is stable, the message is for logs. */
export type StunErrorCode =
  /** Not a STUN message at all (RFC 8489 §6: wrong leading bits, length or size): dropped. */
  | 'NOT_STUN'
  /** A STUN header with a body that breaks the rules: a request gets 400. */
  | 'MALFORMED'
  /** A FINGERPRINT that does not match (RFC 8489 §14.7): dropped as not STUN. */
  | 'BAD_FINGERPRINT';

export class StunError extends Error {
  override readonly name = 'StunError';

  constructor(
    readonly code: StunErrorCode,
    message: string,
  ) {
    super(message);
  }
}
