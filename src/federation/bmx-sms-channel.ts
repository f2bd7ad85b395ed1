/**
 * The bmx6 / bmx7 `sms` discovery channel (DESIGN.md §5): bmx carries small files in the node
 * description it floods through the whole routed mesh (qMp), so a beacon written here reaches every
 * node of the bmx cloud across any number of hops, where mDNS reaches one link.
 *
 * The files, as bmx6's sms plugin (lib/bmx6_sms/sms.c) and bmx7's keep them, under the daemon's
 * run dir (`/var/run/bmx6`, `/var/run/bmx7`):
 *   - `sms/sendSms/<name>`: what this node sends, read by bmx when inotify reports a change, but only
 *     for names registered with `syncSms` (the init script does: `bmx6 -c syncSms=trucada` and a
 *     `syncSms` section in /etc/config/bmx6). At most 240 bytes (bmx6; bmx7 takes 300), name under 16.
 *   - `sms/rcvdSms/<origin>:<name>`: what every other node sends, origin `<hostname>.<key id>`
 *     (bmx6) or the node's id (bmx7). bmx deletes a node's files when its description changes (and
 *     writes the new ones at once) or when the node leaves the mesh.
 *
 * bmx tells no reader about new files, but the kernel does: rcvdSms is watched (dir-watch.ts,
 * inotify) and the files an event names are read once its burst is over, so a beacon is heard
 * DEBOUNCE_MS after bmx writes it. A watch can miss events, or fail: rcvdSms is still read whole
 * every `fullReadMs` while watched (these reads also tell the directory that the nodes whose files
 * did not change are still there), and every `pollMs` (5 s, the interval bmx itself polls at
 * without inotify) where it cannot be watched. The beacon is written, when it changed, every
 * `pollMs` too. A file that holds no beacon (gone, or empty) for LEAVE_AFTER_MS is a node gone: a
 * read could fall between bmx's delete and rewrite (process_description_sms in bmx6's
 * lib/bmx6_sms/sms.c removes the origin's files, then writes the new ones).
 *
 * Writing: the first write goes through a temporary file renamed into sendSms (bmx must never read
 * half a beacon). On OpenWrt the node runs as its own user and may not create files there; the init
 * script then creates `trucada` for it, and later beacons are written in place, in one write()
 * that starts with the new line, then cut to length: bmx reads at worst the new beacon followed by
 * the tail of the old one, and the reader takes the first line only.
 *
 * Everything under rcvdSms comes from any node of the mesh: names are checked, sizes capped, at most
 * MAX_FILES read per read of the whole, and nothing read can throw out of a round. Rounds, reads of
 * what an event named and rechecks of missing files run one at a time (they all change `received`).
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RateLimitedLog } from '../transport/rate-limited-log.js';
import { encodeBeacon, parseBeacon } from './beacon.js';
import type { ChannelDeps, DiscoveryChannel } from './channel.js';
import { DirWatch, type Changed } from './dir-watch.js';
import { PollLoop } from './poll-loop.js';

/** The sms name: under bmx's 16 characters. */
export const SMS_NAME = 'trucada';
/** bmx's own polling interval for sms files without inotify (SMS_POLLING_INTERVAL in bmx6's sms.h). */
export const BMX_POLL_MS = 5000;
/** How often a watched rcvdSms is still read whole (federation.ts keeps it under peer_timeout / 3). */
export const BMX_FULL_READ_MS = 30_000;
/**
 * The files of one burst of events are read together this long after its first event: bmx writes a
 * node's files in one go (microseconds apart), and a change of a 30-node mesh's beacons arrives
 * spread over bmx's 500 ms frames; short next to bmx's own delay of 500 ms a hop.
 */
const DEBOUNCE_MS = 150;
/** bmx7's per-file limit (bmx6's is 240): anything larger was not written by bmx. */
const MAX_FILE_BYTES = 300;
/** Files read per run dir per read of the whole: one per node of the mesh that runs trucada. */
export const MAX_FILES = 1024;
/** How long a file holds no beacon before its node counts as gone (bmx rewrites at once). */
export const LEAVE_AFTER_MS = 1000;
const SUFFIX = `:${SMS_NAME}`;
/** What bmx accepts in a name (validate_name_string), and the separators of its global ids. */
const ORIGIN = /^[A-Za-z0-9._-]{1,64}$/;

export interface BmxSmsOptions {
  /** The bmx run dirs to use, those that exist: `/var/run/bmx6`, `/var/run/bmx7`. */
  readonly runDirs: readonly string[];
  /** How often the beacon is written when it changed, and rcvdSms read where it is not watched. */
  readonly pollMs?: number;
  /** How often a watched rcvdSms is read whole. */
  readonly fullReadMs?: number;
}

interface Received {
  id: string;
  /** Our clock when a read first found no beacon in the file since it last held one. */
  missingSince: number | undefined;
}

