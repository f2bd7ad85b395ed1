// One round of a bench driven by sipp: a scenario run `calls` times with at most `limit` calls
// outstanding, offered far above what any target can do, so the rate it reaches is the target's
// capacity. The rate is completed calls over sipp's own elapsed time (its final statistics line).
// runSippRound is the register bench's round (test/sipp/register-auth.xml with its users file);
// runSippLoad takes the scenario's own arguments, for other benches. The overload bench offers a
// fixed `rate` instead, for a fixed `durationSeconds`, and reads sipp's message counts per step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeUdpPort } from './sip-probe.mjs';
import { readSippCounts } from './sipp-counts.mjs';

/** Offered rate of a round paced by its outstanding limit alone: far above any target's capacity. */
const UNPACED_RATE = 100000;

/**
 * @param {import('./processes.mjs').ProcessGroups} groups
 * @param {{ sipp: string, scenario: string, usersCsv: string, domain: string, port: number,
 *           calls: number, limit: number, timeoutSeconds: number, dir: string, name: string }} o
 */
export function runSippRound(groups, o) {
  return runSippLoad(groups, {
    ...o,
    args: ['-sf', o.scenario, '-inf', o.usersCsv, '-key', 'domain', o.domain, '-auth_uri', o.domain],
  });
}

/**
 * @param {import('./processes.mjs').ProcessGroups} groups
 * @param {{ sipp: string, args: string[], port: number, calls: number, limit: number,
 *           timeoutSeconds: number, dir: string, name: string, rate?: number,
 *           durationSeconds?: number, traceCounts?: boolean, columns?: string[] }} o
 *        `args`: the scenario and its own options (-sf, -inf, -key, -s, …); `rate`: new calls per
 *        second (unpaced by default); `durationSeconds`: sipp is stopped then, its calls in flight
 *        abandoned (sipp's -timeout instead stops starting calls and waits for those in flight, up to
 *        their last retransmission); `traceCounts`: also returns `counts`, the messages of each
 *        scenario step (sipp-counts.mjs); `columns`: further columns of the last statistics line,
 *        returned as numbers in `columns`.
 */
export async function runSippLoad(groups, o) {
  const statFile = join(o.dir, `${o.name}.stat.csv`);
  const localPort = await freeUdpPort();
  const args = [
    ...o.args,
    '-i', '127.0.0.1',
    '-p', String(localPort),
    '-m', String(o.calls),
    '-l', String(o.limit),
    // Unless a rate is given, the limit on outstanding calls is what paces sipp.
    '-r', String(o.rate ?? UNPACED_RATE),
    // sipp's default 64 KiB socket buffer drops responses in a burst of 200; each drop costs a
    // 500 ms retransmission and measures sipp, not the target. The kernel caps it at rmem_max.
    '-buff_size', String(4 * 1024 * 1024),
    '-timeout', `${o.timeoutSeconds}s`,
    '-nostdin',
    '-trace_stat', '-stf', statFile, '-fd', '1',
    '-trace_err', '-error_file', join(o.dir, `${o.name}.errors.log`),
    ...(o.traceCounts ? ['-trace_counts'] : []),
    `127.0.0.1:${o.port}`,
  ];
  const run = groups.start(o.sipp, args, { cwd: o.dir, logFile: join(o.dir, `${o.name}.screen.log`) });
  // On SIGTERM sipp still writes its last statistics and counts lines.
  const end = o.durationSeconds === undefined ? null : setTimeout(() => run.stop(), o.durationSeconds * 1000);
  // sipp's own -timeout ends it; this is the backstop if sipp hangs.
  const backstop = setTimeout(() => run.stop(), (o.timeoutSeconds + 30) * 1000);
  const exitCode = await run.exited;
  clearTimeout(end);
  clearTimeout(backstop);
  const extra = {};
  if (o.columns) {
    const field = lastStatLine(statFile);
    extra.columns = Object.fromEntries(o.columns.map((name) => [name, Number(field(name))]));
  }
  if (o.traceCounts) extra.counts = readSippCounts(o.dir, run.pid);
  return { ...readFinalStats(statFile, o.calls), exitCode, ...extra };
}

/** The figures of sipp's last statistics line (`-h stat` lists the columns). */
export function readFinalStats(statFile, calls) {
  const field = lastStatLine(statFile);
  // Time columns read `date<TAB>time<TAB>epoch-seconds`.
  const epoch = (name) => Number(field(name).split('\t').pop());
  const seconds = epoch('CurrentTime') - epoch('StartTime');
  const successful = Number(field('SuccessfulCall(C)'));
  return {
    calls,
    successful,
    // A call that neither succeeded nor failed by the end (sipp's -timeout) failed all the same.
    failed: calls - successful,
    retransmissions: Number(field('Retransmissions(C)')),
    seconds,
    rate: successful / seconds,
    meanCallMs: callLengthMs(field('CallLength(C)')),
  };
}

/** The field named `name` of sipp's last statistics line, as text. */
function lastStatLine(statFile) {
  const lines = readFileSync(statFile, 'latin1').trim().split('\n');
  if (lines.length < 2) throw new Error(`${statFile}: no statistics line`);
  const names = lines[0].split(';');
  const values = lines[lines.length - 1].split(';');
  return (name) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`${statFile}: no column ${name}`);
    return values[i];
  };
}

/** sipp writes durations as hh:mm:ss:microseconds. */
function callLengthMs(text) {
  const [h, m, s, us] = text.split(':').map(Number);
  return ((h * 60 + m) * 60 + s) * 1000 + us / 1000;
}
