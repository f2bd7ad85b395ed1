// Turns the rounds into the summary the issue asks for (median rate per target, the ratios
// node/floor and node/Kamailio, failures, the node's peak RSS) and writes it twice: for people
// (bench/RESULTS.md, committed) and for programs (bench/out/register.json).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fmt, perRoundRatio, roundStats } from './stats.mjs';

export const GOAL_NODE_OVER_FLOOR = 0.8;
/** Below this many cores a single-threaded target was waiting, not working flat out. */
const SATURATED_CPU = 0.8;

export const TARGET_LABELS = {
  node: 'trucada (this node)',
  'node-flags': 'trucada, V8 flags of the init script',
  kamailio: 'Kamailio, one UDP worker',
  floor: 'floor: one Node event loop',
};

/**
 * @param {{ target: string, round: number, rate: number, failed: number, calls: number,
 *           cpuCores: number, meanCallMs: number, retransmissions: number }[]} rounds
 */
export function summarise(rounds, targets, { peakRssKb }) {
  const perTarget = {};
  for (const target of targets) {
    const { calls, ...stats } = roundStats(rounds.filter((r) => r.target === target));
    perTarget[target] = { label: TARGET_LABELS[target], ...stats, registrations: calls, peakRssKb: peakRssKb[target] ?? null };
  }
  const rate = (t) => perTarget[t]?.medianRate ?? null;
  const ratio = (a, b) => (rate(a) !== null && rate(b) !== null ? rate(a) / rate(b) : null);
  const perCpu = (a, b) => {
    const x = perTarget[a]?.medianPerCpuSecond ?? null;
    const y = perTarget[b]?.medianPerCpuSecond ?? null;
    return x !== null && y !== null ? x / y : null;
  };
  const nodeOverFloor = ratio('node', 'floor');
  return {
    targets: perTarget,
    ratios: {
      nodeOverFloor,
      nodeOverKamailio: ratio('node', 'kamailio'),
      nodeOverFloorPerRound: perRoundRatio(rounds, 'node', 'floor'),
      nodeOverKamailioPerRound: perRoundRatio(rounds, 'node', 'kamailio'),
      kamailioOverFloor: ratio('kamailio', 'floor'),
      nodeOverFloorPerCpuSecond: perCpu('node', 'floor'),
      nodeOverKamailioPerCpuSecond: perCpu('node', 'kamailio'),
      nodeFlagsOverKamailioPerCpuSecond: perCpu('node-flags', 'kamailio'),
    },
    goals: perTarget.node
      ? { nodeOverFloor: nodeOverFloor !== null && nodeOverFloor >= GOAL_NODE_OVER_FLOOR, noFailedRegistration: perTarget.node.failed === 0 }
      : null,
  };
}

/** The heading of the register bench's section, the first of bench/RESULTS.md. */
export const REGISTER_HEADING = '# Register bench';
export const PACKAGE_HEADING = '# Package bench';
export const STUN_HEADING = '# STUN bench';

/**
 * Puts one bench's section (from its top-level heading to the next one) into bench/RESULTS.md and
 * leaves the others as they are: in place of the section's previous text, or else right after the
 * section headed `after` (at the very start with `first`), or else at the end; so any bench can run
 * alone without taking the others' sections with it.
 * @param {string[]} lines the section, its heading first
 */
export function writeSection(mdPath, lines, { after = REGISTER_HEADING, first = false } = {}) {
  const before = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '';
  const text = `${lines.join('\n').replace(/\n*$/, '')}\n`;
  const own = sectionBounds(before, lines[0]);
  if (own) {
    writeFileSync(mdPath, joinSections(before.slice(0, own.start), text, before.slice(own.end)));
    return;
  }
  const anchor = first ? null : sectionBounds(before, after);
  const at = first ? 0 : anchor ? anchor.end : before.length;
  writeFileSync(mdPath, joinSections(before.slice(0, at), text, before.slice(at)));
}

/** Where the section headed `heading` starts and ends in `md` (end: the next top-level heading). */
function sectionBounds(md, heading) {
  let start = 0;
  if (!md.startsWith(`${heading}\n`)) {
    const at = md.indexOf(`\n${heading}\n`);
    if (at < 0) return null;
    start = at + 1;
  }
  const next = md.indexOf('\n# ', start + heading.length);
  return { start, end: next >= 0 ? next + 1 : md.length };
}

function joinSections(head, section, tail) {
  const parts = [head.replace(/\n*$/, ''), section.replace(/\n*$/, ''), tail.replace(/^\n*/, '').replace(/\n*$/, '')];
  return `${parts.filter((p) => p !== '').join('\n\n')}\n`;
}

export function writeResults({ mdPath, jsonPath, machine, settings, summary, rounds }) {
  writeFileSync(jsonPath, `${JSON.stringify({ machine, settings, summary, rounds }, null, 2)}\n`);
  writeSection(mdPath, renderMarkdown({ machine, settings, summary }).split('\n'), { first: true });
}