/** One bmx daemon's run dir: what it was last told and what it has delivered. */
interface RunDir {
  readonly name: string;
  readonly send: string;
  readonly tmp: string;
  readonly rcvd: string;
  /** The beacon is in sendSms (to withdraw at stop). */
  announced: boolean;
  /** rcvdSms file name → the node its beacon named. */
  readonly received: Map<string, Received>;
  cannotWrite: boolean;
  readonly watch: DirWatch;
  /** Our clock at the last read of the whole of rcvdSms. */
  readAt: number;
  /** The recheck of the files found without a beacon, when one is due. */
  recheck: unknown;
}

export class BmxSmsChannel implements DiscoveryChannel {
  readonly name = 'bmx';
  private readonly dirs: RunDir[];
  private readonly warnings: RateLimitedLog;
  private readonly loop: PollLoop;
  private readonly pollMs: number;
  private readonly fullReadMs: number;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: ChannelDeps,
    opts: BmxSmsOptions,
  ) {
    this.warnings = new RateLimitedLog(deps.logger, deps.clock.now);
    this.pollMs = opts.pollMs ?? BMX_POLL_MS;
    this.fullReadMs = opts.fullReadMs ?? BMX_FULL_READ_MS;
    this.loop = new PollLoop(deps.clock, this.pollMs, () => this.exclusive(() => this.round(false)));
    this.dirs = opts.runDirs.map((dir) => {
      const rcvd = join(dir, 'sms', 'rcvdSms');
      const d: RunDir = {
        name: basename(dir),
        send: join(dir, 'sms', 'sendSms', SMS_NAME),
        tmp: join(dir, 'sms', `.${SMS_NAME}.${process.pid}.tmp`),
        rcvd,
        received: new Map(),
        announced: false,
        cannotWrite: false,
        watch: new DirWatch({
          dir: rcvd,
          clock: deps.clock,
          debounceMs: DEBOUNCE_MS,
          wanted: isBeaconFile,
          maxNames: MAX_FILES,
          onChange: (changed) => void this.exclusive(() => this.readChanged(d, changed)),
          onError: (err) => this.warnings.warn(`${d.name} sms: cannot watch ${rcvd} (${err.message}); reading it every ${this.pollMs / 1000} s`),
        }),
        readAt: Number.NEGATIVE_INFINITY,
        recheck: undefined,
      };
      return d;
    });
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  /** Writes the beacon where bmx runs and reads all it delivered; resolves when done (tests). */
  poll(): Promise<void> {
    return this.exclusive(() => this.round(true));
  }

  /** Takes the beacon out of this node's description: bmx then removes it at every other node. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    for (const d of this.dirs) this.quiet(d);
    await this.queue;
    await Promise.all(this.dirs.filter((d) => d.announced).map((d) => this.withdraw(d)));
  }

  /** Runs `job` once those before it have ended, none after stop; never rejects (failures are logged). */
  private exclusive(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => (this.stopped ? undefined : job())).catch((err: Error) => this.warnings.warn(`bmx sms: ${err.message}`));
    this.queue = run;
    return run;
  }

  private async round(readAll: boolean): Promise<void> {
    await Promise.all(this.dirs.map((d) => this.pollDir(d, readAll).catch((err: Error) => this.warnings.warn(`${d.name} sms: ${err.message}`))));
  }

  private async pollDir(d: RunDir, readAll: boolean): Promise<void> {
    if (!(await isDirectory(join(d.send, '..')))) {
      // No bmx here (or not yet): nodes it delivered before are gone with it.
      this.quiet(d);
      for (const name of [...d.received.keys()]) this.forget(d, name);
      d.announced = false;
      return;
    }
    await this.publish(d);
    // A watch just started saw nothing of what came before it; where none runs, every round reads.
    const watch = await d.watch.ensure();
    if (readAll || watch !== 'watching' || this.deps.clock.now() - d.readAt >= this.fullReadMs) await this.readAll(d);
  }

  /** Ends the watch and the recheck of a run dir. */
  private quiet(d: RunDir): void {
    d.watch.close();
    this.deps.clock.clearTimeout(d.recheck);
    d.recheck = undefined;
  }

  private async publish(d: RunDir): Promise<void> {
    const text = encodeBeacon(this.deps.own());
    const onDisk = await readSmall(d.send);
    if (onDisk !== undefined && onDisk.toString() === text) {
      d.announced = true;
      return;
    }
    try {
      if (onDisk === undefined) await writeAnew(d.tmp, d.send, text);
      else await overwrite(d.send, text);
      d.announced = true;
      d.cannotWrite = false;
    } catch (err) {
      if (!d.cannotWrite) {
        d.cannotWrite = true;
        this.deps.logger.warn(`${d.name} sms: cannot write ${d.send} (${(err as Error).message}); other nodes do not hear this one over ${d.name} (the init script creates the file for the node's user)`);
      }
    }
  }

  /** What the watch reported: the files it named, or everything (and a new watch) when it cannot tell. */
  private async readChanged(d: RunDir, changed: Changed): Promise<void> {
    if (changed !== 'all') {
      for (const name of changed) await this.readOne(d, name);
      return;
    }
    await d.watch.ensure();
    await this.readAll(d);
  }

  private async readAll(d: RunDir): Promise<void> {
    d.readAt = this.deps.clock.now();
    let names: string[];
    try {
      names = (await readdir(d.rcvd)).filter(isBeaconFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      names = [];
    }
    if (names.length > MAX_FILES) {
      this.warnings.warn(`${d.name} sms: ${names.length} beacon files in ${d.rcvd}; reading the first ${MAX_FILES}`);
      names = names.slice(0, MAX_FILES);
    }
    for (const name of names) await this.readOne(d, name);
    const present = new Set(names);
    for (const name of [...d.received.keys()]) if (!present.has(name)) this.missing(d, name);
  }

  /** Reads one rcvdSms file (named as isBeaconFile wants): the node it names is heard, or missing. */
  private async readOne(d: RunDir, name: string): Promise<void> {
    const bytes = await readSmall(join(d.rcvd, name));
    if (bytes === undefined || bytes.length === 0) return this.missing(d, name);
    const channel = `${d.name} ${name.slice(0, -SUFFIX.length)}`;
    const firstLine = firstLineOf(bytes);
    const parsed = parseBeacon(firstLine);
    // The sink refuses (and logs once) what does not parse; only a beacon keeps a node.
    this.deps.sink.heard(firstLine, channel);
    if (!parsed.ok) return this.missing(d, name);
    const before = d.received.get(name);
    if (before !== undefined && before.id !== parsed.beacon.id) this.deps.sink.gone(before.id, channel);
    d.received.set(name, { id: parsed.beacon.id, missingSince: undefined });
  }

  /** A known file found without a beacon: its node is gone once that has lasted LEAVE_AFTER_MS. */
  private missing(d: RunDir, name: string): void {
    const r = d.received.get(name);
    if (r === undefined) return;
    const now = this.deps.clock.now();
    r.missingSince ??= now;
    const left = LEAVE_AFTER_MS - (now - r.missingSince);
    if (left <= 0) return this.forget(d, name);
    d.recheck ??= this.deps.clock.setTimeout(() => {
      d.recheck = undefined;
      void this.exclusive(() => this.recheckMissing(d));
    }, left);
  }

  private async recheckMissing(d: RunDir): Promise<void> {
    const names = [...d.received].filter(([, r]) => r.missingSince !== undefined).map(([name]) => name);
    for (const name of names) await this.readOne(d, name);
  }

  private forget(d: RunDir, name: string): void {
    const r = d.received.get(name);
    if (r === undefined) return;
    d.received.delete(name);
    this.deps.sink.gone(r.id, `${d.name} ${name.slice(0, -SUFFIX.length)}`);
  }

  /** Removes the beacon; where the node may not remove files there, empties it (read as no beacon). */
  private async withdraw(d: RunDir): Promise<void> {
    try {
      await unlink(d.send);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await overwrite(d.send, '').catch((e: Error) => this.deps.logger.warn(`${d.name} sms: cannot withdraw ${d.send}: ${e.message}`));
    }
  }
}

