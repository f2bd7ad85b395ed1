// The STUN bench: Binding responses per second over UDP on 127.0.0.1 from this node's responder
// (`trucada serve` from the bundle, stun_port set) and from coturn (`--stun-only`, with its default
// threads and with one, `-m 1`), in the same run, rounds alternating. The load comes from our own
// generator (bench/lib/stun-load.mjs), which keeps a window of requests outstanding; coturn's tools
// send one request per process. The floor (bench/stun-floor-responder.mjs) is the least a Node
// event loop can do per request: it tells what the node's own code costs from what Node's UDP costs. Loopback is exempt from the node's per-address rate limit, so the
// limiter's table is not what is measured. Replaces the "STUN bench" section of bench/RESULTS.md
// (other sections are left as they are) and writes bench/out/stun.json. Run by bench/run.sh, or
// alone: `node bench/stun-bench.mjs`.
//
// Settings (environment): STUN_BENCH_ROUNDS (3 per target), STUN_BENCH_SECONDS (5 per round),
// STUN_BENCH_WINDOW (128 outstanding per generator), STUN_BENCH_GENERATORS (1 process),
// STUN_BENCH_TARGETS (node,coturn,coturn-m1,floor), STUN_BENCH_PORT_BASE (15478: the first
// target's port, the others' the ones after it).
import { execFile, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describeMachine } from './lib/machine.mjs';
import { assertUdpPortFree, freeTcpPort } from './lib/ports.mjs';
import { groupCpuSeconds } from './lib/proc-stats.mjs';
import { startHarness } from './lib/harness.mjs';
import { PACKAGE_HEADING, STUN_HEADING, writeSection } from './lib/results.mjs';
import { fmt, median, sum } from './lib/stats.mjs';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench/out');
const logDir = join(outDir, 'stun');
const HEADING = STUN_HEADING;
const HOST = '127.0.0.1';
const LABELS = {
  node: 'trucada (this node)',
  coturn: 'coturn --stun-only, default threads',
  'coturn-m1': 'coturn --stun-only -m 1',
  floor: 'floor: one Node event loop',
};

const settings = {
  rounds: positiveInt('STUN_BENCH_ROUNDS', 3),
  seconds: positiveInt('STUN_BENCH_SECONDS', 5),
  window: positiveInt('STUN_BENCH_WINDOW', 128),
  generators: positiveInt('STUN_BENCH_GENERATORS', 1),
  portBase: positiveInt('STUN_BENCH_PORT_BASE', 15478),
  targets: (process.env.STUN_BENCH_TARGETS || 'node,coturn,coturn-m1,floor').split(',').map((s) => s.trim()).filter(Boolean),
  timeoutMs: 500,
  warmupSeconds: 1,
};
for (const target of settings.targets) if (!LABELS[target]) throw new Error(`unknown STUN_BENCH_TARGETS entry: ${target}`);
const log = (line) => console.log(line);

const { groups, tmpRoot, run: runBench } = startHarness({ outDir, workDir: logDir, name: 'stun', label: 'STUN', log });
await runBench(main);

