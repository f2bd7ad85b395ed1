// The overload bench (issue 12 item 1): the node's memory under a flood ten times its capacity, with
// the init script's V8 flags (files/etc/init.d/trucada) and without, and Kamailio's under the same
// flood as the reference. For each flood (authenticated REGISTERs; calls through the proxy to a sipp
// callee, bench/lib/overload-floods.mjs) and each target, started fresh: after a warm-up round, a
// short unpaced round measures the target's capacity; sipp then offers BENCH_OVERLOAD_FACTOR times the first target's
// capacity (by default the node with the router's flags) for BENCH_OVERLOAD_SECONDS, with up to
// BENCH_OVERLOAD_LIMIT calls outstanding, and is stopped; the target's memory is sampled every 250 ms
// through the flood and after it; from the moment it ends, probe rounds (20 at 10/s) run one after
// the other until one completes every call. sipp's counts per scenario step say how the target
// answered: 200, 401/407, 503 (shed) or nothing (sipp retransmitted, then gave up).
// Writes the "Overload bench" section of bench/RESULTS.md and bench/out/overload.json. Started by
// bench/run.sh (`npm run bench`) after the call bench, or on its own: node bench/overload-bench.mjs
//
// Settings (environment): BENCH_OVERLOAD_TARGETS (node-flags,node,kamailio), BENCH_OVERLOAD_FLOODS
// (register,call), BENCH_OVERLOAD_SECONDS (30 per flood; 60, the issue's minute, takes the run to
// about 9 minutes), BENCH_OVERLOAD_FACTOR (10), BENCH_OVERLOAD_LIMIT (5000 outstanding),
// BENCH_OVERLOAD_AFTER (15 s sampled after the flood), BENCH_OVERLOAD_SETTLED (10: settled memory
// that many seconds after the flood), BENCH_OVERLOAD_RECOVERY (30 s of probing at most),
// BENCH_OVERLOAD_PROBE_CALLS (20), BENCH_OVERLOAD_PROBE_RATE (10/s), BENCH_OVERLOAD_USERS (500),
// BENCH_OVERLOAD_PORT_BASE (15090: node-flags, +1 node, +2 Kamailio), SIPP and KAMAILIO;
// BENCH_OVERLOAD_CPU_PROF (a directory: each node runs with --cpu-prof and writes its profile there
// when stopped, to see where its time goes under the flood; off by default, as profiling slows it).
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startHarness } from './lib/harness.mjs';
import { initScriptFlags } from './lib/init-flags.mjs';
import { describeMachine } from './lib/machine.mjs';
import { sampleMemory } from './lib/memory-sampler.mjs';
import { FLOODS } from './lib/overload-floods.mjs';
import { summariseOverload, writeOverloadResults } from './lib/overload-results.mjs';
import { assertUdpPortFree } from './lib/ports.mjs';
import { groupPssKb, peakRssKb, rssKb } from './lib/proc-stats.mjs';
import { startKamailio } from './lib/targets/kamailio.mjs';
import { seedNodeData, startNode } from './lib/targets/node.mjs';
import { benchUsers, writeUsersCsv } from './lib/users.mjs';

const DOMAIN = 'bench.mesh';
const SAMPLE_MS = 250;
/** How long a probe's calls may take after the last one started: a retransmission or two. */
const PROBE_GRACE_SECONDS = 3;
const CAPACITY_TIMEOUT_SECONDS = 60;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const initFlags = initScriptFlags(join(root, 'files/etc/init.d/trucada'));
// Kamailio is several processes sharing memory: only their summed PSS describes it. The node is one
// process, whose resident set is what a router's memory budget is about.
const TARGETS = {
  'node-flags': {
    label: `trucada, V8 flags of the init script (${initFlags.join(' ')})`,
    start: (groups, o) => startNode(groups, { ...o, v8Flags: initFlags }),
    memory: (pid) => ({ rssKb: rssKb(pid), pssKb: groupPssKb(pid) }),
  },
  node: {
    label: 'trucada, no V8 flags',
    start: startNode,
    memory: (pid) => ({ rssKb: rssKb(pid), pssKb: groupPssKb(pid) }),
  },
  kamailio: {
    label: 'Kamailio, one UDP worker',
    start: (groups, o, flood) => startKamailio(groups, { ...o, ...flood.kamailio }),
    memory: (pid) => ({ pssKb: groupPssKb(pid) }),
  },
};

const settings = settingsOrExit(process.env);
const outDir = join(root, 'bench/out');
const workDir = join(outDir, 'overload');
const log = (line) => console.log(line);

const { groups, tmpRoot, run: runBench } = startHarness({ outDir, workDir, name: 'overload', label: 'overload', log });
await runBench(main);

