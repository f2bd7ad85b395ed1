// The package bench: what the OpenWrt package costs a router. Builds the .ipk (scripts/build-ipk.mjs),
// unpacks its data into a temporary root and runs the node from there, as the init script would,
// with and without the init script's V8 flags: the time from start to the first SIP answer, the
// resident memory idle and with 500 registered users. Writes its section of bench/RESULTS.md
// (replacing an earlier one) and writes bench/out/package.json. Run by bench/run.sh after the
// register bench, or alone: `node bench/package-bench.mjs`.
//
// Settings (environment): PACKAGE_BENCH_RUNS (3 starts per flag set), PACKAGE_BENCH_USERS (500),
// PACKAGE_BENCH_PORT (15080, UDP SIP of the node), PACKAGE_BENCH_FLAGS (V8 flags to measure instead
// of the init script's, space-separated), SIPP (path of sipp).
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.mjs';
import { assertUdpPortFree, freeTcpPort } from './lib/ports.mjs';
import { CALL_HEADING } from './lib/call-results.mjs';
import { startHarness } from './lib/harness.mjs';
import { initScriptFlags } from './lib/init-flags.mjs';
import { PACKAGE_HEADING, writeSection } from './lib/results.mjs';
import { runSippRound } from './lib/sipp-round.mjs';
import { benchUsers, writeUsersCsv } from './lib/users.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench/out');
const workDir = join(outDir, 'package');
const DOMAIN = 'bench.mesh';
const HEADING = PACKAGE_HEADING;
// Goals of the OpenWrt issue.
const GOALS = { ipkBytes: 1024 * 1024, installedBytes: 2.5 * 1024 * 1024, startMs: 1000, rssWithUsersMb: 70 };

const settings = {
  runs: positiveInt('PACKAGE_BENCH_RUNS', 3),
  users: positiveInt('PACKAGE_BENCH_USERS', 500),
  port: positiveInt('PACKAGE_BENCH_PORT', 15080),
  sipp: process.env.SIPP || 'sipp',
};
const log = (line) => console.log(line);

const { groups, tmpRoot, run: runBench } = startHarness({ outDir, workDir, name: 'package', label: 'package', log });
await runBench(main);

