/**
 * A STUN message as the codec reads and writes it (RFC 8489 §5, §14):
 *
 *    0                   1                   2                   3
 *   |0 0|     STUN Message Type     |         Message Length        |
 *   |                         Magic Cookie                          |
 *   |                     Transaction ID (96 bits)                  |
 *   | attributes: Type (16) | Length (16) | Value, padded to 4 bytes |
 */
import { METHOD_BINDING, type StunClass } from './constants.js';

export interface StunAttribute {
  readonly type: number;
  /** The value without its padding. */
  readonly value: Buffer;
}

export interface StunHeader {
  /** 12 bits (RFC 8489 §5). */
  readonly method: number;
  readonly cls: StunClass;
  /**
   * MAGIC_COOKIE; for an RFC 3489 client, the first 32 bits of its 128-bit transaction id, which a
   * response echoes (RFC 8489 §11).
   */
  readonly cookie: number;
  /** 12 bytes. */
  readonly transactionId: Buffer;
}

export interface StunMessage extends StunHeader {
  readonly attributes: readonly StunAttribute[];
}

const CLASS_BITS: Record<StunClass, number> = { request: 0b00, indication: 0b01, success: 0b10, error: 0b11 };
const CLASSES: readonly StunClass[] = ['request', 'indication', 'success', 'error'];

/** RFC 8489 §5 figure 3: the class bits C1 C0 sit at bits 8 and 4, between the method's bits. */
export function encodeMessageType(method: number, cls: StunClass): number {
  const c = CLASS_BITS[cls];
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7);
}

export function decodeMessageType(type: number): { method: number; cls: StunClass } {
  const method = (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
  const cls = CLASSES[((type >> 4) & 1) | ((type >> 7) & 2)]!;
  return { method, cls };
}

export function isBindingRequest(m: StunHeader): boolean {
  return m.method === METHOD_BINDING && m.cls === 'request';
}
