/**
 * The slow hash of a password for the web login: `scrypt$N$r$p$salt$hash` (salt and hash in
 * base64). N=16384, r=8 needs 128·N·r = 16 MB while it runs, which a router can spare for a login.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

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
  return format(salt, scryptSync(password, salt, HASH_BYTES, options(N, R, P)));
}

/** The same, off the event loop (libuv's thread pool): the daemon hashes a sign-up's password so. */
export async function hashPasswordAsync(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return format(salt, await scryptAsync(password, salt, HASH_BYTES, options(N, R, P)));
}

/** Compares in constant time; false for a stored value that is not a well-formed scrypt hash. */
export function checkPassword(password: string, stored: string): boolean {
  const s = parse(stored);
  return s !== undefined && timingSafeEqual(scryptSync(password, s.salt, s.hash.length, s.options), s.hash);
}

/** The same, off the event loop, so a web login never stalls SIP (16 MB of scrypt takes tens of ms). */
export async function checkPasswordAsync(password: string, stored: string): Promise<boolean> {
  const s = parse(stored);
  return s !== undefined && timingSafeEqual(await scryptAsync(password, s.salt, s.hash.length, s.options), s.hash);
}

function format(salt: Buffer, hash: Buffer): string {
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

function options(n: number, r: number, p: number): ScryptOptions {
  return { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 };
}

function parse(stored: string): { salt: Buffer; hash: Buffer; options: ScryptOptions } | undefined {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || rest.length > 0 || salt === undefined || hash === undefined) return undefined;
  const cost = Number(n);
  const blockSize = Number(r);
  const parallel = Number(p);
  const ok =
    Number.isInteger(cost) && cost > 1 && cost <= MAX_N && (cost & (cost - 1)) === 0 &&
    Number.isInteger(blockSize) && blockSize >= 1 && blockSize <= MAX_R &&
    Number.isInteger(parallel) && parallel >= 1 && parallel <= MAX_P;
  const expected = Buffer.from(hash, 'base64');
  if (!ok || expected.length === 0) return undefined;
  return { salt: Buffer.from(salt, 'base64'), hash: expected, options: options(cost, blockSize, parallel) };
}

function scryptAsync(password: string, salt: Buffer, length: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, length, opts, (err, key) => (err ? reject(err) : resolve(key))));
}