async function main(abort) {
  const started = Date.now();
  const users = benchUsers(settings.users);
  const usersCsv = join(workDir, 'users.csv');
  writeUsersCsv(usersCsv, users);
  const machine = describeMachine(settings);
  log(
    `overload bench: ${settings.floods.join(', ')} floods of ${settings.seconds} s at ${settings.factor}x capacity, ` +
      `${settings.limit} outstanding; targets ${settings.targets.join(', ')}`,
  );
  // Every node starts with a copy: seeding each anew would take most of the run.
  const seededData = settings.targets.some((t) => t !== 'kamailio')
    ? await seedNodeData({ root, tmpDir: tmpRoot, usersCsv, users, domain: DOMAIN, log })
    : undefined;
  const runs = [];
  for (const flood of settings.floods) {
    // Every target gets the same flood: the first one's capacity sets it.
    let rate = null;
    for (const target of settings.targets) {
      const result = await overloadRun(flood, target, rate, { users, usersCsv, seededData }, abort);
      runs.push(result);
      if (rate === null && !result.unusable) rate = result.offeredRate;
    }
  }
  const summary = summariseOverload(runs, settings, (Date.now() - started) / 1000);
  writeOverloadResults({
    mdPath: join(root, 'bench/RESULTS.md'),
    jsonPath: join(outDir, 'overload.json'),
    machine: { ...machine, loadAverageAfter: loadavg()[0] },
    settings: { ...settings, ports: undefined, sipp: undefined, kamailio: undefined, initFlags },
    summary,
    runs,
  });
  log('wrote the overload section of bench/RESULTS.md and bench/out/overload.json');
}

/**
 * One flood against a fresh `target`: its capacity, the flood at `rate` (null: factor x that
 * capacity), its memory throughout, the recovery. A target that does not start or measures no
 * capacity is reported as not measured, with the reason.
 */
async function overloadRun(floodName, target, rate, { users, usersCsv, seededData }, abort) {
  const flood = FLOODS[floodName];
  const name = `${floodName}-${target}`;
  const dir = join(workDir, name);
  mkdirSync(dir);
  const port = settings.ports[target];
  const base = { flood: floodName, target, label: TARGETS[target].label };
  let running;
  try {
    await assertUdpPortFree(port);
    log(`${name}: starting ${target} on udp 127.0.0.1:${port}`);
    const options = { root, port, logDir: dir, tmpDir: tmpRoot, usersCsv, users, seededData, domain: DOMAIN, kamailio: settings.kamailio, cpuProfileDir: settings.cpuProfileDir, log };
    running = await TARGETS[target].start(groups, options, flood);
  } catch (err) {
    log(`${name}: not measured: ${err.message}`);
    return { ...base, unusable: err.message };
  }
  const lifetimeSeconds = 2 * CAPACITY_TIMEOUT_SECONDS + settings.seconds + settings.recoverySeconds + settings.afterSeconds + 60;
  let peers;
  try {
    peers = await flood.open(groups, { sipp: settings.sipp, root, port, dir, usersCsv, domain: DOMAIN, lifetimeSeconds });
  } catch (err) {
    await running.stop();
    log(`${name}: not measured: ${err.message}`);
    return { ...base, unusable: err.message };
  }
  let sampler;
  try {
    const read = () => TARGETS[target].memory(running.pid);
    const idle = read();
    // A fresh node's first round runs code V8 has not compiled yet, at half its rate or less.
    await peers.round({ name: 'warm-up', ...flood.capacity, timeoutSeconds: CAPACITY_TIMEOUT_SECONDS });
    const capacity = await peers.round({ name: 'capacity', ...flood.capacity, timeoutSeconds: CAPACITY_TIMEOUT_SECONDS });
    abort.throwIfAborted();
    if (capacity.completed === 0) return { ...base, unusable: 'no call of the capacity round completed', capacity };
    const offeredRate = rate ?? Math.round(capacity.completedRate * settings.factor);
    log(`${name}: capacity ${capacity.completedRate.toFixed(0)} ${flood.unit}/s; flooding at ${offeredRate}/s for ${settings.seconds} s`);

    sampler = sampleMemory(read, SAMPLE_MS);
    const flooded = await peers.round({
      name: 'flood',
      calls: offeredRate * settings.seconds,
      limit: settings.limit,
      rate: offeredRate,
      durationSeconds: settings.seconds,
      timeoutSeconds: settings.seconds + 5,
    });
    const floodEndMs = sampler.elapsedMs();
    // The machine is shared: what else ran during the flood skews its rates.
    const loadAtFloodEnd = loadavg()[0];
    abort.throwIfAborted();
    log(
      `${name}: sipp started ${flooded.startedRate.toFixed(0)}/s, ${flooded.completed} completed, ` +
        `${flooded.byStatus['503'] ?? 0} 503, ${flooded.retransmissions} retransmissions, ${flooded.gaveUp} given up`,
    );
    const recovery = await probeUntilRecovered(peers, sampler, floodEndMs, abort);
    log(`${name}: ${recovery.recoveredMs === null ? `not recovered within ${settings.recoverySeconds} s` : `recovered ${(recovery.recoveredMs / 1000).toFixed(1)} s after the flood`}`);
    const afterMs = floodEndMs + settings.afterSeconds * 1000;
    if (sampler.elapsedMs() < afterMs) await sleep(afterMs - sampler.elapsedMs());
    const samples = sampler.stop();
    // The node's peak resident set since it started, between samples too.
    const hwmKb = target === 'kamailio' ? null : peakRssKb(running.pid);
    return { ...base, capacity: withoutCounts(capacity), offeredRate, floodRound: flooded, floodEndMs, loadAtFloodEnd, recovery, idle, hwmKb, samples };
  } finally {
    // A round that failed leaves the sampler running, which would keep the bench from ending.
    sampler?.stop();
    await peers.close();
    await running.stop();
  }
}

