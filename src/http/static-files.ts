/**
 * The page's built files (dist/www), read once at start and answered from memory: a few hundred
 * kilobytes, and a rebuild or a flash read never lands in the middle of a request. Names are
 * looked up in that listing, never joined to a path, so no request reaches outside the directory.
 *
 * The precompressed copies (`name.br`, `name.gz`) go to browsers that accept them (RFC 9110
 * §12.5.3), with `Vary: Accept-Encoding` and an ETag per variant (§8.8.3). Hashed names never change
 * content, so they are cached for a year; index.html, which names them, is revalidated every time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { securityHeaders } from './security-headers.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

type Encoding = 'br' | 'gzip' | 'identity';

interface Variant {
  body: Buffer;
  etag: string;
}

interface StaticFile {
  type: string;
  cache: string;
  variants: Partial<Record<Encoding, Variant>>;
}

function variant(body: Buffer, encoding: Encoding): Variant {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { body, etag: encoding === 'identity' ? `"${hash}"` : `"${hash}-${encoding}"` };
}

function load(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  const names = new Set(readdirSync(dir));
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const variants: StaticFile['variants'] = { identity: variant(readFileSync(join(dir, name)), 'identity') };
    if (names.has(`${name}.br`)) variants.br = variant(readFileSync(join(dir, `${name}.br`)), 'br');
    if (names.has(`${name}.gz`)) variants.gzip = variant(readFileSync(join(dir, `${name}.gz`)), 'gzip');
    files.set(`/${name}`, { type, cache: HASHED.test(name) ? IMMUTABLE : 'no-cache', variants });
  }
  return files;
}

/** The codings `accept` allows, with q=0 meaning refused (RFC 9110 §12.5.3). */
function accepted(accept: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (accept ?? '').toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (coding && (q === undefined || Number(q) > 0)) out.add(coding.trim());
  }
  return out;
}

function choose(file: StaticFile, accept: string | undefined): [Encoding, Variant] {
  const ok = accepted(accept);
  if (file.variants.br && (ok.has('br') || ok.has('*'))) return ['br', file.variants.br];
  if (file.variants.gzip && (ok.has('gzip') || ok.has('*'))) return ['gzip', file.variants.gzip];
  return ['identity', file.variants.identity!];
}

function plain(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

export interface StaticFilesOptions {
  readonly dir: string;
  /** The HTTPS port, for the CSP's WebSocket origin. */
  readonly port: number;
}

export function createStaticFiles(opts: StaticFilesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const files = load(opts.dir);
  const built = files.has('/index.html');
  return (req, res) => {
    const headers = securityHeaders(req.headers.host, opts.port);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed\n', { ...headers, Allow: 'GET, HEAD' });
    if (!built) return plain(res, 503, `The page is not built (no ${opts.dir}/index.html): run npm run build.\n`, headers);
    const path = (req.url ?? '/').split('?')[0]!;
    const file = files.get(path === '/' ? '/index.html' : path);
    if (file === undefined) return plain(res, 404, 'Not found\n', headers);
    const [encoding, v] = choose(file, req.headers['accept-encoding']);
    const common: Record<string, string> = { ...headers, 'Cache-Control': file.cache, ETag: v.etag, Vary: 'Accept-Encoding' };
    if (req.headers['if-none-match']?.split(/\s*,\s*/).includes(v.etag)) {
      res.writeHead(304, common);
      res.end();
      return;
    }
    res.writeHead(200, {
      ...common,
      'Content-Type': file.type,
      'Content-Length': v.body.length,
      ...(encoding === 'identity' ? {} : { 'Content-Encoding': encoding }),
    });
    res.end(req.method === 'HEAD' ? undefined : v.body);
  };
}
