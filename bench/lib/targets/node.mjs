// Target (a): this node, `trucada serve` from the bundle, with the bench users added beforehand by
// bench/lib/seed-accounts.ts (the store calls of `trucada user add`, in one process). Data and run
// directories are fresh ones under the bench's temporary directory. `v8Flags` go before the bundle,
// as the init script passes them (the overload bench measures with and without them).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeTcpPort } from '../ports.mjs';
import { waitForSip } from '../sip-probe.mjs';

const run = promisify(execFile);

/** @param {import('../processes.mjs').ProcessGroups} groups */
export async function startNode(groups, { root, port, logDir, tmpDir, usersCsv, users, domain, log, v8Flags = [] }) {
  const cli = join(root, 'dist/trucada.cjs');
  const dir = mkdtempSync(join(tmpDir, 'node-'));
  const config = join(dir, 'trucada.uci');
  writeFileSync(
    config,
    [
      "config trucada 'main'",
      `\toption domain '${domain}'`,
      `\toption sip_port '${port}'`,
      `\toption http_port '${await freeTcpPort()}'`,
      `\toption https_port '${await freeTcpPort()}'`,
      "\toption stun_port '0'",
      `\toption data_dir '${join(dir, 'data')}'`,
      `\toption run_dir '${join(dir, 'run')}'`,
      "\toption log_level 'warn'",
      '',
    ].join('\n'),
  );
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const started = Date.now();
    // Inside the checkout, so that require('node-sqlite3-wasm') finds node_modules.
    const seed = join(root, 'bench/out/seed-accounts.cjs');
    await bundleSeed(root, seed);
    await run(process.execPath, [seed, config, usersCsv], { timeout: 240000 });
    log(`  node: ${users.length} users added in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    cleanup();
    throw new Error(`adding the bench users failed: ${err.stderr || err.message}`);
  }
  const logFile = join(logDir, 'node.log');
  const proc = groups.start(process.execPath, [...v8Flags, cli, 'serve', '--config', config], { logFile });
  try {
    await Promise.race([waitForSip(port), proc.exited.then((code) => Promise.reject(new Error(`trucada serve exited (${code}); see ${logFile}`)))]);
  } catch (err) {
    await proc.stop();
    cleanup();
    throw err;
  }
  return {
    pid: proc.pid,
    stop: async () => {
      await proc.stop();
      cleanup();
    },
  };
}

/** The seeding script as one CommonJS file; node-sqlite3-wasm stays outside, found in node_modules. */
async function bundleSeed(root, outfile) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'bench/lib/seed-accounts.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['node-sqlite3-wasm'],
    logLevel: 'warning',
  });
}
