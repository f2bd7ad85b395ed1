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
 * bmx has no way to tell a reader about new files but the directory, so this polls both every
 * 5 s, the interval bmx itself polls at without inotify. A file that holds no beacon in two polls
 * running (gone, or empty) is a node gone: one poll could fall between bmx's delete and rewrite.
 *
 * Writing: the first write goes through a temporary file renamed into sendSms (bmx must never read
 * half a beacon). On OpenWrt the node runs as its own user and may not create files there; the init
 * script then creates `trucada` for it, and later beacons are written in place, in one write()
 * that starts with the new line, then cut to length: bmx reads at worst the new beacon followed by
 * the tail of the old one, and the reader takes the first line only.
 *
 * Everything under rcvdSms comes from any node of the mesh: names are checked, sizes capped, at most
 * MAX_FILES read per poll, and nothing read can throw out of the poll.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RateLimitedLog } from '../transport/rate-limited-log.js';
import { encodeBeacon, parseBeacon } from './beacon.js';
import type { ChannelDeps, DiscoveryChannel } from './channel.js';
import { PollLoop } from './poll-loop.js';

/** The sms name: under bmx's 16 characters. */
export const SMS_NAME = 'trucada';
/** bmx's own polling interval for sms files (SMS_POLLING_INTERVAL). */
export const BMX_POLL_MS = 5000;
/** bmx7's per-file limit (bmx6's is 240): anything larger was not written by bmx. */
const MAX_FILE_BYTES = 300;
/** Files read per run dir per poll: one per node of the mesh that runs trucada. */
export const MAX_FILES = 1024;
/** Polls in a row without a beacon before a node counts as gone. */
const MISSES_TO_LEAVE = 2;
const SUFFIX = `:${SMS_NAME}`;
/** What bmx accepts in a name (validate_name_string), and the separators of its global ids. */
const ORIGIN = /^[A-Za-z0-9._-]{1,64}$/;

export interface BmxSmsOptions {
  /** The bmx run dirs to use, those that exist: `/var/run/bmx6`, `/var/run/bmx7`. */
  readonly runDirs: readonly string[];
  readonly pollMs?: number;
}

interface Received {
  id: string;
  misses: number;
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
}

export class BmxSmsChannel implements DiscoveryChannel {
  readonly name = 'bmx';
  private readonly dirs: RunDir[];
  private readonly warnings: RateLimitedLog;
  private readonly loop: PollLoop;

  constructor(
    private readonly deps: ChannelDeps,
    opts: BmxSmsOptions,
  ) {
    this.warnings = new RateLimitedLog(deps.logger, deps.clock.now);
    const round = async () => {
      await Promise.all(this.dirs.map((d) => this.pollDir(d).catch((err: Error) => this.warnings.warn(`${d.name} sms: ${err.message}`))));
    };
    this.loop = new PollLoop(deps.clock, opts.pollMs ?? BMX_POLL_MS, round);
    this.dirs = opts.runDirs.map((dir) => ({
      name: basename(dir),
      send: join(dir, 'sms', 'sendSms', SMS_NAME),
      tmp: join(dir, 'sms', `.${SMS_NAME}.${process.pid}.tmp`),
      rcvd: join(dir, 'sms', 'rcvdSms'),
      received: new Map(),
      announced: false,
      cannotWrite: false,
    }));
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  /** Writes the beacon where bmx runs and reads what it delivered; resolves when done (tests, shutdown). */
  poll(): Promise<void> {
    return this.loop.poll();
  }

  /** Takes the beacon out of this node's description: bmx then removes it at every other node. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.dirs.filter((d) => d.announced).map((d) => this.withdraw(d)));
  }

  private async pollDir(d: RunDir): Promise<void> {
    if (!(await isDirectory(join(d.send, '..')))) {
      // No bmx here (or not yet): nodes it delivered before are gone with it.
      for (const name of [...d.received.keys()]) this.forget(d, name);
      d.announced = false;
      return;
    }
    await this.publish(d);
    await this.receive(d);
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

  private async receive(d: RunDir): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(d.rcvd)).filter((n) => n.endsWith(SUFFIX));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      names = [];
    }
    if (names.length > MAX_FILES) {
      this.warnings.warn(`${d.name} sms: ${names.length} beacon files in ${d.rcvd}; reading the first ${MAX_FILES}`);
      names = names.slice(0, MAX_FILES);
    }
    const present = new Set<string>();
    for (const name of names) {
      const origin = name.slice(0, -SUFFIX.length);
      if (!ORIGIN.test(origin)) continue;
      const bytes = await readSmall(join(d.rcvd, name));
      if (bytes === undefined || bytes.length === 0) continue;
      const channel = `${d.name} ${origin}`;
      const firstLine = firstLineOf(bytes);
      const parsed = parseBeacon(firstLine);
      // The sink refuses (and logs once) what does not parse; only a beacon keeps a node.
      this.deps.sink.heard(firstLine, channel);
      if (!parsed.ok) continue;
      present.add(name);
      const before = d.received.get(name);
      if (before !== undefined && before.id !== parsed.beacon.id) this.deps.sink.gone(before.id, channel);
      d.received.set(name, { id: parsed.beacon.id, misses: 0 });
    }
    for (const [name, r] of d.received) {
      if (present.has(name)) continue;
      if (++r.misses >= MISSES_TO_LEAVE) this.forget(d, name);
    }
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
