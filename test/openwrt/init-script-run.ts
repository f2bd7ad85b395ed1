/**
 * Runs files/etc/init.d/trucada under `dash` against the stubs in stubs/: rc.common, functions.sh
 * and procd.sh record every procd and jshn call, commands the script would run on the router
 * (logger, mkdir, chown, chmod, touch, rm) are recorded instead of run, so are the `answering`
 * commands (stubs/record-or-fail, which fail as `fails` says), and uci_load_validate reads a sample
 * configuration through stubs/validate_data. That sample file is the script's /etc/config/trucada
 * (`config` in the stub root), and with `dataDir` and `share` its /etc/trucada and /usr/share/trucada
 * are those directories, so that what it does with them (a torn file replaced by the last good
 * copy, the bundle checked) is done. A package script (the .ipk's prerm-pkg) runs the same
 * way, against an /etc/init.d/trucada that is that stubbed init script.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIONS, type LoadContext, type OptionSpec } from '../../src/config/options.js';

export const INIT_SCRIPT = fileURLToPath(new URL('../../files/etc/init.d/trucada', import.meta.url));
export const SHIPPED_CONFIG = fileURLToPath(new URL('../../files/etc/config/trucada', import.meta.url));
export const STUBS = fileURLToPath(new URL('stubs', import.meta.url));
const RECORDED_COMMANDS = ['logger', 'mkdir', 'chown', 'chmod', 'touch', 'rm'];

export interface InitRun {
  /** The stub root: `config` in it is the sample file, the script's /etc/config/trucada. */
  dir: string;
  status: number | null;
  stderr: string;
  /** One call per entry: the function or command name, then its arguments. */
  calls: string[][];
}

export interface InitRunOptions {
  /** The UCI text uci_load_validate reads (bytes as they are: a torn file may hold NULs). */
  config: string | Buffer;
  /** A directory that stands for the script's /etc/trucada. */
  dataDir?: string;
  /** A directory that stands for the script's /usr/share/trucada (the bundle and its SHA256SUMS). */
  share?: string;
  /** Whether /etc/passwd has the user trucada. */
  withUser?: boolean;
  action?: string;
  /** Commands installed on this router (bmx6, uci, shared-state-async), recorded and answering. */
  answering?: string[];
  /** NAME:FIRST_ARGUMENT[:SECOND_ARGUMENT] of the calls to them that fail. */
  fails?: string[];
}

interface Stubbed {
  dir: string;
  env: NodeJS.ProcessEnv;
  result(r: SpawnSyncReturns<string>): InitRun;
}

function stubbed(t: { teardown(fn: () => void): void }, opts: Omit<InitRunOptions, 'action'>): Stubbed {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-init-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'etc'));
  const answering = opts.answering ?? [];
  for (const command of RECORDED_COMMANDS.filter((c) => !answering.includes(c))) symlinkSync(join(STUBS, 'record'), join(dir, 'bin', command));
  for (const command of answering) symlinkSync(join(STUBS, 'record-or-fail'), join(dir, 'bin', command));
  const passwd = opts.withUser === false ? 'root:x:0:0:root:/root:/bin/ash\n' : 'root:x:0:0:root:/root:/bin/ash\ntrucada:x:32768:32768:trucada:/var/run/trucada:/bin/false\n';
  writeFileSync(join(dir, 'etc', 'passwd'), passwd);
  writeFileSync(join(dir, 'config'), opts.config);
  const record = join(dir, 'record');
  writeFileSync(record, '');
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    STUBS,
    STUB_ROOT: dir,
    UCI_CONFIG: join(dir, 'config'),
    PROCD_RECORD: record,
    STUB_FAILS: (opts.fails ?? []).join(' '),
  };
  if (opts.dataDir !== undefined) env['STUB_DATA_DIR'] = opts.dataDir;
  if (opts.share !== undefined) env['STUB_SHARE'] = opts.share;
  const result = (r: SpawnSyncReturns<string>): InitRun => {
    const calls = readFileSync(record, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\t'));
    return { dir, status: r.status, stderr: `${r.stderr}${r.error ? String(r.error) : ''}`, calls };
  };
  return { dir, env, result };
}

export function runInitScript(t: { teardown(fn: () => void): void }, opts: InitRunOptions): InitRun {
  const s = stubbed(t, opts);
  // Through env(1) without NODE_OPTIONS: tap puts its loader there in every child, and the stub
  // validate_data (an ES module without extension) would be loaded through it.
  const argv = ['-u', 'NODE_OPTIONS', 'dash', join(STUBS, 'rc.common'), INIT_SCRIPT, opts.action ?? 'start'];
  return s.result(spawnSync('env', argv, { env: s.env, encoding: 'utf8', timeout: 20_000 }));
}

