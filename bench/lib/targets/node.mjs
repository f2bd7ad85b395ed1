// Target (a): this node, `trucada serve` from the bundle, with the bench users added beforehand by
// bench/lib/seed-accounts.ts (the store calls of `trucada user add`, in one process), or copied from a
// data directory seeded once by seedNodeData. Data and run
// directories are fresh ones under the bench's temporary directory. `v8Flags` go before the bundle,
// as the init script passes them (the overload bench measures with and without them). With
// `traceGc`, V8 logs each collection to `<name>.log` as it happens (gc-allocation.mjs), and the
// target has an `allocation` reader of that log; with `cpuProfileDir`, V8's --cpu-prof too, which
// writes the profile there when the node exits.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { allocationReader, GC_TRACE_FLAGS, lineBuffered } from '../gc-allocation.mjs';
import { freeTcpPort } from '../ports.mjs';
import { waitForSip } from '../sip-probe.mjs';

const run = promisify(execFile);

/**
 * @param {import('../processes.mjs').ProcessGroups} groups
 * `seededData`: a data directory from seedNodeData, copied instead of adding the users again.
 */
export async function startNode(groups, { root, port, logDir, tmpDir, usersCsv, users, domain, log, v8Flags = [], seededData, traceGc = false, name = 'node', cpuProfileDir }) {
  const cli = join(root, 'dist/trucada.cjs');
  const dir = mkdtempSync(join(tmpDir, 'node-'));
  const config = await writeConfig(dir, { port, domain });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    if (seededData) cpSync(seededData, join(dir, 'data'), { recursive: true });
    else await seed(root, config, usersCsv, users, log);
  } catch (err) {
    cleanup();
    throw err;
  }
  const logFile = join(logDir, `${name}.log`);
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
  const args = [...v8Flags, ...profile, ...(traceGc ? GC_TRACE_FLAGS : []), cli, 'serve', '--config', config];
  const started = traceGc ? lineBuffered(process.execPath, args) : { command: process.execPath, args };
  const proc = groups.start(started.command, started.args, { logFile });
  try {
    await Promise.race([waitForSip(port), proc.exited.then((code) => Promise.reject(new Error(`trucada serve exited (${code}); see ${logFile}`)))]);
  } catch (err) {
    await proc.stop();
    cleanup();
    throw err;
  }
  return {
    pid: proc.pid,
    ...(traceGc ? { allocation: allocationReader(logFile) } : {}),
    stop: async () => {
      await proc.stop();
      cleanup();
    },
  };
}

/**
 * The bench users in a data directory of their own, for a bench that starts many nodes: adding 500
 * users takes 10-25 s (one scrypt each), copying the directory no time.
 */
export async function seedNodeData({ root, tmpDir, usersCsv, users, domain, log }) {
  const dir = mkdtempSync(join(tmpDir, 'seed-'));
  await seed(root, await writeConfig(dir, { port: 5060, domain }), usersCsv, users, log);
  return join(dir, 'data');
}

/** The node's configuration in `dir`, with its data and run directories there too. */
async function writeConfig(dir, { port, domain }) {
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
  return config;
}

async function seed(root, config, usersCsv, users, log) {
  try {
    const started = Date.now();
    // Inside the checkout, so that require('node-sqlite3-wasm') finds node_modules.
    const script = join(root, 'bench/out/seed-accounts.cjs');
    await bundleSeed(root, script);
    await run(process.execPath, [script, config, usersCsv], { timeout: 240000 });
    log(`  node: ${users.length} users added in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    throw new Error(`adding the bench users failed: ${err.stderr || err.message}`);
  }
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
