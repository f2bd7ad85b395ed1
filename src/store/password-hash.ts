/**
 * The slow hash of a password for the web login: `scrypt$N$r$p$salt$hash` (salt and hash in
 * base64). N=16384, r=8 needs 128·N·r = 16 MB while it runs, which a router can spare for a login.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Bounds on parameters read back from the database, so a damaged row cannot ask for gigabytes. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

export function hashPassword(password: string): string {
  const salt = randomBytes(SALT_BYTES);
  const hash = scrypt(password, salt, N, R, P, HASH_BYTES);
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Compares in constant time; false for a stored value that is not a well-formed scrypt hash. */
export function checkPassword(password: string, stored: string): boolean {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || rest.length > 0 || salt === undefined || hash === undefined) return false;
  const cost = Number(n);
  const blockSize = Number(r);
  const parallel = Number(p);
  const ok =
    Number.isInteger(cost) && cost > 1 && cost <= MAX_N && (cost & (cost - 1)) === 0 &&
    Number.isInteger(blockSize) && blockSize >= 1 && blockSize <= MAX_R &&
    Number.isInteger(parallel) && parallel >= 1 && parallel <= MAX_P;
  const expected = Buffer.from(hash, 'base64');
  if (!ok || expected.length === 0) return false;
  const actual = scrypt(password, Buffer.from(salt, 'base64'), cost, blockSize, parallel, expected.length);
  return timingSafeEqual(actual, expected);
}

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number, length: number): Buffer {
  return scryptSync(password, salt, length, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
}