/** Why runPackageScript cannot run here, or false. */
export const packageScriptsMissing = process.getuid?.() !== 0 ? 'needs root (a mount namespace)' : !existsSync('/etc/init.d') ? 'no /etc/init.d to bind over' : false;

/**
 * Runs a package script as OpenWrt's default_prerm runs prerm-pkg (`( . script )`, in a subshell of
 * dash) with `env` added, where /etc/init.d/trucada is files/etc/init.d/trucada under the stubs: in
 * a mount namespace of its own, a directory with that stand-in is bound over /etc/init.d, so the
 * script's own absolute paths are run and this machine's /etc/init.d is not touched. Needs root.
 */
export function runPackageScript(t: { teardown(fn: () => void): void }, script: Buffer, opts: Omit<InitRunOptions, 'action'> & { env?: NodeJS.ProcessEnv }): InitRun {
  const s = stubbed(t, opts);
  mkdirSync(join(s.dir, 'init.d'));
  writeFileSync(join(s.dir, 'init.d', 'trucada'), `#!/bin/sh\nexec env -u NODE_OPTIONS dash "$STUBS/rc.common" '${INIT_SCRIPT}' "$@"\n`, { mode: 0o755 });
  writeFileSync(join(s.dir, 'script'), script);
  const argv = ['--mount', '--propagation', 'private', 'dash', '-c', 'mount --bind "$1" /etc/init.d && ( . "$2" )', 'dash', join(s.dir, 'init.d'), join(s.dir, 'script')];
  return s.result(spawnSync('unshare', argv, { env: { ...s.env, ...opts.env }, encoding: 'utf8', timeout: 20_000 }));
}

type Json = string | number | Json[] | { [key: string]: Json };

/** The object the json_* calls between procd_open_data and procd_close_data build, as jshn would. */
export function dataBlock(calls: string[][]): { [key: string]: Json } {
  const start = calls.findIndex((c) => c[0] === 'procd_open_data');
  const end = calls.findIndex((c) => c[0] === 'procd_close_data');
  const root: { [key: string]: Json } = {};
  const stack: Json[] = [root];
  const add = (key: string, value: Json) => {
    const parent = stack[stack.length - 1]!;
    if (Array.isArray(parent)) parent.push(value);
    else if (typeof parent === 'object') parent[key] = value;
  };
  for (const [name, key = '', value = ''] of calls.slice(start + 1, end)) {
    if (name === 'json_add_object' || name === 'json_add_array') {
      const container: Json = name === 'json_add_object' ? {} : [];
      add(key, container);
      stack.push(container);
    } else if (name === 'json_close_object' || name === 'json_close_array') stack.pop();
    else if (name === 'json_add_string') add(key, value);
    else if (name === 'json_add_int') add(key, Number(value));
    else throw new Error(`unexpected call inside the data block: ${name}`);
  }
  return root;
}

const ROUTER: LoadContext = { hostname: 'node7', withFile: true, cwd: '/' };

/** The validate_data type the init script should give an option, from the type's description. */
export function validateType(spec: OptionSpec): string {
  const describe = spec.type.describe;
  const known: Record<string, string> = {
    'port (0-65535)': 'port',
    'domain name': 'hostname',
    'IP address': 'ipaddr',
    boolean: 'bool',
    path: 'string',
    'list of IP addresses': 'list(ipaddr)',
    'list of firewall zones': 'list(uciname)',
  };
  const range = /^integer \(([0-9]+)-([0-9]+)\)$/.exec(describe);
  if (range) return `range(${range[1]},${range[2]})`;
  const choice = /^one of (.*)$/.exec(describe);
  if (choice) return `or(${choice[1]!.split(', ').map((c) => JSON.stringify(c)).join(',')})`;
  // Anything else is passed through as a string (a list of strings for UCI lists); the node checks it at start.
  return known[describe] ?? (describe.startsWith('list of ') ? 'list(string)' : 'string');
}

/** The default on a router: constant ones, and computed ones that do not depend on the host name. */
export function routerDefault(spec: OptionSpec): string | undefined {
  if (typeof spec.default !== 'function') return spec.default;
  const a = spec.default(ROUTER);
  return a === spec.default({ ...ROUTER, hostname: 'other' }) ? a : undefined;
}

/** `name:type[:default]` for every option, as the init script must pass them to uci_load_validate. */
export function expectedValidation(): string[] {
  return OPTIONS.map((spec) => {
    const d = routerDefault(spec);
    return `${spec.name}:${validateType(spec)}${d === undefined ? '' : `:${d}`}`;
  });
}
