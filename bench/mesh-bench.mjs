// The mesh bench (issue 11 item 8): scripts/mesh-sim.mjs for each topology and size in turn (by
// default a line of 10, then a line, a ring and a grid of 30), one run each, and the "Mesh bench"
// section of bench/RESULTS.md from them: how long until every node knows every other over the bmx
// channel, whether a call between the farthest two connects, and the bytes each node sends per
// minute at rest, against the goals (10 s, connects, under 1 KB). Raw results in bench/out/mesh.json.
// Needs root (network namespaces); started by bench/run.sh (`npm run bench`), or on its own:
//   node bench/mesh-bench.mjs
//
// Settings (environment): BENCH_MESH_RUNS (line:10,line:30,ring:30,grid:30), BENCH_MESH_WINDOW (60 s
// of counting at rest), BENCH_MESH_SETTLE (10 s at rest before it), BENCH_MESH_HOP_DELAY_MS (500: the
// bmx relay's delay per hop), SIPP (path of sipp).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness } from './lib/harness.mjs';
import { describeMachine } from './lib/machine.mjs';
import { writeMeshResults } from './lib/mesh-results.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench/out');
const workDir = join(outDir, 'mesh');
const log = (line) => console.log(line);
const settings = settingsOrExit(process.env);

const { groups, run } = startHarness({ outDir, workDir, name: 'mesh', label: 'mesh', log });
await run(main);

async function main(abort) {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const machine = describeMachine({ kamailio: 'kamailio', sipp: settings.sipp });
  const results = [];
  for (const { topology, nodes } of settings.runs) {
    const name = `${topology}-${nodes}`;
    const json = join(workDir, `${name}.json`);
    log(`mesh bench: ${topology} of ${nodes}`);
    const sim = groups.start(process.execPath, [
      join(root, 'scripts/mesh-sim.mjs'), '--nodes', String(nodes), '--topology', topology, '--json', json,
      '--window', String(settings.windowS), '--settle', String(settings.settleS), '--hop-delay-ms', String(settings.hopDelayMs),
      '--sipp', settings.sipp,
    ], { logFile: join(workDir, `${name}.log`) });
    const code = await sim.exited;
    abort.throwIfAborted();
    if (code !== 0) {
      log(`${name}: the sim failed (exit ${code}); see bench/out/mesh/${name}.log`);
      results.push({ topology, nodes, failed: `exit ${code}, see bench/out/mesh/${name}.log` });
      continue;
    }
    const result = JSON.parse(readFileSync(json, 'utf8'));
    results.push(result);
    log(
      `${name}: every node knows every other after ${fmtS(result.convergence.allKnowAllMs)}, call ${result.call.connected ? `connected in ${result.call.inviteTo200Ms} ms` : 'failed'}, ` +
        `at rest ${result.traffic.meanBytesPerMinute.toFixed(0)} B/min mean, ${result.traffic.maxBytesPerMinute.toFixed(0)} max`,
    );
  }
  writeMeshResults({
    mdPath: join(root, 'bench/RESULTS.md'),
    jsonPath: join(outDir, 'mesh.json'),
    machine: { ...machine, loadAverageAfter: loadavg()[0] },
    settings,
    results,
  });
  log('wrote the mesh section of bench/RESULTS.md and bench/out/mesh.json');
  if (results.some((r) => r.failed)) process.exitCode = 1;
}

function fmtS(ms) {
  return ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`;
}

function settingsOrExit(env) {
  try {
    const int = (name, fallback, min) => {
      const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
      if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}`);
      return value;
    };
    const runs = (env.BENCH_MESH_RUNS || 'line:10,line:30,ring:30,grid:30').split(',').map((item) => {
      const m = /^(line|ring|grid):(\d+)$/.exec(item.trim());
      if (!m) throw new Error(`BENCH_MESH_RUNS: '${item}' is not TOPOLOGY:NODES (line, ring or grid)`);
      return { topology: m[1], nodes: Number(m[2]) };
    });
    return {
      runs,
      windowS: int('BENCH_MESH_WINDOW', 60, 1),
      settleS: int('BENCH_MESH_SETTLE', 10, 0),
      hopDelayMs: int('BENCH_MESH_HOP_DELAY_MS', 500, 0),
      sipp: env.SIPP || 'sipp',
    };
  } catch (err) {
    console.error(`mesh bench: ${err.message}`);
    process.exit(2);
  }
}
