// The overload bench's summary (per flood and target: capacity, the flood offered and got through,
// memory at rest, at its peak and settled, the answers sipp saw, the time to recover; the goal on the
// node's peak with the router's flags; the node's memory over Kamailio's) and its section of
// bench/RESULTS.md; the raw runs, with every memory sample, go to bench/out/overload.json.
import { writeFileSync } from 'node:fs';
import { CALL_HEADING } from './call-results.mjs';
import { peakOf, valueAt } from './memory-sampler.mjs';
import { FLOODS } from './overload-floods.mjs';
import { writeSection } from './results.mjs';
import { fmt } from './stats.mjs';

export const OVERLOAD_HEADING = '# Overload bench';
/** Issue 12: a router has 128–512 MB; under the flood, with the init script's flags, under this. */
export const GOAL_PEAK_MB = 100;
/** "serves normally again within seconds": taken here as this many. */
export const GOAL_RECOVERY_SECONDS = 10;

/** `elapsedSeconds`: how long the whole bench ran. */
export function summariseOverload(runs, settings, elapsedSeconds) {
  const rows = runs.map((run) => (run.unusable ? run : summariseRun(run, settings)));
  const floods = {};
  for (const flood of settings.floods) {
    const mine = rows.filter((r) => r.flood === flood && !r.unusable);
    const of = (target) => mine.find((r) => r.target === target);
    const kamailioPss = of('kamailio')?.peak.pssKb ?? null;
    const overKamailio = (target) => (of(target) && kamailioPss ? of(target).peak.pssKb / kamailioPss : null);
    const kamailioGoodput = of('kamailio')?.completedRate || null;
    const goodputOverKamailio = (target) => (of(target) && kamailioGoodput ? of(target).completedRate / kamailioGoodput : null);
    const routerNode = of('node-flags');
    floods[flood] = {
      // Peak PSS over Kamailio's: PSS counts each page once over Kamailio's processes, and is what
      // the node's single process holds of its own (its RSS less a share of the libraries).
      nodeFlagsOverKamailio: overKamailio('node-flags'),
      nodeOverKamailio: overKamailio('node'),
      // Goodput: what completes while the flood lasts, over what Kamailio completes under the same one.
      nodeFlagsGoodputOverKamailio: goodputOverKamailio('node-flags'),
      nodeGoodputOverKamailio: goodputOverKamailio('node'),
      goals: routerNode
        ? {
            peakUnderLimit: routerNode.peakMaxKb !== null && routerNode.peakMaxKb < GOAL_PEAK_MB * 1024,
            recovered: routerNode.recoveredMs !== null && routerNode.recoveredMs <= GOAL_RECOVERY_SECONDS * 1000,
          }
        : null,
    };
  }
  return { rows, floods, elapsedSeconds };
}

function summariseRun(run, settings) {
  const { samples, floodEndMs, floodRound: flood } = run;
  const figure = run.target === 'kamailio' ? 'pssKb' : 'rssKb';
  const peakSampled = peakOf(samples, figure);
  return {
    flood: run.flood,
    target: run.target,
    label: run.label,
    figure,
    capacityRate: run.capacity.completedRate,
    offeredRate: run.offeredRate,
    startedRate: flood.startedRate,
    completedRate: flood.completedRate,
    idleKb: run.idle[figure],
    beforeFloodKb: samples[0][figure],
    peakSampled,
    // The node's VmHWM also sees a peak between two samples, or one in the capacity round.
    peakMaxKb: Math.max(peakSampled?.kb ?? 0, run.hwmKb ?? 0) || null,
    hwmKb: run.hwmKb,
    peak: { pssKb: peakOf(samples, 'pssKb')?.kb ?? null },
    settledKb: valueAt(samples, figure, floodEndMs + settings.settledSeconds * 1000),
    endKb: samples[samples.length - 1][figure],
    floodEndMs,
    answers: {
      started: flood.started,
      completed: flood.completed,
      byStatus: flood.byStatus,
      unexpected: flood.unexpected,
      without503RetryAfter: flood.without503RetryAfter,
      retransmissions: flood.retransmissions,
      gaveUp: flood.gaveUp,
      unfinished: flood.unfinished,
      deadCallMessages: flood.deadCallMessages,
    },
    recoveredMs: run.recovery.recoveredMs,
    probes: run.recovery.probes.length,
    loadAtFloodEnd: run.loadAtFloodEnd,
  };
}

