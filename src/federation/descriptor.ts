/**
 * The node descriptor (DESIGN.md §5): what a node says about itself, signed by its key, served at
 * GET /.well-known/trucada and fetched by the nodes that hear of it. On the wire one JSON object:
 *
 *   {"v":1,"id":"…","publicKey":"<base64url of the raw 32 bytes>","domain":"node1.mesh",
 *    "sip":{"udp":5060,"tcp":5060},"addresses":["10.1.2.3"],"seq":7,"time":1765000000000,
 *    "users":["alice","bob"],"online":["alice"],"offline":[],"sig":"…"}
 *
 * `online` and `offline` are the users who show their presence to everyone on the mesh (issue 10),
 * split by whether they have a live registration; the others' presence is not published.
 * `sig` is Ed25519 over a domain-separation line and the canonical JSON of the other fields (this
 * key order, no spaces, each list of users sorted and unique), so the reader re-serialises what it parsed and
 * checks exactly that: no second encoding of one descriptor can verify. The id must be the one the
 * key derives (node-identity.ts): a descriptor cannot speak for another node's id even with a valid
 * signature of its own. `seq` grows with every change and every start of the node, `time` is its
 * clock when signing (the reader learns the clock offset from it). The reader sends SIP to the address
 * it fetched the descriptor from, and only if `addresses` (the node's own, signed) lists it: a host
 * that relays the fetch of another node's fresh descriptor (after a forged beacon pointed there) is
 * not where that node's calls then go; and a descriptor cannot aim traffic at a third host.
 *
 * Everything read is untrusted: the size, every field's type and range and the set of keys are
 * checked before the signature, and anything else is refused with a reason for the log.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { isDomain } from '../config/options.js';
import { nodeIdOf, publicKeyFromRaw, rawPublicKey, type NodeIdentity } from './node-identity.js';

/** 1000 users of 32 characters are about 35 KB: this leaves room and bounds what a reader buffers. */
export const MAX_DESCRIPTOR_BYTES = 64 * 1024;
export const MAX_USERS = 1000;
const VERSION = 1;
const CONTEXT = 'trucada-descriptor-v1\n';
const KEYS = ['v', 'id', 'publicKey', 'domain', 'sip', 'addresses', 'seq', 'time', 'users', 'online', 'offline', 'sig'];
export const MAX_ADDRESSES = 32;
const USER = /^[a-z0-9._-]{1,32}$/;
const ID = /^[a-z2-7]{26}$/;

export interface SipPorts {
  readonly udp?: number;
  readonly tcp?: number;
}

export interface DescriptorFields {
  readonly domain: string;
  readonly sip: SipPorts;
  /** Where the node is reached (IPv4 or IPv6, as Node writes them); SIP goes only there. */
  readonly addresses: readonly string[];
  readonly seq: number;
  /** Unix ms on the signing node's clock. */
  readonly time: number;
  readonly users: readonly string[];
  /** Of `users`, those who show their presence to the mesh and are registered now. */
  readonly online: readonly string[];
  /** Of `users`, those who show their presence to the mesh and are not registered. */
  readonly offline: readonly string[];
}

export interface Descriptor extends DescriptorFields {
  readonly id: string;
  readonly publicKey: KeyObject;
}

export type ParsedDescriptor = { readonly ok: true; readonly descriptor: Descriptor } | { readonly ok: false; readonly why: string };

function canonical(id: string, publicKey: string, f: DescriptorFields): Buffer {
  const sip: Record<string, number> = {};
  if (f.sip.udp !== undefined) sip.udp = f.sip.udp;
  if (f.sip.tcp !== undefined) sip.tcp = f.sip.tcp;
  const body = { v: VERSION, id, publicKey, domain: f.domain, sip, addresses: f.addresses, seq: f.seq, time: f.time, users: f.users, online: f.online, offline: f.offline };
  return Buffer.from(CONTEXT + JSON.stringify(body));
}

/** The descriptor's JSON text, signed by the node; the lists of users are sorted and made unique here. */
export function signDescriptor(identity: NodeIdentity, fields: DescriptorFields): string {
  const sorted = (list: readonly string[]) => [...new Set(list)].sort();
  const f = { ...fields, users: sorted(fields.users), online: sorted(fields.online), offline: sorted(fields.offline) };
  const problem = fieldsProblem(f);
  if (problem !== undefined) throw new RangeError(`cannot sign this descriptor: ${problem}`);
  const publicKey = rawPublicKey(identity.publicKey).toString('base64url');
  const data = canonical(identity.id, publicKey, f);
  const sig = sign(null, data, identity.privateKey).toString('base64url');
  const text = `${data.subarray(CONTEXT.length, -1).toString()},"sig":"${sig}"}`;
  if (Buffer.byteLength(text) > MAX_DESCRIPTOR_BYTES) throw new RangeError('cannot sign this descriptor: too large');
  return text;
}

