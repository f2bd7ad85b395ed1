/**
 * The address attributes: MAPPED-ADDRESS (RFC 8489 §14.1, as RFC 3489 clients read it) and
 * XOR-MAPPED-ADDRESS (§14.2), whose port and address are XORed with the magic cookie (and, for
 * IPv6, the transaction id) so that NATs rewriting addresses in payloads leave them alone.
 *
 *   | 0 0 0 0 0 0 0 0 |    Family     |           Port                |
 *   |                 Address (32 bits or 128 bits)                   |
 */
import { isIP } from 'node:net';
import { parseIPv4 } from '../net/ipv4.js';
import { ipAddressBytes } from '../net/ip-address-bytes.js';
import { MAGIC_COOKIE } from './constants.js';
import { StunError } from './stun-error.js';

const FAMILY_IPV4 = 0x01;
const FAMILY_IPV6 = 0x02;

export interface TransportAddress {
  readonly address: string;
  readonly port: number;
}

/** Byte `i` of the XOR mask: the magic cookie followed by the transaction id (RFC 8489 §14.2). */
function maskByte(i: number, transactionId: Buffer): number {
  return i < 4 ? (MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff : transactionId[i - 4]!;
}

/**
 * The attribute value, written straight into one buffer: the responder runs this for every answer,
 * and small allocations (each a zero-filled ArrayBuffer of its own) were most of its cost.
 */
function encode(remote: TransportAddress, transactionId: Buffer | undefined): Buffer {
  // Dotted IPv4, also as seen on a dual-stack socket (`::ffff:a.b.c.d`), is reported as the IPv4 address it is.
  const v4 = parseIPv4(remote.address);
  let addr: ArrayLike<number>;
  if (v4 !== undefined) addr = [v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff];
  else if (isIP(remote.address) === 6) addr = ipAddressBytes(remote.address);
  else throw new RangeError(`not an IP address: ${remote.address}`);
  const value = Buffer.allocUnsafe(4 + addr.length);
  value[0] = 0;
  value[1] = addr.length === 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  value.writeUInt16BE(transactionId ? remote.port ^ (MAGIC_COOKIE >>> 16) : remote.port, 2);
  for (let i = 0; i < addr.length; i++) value[4 + i] = transactionId ? addr[i]! ^ maskByte(i, transactionId) : addr[i]!;
  return value;
}

/** RFC 8489 §14.2: the XOR mask is the magic cookie followed by the transaction id. */
function xorMask(transactionId: Buffer): Buffer {
  const mask = Buffer.alloc(16);
  mask.writeUInt32BE(MAGIC_COOKIE, 0);
  transactionId.copy(mask, 4);
  return mask;
}

export function encodeMappedAddress(remote: TransportAddress): Buffer {
  return encode(remote, undefined);
}

export function encodeXorMappedAddress(remote: TransportAddress, transactionId: Buffer): Buffer {
  return encode(remote, transactionId);
}

function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // RFC 5952 §4.2: the longest run of two or more zero groups becomes `::`.
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

function decode(value: Buffer, mask: Buffer | undefined): TransportAddress {
  const family = value.length >= 4 ? value[1] : undefined;
  const size = family === FAMILY_IPV4 ? 4 : family === FAMILY_IPV6 ? 16 : undefined;
  if (size === undefined || value.length !== 4 + size) {
    throw new StunError('MALFORMED', `an address attribute of ${value.length} bytes with family ${String(family)}`);
  }
  const raw = value.readUInt16BE(2);
  const port = mask ? raw ^ (MAGIC_COOKIE >>> 16) : raw;
  const addr = Buffer.alloc(size);
  for (let i = 0; i < size; i++) addr[i] = mask ? value[4 + i]! ^ mask[i]! : value[4 + i]!;
  return { address: formatIp(addr), port };
}

export function decodeMappedAddress(value: Buffer): TransportAddress {
  return decode(value, undefined);
}

export function decodeXorMappedAddress(value: Buffer, transactionId: Buffer): TransportAddress {
  return decode(value, xorMask(transactionId));
}
