/**
 * The key that signs flow tokens, kept in `run_dir` (RAM on a router): made once per boot, read
 * again after a restart of the daemon so dialogs of UDP and TCP clients keep working, and never
 * written to flash.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';

const KEY_BYTES = 32;

export function loadOrCreateRouteKey(runDir: string, logger: Logger): Buffer {
  const path = join(runDir, 'route.key');
  try {
    const key = readFileSync(path);
    if (key.length === KEY_BYTES) return key;
    logger.warn(`${path} has ${key.length} bytes, not ${KEY_BYTES}: making a new route key`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn(`cannot read ${path}: ${(err as Error).message}`);
  }
  const key = randomBytes(KEY_BYTES);
  try {
    writeFileSync(path, key, { mode: 0o600 });
  } catch (err) {
    // Without the file the key still works until the next restart.
    logger.warn(`cannot write ${path}: ${(err as Error).message}`);
  }
  return key;
}