async function main() {
  if (!existsSync(join(root, 'dist/trucada.cjs'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const targets = settings.targets.filter((t) => !t.startsWith('coturn') || haveTurnserver());
  if (targets.length < settings.targets.length) log('STUN bench: turnserver missing (apt-get install coturn); coturn not measured');

  const running = {};
  for (const [i, target] of targets.entries()) {
    const port = settings.portBase + i;
    await assertUdpPortFree(port, HOST);
    running[target] = { port, ...(await startTarget(target, port)) };
    log(`STUN bench: ${LABELS[target]} on ${HOST}:${port}`);
  }
  for (const target of targets) await load(running[target].port, settings.warmupSeconds);

  const rounds = [];
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const target of targets) {
      const { port, pid } = running[target];
      const cpuBefore = groupCpuSeconds(pid);
      const r = await load(port, settings.seconds);
      const cpuCores = (groupCpuSeconds(pid) - cpuBefore) / r.seconds;
      rounds.push({ target, round, ...r, cpuCores });
      log(`round ${round} ${target}: ${r.rate.toFixed(0)}/s, lost ${r.lost}, late ${r.late}, target CPU ${cpuCores.toFixed(2)} cores, mean latency ${r.meanLatencyMs.toFixed(2)} ms`);
    }
  }
  const summary = summarise(rounds, targets);
  const { kamailio: _k, sipp: _s, ...machine } = describeMachine({ kamailio: 'kamailio', sipp: 'sipp' });
  machine.coturn = coturnVersion();
  writeFileSync(join(outDir, 'stun.json'), `${JSON.stringify({ machine, settings, summary, rounds }, null, 2)}\n`);
  writeStunSection(summary, machine);
  log('wrote the STUN section of bench/RESULTS.md; raw rounds in bench/out/stun.json');
}

function haveTurnserver() {
  try {
    execFileSync('sh', ['-c', 'command -v turnserver'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function coturnVersion() {
  try {
    return execFileSync('turnserver', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0];
  } catch {
    return 'n/a';
  }
}

async function startTarget(target, port) {
  const dir = mkdtempSync(join(tmpRoot, `${target}-`));
  const logFile = join(logDir, `${target}.log`);
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  let proc;
  if (target === 'node') {
    const config = join(dir, 'trucada.uci');
    writeFileSync(
      config,
      [
        "config trucada 'main'",
        "\toption domain 'bench.mesh'",
        `\tlist listen '${HOST}'`,
        `\toption sip_port '${await freeTcpPort()}'`,
        `\toption http_port '${await freeTcpPort()}'`,
        `\toption https_port '${await freeTcpPort()}'`,
        `\toption stun_port '${port}'`,
        `\toption data_dir '${join(dir, 'data')}'`,
        `\toption run_dir '${join(dir, 'run')}'`,
        "\toption log_level 'warn'",
        '',
      ].join('\n'),
    );
    proc = groups.start(process.execPath, [join(root, 'dist/trucada.cjs'), 'serve', '--config', config], { logFile, env });
  } else if (target === 'floor') {
    proc = groups.start(process.execPath, [join(root, 'bench/stun-floor-responder.mjs'), String(port), HOST], { logFile, env });
  } else {
    const args = [
      '--stun-only', `--listening-ip=${HOST}`, `--listening-port=${port}`, '--no-cli', '-n',
      '--no-tls', '--no-dtls', '--no-stdout-log', '--log-file=stdout', `--pidfile=${join(dir, 'pid')}`, `--userdb=${join(dir, 'db.sqlite')}`,
      ...(target === 'coturn-m1' ? ['-m', '1'] : []),
    ];
    proc = groups.start('turnserver', args, { logFile, env });
  }
  const exited = proc.exited.then((code) => Promise.reject(new Error(`${target} exited (${code}); see ${logFile}`)));
  try {
    await Promise.race([waitForStun(port), exited]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  exited.catch(() => {});
  return { pid: proc.pid };
}

/** Resolves once HOST:port answers a Binding request (10 s at most). */
function waitForStun(port) {
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(0x2112a442, 4);
  request.fill(7, 8);
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => finish(new Error(`no STUN answer on ${HOST}:${port} in 10 s`)), 10_000);
    const ticker = setInterval(() => socket.send(request, port, HOST), 50);
    const finish = (err) => {
      clearTimeout(deadline);
      clearInterval(ticker);
      socket.close();
      if (err) reject(err);
      else resolve();
    };
    socket.on('message', (msg) => msg.readUInt16BE(0) === 0x0101 && finish());
    socket.on('error', () => {}); // port unreachable until the target is up
    socket.bind(0, HOST, () => socket.send(request, port, HOST));
  });
}

/** One round: the generators together for `seconds`; their counts summed. */
async function load(port, seconds) {
  const startAt = Date.now() + 300;
  const script = join(root, 'bench/lib/stun-load.mjs');
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const outs = await Promise.all(
    Array.from({ length: settings.generators }, () =>
      run(process.execPath, [script, HOST, String(port), String(settings.window), String(seconds), String(startAt), String(settings.timeoutMs)], {
        env,
        timeout: (seconds + 10) * 1000,
      }),
    ),
  );
  const parts = outs.map(({ stdout }) => JSON.parse(stdout.trim().split('\n').pop()));
  const total = (key) => parts.reduce((sum, p) => sum + p[key], 0);
  const answered = total('answered');
  const seconds_ = Math.max(...parts.map((p) => p.seconds));
  const latency = parts.reduce((sum, p) => sum + (p.meanLatencyMs ?? 0) * p.answered, 0) / Math.max(1, answered);
  return { rate: answered / seconds_, answered, sent: total('sent'), lost: total('lost'), late: total('late'), errors: total('errors'), seconds: seconds_, meanLatencyMs: latency };
}

function summarise(rounds, targets) {
  const perTarget = {};
  for (const target of targets) {
    const mine = rounds.filter((r) => r.target === target);
    perTarget[target] = {
      label: LABELS[target],
      medianRate: median(mine.map((r) => r.rate)),
      rates: mine.map((r) => r.rate),
      sent: sum(mine.map((r) => r.sent)),
      lost: sum(mine.map((r) => r.lost)),
      late: sum(mine.map((r) => r.late)),
      medianCpuCores: median(mine.map((r) => r.cpuCores)),
      medianPerCpuSecond: median(mine.filter((r) => r.cpuCores > 0).map((r) => r.rate / r.cpuCores)),
      medianLatencyMs: median(mine.map((r) => r.meanLatencyMs)),
    };
  }
  const ratio = (a, b) => (perTarget[a] && perTarget[b] ? perTarget[a].medianRate / perTarget[b].medianRate : null);
  // The same ratio round by round: adjacent rounds share whatever else loads the machine.
  const perRound = (a, b) =>
    median(
      rounds
        .filter((r) => r.target === a)
        .map((r) => [r, rounds.find((o) => o.target === b && o.round === r.round)])
        .filter(([, o]) => o)
        .map(([r, o]) => r.rate / o.rate),
    );
  return {
    targets: perTarget,
    ratios: {
      nodeOverCoturn: ratio('node', 'coturn'),
      nodeOverCoturnPerRound: perRound('node', 'coturn'),
      nodeOverCoturnM1: ratio('node', 'coturn-m1'),
      nodeOverCoturnM1PerRound: perRound('node', 'coturn-m1'),
      nodeOverFloor: ratio('node', 'floor'),
      nodeOverFloorPerRound: perRound('node', 'floor'),
      floorOverCoturnM1: ratio('floor', 'coturn-m1'),
      floorOverCoturnM1PerRound: perRound('floor', 'coturn-m1'),
    },
  };
}

function writeStunSection(summary, machine) {
  const { targets, ratios } = summary;
  const goal = (r) => (r === null ? 'n/a' : r >= 1 ? 'met' : 'not met');
  const lines = [
    HEADING,
    '',
    'STUN Binding responses per second over UDP on 127.0.0.1, from the node\'s responder and from coturn,',
    'driven by our load generator (`bench/lib/stun-load.mjs`). Written by `npm run bench`',
    '(bench/stun-bench.mjs); raw rounds in `bench/out/stun.json`.',
    '',
    '| target | responses/s (median) | each round | lost of sent | late | target CPU (cores, median) | responses per CPU-second (median) | mean latency (ms) |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
    ...Object.values(targets).map(
      (t) =>
        `| ${t.label} | ${fmt(t.medianRate, 0)} | ${t.rates.map((r) => fmt(r, 0)).join(', ')} | ${t.lost} of ${t.sent} | ${t.late} | ${fmt(t.medianCpuCores, 2)} | ${fmt(t.medianPerCpuSecond, 0)} | ${fmt(t.medianLatencyMs, 2)} |`,
    ),
    '',
    `- node / coturn (default threads): ${fmt(ratios.nodeOverCoturn, 2)} (goal ≥ 1: ${goal(ratios.nodeOverCoturn)}); median of the per-round ratios: ${fmt(ratios.nodeOverCoturnPerRound, 2)}`,
    `- node / coturn -m 1: ${fmt(ratios.nodeOverCoturnM1, 2)} (goal ≥ 1: ${goal(ratios.nodeOverCoturnM1)}); median of the per-round ratios: ${fmt(ratios.nodeOverCoturnM1PerRound, 2)}`,
    `- node / floor: ${fmt(ratios.nodeOverFloor, 2)}; median of the per-round ratios: ${fmt(ratios.nodeOverFloorPerRound, 2)}`,
    `- floor / coturn -m 1: ${fmt(ratios.floorOverCoturnM1, 2)}; median of the per-round ratios: ${fmt(ratios.floorOverCoturnM1PerRound, 2)}: the most`,
    '  any responder on Node\'s dgram reaches against coturn here, and so the ceiling of node / coturn.',
    `- ${settings.rounds} rounds of ${settings.seconds} s per target, alternating, after a ${settings.warmupSeconds} s warm-up each; ${settings.generators} generator`,
    `  process(es), each keeping ${settings.window} requests outstanding (20-byte Binding requests with the magic cookie and`,
    `  a unique transaction id; a request unanswered after ${settings.timeoutMs} ms is counted lost and replaced; late: answers`,
    '  that came after that). Rate: answers within the round over its length. Target CPU: user + system time',
    '  of the target\'s processes over the round; the generator shares the machine with it.',
    '- The node runs `trucada serve` from the bundle (no V8 flags), answering with XOR-MAPPED-ADDRESS, SOFTWARE',
    '  and FINGERPRINT; loopback is exempt from its per-address rate limit. coturn: `turnserver --stun-only',
    '  --listening-ip=127.0.0.1 --no-cli -n --no-tls --no-dtls`; how many cores its threads used is in the',
    '  CPU column. Floor: `bench/stun-floor-responder.mjs` (copies the transaction id, writes XOR-MAPPED-ADDRESS,',
    '  checks nothing, no SOFTWARE or FINGERPRINT).',
    `- ${machine.date}; ${machine.cpu}, nproc ${machine.nproc}; Linux ${machine.kernel}; load average (1 min) ${fmt(machine.loadAverage, 2)} before; Node ${machine.node}; coturn ${machine.coturn}.`,
    '',
  ];
  writeSection(join(root, 'bench/RESULTS.md'), lines, { after: PACKAGE_HEADING });
}

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return n;
}
