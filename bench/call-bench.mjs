// The call bench: calls per second through a stateful proxy over UDP, measured with a sipp caller
// (test/sipp/call-caller.xml: INVITE, 407, ACK, INVITE with credentials, 100/180/200, ACK, BYE along
// the recorded route) and a sipp callee (test/sipp/call-callee.xml) registered at the proxy, against
// (a) this node, as Node starts it and with the init script's V8 flags (a router's case), and
// (b) Kamailio as a stateful proxy (bench/kamailio/proxy.cfg), in alternating rounds within one run;
// for the node also the bytes V8 allocated per call (bench/lib/gc-allocation.mjs). A target whose first call fails (the node before it routes calls) is
// reported as not measured, with sipp's reason, and the others are measured all the same.
// Writes the "Call bench" section of bench/RESULTS.md and bench/out/call.json. Started by
// bench/run.sh (`npm run bench`) after the register bench, or on its own:
//   node bench/call-bench.mjs [--targets=kamailio]
//
// Settings (environment): BENCH_CALL_TARGETS (node,node-flags,kamailio; --targets overrides it),
// BENCH_CALL_ROUNDS (5), BENCH_CALL_ROUND_SECONDS (5: each target's rounds are sized from its
// warm-up rate to last about this long), BENCH_CALL_MAX (30000: the most calls in one round),
// BENCH_CALL_LIMIT (100 calls outstanding), BENCH_CALL_WARMUP (2000 calls), BENCH_CALL_HOLD_MS (0:
// pause between ACK and BYE), BENCH_CALL_PORT_BASE (15080: node, +1 Kamailio, +2 node-flags), BENCH_TIMEOUT (60 s
// per round), SIPP and KAMAILIO (paths of the binaries).
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerCallee, startCallee, callerArgs, sippFailure } from './lib/call-peers.mjs';
import { summariseCalls, writeCallResults } from './lib/call-results.mjs';
import { describeMachine } from './lib/machine.mjs';
import { assertUdpPortFree } from './lib/ports.mjs';
import { startHarness } from './lib/harness.mjs';
import { groupCpuSeconds, groupPssKb, machineBusySeconds, peakRssKb } from './lib/proc-stats.mjs';
import { freeUdpPort } from './lib/sip-probe.mjs';
import { runSippLoad } from './lib/sipp-round.mjs';
import { KAMAILIO_PROXY, startKamailio } from './lib/targets/kamailio.mjs';
import { startNode } from './lib/targets/node.mjs';
import { initScriptFlags } from './lib/init-flags.mjs';
import { benchUsers, writeUsersCsv } from './lib/users.mjs';

const ALL_TARGETS = ['node', 'node-flags', 'kamailio'];
const DOMAIN = 'bench.mesh';
const initFlags = initScriptFlags(join(dirname(fileURLToPath(import.meta.url)), '../files/etc/init.d/trucada'));
const STARTERS = {
  node: (groups, options) => startNode(groups, { ...options, traceGc: true, name: 'node' }),
  'node-flags': (groups, options) => startNode(groups, { ...options, traceGc: true, name: 'node-flags', v8Flags: initFlags }),
  kamailio: (groups, options) => startKamailio(groups, { ...options, ...KAMAILIO_PROXY }),
};
const MIN_CALLS = 1000;
const PROBE_TIMEOUT_SECONDS = 10;
/** How long a round's callee may take to see its last BYE after the caller is done. */
const CALLEE_GRACE_MS = 3000;
const MEMORY_SAMPLE_MS = 250;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const settings = settingsOrExit(process.env, process.argv.slice(2));
const outDir = join(root, 'bench/out');
const workDir = join(outDir, 'call');
const log = (line) => console.log(line);

const { groups, tmpRoot, run: runBench } = startHarness({ outDir, workDir, name: 'call', label: 'call', log });
await runBench(main);

async function main(abort) {
  const users = benchUsers(2);
  const [caller, callee] = users;
  const usersCsv = join(workDir, 'users.csv');
  writeUsersCsv(usersCsv, users);
  const machine = describeMachine(settings);
  log(`call bench: ${settings.targets.join(', ')}; ${settings.rounds} rounds of about ${settings.roundSeconds} s, ${settings.limit} calls outstanding`);

  const running = {};
  try {
    return await measure(running, { users, usersCsv, caller, callee }, machine, abort);
  } finally {
    for (const target of Object.keys(running)) await running[target].stop();
  }
}

