/**
 * Tells its owner which files of one directory changed, soon after they did: `fs.watch` (inotify on
 * Linux, which OpenWrt's tmpfs supports) with the events of a burst handed over in one batch,
 * `debounceMs` after the first of them. The window is not pushed back by later events, so a
 * directory that never stops changing is still read every `debounceMs`.
 *
 * A watch is a hint, not the truth: inotify drops events when its queue overflows, a watch can fail
 * (no inotify, the per-user watch limit) and one on a directory that is removed ends without an
 * error (Node reports a last `rename` under the directory's own name, then nothing). So the owner
 * keeps reading everything now and then, and calls `ensure()` at each of its rounds: it starts a
 * watch where there is none and the directory exists, and replaces one whose directory was made
 * again (another inode) since.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Clock } from '../clock.js';

/** What changed: these names, or `'all'` when anything may have (the directory itself, too many names). */
export type Changed = ReadonlySet<string> | 'all';

export interface DirWatchOptions {
  readonly dir: string;
  readonly clock: Clock;
  readonly debounceMs: number;
  /** Names of the directory worth a batch; the others are dropped at once (no timer, no wakeup). */
  readonly wanted: (name: string) => boolean;
  /** Past this many names in one batch, the batch is `'all'`: the set stays bounded. */
  readonly maxNames: number;
  readonly onChange: (changed: Changed) => void;
  /**
   * A watch that could not start or failed: the owner's rounds read without one until `ensure()`
   * makes another. Told once until a watch runs again (a full inotify watch limit fails every try).
   */
  readonly onError: (err: Error) => void;
}

/** What `ensure()` found: a watch already running, one started just now, or none possible. */
export type WatchState = 'watching' | 'started' | 'none';

export class DirWatch {
  private watcher: FSWatcher | undefined;
  /** `dev:ino` of the directory watched. */
  private watched: string | undefined;
  private pending: Set<string> | 'all' | undefined;
  private timer: unknown;
  private failing = false;
  private readonly self: string;

  constructor(private readonly opts: DirWatchOptions) {
    this.self = basename(opts.dir);
  }

  /** Starts or replaces the watch as the directory is now; changes before 'started' were not seen. */
  async ensure(): Promise<WatchState> {
    let id: string;
    try {
      const st = await stat(this.opts.dir);
      if (!st.isDirectory()) throw new Error('not a directory');
      id = `${st.dev}:${st.ino}`;
    } catch {
      this.close();
      return 'none';
    }
    if (this.watcher !== undefined && this.watched === id) return 'watching';
    this.close();
    try {
      // Not persistent: like the clock's timers, a watch alone does not keep the process running.
      this.watcher = watch(this.opts.dir, { persistent: false }, (_event, name) => this.note(name));
    } catch (err) {
      // Removed since the stat: as if it had not been there.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.failed(err as Error);
      return 'none';
    }
    this.watcher.on('error', (err) => {
      this.endWatch();
      this.failed(err);
    });
    this.watched = id;
    this.failing = false;
    return 'started';
  }

  /** Ends the watch and drops a batch not yet handed over. */
  close(): void {
    this.endWatch();
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private failed(err: Error): void {
    if (!this.failing) this.opts.onError(err);
    this.failing = true;
  }

  private endWatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.watched = undefined;
  }

  private note(name: string | Buffer | null): void {
    const text = typeof name === 'string' ? name : name?.toString();
    if (text !== undefined && text !== this.self && !this.opts.wanted(text)) return;
    if (text === this.self) {
      // The directory was removed or renamed: this watch hears nothing more, even from a directory
      // made again under the same name with the inode number of the old one (ext4 reuses them).
      this.endWatch();
    }
    if (text === undefined || text === this.self) this.pending = 'all';
    else if (this.pending !== 'all') {
      this.pending ??= new Set();
      this.pending.add(text);
      if (this.pending.size > this.opts.maxNames) this.pending = 'all';
    }
    this.timer ??= this.opts.clock.setTimeout(() => this.flush(), this.opts.debounceMs);
  }

  private flush(): void {
    const changed = this.pending;
    this.pending = undefined;
    this.timer = undefined;
    if (changed !== undefined) this.opts.onChange(changed);
  }
}
