/**
 * The answer to an ordinary Binding request, written in one pass with no message objects: the
 * request has the magic cookie, comes from an IPv4 address, and carries only attributes this
 * server understands (a FINGERPRINT, when present, last and right). Every other datagram, and
 * every one that needs an error response, returns undefined and is answered by the general path
 * in binding.ts, which gives the same bytes for what this one answers (a test holds them equal).
 * Decoding into attribute objects and encoding from them was most of an answer's JavaScript.
 */
import { ATTR, FINGERPRINT_XOR, HEADER_SIZE, KNOWN_REQUIRED_ATTRIBUTES, MAGIC_COOKIE } from './constants.js';
import { MAX_ATTRIBUTES, padded } from './codec.js';
import { crc32 } from './crc32.js';
import type { TransportAddress } from './address.js';
import { parseIPv4 } from '../net/ipv4.js';

/** RFC 8489 §5: method Binding, class request; and the success response to it. */
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const FAMILY_IPV4 = 0x01;
/** XOR-MAPPED-ADDRESS of an IPv4 address: 4 bytes of header, 8 of value (RFC 8489 §14.2). */
const MAPPED_V4_SIZE = 12;
const FINGERPRINT_SIZE = 8;

/**
 * Whether every attribute of `request` is one this server may answer without an error (RFC 8489
 * §6.3.1: none unknown below 0x8000), with lengths inside the message and a FINGERPRINT (§14.7),
 * if any, last and matching, and no more of them than the decoder reads. Call after `isStunMessage`.
 */
function plainAttributes(request: Buffer): boolean {
  let offset = HEADER_SIZE;
  for (let count = 1; offset < request.length; count++) {
    if (count > MAX_ATTRIBUTES) return false;
    const type = request.readUInt16BE(offset);
    const length = request.readUInt16BE(offset + 2);
    const end = offset + 4 + padded(length);
    if (end > request.length) return false;
    if (type === ATTR.FINGERPRINT) {
      return (
        length === 4 &&
        end === request.length &&
        ((crc32(request, 0, offset) ^ FINGERPRINT_XOR) >>> 0) === request.readUInt32BE(offset + 4)
      );
    }
    if (type < 0x8000 && !KNOWN_REQUIRED_ATTRIBUTES.has(type)) return false;
    offset = end;
  }
  return true;
}


/**
 * The Binding success response for `request` from `remote` (RFC 8489 §6.3.1.1): XOR-MAPPED-ADDRESS,
 * then SOFTWARE when given, then FINGERPRINT; undefined when the request is not an ordinary one.
 */
export function answerPlainBinding(request: Buffer, remote: TransportAddress, software: Buffer | undefined): Buffer | undefined {
  if (request.readUInt16BE(0) !== BINDING_REQUEST || request.readUInt32BE(4) !== MAGIC_COOKIE) return undefined;
  const address = parseIPv4(remote.address);
  if (address === undefined || !plainAttributes(request)) return undefined;
  const softwareSize = software === undefined ? 0 : 4 + padded(software.length);
  const size = HEADER_SIZE + MAPPED_V4_SIZE + softwareSize + FINGERPRINT_SIZE;
  // From Node's pool, as the general encoder does; every byte is written below, padding included.
  const answer = Buffer.allocUnsafe(size);
  answer.writeUInt16BE(BINDING_SUCCESS, 0);
  answer.writeUInt16BE(size - HEADER_SIZE, 2);
  // The magic cookie and the transaction id, as the request has them.
  request.copy(answer, 4, 4, HEADER_SIZE);
  let offset = HEADER_SIZE;
  answer.writeUInt16BE(ATTR.XOR_MAPPED_ADDRESS, offset);
  answer.writeUInt16BE(8, offset + 2);
  answer[offset + 4] = 0;
  answer[offset + 5] = FAMILY_IPV4;
  answer.writeUInt16BE(remote.port ^ (MAGIC_COOKIE >>> 16), offset + 6);
  answer.writeUInt32BE((address ^ MAGIC_COOKIE) >>> 0, offset + 8);
  offset += MAPPED_V4_SIZE;
  if (software !== undefined) {
    answer.writeUInt16BE(ATTR.SOFTWARE, offset);
    answer.writeUInt16BE(software.length, offset + 2);
    software.copy(answer, offset + 4);
    answer.fill(0, offset + 4 + software.length, offset + softwareSize);
    offset += softwareSize;
  }
  answer.writeUInt16BE(ATTR.FINGERPRINT, offset);
  answer.writeUInt16BE(4, offset + 2);
  answer.writeUInt32BE((crc32(answer, 0, offset) ^ FINGERPRINT_XOR) >>> 0, offset + 4);
  return answer;
}
