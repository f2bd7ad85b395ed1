/** ERROR-CODE (RFC 8489 §14.8) and UNKNOWN-ATTRIBUTES (§14.9). */
import { StunError } from './stun-error.js';

/** §14.8: the reason phrase is at most 128 characters (763 bytes). */
const MAX_REASON_CHARS = 128;

export interface ErrorCode {
  /** 300-699. */
  readonly code: number;
  readonly reason: string;
}

/** `| 0 (21 bits) | Class (3) | Number (8) | Reason Phrase (UTF-8) |`, class = hundreds. */
export function encodeErrorCode(e: ErrorCode): Buffer {
  if (!Number.isInteger(e.code) || e.code < 300 || e.code > 699) throw new RangeError(`not a STUN error code: ${e.code}`);
  const reason = Buffer.from([...e.reason].slice(0, MAX_REASON_CHARS).join(''), 'utf8');
  const value = Buffer.alloc(4 + reason.length);
  value[2] = Math.floor(e.code / 100);
  value[3] = e.code % 100;
  reason.copy(value, 4);
  return value;
}

export function decodeErrorCode(value: Buffer): ErrorCode {
  if (value.length < 4) throw new StunError('MALFORMED', `an ERROR-CODE of ${value.length} bytes`);
  const cls = value[2]! & 0x07;
  const number = value[3]!;
  if (cls < 3 || cls > 6 || number > 99) throw new StunError('MALFORMED', `ERROR-CODE class ${cls} number ${number}`);
  return { code: cls * 100 + number, reason: value.subarray(4).toString('utf8') };
}

/** A list of 16-bit attribute types; the codec pads an odd count to 4 bytes. */
export function encodeUnknownAttributes(types: readonly number[]): Buffer {
  const value = Buffer.alloc(types.length * 2);
  types.forEach((t, i) => value.writeUInt16BE(t, i * 2));
  return value;
}

export function decodeUnknownAttributes(value: Buffer): number[] {
  if (value.length % 2 !== 0) throw new StunError('MALFORMED', `an UNKNOWN-ATTRIBUTES of ${value.length} bytes`);
  const types: number[] = [];
  for (let i = 0; i < value.length; i += 2) types.push(value.readUInt16BE(i));
  return types;
}
