// The call bench's summary (median calls per second per target, the ratio node / Kamailio, failed
// calls, retransmissions, memory) and its section of bench/RESULTS.md; the raw rounds go to
// bench/out/call.json.
import { writeFileSync } from 'node:fs';
import { writeSection } from './results.mjs';
import { fmt, median, perRoundRatio, roundStats } from './stats.mjs';

export const CALL_HEADING = '# Call bench';
/** Below this many cores a single-threaded target was waiting, not working flat out. */
const SATURATED_CPU = 0.8;

export const CALL_TARGET_LABELS = {
  node: 'trucada (this node)',
  'node-flags': 'trucada, V8 flags of the init script',
  kamailio: 'Kamailio, stateful proxy, one UDP worker',
};

/**
 * @param {{ target: string, round: number, rate: number, calls: number, failed: number, cpuCores: number,
 *           meanCallMs: number, retransmissions: number }[]} rounds
 * @param {string[]} targets every target asked for, measured or not
 * @param {{ unusable: Record<string, string>, peakPssKb: Record<string, number | null>,
 *           peakRssKb: Record<string, number | null> }} extra
 */
export function summariseCalls(rounds, targets, { unusable, peakPssKb, peakRssKb }) {
  const perTarget = {};
  for (const target of targets) {
    const mine = rounds.filter((r) => r.target === target);
    perTarget[target] = {
      label: CALL_TARGET_LABELS[target],
      // Why the target ran no round (it did not start, or its first call failed) or no further one
      // (a round in which no call completed).
      unusable: unusable[target] ?? null,
      ...roundStats(mine),
      medianMachineCores: median(mine.map((r) => r.machineCores)),
      peakPssKb: peakPssKb[target] ?? null,
      peakRssKb: peakRssKb[target] ?? null,
    };
  }
  const node = perTarget.node;
  const kamailio = perTarget.kamailio;
  const both = node?.rounds && kamailio?.rounds;
  const nodeOverKamailio = both && kamailio.medianRate > 0 ? node.medianRate / kamailio.medianRate : null;
  return {
    targets: perTarget,
    ratios: {
      nodeOverKamailio,
      nodeOverKamailioPerRound: perRoundRatio(rounds, 'node', 'kamailio'),
      nodeOverKamailioPerCpuSecond:
        both && node.medianPerCpuSecond !== null && kamailio.medianPerCpuSecond ? node.medianPerCpuSecond / kamailio.medianPerCpuSecond : null,
      nodeFlagsOverKamailioPerCpuSecond: perCpuRatio(perTarget['node-flags'], kamailio),
    },
    goals: node?.rounds
      ? { noFailedCall: node.failed === 0, kamailioRate: nodeOverKamailio !== null && nodeOverKamailio >= 1 }
      : null,
  };
}

function perCpuRatio(a, b) {
  return a?.rounds && b?.rounds && a.medianPerCpuSecond !== null && b.medianPerCpuSecond ? a.medianPerCpuSecond / b.medianPerCpuSecond : null;
}

export function writeCallResults({ mdPath, jsonPath, machine, settings, summary, rounds }) {
  writeFileSync(jsonPath, `${JSON.stringify({ machine, settings, summary, rounds }, null, 2)}\n`);
  writeSection(mdPath, renderSection({ machine, settings, summary }));
}

