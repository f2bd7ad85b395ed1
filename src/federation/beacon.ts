/**
 * The beacon (DESIGN.md §5): the few words a node announces on every discovery channel so that
 * others know to fetch its descriptor. It has to fit the narrowest channel, a bmx6 sms file of at
 * most 240 bytes, so it is one line of text:
 *
 *   trucada1 <id> <domain> <address> <https port> <seq>
 *
 * Nothing in it is trusted: it only says where to fetch a descriptor, which must then verify
 * against the key pinned for the id (directory.ts). A forged beacon can make a node fetch from the
 * wrong place, and that descriptor is refused; it cannot add or change a peer.
 */
import { isIP } from 'node:net';
import { isDomain } from '../config/options.js';

/** bmx6's limit for one sms file (`MAX_JSON_SMS_DATA_LEN`). */
export const MAX_BEACON_BYTES = 240;
const MAGIC = 'trucada1';
const ID = /^[a-z2-7]{26}$/;

export interface Beacon {
  readonly id: string;
  readonly domain: string;
  /** Where the descriptor is served: an IPv4 or IPv6 address (no brackets) and the HTTPS port. */
  readonly address: string;
  readonly port: number;
  readonly seq: number;
}

export function encodeBeacon(b: Beacon): string {
  const problem = beaconProblem(b);
  if (problem !== undefined) throw new RangeError(`cannot announce this beacon: ${problem}`);
  const text = `${MAGIC} ${b.id} ${b.domain} ${b.address} ${b.port} ${b.seq}\n`;
  if (Buffer.byteLength(text) > MAX_BEACON_BYTES) throw new RangeError(`cannot announce this beacon: over ${MAX_BEACON_BYTES} bytes (the domain is too long)`);
  return text;
}

export type ParsedBeacon = { readonly ok: true; readonly beacon: Beacon } | { readonly ok: false; readonly why: string };

export function parseBeacon(bytes: Buffer | string): ParsedBeacon {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > MAX_BEACON_BYTES) return { ok: false, why: `larger than ${MAX_BEACON_BYTES} bytes` };
  const words = bytes.toString().trim().split(' ');
  if (words[0] !== MAGIC) return { ok: false, why: `does not start with ${MAGIC}` };
  if (words.length !== 6) return { ok: false, why: 'not six words' };
  const [, id, domain, address, port, seq] = words as [string, string, string, string, string, string];
  if (!/^\d{1,5}$/.test(port) || !/^\d{1,15}$/.test(seq)) return { ok: false, why: 'port or seq is not a number' };
  const beacon: Beacon = { id, domain, address, port: Number(port), seq: Number(seq) };
  const problem = beaconProblem(beacon);
  return problem === undefined ? { ok: true, beacon } : { ok: false, why: problem };
}

function beaconProblem(b: Beacon): string | undefined {
  if (!ID.test(b.id)) return 'id is not a node id';
  if (!isDomain(b.domain)) return 'domain is not a lower-case domain name';
  if (isIP(b.address) === 0) return 'address is not an IP address';
  if (!Number.isSafeInteger(b.port) || b.port < 1 || b.port > 65535) return 'port is not 1-65535';
  if (!Number.isSafeInteger(b.seq) || b.seq < 0) return 'seq is not a non-negative integer';
  return undefined;
}