const isPort = (p: unknown) => Number.isSafeInteger(p) && (p as number) >= 1 && (p as number) <= 65535;
const isCount = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;

type Unchecked = { [K in keyof DescriptorFields]: unknown };

function fieldsProblem(f: Unchecked): string | undefined {
  if (typeof f.domain !== 'string' || !isDomain(f.domain)) return 'domain is not a lower-case domain name';
  const sip = f.sip;
  if (typeof sip !== 'object' || sip === null || Array.isArray(sip)) return 'sip is not an object';
  const transports = Object.keys(sip);
  if (transports.length === 0 || transports.some((k) => k !== 'udp' && k !== 'tcp')) return 'sip must give udp and/or tcp';
  if (!Object.values(sip).every(isPort)) return 'a sip port is not 1-65535';
  if (!Array.isArray(f.addresses) || f.addresses.length === 0) return 'addresses is not a list of at least one';
  if (f.addresses.length > MAX_ADDRESSES) return `more than ${MAX_ADDRESSES} addresses`;
  if (!f.addresses.every((a) => typeof a === 'string' && isIP(a) !== 0 && a === a.toLowerCase())) return 'an address is not a lower-case IP address';
  if (new Set(f.addresses).size !== f.addresses.length) return 'addresses are not unique';
  if (!isCount(f.seq)) return 'seq is not a non-negative integer';
  if (!isCount(f.time)) return 'time is not a non-negative integer';
  const users = userListProblem('users', f.users);
  if (users !== undefined) return users;
  const published = new Set(f.users as string[]);
  for (const key of ['online', 'offline'] as const) {
    const problem = userListProblem(key, f[key]);
    if (problem !== undefined) return problem;
    if (!(f[key] as string[]).every((u) => published.has(u))) return `${key} names someone not in users`;
  }
  if ((f.online as string[]).some((u) => (f.offline as string[]).includes(u))) return 'a user is both online and offline';
  return undefined;
}

function userListProblem(key: string, list: unknown): string | undefined {
  if (!Array.isArray(list)) return `${key} is not a list`;
  if (list.length > MAX_USERS) return `more than ${MAX_USERS} ${key}`;
  for (const [i, u] of list.entries()) {
    if (typeof u !== 'string' || !USER.test(u)) return `a user name in ${key} is not a-z 0-9 . _ - (1-32)`;
    if (i > 0 && !((list[i - 1] as string) < u)) return `${key} are not sorted and unique`;
  }
  return undefined;
}

function publicKeyFrom(x: string): KeyObject | undefined {
  return /^[A-Za-z0-9_-]{43}$/.test(x) ? publicKeyFromRaw(Buffer.from(x, 'base64url')) : undefined;
}

/** Reads and verifies a descriptor as received; a refusal says why, for the log. */
export function parseDescriptor(bytes: Buffer | string): ParsedDescriptor {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > MAX_DESCRIPTOR_BYTES) return { ok: false, why: `larger than ${MAX_DESCRIPTOR_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString());
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, why: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length !== KEYS.length || !KEYS.every((k) => Object.hasOwn(o, k))) return { ok: false, why: `fields are not exactly ${KEYS.join(', ')}` };
  if (o.v !== VERSION) return { ok: false, why: `version is not ${VERSION}` };
  if (typeof o.id !== 'string' || !ID.test(o.id)) return { ok: false, why: 'id is not a node id' };
  const publicKey = typeof o.publicKey === 'string' ? publicKeyFrom(o.publicKey) : undefined;
  if (publicKey === undefined) return { ok: false, why: 'publicKey is not an Ed25519 key' };
  if (nodeIdOf(publicKey) !== o.id) return { ok: false, why: 'id is not the one its key derives' };
  const problem = fieldsProblem(o as Unchecked);
  if (problem !== undefined) return { ok: false, why: problem };
  if (typeof o.sig !== 'string' || !/^[A-Za-z0-9_-]{86}$/.test(o.sig)) return { ok: false, why: 'sig is not an Ed25519 signature' };
  const f = o as unknown as DescriptorFields;
  const fields: DescriptorFields = { domain: f.domain, sip: { ...f.sip }, addresses: [...f.addresses], seq: f.seq, time: f.time, users: [...f.users], online: [...f.online], offline: [...f.offline] };
  if (!verify(null, canonical(o.id, o.publicKey as string, fields), publicKey, Buffer.from(o.sig, 'base64url'))) {
    return { ok: false, why: 'bad signature' };
  }
  return { ok: true, descriptor: { id: o.id, publicKey, ...fields } };
}