/**
 * Probe rounds one after the other from the flood's end, until one completes every call or
 * BENCH_OVERLOAD_RECOVERY seconds have passed; recoveredMs is when that probe ended, after the flood.
 */
async function probeUntilRecovered(peers, sampler, floodEndMs, abort) {
  const { probeCalls: calls, probeRate: rate } = settings;
  const probes = [];
  while (sampler.elapsedMs() - floodEndMs < settings.recoverySeconds * 1000) {
    const startMs = sampler.elapsedMs() - floodEndMs;
    const durationSeconds = calls / rate + PROBE_GRACE_SECONDS;
    const probe = await peers.round({ name: `probe-${probes.length + 1}`, calls, limit: calls, rate, durationSeconds, timeoutSeconds: durationSeconds });
    abort.throwIfAborted();
    const endMs = sampler.elapsedMs() - floodEndMs;
    probes.push({ startMs, endMs, completed: probe.completed, byStatus: probe.byStatus, retransmissions: probe.retransmissions });
    if (probe.completed === calls) return { recoveredMs: endMs, probes };
  }
  return { recoveredMs: null, probes };
}

function withoutCounts({ counts: _counts, ...round }) {
  return round;
}

function settingsOrExit(env) {
  try {
    return readSettings(env);
  } catch (err) {
    console.error(`overload bench: ${err.message}`);
    process.exit(2);
  }
}

function readSettings(env) {
  const int = (name, fallback, min) => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}`);
    return value;
  };
  const list = (name, fallback, known) => {
    const items = (env[name] || fallback.join(',')).split(',').map((t) => t.trim());
    for (const item of items) if (!known.includes(item)) throw new Error(`${name}: unknown '${item}' (known: ${known.join(', ')})`);
    return items;
  };
  const base = int('BENCH_OVERLOAD_PORT_BASE', 15090, 1024);
  const afterSeconds = int('BENCH_OVERLOAD_AFTER', 15, 1);
  const settledSeconds = int('BENCH_OVERLOAD_SETTLED', 10, 0);
  if (settledSeconds > afterSeconds) throw new Error('BENCH_OVERLOAD_SETTLED must not exceed BENCH_OVERLOAD_AFTER');
  return {
    targets: list('BENCH_OVERLOAD_TARGETS', Object.keys(TARGETS), Object.keys(TARGETS)),
    floods: list('BENCH_OVERLOAD_FLOODS', Object.keys(FLOODS), Object.keys(FLOODS)),
    seconds: int('BENCH_OVERLOAD_SECONDS', 30, 1),
    factor: int('BENCH_OVERLOAD_FACTOR', 10, 1),
    limit: int('BENCH_OVERLOAD_LIMIT', 5000, 1),
    afterSeconds,
    settledSeconds,
    recoverySeconds: int('BENCH_OVERLOAD_RECOVERY', 30, 1),
    probeCalls: int('BENCH_OVERLOAD_PROBE_CALLS', 20, 1),
    probeRate: int('BENCH_OVERLOAD_PROBE_RATE', 10, 1),
    users: int('BENCH_OVERLOAD_USERS', 500, 2),
    sampleMs: SAMPLE_MS,
    ports: { 'node-flags': base, node: base + 1, kamailio: base + 2 },
    sipp: env.SIPP || 'sipp',
    kamailio: env.KAMAILIO || 'kamailio',
    cpuProfileDir: env.BENCH_OVERLOAD_CPU_PROF || undefined,
  };
}
