/**
 * Keys pinned on first sight (DESIGN.md §5), kept in data_dir as `pins.json` ({"<node id>":
 * "<base64url raw public key>"}) so a restart does not reopen the window a first sight is. The id is
 * already derived from the key (node-identity.ts), so a second key for a known id means a broken
 * hash or a bug, never a legitimate change; either way it is refused and logged, and the operator
 * who wants to accept it removes the id from the file. Written only when a new id is pinned (flash
 * wears), and bounded: past MAX_PINS new nodes are refused rather than the file growing for ever.
 *
 * A pin holds at once; the file is written behind it, one write at a time, and the pins made while
 * one is under way go together in the next. A node starting in a mesh of 30 pins 29 keys within
 * seconds: written in line, each write's fsync held up the event loop (1.2 s of them in all in the
 * mesh bench) while the other nodes waited for its descriptor.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { writeFileDurablyAsync } from '../store/atomic-file.js';
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
  /** The write under way, if any; `dirty`: pins made since it began, for the next write. */
  private writing: Promise<void> | undefined;
  private dirty = false;

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

  /** Resolves once every pin made so far is in the file (or its write failed, which is logged). */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private save(): void {
    if (this.writing !== undefined) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    const text = `${JSON.stringify(Object.fromEntries(this.keys), null, 1)}\n`;
    this.writing = writeFileDurablyAsync(this.path, text, 0o600).then(
      () => this.written(),
      (err: Error) => {
        // The pin holds in memory until the next start.
        this.logger.warn(`cannot write ${this.path}: ${err.message}`);
        this.written();
      },
    );
  }

  private written(): void {
    this.writing = undefined;
    if (this.dirty) this.save();
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
