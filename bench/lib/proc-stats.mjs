// What /proc says about a process group: CPU time used (to tell whether a target was saturated
// during a round) and the peak resident set of one process (VmHWM).
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: 100 on every Linux the bench runs on (x86_64, arm64).
const TICKS_PER_SECOND = 100;

/** User plus system CPU seconds of every process whose process group is `pgid`. */
export function groupCpuSeconds(pgid) {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // proc(5): fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** Peak resident set size of `pid` in kB (VmHWM), or null if it cannot be read. */
export function peakRssKb(pid) {
  try {
    const match = /^VmHWM:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
