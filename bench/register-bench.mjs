// The register bench: authenticated REGISTER transactions per second over UDP, measured with sipp
// against (a) this node, as Node starts it and with the init script's V8 flags (a router's case),
// (b) Kamailio as a plain registrar and (c) the floor of one Node event loop, in alternating rounds
// within one run; for the node also the bytes V8 allocated per registration (gc-allocation.mjs).
// Writes bench/RESULTS.md and bench/out/register.json.
// Started by bench/run.sh (`npm run bench`), which checks the tools and builds first.
//
// Settings (environment): BENCH_TARGETS (node,node-flags,kamailio,floor), BENCH_ROUNDS (5),
// BENCH_ROUND_SECONDS (5: each target's rounds are sized from its warm-up rate to last about this
// long), BENCH_CALLS (50000: the most registrations in one round), BENCH_LIMIT (200 outstanding),
// BENCH_USERS (500), BENCH_WARMUP (3000), BENCH_PORT_BASE (15070: node, +1 Kamailio, +2 floor,
// +3 node-flags),
// BENCH_TIMEOUT (60 s per round), SIPP and KAMAILIO (paths of the binaries).
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.mjs';
import { assertUdpPortFree } from './lib/ports.mjs';
import { startHarness } from './lib/harness.mjs';
import { initScriptFlags } from './lib/init-flags.mjs';
import { groupCpuSeconds, peakRssKb } from './lib/proc-stats.mjs';
import { summarise, writeResults } from './lib/results.mjs';
import { runSippRound } from './lib/sipp-round.mjs';
import { startFloor } from './lib/targets/floor.mjs';
import { startKamailio } from './lib/targets/kamailio.mjs';
import { startNode } from './lib/targets/node.mjs';
import { benchUsers, writeUsersCsv } from './lib/users.mjs';

