/**
 * Reading and writing whole STUN messages (RFC 8489 §5, §14). Every length is checked against the
 * datagram before anything is read; the FINGERPRINT, when present, must be last and must match.
 */
import { ATTR, FINGERPRINT_XOR, HEADER_SIZE, MAGIC_COOKIE, TRANSACTION_ID_SIZE } from './constants.js';
import { crc32 } from './crc32.js';
import { decodeMessageType, encodeMessageType, type StunAttribute, type StunHeader, type StunMessage } from './message.js';
import { StunError } from './stun-error.js';

/**
 * A request carries a handful of attributes; more is hostile or broken, and refusing it bounds the
 * work one datagram can cause.
 */
export const MAX_ATTRIBUTES = 32;

/** An attribute's length with its padding to a multiple of 4 (RFC 8489 §14). */
export const padded = (n: number) => (n + 3) & ~3;

/**
 * Whether a datagram has the shape of a STUN message (RFC 8489 §6.3, RFC 7983 §7): the two leading
 * bits zero, a length that is a multiple of 4 and matches the datagram. SIP starts with a letter,
 * so this tells RFC 5626 STUN keep-alives apart from SIP on the same port. RFC 3489 messages (no
 * magic cookie) pass too: they get MAPPED-ADDRESS answers.
 */
export function isStunMessage(buf: Uint8Array): boolean {
  if (buf.length < HEADER_SIZE || (buf[0]! & 0xc0) !== 0) return false;
  const length = (buf[2]! << 8) | buf[3]!;
  return (length & 3) === 0 && HEADER_SIZE + length === buf.length;
}

/** The header alone: enough to answer a message whose attributes are malformed. Call after `isStunMessage`. */
export function decodeHeader(buf: Buffer): StunHeader {
  // Fields named one by one: an object spread here cost more than the rest of an answer together.
  const { method, cls } = decodeMessageType(buf.readUInt16BE(0));
  return { method, cls, cookie: buf.readUInt32BE(4), transactionId: buf.subarray(8, HEADER_SIZE) };
}

/** Throws StunError: NOT_STUN (drop), MALFORMED (a request gets 400), BAD_FINGERPRINT (drop). */
export function decodeStunMessage(buf: Buffer): StunMessage {
  if (!isStunMessage(buf)) throw new StunError('NOT_STUN', `not a STUN message (${buf.length} bytes)`);
  const attributes: StunAttribute[] = [];
  let offset = HEADER_SIZE;
  let sawFingerprint = false;
  while (offset < buf.length) {
    // The body length is a multiple of 4, and so is every padded attribute: 4 header bytes remain.
    const type = buf.readUInt16BE(offset);
    const length = buf.readUInt16BE(offset + 2);
    const start = offset + 4;
    if (start + padded(length) > buf.length) {
      throw new StunError('MALFORMED', `attribute 0x${type.toString(16)} of ${length} bytes overruns the message`);
    }
    // RFC 8489 §14.7: FINGERPRINT is the last attribute.
    if (sawFingerprint) throw new StunError('MALFORMED', 'an attribute after FINGERPRINT');
    if (attributes.length === MAX_ATTRIBUTES) throw new StunError('MALFORMED', `more than ${MAX_ATTRIBUTES} attributes`);
    if (type === ATTR.FINGERPRINT) {
      if (length !== 4) throw new StunError('MALFORMED', `a FINGERPRINT of ${length} bytes`);
      // §14.7: CRC-32 of the message up to the attribute, with the length field covering it.
      if ((crc32(buf, 0, offset) ^ FINGERPRINT_XOR) >>> 0 !== buf.readUInt32BE(start)) {
        throw new StunError('BAD_FINGERPRINT', 'the FINGERPRINT does not match');
      }
      sawFingerprint = true;
    }
    attributes.push({ type, value: buf.subarray(start, start + length) });
    offset = start + padded(length);
  }
  const { method, cls, cookie, transactionId } = decodeHeader(buf);
  return { method, cls, cookie, transactionId, attributes };
}

export interface EncodeOptions {
  /** Append a FINGERPRINT (RFC 8489 §14.7); only for messages with the magic cookie. */
  readonly fingerprint?: boolean;
}

export function encodeStunMessage(message: StunMessage, options: EncodeOptions = {}): Buffer {
  if (message.transactionId.length !== TRANSACTION_ID_SIZE) throw new RangeError('a transaction id is 12 bytes');
  const withFingerprint = options.fingerprint === true && message.cookie === MAGIC_COOKIE;
  let size = HEADER_SIZE;
  for (const a of message.attributes) {
    if (a.value.length > 0xffff) throw new RangeError(`attribute 0x${a.type.toString(16)} is too long`);
    size += 4 + padded(a.value.length);
  }
  if (withFingerprint) size += 8;
  // From Node's pool rather than a zero-filled allocation of its own; every byte is written below,
  // the padding explicitly (RFC 8489 §14: its value is ignored, but pool memory must not leak).
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt16BE(encodeMessageType(message.method, message.cls), 0);
  buf.writeUInt16BE(size - HEADER_SIZE, 2);
  buf.writeUInt32BE(message.cookie >>> 0, 4);
  message.transactionId.copy(buf, 8);
  let offset = HEADER_SIZE;
  for (const a of message.attributes) {
    buf.writeUInt16BE(a.type, offset);
    buf.writeUInt16BE(a.value.length, offset + 2);
    a.value.copy(buf, offset + 4);
    buf.fill(0, offset + 4 + a.value.length, offset + 4 + padded(a.value.length));
    offset += 4 + padded(a.value.length);
  }
  if (withFingerprint) {
    buf.writeUInt16BE(ATTR.FINGERPRINT, offset);
    buf.writeUInt16BE(4, offset + 2);
    buf.writeUInt32BE((crc32(buf, 0, offset) ^ FINGERPRINT_XOR) >>> 0, offset + 4);
  }
  return buf;
}

/** The value of the first attribute of a type, if any. */
export function attribute(message: StunMessage, type: number): Buffer | undefined {
  return message.attributes.find((a) => a.type === type)?.value;
}
