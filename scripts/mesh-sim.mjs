// The mesh simulation (issue 11 item 8): N trucada nodes, each in a network namespace of its own,
// linked as a line, a ring or a grid and routed hop by hop, finding each other over the bmx sms
// channel only (a relay in this process plays bmx6's flooding, scripts/mesh-sim/bmx-relay.mjs).
// It measures how long until every node knows every other, whether a call between the two farthest
// connects and how fast, and the bytes each node sends per minute at rest. Needs root, iproute2,
// nftables, setpriv (util-linux), sipp (Debian: sip-tester) and a built bundle (npm run build).
//
//   node scripts/mesh-sim.mjs --nodes 10 --topology line|ring|grid [--json out.json]
//        [--hop-delay-ms 500] [--join-timeout 60] [--settle 15] [--window 60] [--timeout 300]
//        [--bundle dist/trucada.cjs] [--sipp sipp] [--keep]
//
// --bundle runs another build (an older commit's, to compare); --keep leaves the work dir (configs,
// logs, sipp traces) in place.
//
// Everything it makes (namespaces, nodes, the temporary directory) is removed on exit, on error, on
// SIGINT/SIGTERM and at --timeout seconds; namespaces a killed run left are removed at the next.
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MAX_NODES } from './mesh-sim/network.mjs';
import { createSim } from './mesh-sim/sim.mjs';
import { TOPOLOGIES } from './mesh-sim/topology.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line) => console.log(`mesh-sim: ${line}`);

let options;
try {
  options = readOptions(process.argv.slice(2));
} catch (err) {
  console.error(`mesh-sim: ${err.message}`);
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('mesh-sim: needs root (network namespaces, veth links, nftables)');
  process.exit(2);
}

const sim = createSim(options, log);
const stop = (why, code) => {
  log(`${why}: removing the mesh`);
  sim.cleanup().finally(() => process.exit(code));
};
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => stop(signal, 130));
const deadline = setTimeout(() => stop(`not done after ${options.timeoutS} s`, 1), options.timeoutS * 1000);

try {
  const result = await sim.run();
  if (options.json) writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
  else console.log(JSON.stringify(result, null, 2));
} catch (err) {
  console.error(`mesh-sim failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
} finally {
  await sim.cleanup();
  clearTimeout(deadline);
}

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      nodes: { type: 'string', default: '10' },
      topology: { type: 'string', default: 'line' },
      json: { type: 'string' },
      'hop-delay-ms': { type: 'string', default: '500' },
      'join-timeout': { type: 'string', default: '60' },
      settle: { type: 'string', default: '15' },
      window: { type: 'string', default: '60' },
      timeout: { type: 'string', default: '300' },
      bundle: { type: 'string', default: join(repo, 'dist/trucada.cjs') },
      sipp: { type: 'string', default: process.env.SIPP || 'sipp' },
      keep: { type: 'boolean', default: false },
    },
  });
  const int = (name, min, max) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return v;
  };
  if (!TOPOLOGIES.includes(values.topology)) throw new Error(`--topology must be one of ${TOPOLOGIES.join(', ')}`);
  return {
    nodes: int('nodes', 2, MAX_NODES),
    topology: values.topology,
    json: values.json,
    hopDelayMs: int('hop-delay-ms', 0, 10_000),
    joinTimeoutS: int('join-timeout', 1, 3600),
    settleS: int('settle', 0, 3600),
    windowS: int('window', 1, 3600),
    timeoutS: int('timeout', 10, 7200),
    bundle: resolve(values.bundle),
    sipp: values.sipp,
    repo,
    keep: values.keep,
  };
}
