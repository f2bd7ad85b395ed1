// One round of a bench driven by sipp: a scenario run `calls` times with at most `limit` calls
// outstanding, offered far above what any target can do, so the rate it reaches is the target's
// capacity. The rate is completed calls over sipp's own elapsed time (its final statistics line).
// runSippRound is the register bench's round (test/sipp/register-auth.xml with its users file);
// runSippLoad takes the scenario's own arguments, for other benches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeUdpPort } from './sip-probe.mjs';

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
 *           timeoutSeconds: number, dir: string, name: string }} o
 *        `args`: the scenario and its own options (-sf, -inf, -key, -s, …)
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
    // Offered rate far above capacity: the limit on outstanding calls is what paces sipp.
    '-r', '100000',
    // sipp's default 64 KiB socket buffer drops responses in a burst of 200; each drop costs a
    // 500 ms retransmission and measures sipp, not the target. The kernel caps it at rmem_max.
    '-buff_size', String(4 * 1024 * 1024),
    '-timeout', `${o.timeoutSeconds}s`,
    '-nostdin',
    '-trace_stat', '-stf', statFile, '-fd', '1',
    '-trace_err', '-error_file', join(o.dir, `${o.name}.errors.log`),
    `127.0.0.1:${o.port}`,
  ];
  const run = groups.start(o.sipp, args, { cwd: o.dir, logFile: join(o.dir, `${o.name}.screen.log`) });
  // sipp's own -timeout ends it; this is the backstop if sipp hangs.
  const backstop = setTimeout(() => run.stop(), (o.timeoutSeconds + 30) * 1000);
  const exitCode = await run.exited;
  clearTimeout(backstop);
  return { ...readFinalStats(statFile, o.calls), exitCode };
}

/** The figures of sipp's last statistics line (`-h stat` lists the columns). */
export function readFinalStats(statFile, calls) {
  const lines = readFileSync(statFile, 'latin1').trim().split('\n');
  if (lines.length < 2) throw new Error(`${statFile}: no statistics line`);
  const names = lines[0].split(';');
  const values = lines[lines.length - 1].split(';');
  const field = (name) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`${statFile}: no column ${name}`);
    return values[i];
  };
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

/** sipp writes durations as hh:mm:ss:microseconds. */
function callLengthMs(text) {
  const [h, m, s, us] = text.split(':').map(Number);
  return ((h * 60 + m) * 60 + s) * 1000 + us / 1000;
}