async function main() {
  if (!existsSync(join(root, 'dist/trucada.cjs'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const sizes = buildAndUnpack();
  log(`package: .ipk ${kb(sizes.ipkBytes)}, installed ${kb(sizes.installedBytes)}, bundle ${kb(sizes.bundleBytes)}, wasm ${kb(sizes.wasmBytes)}`);

  const initFlags = process.env.PACKAGE_BENCH_FLAGS ? process.env.PACKAGE_BENCH_FLAGS.trim().split(/\s+/) : initScriptFlags(join(tmpRoot, 'root/etc/init.d/trucada'));
  const users = benchUsers(settings.users);
  const usersCsv = join(workDir, 'users.csv');
  writeUsersCsv(usersCsv, users);
  const seededData = await seedAccounts(usersCsv);

  const flagSets = [
    { label: `${process.env.PACKAGE_BENCH_FLAGS ? 'PACKAGE_BENCH_FLAGS' : "init script's"}: ${initFlags.join(' ')}`, flags: initFlags },
    { label: 'none', flags: [] },
  ];
  const runs = [];
  for (let r = 1; r <= settings.runs; r += 1) {
    for (const set of flagSets) {
      const result = await measureRun(set.flags, seededData, usersCsv, `${set.flags.length ? 'flags' : 'bare'}-${r}`);
      runs.push({ flags: set.label, run: r, ...result });
      log(
        `run ${r} ${set.flags.length ? 'flags' : 'bare '}: start ${result.startMs} ms, RSS idle ${mb(result.idleRssKb)}, ` +
          `with ${result.registered} registered ${mb(result.usersRssKb)} (peak ${mb(result.peakRssKb)})`,
      );
    }
  }
  const summary = flagSets.map((set) => {
    const mine = runs.filter((r) => r.flags === set.label);
    return {
      flags: set.label,
      startMs: median(mine.map((r) => r.startMs)),
      idleRssKb: median(mine.map((r) => r.idleRssKb)),
      usersRssKb: median(mine.map((r) => r.usersRssKb)),
      peakRssKb: median(mine.map((r) => r.peakRssKb)),
      registered: Math.min(...mine.map((r) => r.registered)),
    };
  });
  const { kamailio: _unused, ...machine } = describeMachine({ sipp: settings.sipp, kamailio: 'kamailio' });
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ machine, settings, sizes, summary, runs }, null, 2)}\n`);
  appendSection(sizes, summary, machine);
  log('wrote the package section to bench/RESULTS.md; raw runs in bench/out/package.json');
}

/** Builds the .ipk into the work dir and unpacks its data (as opkg would) under tmpRoot/root. */
function buildAndUnpack() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  execFileSync(process.execPath, [join(root, 'scripts/build-ipk.mjs'), '--out', workDir], { env, stdio: 'pipe' });
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const ipk = join(workDir, `trucada_${version}_all.ipk`);
  const outer = join(tmpRoot, 'ipk');
  const installRoot = join(tmpRoot, 'root');
  mkdirSync(outer);
  mkdirSync(installRoot);
  execFileSync('tar', ['-xzf', ipk, '-C', outer]);
  execFileSync('tar', ['-xzf', join(outer, 'data.tar.gz'), '-C', installRoot]);
  const control = execFileSync('tar', ['-xzOf', join(outer, 'control.tar.gz'), './control'], { encoding: 'utf8' });
  const share = join(installRoot, 'usr/share/trucada');
  return {
    ipkBytes: statSync(ipk).size,
    installedBytes: Number(/^Installed-Size: ([0-9]+)$/m.exec(control)?.[1]),
    bundleBytes: statSync(join(share, 'trucada.cjs')).size,
    wasmBytes: statSync(join(share, 'node-sqlite3-wasm.wasm')).size,
  };
}

/** The installed configuration, its directories moved under `dir`, on test ports. */
async function writeConfig(dir) {
  const installed = readFileSync(join(tmpRoot, 'root/etc/config/trucada'), 'utf8');
  const path = join(dir, 'trucada');
  writeFileSync(
    path,
    installed
      .replace("option data_dir '/etc/trucada'", `option data_dir '${join(dir, 'data')}'`)
      .replace("option run_dir '/tmp/trucada'", `option run_dir '${join(dir, 'run')}'`)
      .replace(/# option domain '[^']*'/, `option domain '${DOMAIN}'`)
      .replace(/# list listen '[^']*'/, "list listen '127.0.0.1'")
      .replace(/# option sip_port '[^']*'/, `option sip_port '${settings.port}'`)
      .replace(/# option http_port '[^']*'/, `option http_port '${await freeTcpPort()}'`)
      .replace(/# option https_port '[^']*'/, `option https_port '${await freeTcpPort()}'`)
      .replace(/# option stun_port '[^']*'/, "option stun_port '0'")
      .replace(/# option log_level '[^']*'/, "option log_level 'warn'"),
  );
  return path;
}

/** The bench users in a data dir, once (500 scrypt hashes take a while); each run gets a copy. */
async function seedAccounts(usersCsv) {
  const dir = join(tmpRoot, 'seed');
  mkdirSync(dir);
  const config = await writeConfig(dir);
  const seed = join(outDir, 'seed-accounts.cjs');
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'bench/lib/seed-accounts.ts')],
    outfile: seed,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['node-sqlite3-wasm'],
    logLevel: 'warning',
  });
  const started = Date.now();
  execFileSync(process.execPath, [seed, config, usersCsv], { stdio: 'pipe', timeout: 240_000 });
  log(`${settings.users} users added in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return join(dir, 'data');
}

async function measureRun(flags, seededData, usersCsv, name) {
  const dir = mkdtempSync(join(tmpRoot, `${name}-`));
  cpSync(seededData, join(dir, 'data'), { recursive: true });
  const config = await writeConfig(dir);
  await assertUdpPortFree(settings.port);
  const bundle = join(tmpRoot, 'root/usr/share/trucada/trucada.cjs');
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const started = process.hrtime.bigint();
  const proc = groups.start(process.execPath, [...flags, bundle, 'serve', '--config', config], { env, logFile: join(workDir, `${name}.log`) });
  try {
    await Promise.race([firstSipAnswer(settings.port), proc.exited.then((code) => Promise.reject(new Error(`the node exited (${code}); see bench/out/package/${name}.log`)))]);
    const startMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    await sleep(2000);
    const idleRssKb = status(proc.pid, 'VmRSS');
    const round = await runSippRound(groups, {
      sipp: settings.sipp,
      scenario: join(root, 'test/sipp/register-auth.xml'),
      usersCsv,
      domain: DOMAIN,
      port: settings.port,
      calls: settings.users,
      limit: 50,
      timeoutSeconds: 60,
      dir: workDir,
      name,
    });
    await sleep(2000);
    return { startMs, idleRssKb, usersRssKb: status(proc.pid, 'VmRSS'), peakRssKb: status(proc.pid, 'VmHWM'), registered: round.successful };
  } finally {
    await proc.stop();
  }
}

