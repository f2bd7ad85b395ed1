/**
 * The address attributes: MAPPED-ADDRESS (RFC 8489 §14.1, as RFC 3489 clients read it) and
 * XOR-MAPPED-ADDRESS (§14.2), whose port and address are XORed with the magic cookie (and, for
 * IPv6, the transaction id) so that NATs rewriting addresses in payloads leave them alone.
 *
 *   | 0 0 0 0 0 0 0 0 |    Family     |           Port                |
 *   |                 Address (32 bits or 128 bits)                   |
 */
import { isIP } from 'node:net';
import { ipAddressBytes } from '../http/ip-address-bytes.js';
import { MAGIC_COOKIE } from './constants.js';
import { StunError } from './stun-error.js';

const FAMILY_IPV4 = 0x01;
const FAMILY_IPV6 = 0x02;

export interface TransportAddress {
  readonly address: string;
  readonly port: number;
}

/** An IPv4 peer seen on a dual-stack socket (`::ffff:a.b.c.d`) is reported as the IPv4 address it is. */
function bytesOf(address: string): Buffer {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1]! : address;
  if (isIP(ip) === 0) throw new RangeError(`not an IP address: ${address}`);
  return ipAddressBytes(ip);
}

function encode(remote: TransportAddress, mask: Buffer | undefined): Buffer {
  const addr = bytesOf(remote.address);
  const value = Buffer.alloc(4 + addr.length);
  value[1] = addr.length === 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  value.writeUInt16BE(mask ? remote.port ^ (MAGIC_COOKIE >>> 16) : remote.port, 2);
  for (let i = 0; i < addr.length; i++) value[4 + i] = mask ? addr[i]! ^ mask[i]! : addr[i]!;
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
  return encode(remote, xorMask(transactionId));
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