async function measure(running, peers, machine, abort) {
  /** @type {Record<string, string>} */
  const unusable = {};
  const calleePorts = {};
  for (const target of settings.targets) {
    try {
      calleePorts[target] = await prepare(target, running, peers);
    } catch (err) {
      unusable[target] = err.message;
      log(`${target}: not measured: ${err.message}`);
      if (running[target]) await running[target].stop();
      delete running[target];
    }
    abort.throwIfAborted();
  }
  const measured = settings.targets.filter((t) => !unusable[t]);

  const peakPss = Object.fromEntries(measured.map((t) => [t, null]));
  const round = async (target, name, calls) => {
    const { pid } = running[target];
    const sampler = setInterval(() => {
      const pss = groupPssKb(pid);
      if (pss !== null && (peakPss[target] === null || pss > peakPss[target])) peakPss[target] = pss;
    }, MEMORY_SAMPLE_MS);
    try {
      return await callRound(target, name, calls, calleePorts[target], peers);
    } finally {
      clearInterval(sampler);
    }
  };

  // Rounds of equal length rather than equal count: a slow target then stays well inside sipp's
  // timeout, and a fast one is still measured over seconds.
  const callsPerRound = {};
  for (const target of measured) {
    const warm = await round(target, `${target}-warmup`, settings.warmup);
    callsPerRound[target] = Math.min(settings.maxCalls, Math.max(MIN_CALLS, Math.round(warm.rate * settings.roundSeconds)));
    log(`warm-up ${target}: ${warm.rate.toFixed(0)} calls/s, ${warm.failed} failed; rounds of ${callsPerRound[target]}`);
  }

  const rounds = [];
  for (let r = 1; r <= settings.rounds; r += 1) {
    for (const target of measured.filter((t) => !unusable[t])) {
      const { pid, allocation } = running[target];
      const cpuBefore = groupCpuSeconds(pid);
      const machineBefore = machineBusySeconds();
      allocation?.mark();
      const result = await round(target, `${target}-${r}`, callsPerRound[target]);
      const allocatedPerCall = allocation && result.calls > 0 ? allocation.allocatedSinceMark() / result.calls : null;
      const cpuCores = (groupCpuSeconds(pid) - cpuBefore) / result.seconds;
      // The whole machine: the target and the two sipp peers share its cores.
      const machineCores = (machineBusySeconds() - machineBefore) / result.seconds;
      // A round cut short by SIGINT/SIGTERM measures nothing.
      abort.throwIfAborted();
      rounds.push({ target, round: r, ...result, cpuCores, machineCores, allocatedPerCall });
      log(
        `round ${r} ${target.padEnd(10)} ${result.rate.toFixed(0).padStart(6)} calls/s  failed ${result.failed}  ` +
          `retrans ${result.retransmissions}  cpu ${cpuCores.toFixed(2)}  machine ${machineCores.toFixed(2)}  mean ${result.meanCallMs.toFixed(2)} ms` +
          (allocatedPerCall === null ? '' : `  ${(allocatedPerCall / 1024).toFixed(1)} KB allocated each`),
      );
      // A target that stopped completing calls would spend every further round waiting for sipp's
      // timeout; its rounds so far are reported, with the reason.
      if (result.successful === 0) {
        const reason = sippFailure(join(workDir, `${target}-${r}.errors.log`)) ?? `sipp exit code ${result.exitCode}`;
        unusable[target] = `no call completed in round ${r}: ${reason}`;
        log(`${target}: ${unusable[target]}; no further rounds`);
      }
    }
  }

  // The node is one process: its own peak resident set is exact. Kamailio's processes share memory,
  // which only the summed PSS describes.
  const peakRss = Object.fromEntries(['node', 'node-flags'].filter((t) => running[t]).map((t) => [t, peakRssKb(running[t].pid)]));
  const summary = summariseCalls(rounds, settings.targets, { unusable, peakPssKb: peakPss, peakRssKb: peakRss });
  writeCallResults({
    mdPath: join(root, 'bench/RESULTS.md'),
    jsonPath: join(outDir, 'call.json'),
    machine: { ...machine, loadAverageAfter: loadavg()[0] },
    settings: { ...settings, ports: undefined, sipp: undefined, kamailio: undefined },
    summary,
    rounds,
  });
  for (const [target, t] of Object.entries(summary.targets)) {
    if (t.unusable) log(`${target.padEnd(8)} not measured: ${t.unusable}`);
    else log(`${target.padEnd(8)} median ${t.medianRate.toFixed(0)} calls/s, failed ${t.failed}, peak PSS ${t.peakPssKb ? `${(t.peakPssKb / 1024).toFixed(1)} MB` : 'n/a'}`);
  }
  if (summary.ratios.nodeOverKamailio !== null) log(`node/kamailio ${summary.ratios.nodeOverKamailio.toFixed(2)}`);
  log('wrote the call section of bench/RESULTS.md and bench/out/call.json');
}

