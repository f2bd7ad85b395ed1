// The simulated mesh's trucada nodes: node i is `trucada serve` in namespace i with a UCI config of
// its own (domain node<i>.mesh, one user u<i>, listening on its mesh address only, bmx on with a run
// dir of its own, mDNS and shared-state off), and what its log says about the peers it knows.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { nodeAddress, PORTS } from './network.mjs';

const run = promisify(execFile);
/** The V8 flags of files/etc/init.d/trucada: the node as a router runs it (and a third of the memory). */
const ROUTER_V8_FLAGS = ['--liftoff-only', '--max-semi-space-size=1', '--single-threaded', '--optimize-for-size'];
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5000;
// The directory's log lines (src/federation/directory.ts) for a peer accepted and one that leaves.
const JOINED = /node \S+ \(([^)]+)\) at \S+ (?:joined|is accepted again) \(/;
const LEFT = /node \S+ \(([^)]+)\) left:/;

export const domainOf = (i) => `node${i}.mesh`;
export const userOf = (i) => ({ name: `u${i}`, password: `mesh-sim-pw-${i}` });

/** The directories and config of node i under `root`. */
export function nodeFiles(root, i) {
  const dir = join(root, `node${i}`);
  return { dir, config: join(dir, 'trucada.uci'), bmxRunDir: join(dir, 'bmx6'), log: join(dir, 'trucada.log') };
}

/** Writes node i's config and its bmx run dir (as bmx itself would have made it) and adds its user. */
export async function prepareNode(root, i, bundle) {
  const f = nodeFiles(root, i);
  for (const sub of ['sendSms', 'rcvdSms']) mkdirSync(join(f.bmxRunDir, 'sms', sub), { recursive: true });
  writeFileSync(
    f.config,
    [
      '# written by scripts/mesh-sim.mjs',
      "config trucada 'main'",
      `\toption domain '${domainOf(i)}'`,
      `\tlist listen '${nodeAddress(i)}'`,
      `\toption sip_port '${PORTS.sip}'`,
      `\toption http_port '${PORTS.http}'`,
      `\toption https_port '${PORTS.https}'`,
      "\toption stun_port '0'",
      `\toption data_dir '${join(f.dir, 'data')}'`,
      `\toption run_dir '${join(f.dir, 'run')}'`,
      "\toption log_level 'info'",
      "\toption mdns 'off'",
      "\toption shared_state 'off'",
      "\toption bmx 'auto'",
      `\tlist bmx_run_dir '${f.bmxRunDir}'`,
      '',
    ].join('\n'),
  );
  const user = userOf(i);
  await run(process.execPath, [bundle, 'user', 'add', user.name, '--password', user.password, '--config', f.config], { env: cleanEnv(), timeout: 60_000 });
  return f;
}

/** The environment for the node: the sim's, without a loader or a config of the caller's. */
function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.TRUCADA_CONFIG;
  return env;
}

/**
 * Starts node i in its namespace. setpriv's parent-death signal kills the node should the sim itself
 * be killed outright, when no cleanup of ours can run; `ip netns exec` and setpriv both exec, so the
 * child's pid is the node's and signals reach it.
 * `onPeers(i, known)` is called with the set of peer domains each time the log changes it.
 */
export function startNode({ i, netns, files, bundle, onPeers }) {
  const args = ['netns', 'exec', netns, 'setpriv', '--pdeathsig', 'KILL', process.execPath, ...ROUTER_V8_FLAGS, bundle, 'serve', '--config', files.config];
  const proc = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv() });
  const log = createWriteStream(files.log, { flags: 'a' });
  const known = new Set();
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code)));
  let servingAt = null;
  let markServing;
  const serving = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node${i} did not start in ${START_TIMEOUT_MS / 1000} s; see ${files.log}`)), START_TIMEOUT_MS);
    // After serving, a rejection is a no-op: the promise is settled.
    exited.then((code) => reject(new Error(`node${i} exited (${code}) before serving; see ${files.log}`)));
    markServing = (at) => {
      clearTimeout(timer);
      resolve(at);
    };
  });
  // The sim awaits every node's start at once; when one fails, the others' failures go unheard.
  serving.catch(() => undefined);
  let partial = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    log.write(chunk);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      if (servingAt === null && line.includes('trucada serving')) {
        servingAt = performance.now();
        markServing(servingAt);
      }
      const joined = JOINED.exec(line);
      const left = joined ? null : LEFT.exec(line);
      let changed = false;
      if (joined && !known.has(joined[1])) {
        known.add(joined[1]);
        changed = true;
      } else if (left) {
        changed = known.delete(left[1]);
      }
      if (changed) onPeers(i, known);
    }
  });
  return {
    i,
    netns,
    pid: proc.pid,
    known,
    serving,
    exited,
    /** SIGTERM (the node withdraws its beacon), SIGKILL after a grace period. */
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      await new Promise((resolve) => log.end(resolve));
    },
  };
}

/** What `trucada peers --json` run in node i's namespace says: the peer domains its daemon knows. */
export async function peersOf(netns, files, bundle) {
  const { stdout } = await run('ip', ['netns', 'exec', netns, process.execPath, bundle, 'peers', '--json', '--config', files.config], { env: cleanEnv(), timeout: 30_000 });
  return JSON.parse(stdout).map((p) => p.domain);
}
