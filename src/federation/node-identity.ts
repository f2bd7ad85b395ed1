/**
 * The node's own identity (DESIGN.md §5): an Ed25519 key pair made at first start and kept in
 * data_dir as `node.key` (PKCS#8 PEM, mode 0600), loaded on every start after. Everything else is
 * derived from the public key, so a node cannot claim an id it has no key for:
 *
 * - id: the first 128 bits of SHA-256 over the raw 32-byte public key, in lower-case RFC 4648
 *   base32 without padding (26 characters). 128 bits make it infeasible to find another key for a
 *   known id (a second preimage costs about 2^128 hashes); a collision between two keys of one
 *   attacker gains it nothing. 26 characters leave room in a 240-byte bmx6 beacon for the domain and
 *   address, and lower-case base32 survives case-folding channels (DNS labels, mDNS TXT, file names).
 * - fingerprint: the full SHA-256, for people comparing keys (`SHA256:` and base64, like OpenSSH).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { writeFileDurably } from '../store/atomic-file.js';
import type { NodeSigner } from './request-signature.js';

export const NODE_KEY_FILE = 'node.key';
const ID_BYTES = 16;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export interface NodeIdentity extends NodeSigner {
  readonly publicKey: KeyObject;
  readonly fingerprint: string;
}

export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Raw public keys already known, by key. OpenSSL 3 sets up an encoder for every `export` (about
 * 150 µs each on this machine's cores, more than verifying a signature), and each descriptor read
 * needs its key's raw bytes two or three times (its id, its pin, its fingerprint): while 30 nodes
 * found each other on two cores, exporting took 8 % of their CPU.
 */
const rawKeys = new WeakMap<KeyObject, Buffer>();

/** The 32 bytes of an Ed25519 public key (RFC 8032 §5.1.5), the last of its SPKI DER encoding. */
export function rawPublicKey(key: KeyObject): Buffer {
  const known = rawKeys.get(key);
  if (known !== undefined) return known;
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`not an Ed25519 key: ${key.asymmetricKeyType}`);
  const raw = key.export({ format: 'der', type: 'spki' }).subarray(-32);
  rawKeys.set(key, raw);
  return raw;
}

/** The Ed25519 public key whose 32 raw bytes are `raw`, which it remembers; undefined when they are not one. */
export function publicKeyFromRaw(raw: Buffer): KeyObject | undefined {
  if (raw.length !== 32) return undefined;
  let key: KeyObject;
  try {
    // The JWK form (RFC 8037 §2) takes the raw bytes as they are; SPKI would need a DER prefix.
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    return undefined;
  }
  rawKeys.set(key, raw);
  return key;
}

export function nodeIdOf(publicKey: KeyObject): string {
  return base32(createHash('sha256').update(rawPublicKey(publicKey)).digest().subarray(0, ID_BYTES));
}

export function fingerprintOf(publicKey: KeyObject): string {
  return `SHA256:${createHash('sha256').update(rawPublicKey(publicKey)).digest('base64').replace(/=+$/, '')}`;
}

export function identityOf(privateKey: KeyObject): NodeIdentity {
  const publicKey = createPublicKey(privateKey);
  return { id: nodeIdOf(publicKey), privateKey, publicKey, fingerprint: fingerprintOf(publicKey) };
}

/**
 * The node's identity from data_dir, made there when there is none. A file that is there but not
 * an Ed25519 key stops the start: a new key would be a new node to every peer that pinned the old
 * one, which the operator must decide (by removing the file), not a silent repair.
 */
export function loadOrCreateIdentity(dataDir: string, logger: Logger): NodeIdentity {
  const path = join(dataDir, NODE_KEY_FILE);
  let pem: string | undefined;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the node key ${path}: ${(err as Error).message}`);
  }
  if (pem !== undefined) {
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (err) {
      throw new Error(`the node key ${path} is damaged (${(err as Error).message}): remove it to make a new node identity`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the node key ${path} is ${key.asymmetricKeyType}, not Ed25519: remove it to make a new node identity`);
    return identityOf(key);
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileDurably(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), 0o600);
  const identity = identityOf(privateKey);
  logger.info(`made the node key ${path}: node id ${identity.id}, fingerprint ${identity.fingerprint}`);
  return identity;
}