function renderMarkdown({ machine, settings, summary }) {
  const { targets, ratios, goals } = summary;
  const rows = Object.entries(targets).map(([, t]) =>
    `| ${t.label} | ${fmt(t.medianRate, 0)} | ${t.rates.map((r) => fmt(r, 0)).join(', ')} | ${t.failed} of ${t.registrations} | ${t.retransmissions} | ${fmt(t.medianCpuCores, 2)} | ${fmt(t.medianPerCpuSecond, 0)} | ${fmt(t.medianCallMs, 1)} | ${t.medianAllocated === null ? '' : fmt(t.medianAllocated / 1024, 1)} |`,
  );
  const node = targets.node;
  const lines = [
    REGISTER_HEADING,
    '',
    'Authenticated REGISTER transactions per second over UDP on 127.0.0.1: sipp runs',
    '`test/sipp/register-auth.xml` (REGISTER, 401, REGISTER with digest credentials, 200) against each',
    'target. Written by `npm run bench` (bench/run.sh); the raw rounds are in `bench/out/register.json`.',
    '',
    '| target | registrations/s (median) | each round | failed | sipp retransmissions | target CPU (cores, median) | registrations per CPU-second (median) | mean REGISTER→200 (ms) | KB allocated per registration (median) |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `- node / floor: ${fmt(ratios.nodeOverFloor, 2)}${goals ? ` (goal ≥ ${GOAL_NODE_OVER_FLOOR}: ${goals.nodeOverFloor ? 'met' : 'not met'})` : ''}` +
      `; median of the per-round ratios: ${fmt(ratios.nodeOverFloorPerRound, 2)}`,
    `- node / Kamailio: ${fmt(ratios.nodeOverKamailio, 2)}; median of the per-round ratios: ${fmt(ratios.nodeOverKamailioPerRound, 2)}`,
    `- Kamailio / floor: ${fmt(ratios.kamailioOverFloor, 2)}`,
    `- per CPU-second of the target: node / floor ${fmt(ratios.nodeOverFloorPerCpuSecond, 2)}, node / Kamailio ${fmt(ratios.nodeOverKamailioPerCpuSecond, 2)}` +
      `, node with the init script's flags / Kamailio ${fmt(ratios.nodeFlagsOverKamailioPerCpuSecond, 2)} (goal ≥ 0.5)`,
    `- allocated per registration, node: ${fmt((targets.node?.medianAllocated ?? NaN) / 1024, 1)} KB, with the flags ${fmt((targets['node-flags']?.medianAllocated ?? NaN) / 1024, 1)} KB (goal < 4 KB)`,
    node
      ? `- failed registrations of the node: ${node.failed} (goal 0: ${goals.noFailedRegistration ? 'met' : 'not met'})`
      : '- the node was not measured in this run (targets: ' + Object.keys(targets).join(', ') + ')',
    `- peak RSS (VmHWM) of the node: ${node?.peakRssKb ? `${(node.peakRssKb / 1024).toFixed(1)} MB` : 'n/a'}` +
      (targets.floor?.peakRssKb ? `; of the floor responder, for comparison: ${(targets.floor.peakRssKb / 1024).toFixed(1)} MB` : ''),
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
    `- ${settings.users} users (u0000…), each target holding all of them; ${settings.rounds} rounds per target,`,
    `  alternating (${settings.targets.join(', ')}, ${settings.targets.join(', ')}, …), with at most ${settings.limit} registrations`,
    `  outstanding and an offered rate far above capacity. One unmeasured warm-up round of ${settings.warmup} per target`,
    `  sizes that target's rounds to last about ${settings.roundSeconds} s (at most ${settings.maxCalls} registrations).`,
    '- Each target is started once, before the first round, and kept running across its rounds (bindings',
    '  accumulate, as on a live registrar); only one target is loaded at a time.',
    '- Rate: successful registrations over sipp\'s elapsed time (its final statistics line). Failed: calls',
    '  that did not end in 200, including those unfinished at sipp\'s timeout.',
    '- sipp retransmissions: requests sipp sent again after 500 ms without an answer, which on 127.0.0.1',
    '  means a datagram dropped because a receive buffer was full (sipp\'s own is set to 4 MB).',
    '- Target CPU: user + system time of the target\'s processes during the round over its length; about 1.0',
    '  means the one worker or event loop was saturated. sipp shares the machine with the target, and',
    '  anything else running on it lowers every rate; registrations per CPU-second (rate over target CPU)',
    '  is the cost of one registration and depends much less on that.',
    '- Allocated: the `allocated=` of every collection V8 logged during the round (`--trace-gc-nvp`, lines',
    '  flushed as they come), over the registrations of the round; the node\'s two rows start it with and',
    '  without the V8 flags of `files/etc/init.d/trucada`.',
    '- Kamailio: `bench/kamailio/kamailio.cfg` (sl, registrar, usrloc in memory, auth with the password',
    '  derived from the user name, qop=auth). Floor: `bench/floor-responder.mjs` (401 with a fixed nonce,',
    '  then 200 after one MD5; no parsing, no state).',
    '',
  ];
  return lines.join('\n');
}

/** Targets that never worked flat out: their rate measures something else as well. */
function unsaturatedNote(targets) {
  const idle = Object.entries(targets).filter(([, t]) => t.medianCpuCores !== null && t.medianCpuCores < SATURATED_CPU);
  if (idle.length === 0) return [];
  return [
    `- not saturated (median CPU below ${SATURATED_CPU}): ${idle.map(([name, t]) => `${name} ${fmt(t.medianCpuCores, 2)}`).join(', ')}.`,
    '  Their rates are bounded by sipp, by dropped datagrams (retransmissions) or by other load on the',
    '  machine; registrations per CPU-second compares them better.',
  ];
}
