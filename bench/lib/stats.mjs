// The small statistics every bench reports with: medians of rounds, sums, and table cells.

/** The median, or null for no values (a target that ran no round). */
export function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

/** A number for a table cell, `n/a` when there is none. */
export function fmt(value, digits) {
  return value === null || value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}

/**
 * What the SIP benches report per target from its rounds ({ rate, calls, failed, retransmissions,
 * cpuCores, meanCallMs }): medians of the rates and costs, sums of the counts.
 */
export function roundStats(mine) {
  return {
    rounds: mine.length,
    medianRate: median(mine.map((r) => r.rate)),
    rates: mine.map((r) => r.rate),
    calls: sum(mine.map((r) => r.calls)),
    failed: sum(mine.map((r) => r.failed)),
    retransmissions: sum(mine.map((r) => r.retransmissions)),
    medianCpuCores: median(mine.map((r) => r.cpuCores)),
    // Per second of the target's own CPU time: its cost per transaction or call, which other load on
    // the machine changes much less than the rate.
    medianPerCpuSecond: median(mine.filter((r) => r.cpuCores > 0).map((r) => r.rate / r.cpuCores)),
    medianCallMs: median(mine.map((r) => r.meanCallMs)),
    // Bytes V8 allocated per registration or call, for the targets that log their collections.
    medianAllocated: median(mine.map((r) => r.allocatedPerRegistration ?? r.allocatedPerCall).filter((a) => a !== null && a !== undefined)),
  };
}

/** The ratio of target a's rate to b's taken round by round (adjacent rounds share the machine's other load), its median. */
export function perRoundRatio(rounds, a, b) {
  const values = [];
  for (const r of rounds) {
    if (r.target !== a) continue;
    const other = rounds.find((o) => o.target === b && o.round === r.round);
    if (other && other.rate > 0) values.push(r.rate / other.rate);
  }
  return median(values);
}
