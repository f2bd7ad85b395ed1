/**
 * What a process holds, read from /proc as an operator would with `ps` and `ls /proc/PID/fd`:
 * its resident memory and its open file descriptors. Linux only.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessUse {
  /** Resident set size (VmRSS), in MiB. */
  rssMiB: number;
  /** Open file descriptors (sockets, files, pipes, epoll). */
  fds: number;
}

export function processUse(pid: number): ProcessUse {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return { rssMiB: Math.round(Number(kb) / 102.4) / 10, fds: readdirSync(`/proc/${pid}/fd`).length };
}