/** Resolves once an OPTIONS to the port is answered; asks every 10 ms (RFC 3261 §11). */
function firstSipAnswer(port) {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    let n = 0;
    let timer;
    const done = (err) => {
      clearInterval(timer);
      clearTimeout(deadline);
      socket.close();
      if (err) reject(err);
      else resolve();
    };
    const deadline = setTimeout(() => done(new Error(`no SIP answer on ${port} in 20 s`)), 20_000);
    socket.on('message', (data) => data.toString('latin1', 0, 8) === 'SIP/2.0 ' && done());
    socket.on('error', () => {});
    socket.bind(0, '127.0.0.1', () => {
      const local = socket.address().port;
      timer = setInterval(() => {
        n += 1;
        const request =
          `OPTIONS sip:${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-pkg-${n};rport\r\n` +
          `Max-Forwards: 70\r\nFrom: <sip:probe@${DOMAIN}>;tag=p${n}\r\nTo: <sip:${DOMAIN}>\r\n` +
          `Call-ID: pkg-${n}-${local}@127.0.0.1\r\nCSeq: ${n} OPTIONS\r\nContent-Length: 0\r\n\r\n`;
        socket.send(request, port, '127.0.0.1');
      }, 10);
    });
  });
}

function status(pid, field) {
  const m = new RegExp(`^${field}:\\s+([0-9]+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]);
}

function appendSection(sizes, summary, machine) {
  const met = (ok) => (ok ? 'met' : 'not met');
  const withFlags = summary[0];
  const lines = [
    HEADING,
    '',
    'What the OpenWrt package costs a router: `scripts/build-ipk.mjs` builds the .ipk, its data is unpacked',
    'into a temporary root and the node runs from there, with and without the V8 flags of',
    '`files/etc/init.d/trucada`. Written by `npm run bench` (bench/package-bench.mjs); raw runs in',
    '`bench/out/package.json`.',
    '',
    '| what | size | goal |',
    '|---|---:|---|',
    `| .ipk | ${kb(sizes.ipkBytes)} | under 1 MB: ${met(sizes.ipkBytes < GOALS.ipkBytes)} |`,
    `| installed (Installed-Size) | ${kb(sizes.installedBytes)} | under 2.5 MB: ${met(sizes.installedBytes < GOALS.installedBytes)} |`,
    `| bundle (trucada.cjs) | ${kb(sizes.bundleBytes)} | |`,
    `| SQLite WebAssembly | ${kb(sizes.wasmBytes)} | |`,
    '',
    `| V8 flags | start to first SIP answer (ms) | RSS idle | RSS with ${settings.users} registered | peak RSS (VmHWM) | registered |`,
    '|---|---:|---:|---:|---:|---:|',
    ...summary.map((s) => `| ${s.flags} | ${s.startMs} | ${mb(s.idleRssKb)} | ${mb(s.usersRssKb)} | ${mb(s.peakRssKb)} | ${s.registered} of ${settings.users} |`),
    '',
    `- start under 1 s with the flags: ${met(withFlags.startMs < GOALS.startMs)}; RSS with ${settings.users} users under 70 MB with the flags: ` +
      `${met(withFlags.usersRssKb / 1024 < GOALS.rssWithUsersMb)}.`,
    `- medians of ${settings.runs} starts per flag set, alternating; each start gets a fresh copy of one data directory`,
    `  holding the ${settings.users} accounts. Start: from spawning node to the first answer to an OPTIONS sent every`,
    `  10 ms. RSS idle: 2 s after that; with users: 2 s after sipp registered every user once over UDP`,
    '  (`test/sipp/register-auth.xml`, 50 outstanding).',
    `- ${machine.date}; ${machine.cpu}, nproc ${machine.nproc}; Node ${machine.node}; ${machine.sipp}`,
    '',
  ];
  writeSection(join(root, 'bench/RESULTS.md'), lines, { after: CALL_HEADING });
}

function positiveInt(name, fallback) {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`package bench: ${name} must be a positive integer`);
    process.exit(2);
  }
  return value;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(0)} KB`;
}

function mb(kbytes) {
  return `${(kbytes / 1024).toFixed(1)} MB`;
}
