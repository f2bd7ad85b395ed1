/**
 * A minimal DER writer (ITU-T X.690 §8 and §10): just the types an X.509 certificate needs. Each
 * function returns one complete encoding (tag, length, contents).
 */

/** X.690 §8.1.3: short form below 128, else 0x80 | count followed by the big-endian length. */
function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);

/** X.690 §10.3: the elements of a SET OF in ascending order of their encodings. */
export const set = (...items: Buffer[]): Buffer => tlv(0x31, ...[...items].sort(Buffer.compare));

export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));

/** A non-negative INTEGER from its big-endian magnitude, in the fewest octets (X.690 §8.3.2). */
export function unsignedInteger(magnitude: Buffer | number): Buffer {
  let bytes = typeof magnitude === 'number' ? numberBytes(magnitude) : magnitude;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  // A set high bit would read as negative: prefix a zero octet.
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function numberBytes(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative integer: ${n}`);
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

/** X.690 §8.6: the first octet counts the unused bits at the end of the last one. */
export const bitString = (bytes: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), bytes);

export const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);

/** X.690 §8.19: the first two arcs as 40·a + b, every arc in base 128 with the high bit on all but the last octet. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const septets = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) septets.unshift((rest & 0x7f) | 0x80);
    out.push(...septets);
  }
  return tlv(0x06, Buffer.from(out));
}

export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

/**
 * RFC 5280 §4.1.2.5: UTCTime (YYMMDDHHMMSSZ) for 1950–2049, GeneralizedTime (YYYYMMDDHHMMSSZ)
 * from 2050; always UTC, whole seconds.
 */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const digits = date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:T]/g, '');
  if (year >= 1950 && year <= 2049) return tlv(0x17, Buffer.from(digits.slice(2), 'ascii'));
  if (year < 0 || year > 9999) throw new RangeError(`year ${year} cannot be encoded`);
  return tlv(0x18, Buffer.from(digits, 'ascii'));
}

/** A context-specific tag [n] around a complete encoding (EXPLICIT, constructed). */
export const explicit = (n: number, ...items: Buffer[]): Buffer => tlv(0xa0 | n, ...items);

/** A context-specific tag [n] replacing a primitive type's own tag (IMPLICIT), over its contents. */
export const implicit = (n: number, contents: Buffer): Buffer => tlv(0x80 | n, contents);
