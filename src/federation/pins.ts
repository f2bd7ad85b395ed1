/**
 * Keys pinned on first sight (DESIGN.md §5), kept in data_dir as `pins.json` ({"<node id>":
 * "<base64url raw public key>"}) so a restart does not reopen the window a first sight is. The id is
 * already derived from the key (node-identity.ts), so a second key for a known id means a broken
 * hash or a bug, never a legitimate change; either way it is refused and logged, and the operator
 * who wants to accept it removes the id from the file. Written only when a new id is pinned (flash
 * wears), and bounded: past MAX_PINS new nodes are refused rather than the file growing for ever.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { writeFileDurably } from '../store/atomic-file.js';
import { fingerprintOf, rawPublicKey } from './node-identity.js';

export const PINS_FILE = 'pins.json';
/** Far more nodes than any community mesh has; at 70 bytes each, 280 KB of flash. */
export const MAX_PINS = 4096;
const ENTRY_ID = /^[a-z2-7]{26}$/;
const ENTRY_KEY = /^[A-Za-z0-9_-]{43}$/;

export type PinCheck = 'pinned' | 'known' | 'refused';

export class Pins {
  private readonly keys = new Map<string, string>();
  /** Mismatches already logged, so a peer polled every few seconds does not flood the log. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly dataDir: string,
    private readonly logger: Logger,
  ) {
    this.load();
  }

  /** Pins the key when the id is new; `refused` when the id is pinned to another key, or no room is left. */
  check(id: string, publicKey: KeyObject): PinCheck {
    const key = rawPublicKey(publicKey).toString('base64url');
    const pinned = this.keys.get(id);
    if (pinned === key) return 'known';
    if (pinned !== undefined) {
      if (!this.reported.has(`${id} ${key}`)) {
        this.reported.add(`${id} ${key}`);
        this.logger.warn(`refused node ${id}: it now shows key ${fingerprintOf(publicKey)}, not the one pinned in ${this.path} (remove the id there to accept the new key)`);
      }
      return 'refused';
    }
    if (this.keys.size >= MAX_PINS) {
      this.logger.warn(`refused node ${id}: ${MAX_PINS} node keys are pinned already`);
      return 'refused';
    }
    this.keys.set(id, key);
    this.save();
    this.logger.info(`pinned the key of node ${id}: ${fingerprintOf(publicKey)}`);
    return 'pinned';
  }

  private get path(): string {
    return join(this.dataDir, PINS_FILE);
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${this.path}: ${(err as Error).message}`);
      return;
    }
    const entries = entriesOf(text);
    if (entries === undefined) {
      // Kept for the operator: starting over re-trusts every node on first sight, which must show.
      const aside = `${this.path}.damaged`;
      renameSync(this.path, aside);
      this.logger.error(`${this.path} is damaged: moved to ${aside}; node keys will be pinned again on first sight`);
      return;
    }
    for (const [id, key] of entries) this.keys.set(id, key);
  }

  private save(): void {
    try {
      writeFileDurably(this.path, `${JSON.stringify(Object.fromEntries(this.keys), null, 1)}\n`, 0o600);
    } catch (err) {
      // The pin holds in memory until the next start.
      this.logger.warn(`cannot write ${this.path}: ${(err as Error).message}`);
    }
  }
}

function entriesOf(text: string): Array<[string, string]> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_PINS) return undefined;
  for (const [id, key] of entries) if (!ENTRY_ID.test(id) || typeof key !== 'string' || !ENTRY_KEY.test(key)) return undefined;
  return entries as Array<[string, string]>;
}
