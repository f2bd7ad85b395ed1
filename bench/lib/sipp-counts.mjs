// sipp's -trace_counts file: for each step of the scenario, how many messages it sent or received,
// retransmitted, timed out on, and (for a receive) how many unexpected messages arrived while the
// call waited there. Written once a second (-fd) and when sipp ends, cumulative; the last line is
// the run's. Cheap enough for a flood, unlike a trace of every message, and one row per step tells a
// 503 from the 200 it stood in for, once the scenario has a step for each.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The counts of the sipp run `pid`, which ran in `dir` (sipp names the file SCENARIO_PID_counts.csv
 * in its working directory): one entry per step that sends or receives, in scenario order.
 * @returns {{ step: number, message: string, sent?: number, received?: number, retransmissions: number,
 *             timeouts: number, unexpected?: number }[]}
 */
export function readSippCounts(dir, pid) {
  const file = readdirSync(dir).find((name) => name.endsWith(`_${pid}_counts.csv`));
  if (!file) throw new Error(`${dir}: no counts file of sipp ${pid}`);
  const lines = readFileSync(join(dir, file), 'latin1').trim().split('\n');
  if (lines.length < 2) throw new Error(`${file}: no counts line`);
  const names = lines[0].replace(/;$/, '').split(';');
  const values = lines[lines.length - 1].replace(/;$/, '').split(';');
  /** @type {Map<number, any>} */
  const steps = new Map();
  names.forEach((name, i) => {
    // STEP_MESSAGE_WHAT: 0_REGISTER_Sent, 1_401_Recv, 1_401_Unexp, …
    const m = /^([0-9]+)_(.+)_(Sent|Recv|Retrans|Timeout|Unexp)$/.exec(name);
    if (!m) return;
    const step = Number(m[1]);
    if (!steps.has(step)) steps.set(step, { step, message: m[2], retransmissions: 0, timeouts: 0 });
    const key = { Sent: 'sent', Recv: 'received', Retrans: 'retransmissions', Timeout: 'timeouts', Unexp: 'unexpected' }[m[3]];
    steps.get(step)[key] = Number(values[i]);
  });
  return [...steps.values()];
}

/**
 * Responses received, by status code (summed over the steps expecting it); the unexpected messages,
 * which sipp does not tell apart (counted at the step where the call waited, a pause included); and
 * the calls completed: the 200s of the scenario's last step expecting one.
 */
export function responsesByStatus(counts) {
  const byStatus = {};
  let unexpected = 0;
  for (const c of counts) {
    unexpected += c.unexpected ?? 0;
    if (c.received !== undefined && /^[0-9]{3}$/.test(c.message)) byStatus[c.message] = (byStatus[c.message] ?? 0) + c.received;
  }
  const last200 = counts.findLast((c) => c.message === '200' && c.received !== undefined);
  return { byStatus, unexpected, completed: last200?.received ?? 0 };
}