const ALL_TARGETS = ['node', 'node-flags', 'kamailio', 'floor'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const initFlags = initScriptFlags(join(root, 'files/etc/init.d/trucada'));
const STARTERS = {
  node: (groups, o) => startNode(groups, { ...o, traceGc: true, name: 'node' }),
  'node-flags': (groups, o) => startNode(groups, { ...o, traceGc: true, name: 'node-flags', v8Flags: initFlags }),
  kamailio: startKamailio,
  floor: startFloor,
};
const DOMAIN = 'bench.mesh';
const MIN_CALLS = 2000;
const settings = settingsOrExit(process.env);
const outDir = join(root, 'bench/out');
const workDir = join(outDir, 'register');
const log = (line) => console.log(line);

const { groups, tmpRoot, run: runBench } = startHarness({ outDir, workDir, name: 'register', label: 'register', log });
await runBench(main);

async function main(abort) {
  const users = benchUsers(settings.users);
  const usersCsv = join(workDir, 'users.csv');
  writeUsersCsv(usersCsv, users);
  const machine = describeMachine(settings);
  log(`register bench: ${settings.targets.join(', ')}; ${settings.rounds} rounds of about ${settings.roundSeconds} s, ${settings.limit} outstanding`);

  const running = {};
  try {
    return await measure(running, users, usersCsv, machine, abort);
  } finally {
    for (const target of Object.keys(running)) await running[target].stop();
  }
}

async function measure(running, users, usersCsv, machine, abort) {
  for (const target of settings.targets) {
    const port = settings.ports[target];
    await assertUdpPortFree(port);
    log(`starting ${target} on udp 127.0.0.1:${port}`);
    running[target] = await STARTERS[target](groups, {
      root,
      port,
      logDir: workDir,
      tmpDir: tmpRoot,
      usersCsv,
      users,
      domain: DOMAIN,
      kamailio: settings.kamailio,
      log,
    });
  }

  const round = (target, name, calls) =>
    runSippRound(groups, {
      sipp: settings.sipp,
      scenario: join(root, 'test/sipp/register-auth.xml'),
      usersCsv,
      domain: DOMAIN,
      port: settings.ports[target],
      calls,
      limit: settings.limit,
      timeoutSeconds: settings.timeoutSeconds,
      dir: workDir,
      name,
    });

  // Rounds of equal length rather than equal count: a slow target then stays well inside sipp's
  // timeout, and a fast one is still measured over seconds.
  const callsPerRound = {};
  for (const target of settings.targets) {
    const warm = await round(target, `${target}-warmup`, settings.warmup);
    callsPerRound[target] = Math.min(settings.maxCalls, Math.max(MIN_CALLS, Math.round(warm.rate * settings.roundSeconds)));
    log(`warm-up ${target}: ${warm.rate.toFixed(0)}/s, ${warm.failed} failed; rounds of ${callsPerRound[target]}`);
  }

  const rounds = [];
  for (let r = 1; r <= settings.rounds; r += 1) {
    for (const target of settings.targets) {
      const { pid, allocation } = running[target];
      const cpuBefore = groupCpuSeconds(pid);
      allocation?.mark();
      const result = await round(target, `${target}-${r}`, callsPerRound[target]);
      const cpuCores = (groupCpuSeconds(pid) - cpuBefore) / result.seconds;
      // A round cut short by SIGINT/SIGTERM measures nothing.
      abort.throwIfAborted();
      // Each registration is two REGISTER transactions (the challenge, then the credentials).
      const allocatedPerRegistration = allocation && result.calls > 0 ? allocation.allocatedSinceMark() / result.calls : null;
      rounds.push({ target, round: r, ...result, cpuCores, allocatedPerRegistration });
      log(
        `round ${r} ${target.padEnd(8)} ${result.rate.toFixed(0).padStart(6)}/s  failed ${result.failed}  ` +
          `retrans ${result.retransmissions}  cpu ${cpuCores.toFixed(2)}  mean ${result.meanCallMs.toFixed(2)} ms` +
          (allocatedPerRegistration === null ? '' : `  ${(allocatedPerRegistration / 1024).toFixed(1)} KB allocated each`),
      );
    }
  }

  // Kamailio is several processes sharing memory: one VmHWM would not describe it.
  const peak = {};
  for (const target of ['node', 'node-flags', 'floor']) if (running[target]) peak[target] = peakRssKb(running[target].pid);

  const summary = summarise(rounds, settings.targets, { peakRssKb: peak });
  writeResults({
    mdPath: join(root, 'bench/RESULTS.md'),
    jsonPath: join(outDir, 'register.json'),
    machine: { ...machine, loadAverageAfter: loadavg()[0] },
    settings: { ...settings, ports: undefined, sipp: undefined, kamailio: undefined },
    summary,
    rounds,
  });
  for (const [target, t] of Object.entries(summary.targets)) {
    log(`${target.padEnd(8)} median ${t.medianRate.toFixed(0)}/s, failed ${t.failed}${t.peakRssKb ? `, peak RSS ${(t.peakRssKb / 1024).toFixed(1)} MB` : ''}`);
  }
  const { nodeOverFloor, nodeOverKamailio } = summary.ratios;
  if (nodeOverFloor !== null) log(`node/floor ${nodeOverFloor.toFixed(2)}, node/kamailio ${nodeOverKamailio?.toFixed(2) ?? 'n/a'}`);
  log('wrote bench/RESULTS.md and bench/out/register.json');
}

function settingsOrExit(env) {
  try {
    return readSettings(env);
  } catch (err) {
    console.error(`register bench: ${err.message}`);
    process.exit(2);
  }
}

function readSettings(env) {
  const int = (name, fallback, min) => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}`);
    return value;
  };
  const targets = (env.BENCH_TARGETS || ALL_TARGETS.join(',')).split(',').map((t) => t.trim());
  for (const t of targets) if (!ALL_TARGETS.includes(t)) throw new Error(`BENCH_TARGETS: unknown target '${t}'`);
  const base = int('BENCH_PORT_BASE', 15070, 1024);
  const users = int('BENCH_USERS', 500, 1);
  const limit = int('BENCH_LIMIT', 200, 1);
  // Two calls of one user at once would race each other's bindings; keep them apart.
  if (limit > users) throw new Error('BENCH_LIMIT must not exceed BENCH_USERS');
  return {
    targets,
    rounds: int('BENCH_ROUNDS', 5, 1),
    roundSeconds: int('BENCH_ROUND_SECONDS', 5, 1),
    maxCalls: int('BENCH_CALLS', 50000, MIN_CALLS),
    limit,
    users,
    warmup: int('BENCH_WARMUP', 3000, 1),
    timeoutSeconds: int('BENCH_TIMEOUT', 60, 1),
    ports: { node: base, kamailio: base + 1, floor: base + 2, 'node-flags': base + 3 },
    sipp: env.SIPP || 'sipp',
    kamailio: env.KAMAILIO || 'kamailio',
  };
}
