// Bundles the server into one CommonJS file for Node 18 (OpenWrt 23.05's version) with the SQLite
// WebAssembly beside it: node-sqlite3-wasm loads its .wasm from __dirname, which CommonJS provides.
// Then the page (src/web) into dist/www: hashed file names the server may cache for a year, an
// index.html naming them (no inline script: the CSP forbids it), and gzip and brotli copies.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { iconPng } from './app-icons.mjs';

const require = createRequire(import.meta.url);
const out = 'dist';
mkdirSync(out, { recursive: true });

await build({
  entryPoints: ['src/cli.ts'],
  outfile: join(out, 'trucada.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  minify: true,
  legalComments: 'linked',
  banner: { js: '#!/usr/bin/env node' },
  // ws loads these optional native speed-ups inside try/catch; they are not wanted on a router.
  external: ['bufferutil', 'utf-8-validate'],
  // src/http/www-dir.ts reads import.meta.url only when it runs from the sources (no __dirname).
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
});
chmodSync(join(out, 'trucada.cjs'), 0o755);

const wasm = join(dirname(require.resolve('node-sqlite3-wasm')), 'node-sqlite3-wasm.wasm');
copyFileSync(wasm, join(out, 'node-sqlite3-wasm.wasm'));

const www = join(out, 'www');
rmSync(www, { recursive: true, force: true });
const page = await build({
  entryPoints: ['src/web/main.ts'],
  outdir: www,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  // Browsers with WebRTC's getStats and ES2020; phones from 2021 on.
  target: ['chrome90', 'firefox90', 'safari15'],
  tsconfig: 'src/web/tsconfig.json',
  minify: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(page.metafile.outputs);
const script = basename(outputs.find(([file, o]) => o.entryPoint !== undefined && file.endsWith('.js'))[0]);
const style = basename(outputs.find(([file]) => file.endsWith('.css'))[0]);
writeFileSync(join(www, 'index.html'), readFileSync('src/web/index.html', 'utf8').replace('{{script}}', script).replace('{{style}}', style));

// Installing to the home screen: the manifest, its icons, and the service worker that keeps the
// page (src/web/sw/sw.ts), told which files are this build's and named by what they hold.
for (const name of readdirSync('src/web/app')) copyFileSync(join('src/web/app', name), join(www, name));
for (const size of [192, 512]) writeFileSync(join(www, `icon-${size}.png`), iconPng(size));
// Only what the page needs to open: a first visit downloads these twice (the page, then the worker
// installing), so the icons and the manifest, which a browser asks for only to install, stay out.
const shell = ['/index.html', `/${script}`, `/${style}`].sort();
/** A name for this build's files, from what they hold. */
function version(files) {
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(readFileSync(join(www, f.slice(1))));
  return hash.digest('hex').slice(0, 12);
}
await build({
  entryPoints: ['src/web/sw/sw.ts'],
  outfile: join(www, 'sw.js'),
  bundle: true,
  format: 'iife',
  target: ['chrome90', 'firefox90', 'safari15'],
  tsconfig: 'src/web/sw/tsconfig.json',
  minify: true,
  define: { SHELL: JSON.stringify(shell), VERSION: JSON.stringify(version(shell)) },
  logLevel: 'warning',
});

// Precompressed copies, served by Accept-Encoding; a copy that saves nothing is not kept.
for (const name of readdirSync(www)) {
  const data = readFileSync(join(www, name));
  const gz = gzipSync(data, { level: 9 });
  const br = brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
  if (gz.length < data.length) writeFileSync(join(www, `${name}.gz`), gz);
  if (br.length < data.length) writeFileSync(join(www, `${name}.br`), br);
}

// The files `trucada serve` cannot start without, with their SHA-256 as sha256sum(1) lists them.
// opkg writes a package's files in place, one by one: a power cut during an upgrade can leave one
// cut short, or one of each version; the init script checks them before it starts the node.
const needed = ['trucada.cjs', 'node-sqlite3-wasm.wasm'];
const sums = needed.map((name) => `${createHash('sha256').update(readFileSync(join(out, name))).digest('hex')}  ${name}\n`);
writeFileSync(join(out, 'SHA256SUMS'), sums.join(''));