/**
 * Starts `target`, registers the callee there and places one call through it. Returns the callee's
 * port; throws, with the reason, when any step fails.
 */
async function prepare(target, running, { users, usersCsv, caller, callee }) {
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
  const calleePort = await freeUdpPort();
  await registerCallee(groups, {
    sipp: settings.sipp,
    root,
    port,
    localPort: calleePort,
    user: callee,
    domain: DOMAIN,
    dir: workDir,
    name: `${target}-register`,
  });
  const probe = await callRound(target, `${target}-probe`, 1, calleePort, { caller, callee }, PROBE_TIMEOUT_SECONDS);
  if (probe.failed > 0) {
    const reason = sippFailure(join(workDir, `${target}-probe.errors.log`)) ?? `no call completed (sipp exit code ${probe.exitCode})`;
    throw new Error(`the first call failed: ${reason}`);
  }
  return calleePort;
}

/** One round: a callee for exactly `calls` calls, and the caller placing them through `target`. */
async function callRound(target, name, calls, calleePort, { caller, callee }, timeoutSeconds = settings.timeoutSeconds) {
  const answering = await startCallee(groups, {
    sipp: settings.sipp,
    root,
    localPort: calleePort,
    user: callee,
    calls,
    timeoutSeconds: timeoutSeconds + 5,
    dir: workDir,
    name: `${name}-callee`,
  });
  let result;
  try {
    result = await runSippLoad(groups, {
      sipp: settings.sipp,
      args: callerArgs({ root, caller, callee, domain: DOMAIN, holdMs: settings.holdMs }),
      port: settings.ports[target],
      calls,
      limit: Math.min(settings.limit, calls),
      timeoutSeconds,
      dir: workDir,
      name,
    });
  } finally {
    // The callee ends by itself after its last call; one whose calls never all came is stopped.
    const grace = new Promise((resolve) => setTimeout(resolve, CALLEE_GRACE_MS).unref());
    if ((await Promise.race([answering.exited.then(() => 'ended'), grace])) !== 'ended') await answering.stop();
  }
  const answered = calleeStats(answering);
  // A call counts only if both ends completed it: the caller can take a late 200 of the INVITE for
  // the BYE's while the callee, whose ACK never came, gave the call up.
  const completed = answered ? Math.min(result.successful, answered.successful) : result.successful;
  return {
    ...result,
    failed: calls - completed,
    callerFailed: result.failed,
    calleeFailed: answered ? calls - answered.successful : null,
    callerRetransmissions: result.retransmissions,
    calleeRetransmissions: answered?.retransmissions ?? null,
    retransmissions: result.retransmissions + (answered?.retransmissions ?? 0),
  };
}

/** The callee's final counts, or null when it wrote none (stopped before its first statistics line). */
function calleeStats(answering) {
  try {
    return answering.stats();
  } catch {
    return null;
  }
}

function settingsOrExit(env, argv) {
  try {
    return readSettings(env, argv);
  } catch (err) {
    console.error(`call bench: ${err.message}`);
    process.exit(2);
  }
}

function readSettings(env, argv) {
  const int = (name, fallback, min) => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}`);
    return value;
  };
  let targetList = env.BENCH_CALL_TARGETS || ALL_TARGETS.join(',');
  for (const arg of argv) {
    const m = /^--targets=(.*)$/.exec(arg);
    if (!m) throw new Error(`unknown argument '${arg}' (usage: node bench/call-bench.mjs [--targets=node,kamailio])`);
    targetList = m[1];
  }
  const targets = targetList.split(',').map((t) => t.trim());
  for (const t of targets) if (!ALL_TARGETS.includes(t)) throw new Error(`unknown target '${t}' (known: ${ALL_TARGETS.join(', ')})`);
  const base = int('BENCH_CALL_PORT_BASE', 15080, 1024);
  return {
    targets,
    rounds: int('BENCH_CALL_ROUNDS', 5, 1),
    roundSeconds: int('BENCH_CALL_ROUND_SECONDS', 5, 1),
    maxCalls: int('BENCH_CALL_MAX', 30000, MIN_CALLS),
    limit: int('BENCH_CALL_LIMIT', 100, 1),
    warmup: int('BENCH_CALL_WARMUP', 2000, 1),
    holdMs: int('BENCH_CALL_HOLD_MS', 0, 0),
    timeoutSeconds: int('BENCH_TIMEOUT', 60, 1),
    ports: { node: base, kamailio: base + 1, 'node-flags': base + 2 },
    kamailioSharedMb: KAMAILIO_PROXY.sharedMb,
    sipp: env.SIPP || 'sipp',
    kamailio: env.KAMAILIO || 'kamailio',
  };
}
