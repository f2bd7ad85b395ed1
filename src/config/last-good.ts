/**
 * The configuration file as it last started the node, kept in data_dir (issue 12: a power cut
 * during `uci commit` must leave a node that starts). OpenWrt's overlay can come back from a power
 * cut with the file torn: cut short inside a quote, or full of zeros. Such a file cannot be read, and
 * guessing at defaults could open what the operator closed (sign-ups, a port), so `serve` starts
 * from the copy that last worked and says so loudly, until the operator fixes the file. The copy is
 * written only when the file changed since, which is rare: the flash is spared.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../log.js';
import { writeFileDurably } from '../store/atomic-file.js';
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import { loadConfig, type LoadOptions } from './load.js';
import { OPTIONS } from './options.js';

export const LAST_GOOD = 'config.last-good';

/** Keeps the file `config` was read from as the last good copy, when it differs from the one kept. */
export function keepLastGood(config: Config, logger: Logger): void {
  if (config.source === 'defaults') return;
  const copy = join(config.dataDir, LAST_GOOD);
  try {
    const text = readFileSync(config.source);
    if (readOrUndefined(copy)?.equals(text)) return;
    writeFileDurably(copy, text, 0o600);
  } catch (err) {
    logger.warn(`cannot keep ${copy}: ${(err as Error).message}`);
  }
}

/**
 * The configuration at `opts.path`, or, when that file cannot be read or parsed or is empty, the last good copy
 * in the data_dir it names (read from its raw bytes, as far as they go) or else the default one.
 * Errors in a file that parses (a wrong value, an unknown option) are the operator's to fix: they
 * are not passed over.
 */
export function loadOrLastGood(opts: LoadOptions, logger: Logger): Config {
  try {
    const config = loadConfig(opts);
    // An empty file parses, as all defaults; uci never writes one (its files hold the section
    // trucada reads), but a power cut on a file just replaced leaves one.
    if (opts.path !== undefined && readOrUndefined(opts.path)?.length === 0) throw new ConfigError('CONFIG_FILE', 'empty', { file: opts.path });
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError) || (err.code !== 'UCI_SYNTAX' && err.code !== 'CONFIG_FILE') || opts.path === undefined) throw err;
    const copy = join(dataDirNamed(opts.path, opts.cwd) ?? defaultDataDir(opts), LAST_GOOD);
    if (readOrUndefined(copy) === undefined) throw err;
    const config = loadConfig({ ...opts, path: copy });
    logger.error(`${err.message}: starting from the last good copy ${copy}; fix ${opts.path} (uci) and restart the node`);
    return config;
  }
}

/** The `data_dir` option of a file that may be torn: the first line that sets it whole. */
function dataDirNamed(path: string, cwd = process.cwd()): string | undefined {
  const text = readOrUndefined(path)?.toString('latin1');
  const found = text && /^\s*option\s+data_dir\s+(?:'([^'\n]+)'|"([^"\n]+)"|([^\s'"#]+))\s*$/m.exec(text);
  const dir = found ? found[1] ?? found[2] ?? found[3] : undefined;
  return dir === undefined ? undefined : resolve(cwd, dir);
}

/** data_dir when a file leaves it out (/etc/trucada). */
function defaultDataDir(opts: LoadOptions): string {
  const cwd = opts.cwd ?? process.cwd();
  const spec = OPTIONS.find((o) => o.field === 'dataDir')!;
  const value = typeof spec.default === 'function' ? spec.default({ hostname: opts.hostname ?? '', cwd, withFile: true }) : spec.default;
  return resolve(cwd, value ?? '.');
}

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