export function writeOverloadResults({ mdPath, jsonPath, machine, settings, summary, runs }) {
  writeFileSync(jsonPath, `${JSON.stringify({ machine, settings, summary, runs }, null, 2)}\n`);
  writeSection(mdPath, render({ machine, settings, summary }), { after: CALL_HEADING });
}

const mb = (kb) => (kb === null || kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
const seconds = (ms) => (ms === null ? 'n/a' : (ms / 1000).toFixed(1));
const met = (ok) => (ok ? 'met' : 'not met');

function memoryRow(r) {
  if (r.unusable) return `| ${FLOODS[r.flood].label} | ${r.label} | not measured: ${r.unusable.replaceAll('|', '\\|')} | | | | | | | |`;
  const peak = r.peakSampled ? `${mb(r.peakSampled.kb)} (${seconds(r.peakSampled.ms)} s)` : 'n/a';
  return (
    `| ${FLOODS[r.flood].label} | ${r.label} | ${fmt(r.capacityRate, 0)} | ${r.offeredRate} / ${fmt(r.startedRate, 0)} | ${fmt(r.completedRate, 0)} | ` +
    `${mb(r.idleKb)} | ${peak} | ${r.hwmKb === null ? '' : mb(r.hwmKb)} | ${mb(r.settledKb)} | ${r.recoveredMs === null ? 'no' : `${seconds(r.recoveredMs)} s`} (${r.probes === 1 ? 'first probe' : `${r.probes} probes`}) |`
  );
}

function answersRow(r) {
  if (r.unusable) return `| ${FLOODS[r.flood].label} | ${r.label} | not measured | | | | | | | | | |`;
  const a = r.answers;
  const status = (...codes) => codes.reduce((n, c) => n + (a.byStatus[c] ?? 0), 0);
  return (
    `| ${FLOODS[r.flood].label} | ${r.label} | ${a.started} | ${a.completed} | ${status('200')} | ${status('401', '407')} | ` +
    `${status('503')}${a.without503RetryAfter ? ` (${a.without503RetryAfter} without)` : ''} | ${a.unexpected} | ${a.retransmissions} | ${a.gaveUp} | ${a.unfinished} | ${fmt(r.loadAtFloodEnd, 2)} |`
  );
}

function render({ machine, settings, summary }) {
  const goalLines = settings.floods.map((flood) => {
    const f = summary.floods[flood];
    const node = summary.rows.find((r) => r.flood === flood && r.target === 'node-flags' && !r.unusable);
    if (!node) return `- ${FLOODS[flood].label}: the node with the init script's flags was not measured`;
    const ratio = (x) => fmt(x, 2);
    return (
      `- ${FLOODS[flood].label} flood, node with the init script's flags: peak RSS ${mb(node.peakMaxKb)} (goal under ${GOAL_PEAK_MB} MB: ${met(f.goals.peakUnderLimit)}), ` +
      `settled ${mb(node.settledKb)}; served every probe call again ${node.recoveredMs === null ? 'not' : `${seconds(node.recoveredMs)} s`} after the flood ` +
      `(goal within ${GOAL_RECOVERY_SECONDS} s: ${met(f.goals.recovered)}). Peak PSS over Kamailio's: with the flags ${ratio(f.nodeFlagsOverKamailio)}, without ${ratio(f.nodeOverKamailio)}. ` +
      `Completed under the flood (goodput): ${fmt(node.completedRate, 0)}/s, ${ratio(node.completedRate / node.capacityRate)} of its capacity; ` +
      `over Kamailio's: with the flags ${ratio(f.nodeFlagsGoodputOverKamailio)}, without ${ratio(f.nodeGoodputOverKamailio)}.`
    );
  });
  return [
    OVERLOAD_HEADING,
    '',
    'Memory under a flood of about ten times the node\'s capacity over UDP on 127.0.0.1, with the V8 flags of',
    '`files/etc/init.d/trucada` and without, and Kamailio under the same flood as the reference. Written by',
    '`npm run bench` (bench/overload-bench.mjs); raw runs, with every memory sample, in `bench/out/overload.json`.',
    '',
    `Floods of ${settings.seconds} s${settings.seconds < 60 ? `, not the issue's minute, to keep \`npm run bench\` bounded: \`BENCH_OVERLOAD_SECONDS=60\` measures that and adds ${((summary.rows.length * (60 - settings.seconds)) / 60).toFixed(1)} min` : ''}; ` +
      `this run took ${(summary.elapsedSeconds / 60).toFixed(1)} min. ` +
      'Memory is the resident set (VmRSS) of the node\'s one process and the PSS of Kamailio\'s processes together.',
    '',
    '| flood | target | capacity (/s) | offered / sipp started (/s) | completed under the flood (/s) | at rest | peak sampled (s into the flood) | peak (VmHWM) | settled | recovered after |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...summary.rows.map(memoryRow),
    '',
    'What sipp saw during the flood (counted per scenario step, `-trace_counts`):',
    '',
    '| flood | target | calls started | completed | 200 | 401 / 407 | 503 | other answers | sipp retransmissions | given up unanswered | unanswered when stopped | load average (1 min) at the end |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...summary.rows.map(answersRow),
    '',
    ...goalLines,
    '',
    '## Machine',
    '',
    `- date: ${machine.date}`,
    `- CPU: ${machine.cpu}, nproc ${machine.nproc}; Linux ${machine.kernel}; load average (1 min) ${fmt(machine.loadAverage, 2)} before the run, ${fmt(machine.loadAverageAfter, 2)} after`,
    `- Node ${machine.node}; Kamailio ${machine.kamailio}; ${machine.sipp}`,
    '',
    '## Method',
    '',
    `- Floods: authenticated REGISTERs of ${settings.users} users (\`bench/sipp/register-auth-shed.xml\`: the register bench's`,
    '  scenario) and calls from u0000 to a sipp callee registered as u0001 (`bench/sipp/call-caller-shed.xml`: the call',
    '  bench\'s caller; Kamailio as a stateful proxy, `bench/kamailio/proxy.cfg`). Both scenarios take a 503 at every',
    '  transaction (acknowledged for an INVITE) and check its Retry-After, so that sipp\'s per-step counts tell shed',
    '  requests from answered ones; a flood does not back off.',
    '- Each target starts fresh for each flood. Capacity: an unpaced round (register: 3000, at most 200',
    '  outstanding; calls: 1000, 100 outstanding) after an unmeasured one of the same size, completed calls over',
    `  its length. The flood: sipp at ${settings.factor} times the capacity of the first target (${settings.targets[0]}), the same rate`,
    `  for every target, with up to ${settings.limit} calls outstanding, stopped after ${settings.seconds} s (its calls in flight abandoned).`,
    '  Once a target falls behind, the outstanding limit, not the rate, paces sipp: each unanswered call waits',
    '  through its retransmissions (500 ms doubling to 4 s; sipp gives up after 7 for a REGISTER, 5 for an',
    '  INVITE), so "sipp started" is below "offered".',
    `- Memory: sampled every ${settings.sampleMs} ms from the flood's start to ${settings.afterSeconds} s after its end; at rest: before the`,
    `  capacity round; settled: ${settings.settledSeconds} s after the flood; the node's VmHWM: its peak since it started.`,
    `- Recovery: from the flood's end, probe rounds of ${settings.probeCalls} calls at ${settings.probeRate}/s (the same scenario, fresh sipp) one after`,
    `  the other, for ${settings.recoverySeconds} s at most; recovered: when the first probe whose every call completed ended`,
    `  (a probe lasts ${fmt(settings.probeCalls / settings.probeRate, 1)} s or more: that long means the first probe after the flood did).`,
    '- Answers: 200 and 401/407 are summed over the steps expecting them (a call has two 200s: INVITE and BYE);',
    '  other answers: messages sipp did not expect at that step (any other status, or a late answer);',
    '  given up: calls that ran out of retransmissions; unanswered when stopped: calls still waiting at the flood\'s end.',
    '- Goodput: calls (or registrations) completed while the flood lasted, per second; the node\'s over Kamailio\'s',
    '  under the same flood in the same run. The node sends at most `max_requests_in_progress` (300) 503s a second',
    '  and drops further refused requests unanswered, so sipp waits through their retransmissions: the outstanding',
    '  limit then paces it, as it paces it against Kamailio, which refuses nothing.',
    '- The machine is shared with other work: the load average at the end of each flood counts it together with',
    '  the bench\'s own target and sipp processes (about 3 on their own).',
    '',
  ];
}
