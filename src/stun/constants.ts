/** Numbers of RFC 8489 (STUN) the codec and the responder use, named as in the RFC's registries. */

/** RFC 8489 §5: the fixed value of the second header word; its absence marks an RFC 3489 client. */
export const MAGIC_COOKIE = 0x2112a442;
export const HEADER_SIZE = 20;
export const TRANSACTION_ID_SIZE = 12;

/** RFC 8489 §5: the two bits of the message type that give its class. */
export type StunClass = 'request' | 'indication' | 'success' | 'error';

/** RFC 8489 §18.2: the only method this node serves. */
export const METHOD_BINDING = 0x001;

/** RFC 8489 §18.3 (and RFC 3489 §11.2 for the legacy ones a server must still recognise). */
export const ATTR = {
  MAPPED_ADDRESS: 0x0001,
  RESPONSE_ADDRESS: 0x0002,
  CHANGE_REQUEST: 0x0003,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  REALM: 0x0014,
  NONCE: 0x0015,
  MESSAGE_INTEGRITY_SHA256: 0x001c,
  PASSWORD_ALGORITHM: 0x001d,
  USERHASH: 0x001e,
  XOR_MAPPED_ADDRESS: 0x0020,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  PASSWORD_ALGORITHMS: 0x8002,
  ALTERNATE_DOMAIN: 0x8003,
  SOFTWARE: 0x8022,
  ALTERNATE_SERVER: 0x8023,
  FINGERPRINT: 0x8028,
} as const;

/** RFC 8489 §14.7: the CRC-32 is XORed with this ("STUN") so it differs from other CRCs in the packet. */
export const FINGERPRINT_XOR = 0x5354554e;

/**
 * RFC 8489 §15: attributes below 0x8000 must be understood; these are the ones this responder
 * understands (it reads none of them from a Binding request, but none of them makes it fail), plus
 * ICE's PRIORITY and USE-CANDIDATE (RFC 8445 §16.1), so a connectivity check that reaches this
 * server is answered like any Binding request.
 * RESPONSE-ADDRESS and CHANGE-REQUEST are left out on purpose: RFC 8489 §11 (backwards
 * compatibility) has a server answer them as unknown.
 */
export const KNOWN_REQUIRED_ATTRIBUTES: ReadonlySet<number> = new Set([
  ATTR.MAPPED_ADDRESS,
  ATTR.USERNAME,
  ATTR.MESSAGE_INTEGRITY,
  ATTR.ERROR_CODE,
  ATTR.UNKNOWN_ATTRIBUTES,
  ATTR.REALM,
  ATTR.NONCE,
  ATTR.MESSAGE_INTEGRITY_SHA256,
  ATTR.PASSWORD_ALGORITHM,
  ATTR.USERHASH,
  ATTR.XOR_MAPPED_ADDRESS,
  ATTR.PRIORITY,
  ATTR.USE_CANDIDATE,
]);
