// The package's data unpacked into a temporary root runs: the node starts from the installed files,
// with the V8 flags of the installed init script and a copy of the installed configuration whose
// directories point into that root, and sipp registers to it over UDP and TCP.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { NODE18 } from '../helpers/daemon.js';
import { freePorts } from '../helpers/ports.js';
import { runSipp } from '../helpers/sipp.js';
import { buildIpk } from './ipk-read.js';

const DOMAIN = 'installed.mesh';

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.NODE_OPTIONS;
  delete e.TRUCADA_CONFIG;
  return e;
}

const NODES = [
  { name: `Node ${process.version} (OpenWrt 24.10 has 20)`, path: process.execPath },
  { name: 'Node 18.20.6 (OpenWrt 23.05)', path: NODE18 },
];

async function installAndRegister(t: Test, runtime: string): Promise<void> {
  const ipk = buildIpk(t);
  const root = mkdtempSync(join(tmpdir(), 'trucada-root-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const e of ipk.data) {
    const path = join(root, e.name);
    if (e.type === '5') mkdirSync(path, { recursive: true });
    else writeFileSync(path, e.data);
    chmodSync(path, e.mode);
  }
  t.equal(statSync(join(root, 'etc/init.d/trucada')).mode & 0o777, 0o755);

  const initScript = readFileSync(join(root, 'etc/init.d/trucada'), 'utf8');
  const flags = /procd_set_param command "\$NODE" ((?:--\S+\s+)+)\\\n\s*"\$BUNDLE" serve --config "\$CONFIG"/.exec(initScript)?.[1]?.trim().split(/\s+/);
  t.ok(flags && flags.length > 0, `the init script's V8 flags: ${flags?.join(' ')}`);
  const bundle = join(root, 'usr/share/trucada/trucada.cjs');

  const [sipPort, httpPort, httpsPort] = (await freePorts(3)) as [number, number, number];
  const installed = readFileSync(join(root, 'etc/config/trucada'), 'utf8');
  const config = join(root, 'etc/config/trucada');
  writeFileSync(
    config,
    installed
      .replace("option data_dir '/etc/trucada'", `option data_dir '${join(root, 'etc/trucada')}'`)
      .replace("option run_dir '/tmp/trucada'", `option run_dir '${join(root, 'tmp/trucada')}'`)
      .replace(/# option domain '[^']*'/, `option domain '${DOMAIN}'`)
      .replace(/# list listen '[^']*'/, "list listen '127.0.0.1'")
      .replace(/# option sip_port '[^']*'/, `option sip_port '${sipPort}'`)
      .replace(/# option http_port '[^']*'/, `option http_port '${httpPort}'`)
      .replace(/# option https_port '[^']*'/, `option https_port '${httpsPort}'`)
      .replace(/# option stun_port '[^']*'/, "option stun_port '0'")
      // Nothing a test starts may multicast on the machine's own interfaces.
      .replace(/# option mdns '[^']*'/, "option mdns 'off'"),
  );

  // Through env(1) without NODE_OPTIONS, which tap fills in every child: the bundle runs as on a router.
  const node = (args: string[]): [string, string[]] => ['env', ['-u', 'NODE_OPTIONS', runtime, ...flags!, bundle, ...args]];
  const add = spawnSync(...node(['user', 'add', 'alice', '--password', 'wonderland', '--config', config]), {
    env: env(),
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(add.status, 0, add.status === 0 ? 'trucada user add' : add.stderr);

  const proc = spawn(...node(['serve', '--config', config]), { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "trucada serving" in 15 s:\n${log}`)), 15_000);
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      log += chunk;
      if (/trucada serving/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the node exited with ${code}:\n${log}`));
    });
  });
  t.match(log, /1 users?/, 'the account made with the installed command');

  for (const transport of ['udp', 'tcp'] as const) {
    const run = await runSipp({ scenario: 'register.xml', transport, port: sipPort, domain: DOMAIN, user: 'alice', password: 'wonderland' });
    t.equal(run.code, 0, run.code === 0 ? `sipp registered over ${transport}` : run.output);
  }
  t.ok(statSync(join(root, 'etc/trucada')).isDirectory(), 'accounts under the root');
  t.ok(statSync(join(root, 'tmp/trucada')).isDirectory(), 'the run directory under the root');
  proc.kill('SIGTERM');
  await exited;
}

for (const runtime of NODES) {
  const skip = !existsSync(runtime.path) && `no ${runtime.path}`;
  t.test(`installed files run a node that sipp registers to, on ${runtime.name}`, { skip }, (t) => installAndRegister(t, runtime.path));
}
