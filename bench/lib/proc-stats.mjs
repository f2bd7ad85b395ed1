// What /proc says about a process group: CPU time used (to tell whether a target was saturated
// during a round), its memory (PSS, summed over its processes) and the resident set of one process,
// now (VmRSS) and at its peak (VmHWM).
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: 100 on every Linux the bench runs on (x86_64, arm64).
const TICKS_PER_SECOND = 100;

/** User plus system CPU seconds of every process whose process group is `pgid`. */
export function groupCpuSeconds(pgid) {
  let ticks = 0;
  for (const fields of groupStatFields(pgid)) ticks += Number(fields[11]) + Number(fields[12]);
  return ticks / TICKS_PER_SECOND;
}

/**
 * Proportional set size of the process group `pgid` in kB: each process's resident pages, those it
 * shares (Kamailio's workers share its memory) divided among the processes sharing them, so the sum
 * counts every page once. Null if nothing could be read.
 */
export function groupPssKb(pgid) {
  let total = null;
  for (const fields of groupStatFields(pgid)) {
    try {
      const match = /^Pss:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${fields.pid}/smaps_rollup`, 'latin1'));
      if (match) total = (total ?? 0) + Number(match[1]);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** The /proc/PID/stat fields after the command name of each process in group `pgid`, with `pid`. */
function* groupStatFields(pgid) {
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
    yield Object.assign(fields, { pid: entry });
  }
}

/** Peak resident set size of `pid` in kB (VmHWM), or null if it cannot be read. */
export function peakRssKb(pid) {
  return statusKb(pid, 'VmHWM');
}

/** Resident set size of `pid` in kB now (VmRSS), or null if it cannot be read. */
export function rssKb(pid) {
  return statusKb(pid, 'VmRSS');
}

/** A memory field of /proc/PID/status in kB (proc(5)), or null. */
function statusKb(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+([0-9]+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine spent busy (every core, anything but idle and iowait; proc(5) stat). */
export function machineBusySeconds() {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}