function renderSection({ machine, settings, summary }) {
  const { targets, ratios, goals } = summary;
  const mb = (kb) => (kb ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');
  const rows = Object.values(targets).map((t) =>
    t.rounds === 0
      ? `| ${t.label} | not measured: ${(t.unusable ?? 'no round ran').replaceAll('|', '\\|')} | | | | | | | | | |`
      : `| ${t.label} | ${fmt(t.medianRate, 0)} | ${t.rates.map((r) => fmt(r, 0)).join(', ')} | ${t.failed} of ${t.calls} | ${t.retransmissions} | ` +
        `${fmt(t.medianCpuCores, 2)} | ${fmt(t.medianMachineCores, 2)} | ${fmt(t.medianPerCpuSecond, 0)} | ${fmt(t.medianCallMs, 1)} | ${mb(t.peakPssKb)} | ` +
        `${t.medianAllocated === null ? '' : fmt(t.medianAllocated / 1024, 1)} |`,
  );
  const node = targets.node;
  const met = (ok) => (ok ? 'met' : 'not met');
  return [
    CALL_HEADING,
    '',
    'Calls per second through a stateful proxy over UDP on 127.0.0.1: a sipp caller runs',
    '`test/sipp/call-caller.xml` (INVITE, 407, ACK, INVITE with Proxy-Authorization, 100, 180, 200, then',
    'ACK and BYE along the recorded route, 200) to a sipp callee, `test/sipp/call-callee.xml`, registered at',
    'the proxy. Written by `npm run bench` (bench/call-bench.mjs); the raw rounds are in `bench/out/call.json`.',
    '',
    '| target | calls/s (median) | each round | failed | sipp retransmissions | target CPU (cores, median) | machine CPU (cores, median) | calls per CPU-second (median) | mean call (ms) | peak memory (PSS) | KB allocated per call (median) |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `- node / Kamailio: ${fmt(ratios.nodeOverKamailio, 2)}${goals ? ` (moonshot ≥ 1: ${met(goals.kamailioRate)})` : ''}` +
      `; median of the per-round ratios: ${fmt(ratios.nodeOverKamailioPerRound, 2)}; per CPU-second: ${fmt(ratios.nodeOverKamailioPerCpuSecond, 2)}` +
      `, with the init script's flags ${fmt(ratios.nodeFlagsOverKamailioPerCpuSecond, 2)} (goal ≥ 0.8)`,
    node?.rounds
      ? `- failed calls of the node: ${node.failed} (goal 0: ${met(goals.noFailedCall)}); its peak RSS (VmHWM): ${mb(node.peakRssKb)}`
      : `- the node was not measured in this run${node?.unusable ? `: ${node.unusable}` : ` (targets: ${Object.keys(targets).join(', ')})`}`,
    ...Object.entries(targets)
      .filter(([, t]) => t.rounds > 0 && t.unusable)
      .map(([name, t]) => `- ${name} was given up: ${t.unusable}`),
    ...unsaturatedNote(targets),
    '',
    '## Machine',
    '',
    `- date: ${machine.date}`,
    `- CPU: ${machine.cpu}, nproc ${machine.nproc}; Linux ${machine.kernel}; load average (1 min) ${fmt(machine.loadAverage, 2)} before the run, ${fmt(machine.loadAverageAfter, 2)} after`,
    `- Node ${machine.node}; Kamailio ${machine.kamailio}; ${machine.sipp}`,
    '',
    '## Method',
    '',
    `- One caller (u0000) calls one callee (u0001); the callee registers once per target (test/sipp/register.xml)`,
    '  from the UDP port it then answers on. Before the rounds, one call per target must succeed, or the target',
    '  is reported as not measured with the reason (a target that does not route calls yet fails there).',
    `- ${settings.rounds} rounds per target, alternating (${settings.targets.join(', ')}, …), with at most ${settings.limit} calls outstanding`,
    `  and an offered rate far above capacity; calls are held ${settings.holdMs} ms between ACK and BYE. One unmeasured`,
    `  warm-up of ${settings.warmup} calls per target sizes its rounds to last about ${settings.roundSeconds} s (at most ${settings.maxCalls} calls).`,
    '  Each round starts a fresh callee sipp for exactly that many calls; the proxy keeps running.',
    "- Rate: the caller's successful calls over its elapsed time (sipp's final statistics line). Failed: calls",
    '  that the caller or the callee did not complete, including those unfinished at the timeout.',
    '  Retransmissions: requests and 200s that the caller and the callee sent again after 500 ms without an',
    "  answer or ACK. Mean call: INVITE to the BYE's 200 at the caller, the 407 round included.",
    "- Target CPU: user + system time of the target's processes over the round; machine CPU: the same for",
    `  everything on the machine (${machine.nproc} cores). The caller and the callee are two more busy processes, so`,
    '  when the machine is near all its cores the rates are bounded by the cores left to the target;',
    '  calls per CPU-second is the cost of one call and depends much less on that.',
    "- Peak memory: the proportional set size of the target's processes summed (shared pages counted once),",
    `  sampled every 250 ms over the warm-up and rounds; Kamailio reserves ${settings.kamailioSharedMb} MB of shared memory (tm keeps`,
    '  each finished transaction for 5 s) and only the pages it touched count. For the node, one process,',
    '  its VmHWM is given as well.',
    '- Kamailio: `bench/kamailio/proxy.cfg` (tm, rr, registrar and usrloc in memory, auth with the password',
    '  derived from the user name, 407 with qop=auth, Record-Route, loose routing, one UDP worker with a',
    '  receive buffer of up to 1 MiB like the node\'s).',
    '',
  ];
}

/** Targets that never worked flat out: their rate measures something else as well. */
function unsaturatedNote(targets) {
  const idle = Object.entries(targets).filter(([, t]) => t.medianCpuCores !== null && t.medianCpuCores < SATURATED_CPU);
  if (idle.length === 0) return [];
  return [
    `- not saturated (median CPU below ${SATURATED_CPU}): ${idle.map(([name, t]) => `${name} ${fmt(t.medianCpuCores, 2)}`).join(', ')}.`,
    '  Their rates are bounded by the sipp peers, by dropped datagrams (retransmissions) or by other load on',
    '  the machine; calls per CPU-second compares them better.',
  ];
}
