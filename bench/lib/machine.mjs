// The machine and tool versions a result was measured with, for RESULTS.md.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';

/** `kamailio` and `sipp`: the commands whose versions to ask, left out by a bench that runs neither. */
export function describeMachine({ kamailio, sipp } = {}) {
  const cores = cpus();
  return {
    date: new Date().toISOString(),
    nproc: cores.length,
    cpu: cores[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    // Other work on the machine skews the rates; the load average says how much (the bench adds the
    // one after the run).
    loadAverage: loadavg()[0],
    node: process.version,
    kamailio: kamailio && firstMatch(kamailio, ['-v'], /version: kamailio (.+)/),
    sipp: sipp && firstMatch(sipp, ['-v'], /(SIPp v[^\s]+)/),
  };
}

function firstMatch(command, args, pattern) {
  try {
    // sipp -v exits with status 99 after printing its version.
    const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pattern.exec(out)?.[1].trim() ?? 'unknown';
  } catch (err) {
    return pattern.exec(`${err.stdout ?? ''}${err.stderr ?? ''}`)?.[1].trim() ?? 'unknown';
  }
}
