/**
 * The hashes of HTTP Digest as SIP uses it (RFC 3261 §22.4, RFC 2617 §3.2.2, RFC 8760 §2 for
 * SHA-256). Only `qop=auth` and no qop are supported: `auth-int` is refused by the registrar.
 */
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'SHA-256';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256'];

export function digestHash(algorithm: DigestAlgorithm, data: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256').update(data, 'utf8').digest('hex');
}

/** HA1 = H(username ":" realm ":" password): what the node stores instead of a password. */
export function ha1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  /** With qop=auth: nonce count (8 hex digits) and client nonce. */
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

/** The `response` value a client computes, and the registrar recomputes to compare. */
export function digestResponse(input: DigestResponseInput): string {
  const ha2 = digestHash(input.algorithm, `${input.method}:${input.uri}`);
  const middle = input.qop ? `${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}` : input.nonce;
  return digestHash(input.algorithm, `${input.ha1}:${middle}:${ha2}`);
}
