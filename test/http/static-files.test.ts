/**
 * The page's built files over real HTTPS (issue 10): index.html revalidated, hashed files cached for
 * a year, brotli or gzip as the browser accepts, 304 on a matching ETag, the security headers on
 * every answer, and nothing outside the directory whatever the path says.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { createStaticFiles } from '../../src/http/static-files.js';
import { httpsRequest } from '../helpers/https-client.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startHarness } from '../helpers/transport-harness.js';

const SCRIPT = 'main-ABCD2345.js';
const JS = `console.log(${JSON.stringify('x'.repeat(2000))});\n`;

function builtPage(t: Parameters<typeof tempDir>[0]): string {
  const dir = join(tempDir(t), 'www');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.html'), `<!doctype html><script type="module" src="/${SCRIPT}"></script>\n`);
  writeFileSync(join(dir, SCRIPT), JS);
  writeFileSync(join(dir, `${SCRIPT}.gz`), gzipSync(JS));
  writeFileSync(join(dir, `${SCRIPT}.br`), brotliCompressSync(JS));
  writeFileSync(join(dir, 'notes.unknown'), 'not served: no known type');
  return dir;
}

async function serving(t: Parameters<typeof startHarness>[0], dir: string) {
  const files = createStaticFiles({ dir, port: 0 });
  const h = await startHarness(t, {}, ['127.0.0.1'], { handler: files });
  const port = h.ports.https;
  return (method: string, path: string, headers: Record<string, string> = {}) => httpsRequest(port, method, path, { headers });
}

t.test('index.html and a hashed script, with their caching and encodings', async (t) => {
  const get = await serving(t, builtPage(t));
  const index = await get('GET', '/');
  t.equal(index.status, 200);
  t.match(index.text, /<script type="module"/);
  t.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(index.headers['cache-control'], 'no-cache', 'the page that names the hashed files is revalidated');
  const csp = String(index.headers['content-security-policy']);
  t.match(csp, /default-src 'self'/);
  t.notMatch(csp, /unsafe-inline|unsafe-eval|https?:/, 'no inline script, nothing from elsewhere');
  t.match(csp, /frame-ancestors 'none'/);
  t.equal(index.headers['x-content-type-options'], 'nosniff');
  t.equal(index.headers['x-frame-options'], 'DENY');
  t.equal(index.headers['referrer-policy'], 'no-referrer');

  const br = await get('GET', `/${SCRIPT}`, { 'Accept-Encoding': 'gzip, deflate, br' });
  t.equal(br.headers['content-encoding'], 'br');
  t.equal(brotliDecompressSync(br.body).toString(), JS);
  t.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.equal(br.headers.vary, 'Accept-Encoding');
  const gz = await get('GET', `/${SCRIPT}`, { 'Accept-Encoding': 'gzip' });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(gz.body).toString(), JS);
  const refusedBr = await get('GET', `/${SCRIPT}`, { 'Accept-Encoding': 'br;q=0, gzip' });
  t.equal(refusedBr.headers['content-encoding'], 'gzip', 'q=0 refuses a coding');
  const plain = await get('GET', `/${SCRIPT}`);
  t.equal(plain.headers['content-encoding'], undefined);
  t.equal(plain.text, JS);
  t.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
  t.not(plain.headers.etag, br.headers.etag, 'each encoding has its own ETag');

  const again = await get('GET', `/${SCRIPT}`, { 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) });
  t.equal(again.status, 304);
  t.equal(again.body.length, 0);
  const head = await get('HEAD', `/${SCRIPT}`);
  t.equal(head.status, 200);
  t.equal(head.body.length, 0);
  t.equal(head.headers['content-length'], String(Buffer.byteLength(JS)));
});

t.test('nothing outside the built files', async (t) => {
  const get = await serving(t, builtPage(t));
  for (const path of ['/../package.json', '/%2e%2e/package.json', `/${SCRIPT}/../index.html`, '/notes.unknown', '/www/index.html', '//etc/passwd', '/index.html%00']) {
    const a = await get('GET', path);
    t.equal(a.status, 404, `${path}: 404`);
    t.ok(a.headers['content-security-policy'], `${path}: with the security headers`);
  }
  const post = await get('POST', '/');
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
});

t.test('a node whose page is not built says so', async (t) => {
  const get = await serving(t, join(tempDir(t), 'missing'));
  const a = await get('GET', '/');
  t.equal(a.status, 503);
  t.match(a.text, /not built.*npm run build/);
});
