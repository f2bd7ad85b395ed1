// Bundles the server into one CommonJS file for Node 18 (OpenWrt 23.05's version) with the SQLite
// WebAssembly beside it: node-sqlite3-wasm loads its .wasm from __dirname, which CommonJS provides.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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
  logLevel: 'warning',
});
chmodSync(join(out, 'trucada.cjs'), 0o755);

const wasm = join(dirname(require.resolve('node-sqlite3-wasm')), 'node-sqlite3-wasm.wasm');
copyFileSync(wasm, join(out, 'node-sqlite3-wasm.wasm'));
