// The package's own files after a power cut during `opkg upgrade` (issue 12), through the real init
// script: opkg writes them in place, so the bundle or the SQLite WebAssembly can be cut short or be
// of the other version. The init script checks them against the build's SHA256SUMS and, when they
// differ, starts nothing (the node would die at every start) and says how to repair it.
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { tempDir } from '../helpers/temp-dir.js';
import { SHIPPED_CONFIG, runInitScript, type InitRun } from './init-script-run.js';

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));
const shipped = readFileSync(SHIPPED_CONFIG, 'utf8');
const started = (run: InitRun) => run.calls.some((c) => c[0] === 'procd_open_instance');
const errors = (run: InitRun) => run.calls.filter((c) => c[0] === 'logger' && c[4] === 'daemon.err').map((c) => c[5]);

/** /usr/share/trucada as the package installs it, from this build's dist/. */
function share(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  for (const name of ['trucada.cjs', 'node-sqlite3-wasm.wasm', 'SHA256SUMS']) copyFileSync(join(DIST, name), join(dir, name));
  return dir;
}

t.test('the files as built: the node is started', async (t) => {
  const run = runInitScript(t, { config: shipped, share: share(t) });
  t.equal(run.status, 0, run.stderr);
  t.ok(started(run));
  t.same(errors(run), []);
});

t.test('a bundle cut short, or a WebAssembly of another version: not started, and the log says what to do', async (t) => {
  const cut = share(t);
  truncateSync(join(cut, 'trucada.cjs'), 4096);
  const mixed = share(t);
  writeFileSync(join(mixed, 'node-sqlite3-wasm.wasm'), Buffer.concat([readFileSync(join(mixed, 'node-sqlite3-wasm.wasm')), Buffer.from([0])]));
  for (const [what, dir] of [['cut short', cut], ['of another version', mixed]] as const) {
    const run = runInitScript(t, { config: shipped, share: dir });
    t.notOk(started(run), `${what}: no instance for procd to respawn`);
    t.match(errors(run), [/^not started: files in \S+ do not match their SHA256SUMS \(a power cut during an upgrade\?\); install the package again: opkg install --force-reinstall trucada$/], what);
    t.match(run.stderr, /not started: files in \S+ do not match their SHA256SUMS/);
  }
});

t.test('a package from before SHA256SUMS is not checked', async (t) => {
  const dir = tempDir(t);
  const run = runInitScript(t, { config: shipped, share: dir });
  t.ok(started(run));
});
