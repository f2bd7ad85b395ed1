/** Finds the configuration file, reads its `config trucada 'main'` section and builds a validated Config. */
import { readFileSync, statSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import { OPTIONS, findConflict, type LoadContext, type OptionSpec } from './options.js';
import { findSection, parseUci, type UciValue } from './uci.js';

/** Where OpenWrt keeps the package's configuration (`uci` reads it as package `trucada`). */
export const SYSTEM_CONFIG_PATH = '/etc/config/trucada';

/** A configuration is a few hundred bytes; anything near this is not one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** `--config FILE`, else `$TRUCADA_CONFIG`, else /etc/config/trucada when it exists, else none (defaults). */
export function findConfigPath(
  argv: { config?: string },
  env: NodeJS.ProcessEnv,
  exists: (path: string) => boolean,
): string | undefined {
  if (argv.config !== undefined) {
    if (argv.config === '') throw new ConfigError('CONFIG_FILE', '--config needs a file name');
    return argv.config;
  }
  const fromEnv = env['TRUCADA_CONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return exists(SYSTEM_CONFIG_PATH) ? SYSTEM_CONFIG_PATH : undefined;
}

export interface LoadOptions {
  /** The file to read; undefined means the built-in defaults. */
  path?: string;
  /** The machine's host name (default: os.hostname()), for the default domain. */
  hostname?: string;
  /** What relative paths are resolved against (default: process.cwd()). */
  cwd?: string;
}

export function loadConfig(opts: LoadOptions): Config {
  const hostname = opts.hostname ?? osHostname();
  const cwd = opts.cwd ?? process.cwd();
  if (opts.path === undefined) return configFromDefaults(hostname, cwd);
  const file = parseUci(readConfigText(opts.path), opts.path);
  // Other section types may share the file (later: peers); only the main section is ours.
  const named = findSection(file, 'main');
  const main = named?.type === 'trucada' ? named : findSection(file, '@trucada[0]');
  return buildConfig(main?.options ?? new Map(), { hostname, cwd, withFile: true }, opts.path);
}

/** The settings with no file at all: a checkout's layout (`./data`, `./run`). */
export function configFromDefaults(hostname: string, cwd: string = process.cwd()): Config {
  return buildConfig(new Map(), { hostname, cwd, withFile: false }, undefined);
}

function readConfigText(path: string): string {
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new ConfigError('CONFIG_FILE', 'not a regular file', { file: path });
    if (stat.size > MAX_CONFIG_BYTES) throw tooLarge(path);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('CONFIG_FILE', `cannot read: ${fsReason(err)}`, { file: path });
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw tooLarge(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError('CONFIG_FILE', 'not UTF-8 text', { file: path });
  }
}

function tooLarge(path: string): ConfigError {
  return new ConfigError('CONFIG_FILE', `larger than ${MAX_CONFIG_BYTES} bytes`, { file: path });
}

function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return code ?? String(err);
}

function buildConfig(options: Map<string, UciValue>, ctx: LoadContext, file: string | undefined): Config {
  const specs = new Map(OPTIONS.map((spec) => [spec.name, spec]));
  for (const [name, value] of options) {
    if (!specs.has(name)) {
      const known = [...specs.keys()].join(', ');
      const reason = `${value.kind} ${name}: unknown option (known: ${known})`;
      throw new ConfigError('CONFIG_UNKNOWN_OPTION', reason, { file, line: value.line });
    }
  }
  const fields: Record<string, unknown> = { source: file ?? 'defaults' };
  for (const spec of OPTIONS) fields[spec.field] = readOption(spec, options.get(spec.name), ctx, file);
  const config = fields as unknown as Config;
  const conflict = findConflict(config);
  if (conflict !== undefined) {
    const line = conflict.options.map((name) => options.get(name)?.line).find((l) => l !== undefined);
    throw new ConfigError('CONFIG_CONFLICT', conflict.reason, { file, line });
  }
  return config;
}

function readOption(spec: OptionSpec, value: UciValue | undefined, ctx: LoadContext, file: string | undefined): unknown {
  if (value === undefined) {
    const raw = typeof spec.default === 'function' ? spec.default(ctx) : spec.default;
    const parsed = spec.type.parse(raw === undefined ? [] : [raw], ctx);
    if (!parsed.ok) throw new Error(`built-in default of ${spec.name} refused: ${parsed.reason}`);
    return parsed.value;
  }
  if (value.kind === 'list' && !spec.type.list) {
    const reason = `list ${spec.name}: takes one value; write it as option ${spec.name}`;
    throw new ConfigError('CONFIG_VALUE', reason, { file, line: value.line });
  }
  // OpenWrt habit: a list may also be written as one option of space-separated words.
  const values = value.kind === 'list' ? value.values : spec.type.list ? value.value.split(/\s+/).filter((v) => v !== '') : [value.value];
  const parsed = spec.type.parse(values, ctx);
  if (parsed.ok) return parsed.value;
  const line = value.kind === 'list' ? value.lines[parsed.index] : value.line;
  throw new ConfigError('CONFIG_VALUE', `${value.kind} ${spec.name}: ${parsed.reason}`, { file, line });
}