/** A name bmx gives our sms from another node: `<origin>:trucada`, the origin as bmx writes ids. */
function isBeaconFile(name: string): boolean {
  return name.endsWith(SUFFIX) && ORIGIN.test(name.slice(0, -SUFFIX.length));
}

function firstLineOf(bytes: Buffer): string {
  const text = bytes.toString();
  const end = text.indexOf('\n');
  return end === -1 ? text : text.slice(0, end + 1);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A regular file's first bytes, at most MAX_FILE_BYTES + 1; undefined when there is none. */
async function readSmall(path: string): Promise<Buffer | undefined> {
  let fh: FileHandle | undefined;
  try {
    // A link or a FIFO planted in rcvdSms must not make the node read another file, or wait.
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
    if (fh === undefined || !(await fh.stat()).isFile()) return undefined;
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return bytesRead > MAX_FILE_BYTES ? undefined : buf.subarray(0, bytesRead);
  } finally {
    await fh?.close();
  }
}

async function writeAnew(tmp: string, path: string, text: string): Promise<void> {
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
  await rename(tmp, path).catch(async (err: Error) => {
    await unlink(tmp).catch(() => undefined);
    throw err;
  });
}

/** One write() over the old content, then cut to length (see the header). */
async function overwrite(path: string, text: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const bytes = Buffer.from(text);
    await fh.write(bytes, 0, bytes.length, 0);
    await fh.truncate(bytes.length);
  } finally {
    await fh.close();
  }
}
