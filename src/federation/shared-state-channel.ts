/**
 * The LibreMesh shared-state discovery channel (DESIGN.md §5): `shared-state-async` keeps a
 * key-value store per data type that every LibreMesh node syncs with its neighbours (TCP 3490), so
 * an entry inserted here reaches every node of the network within a few sync rounds, across
 * clouds that mDNS does not cross.
 *
 * Through its command line, the only interface it has:
 *   - `shared-state-async insert trucada` with `{"<node id>": "<beacon>"}` on stdin (re-inserting
 *     renews the entry's TTL);
 *   - `shared-state-async get trucada` prints every entry as one JSON object `{key: data}`;
 *   - `shared-state-async register trucada community <update s> <ttl s>` makes the data type known;
 *     the init script runs it as root at start, and the node again when `insert` says the type is
 *     unknown (the daemon forgets types when its configuration is rewritten).
 * The store has no delete: an entry lives until its TTL runs out where nobody renews it. So a node
 * that stops inserts an empty value under its id, which the others read as the node gone; a node
 * that dies is gone once its entry bleaches, or earlier by the directory's peer_timeout.
 *
 * The store is "unsecured": any node can write any key. Nothing here is trusted beyond where to fetch
 * a descriptor (the directory verifies it), an entry whose key is not the id its beacon names is
 * refused, the output read is capped, and every command has a time limit.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { RateLimitedLog } from '../transport/rate-limited-log.js';
import { encodeBeacon, parseBeacon } from './beacon.js';
import type { ChannelDeps, DiscoveryChannel } from './channel.js';
import { PollLoop } from './poll-loop.js';

export const DATA_TYPE = 'trucada';
export const COMMAND = 'shared-state-async';
/** How often the beacon is inserted again and the others read. */
export const SHARED_STATE_INTERVAL_MS = 30_000;
/** The data type's TTL: an entry not renewed for this long bleaches away at every node. */
export const SHARED_STATE_TTL_S = 300;
const COMMAND_TIMEOUT_MS = 10_000;
/** `get` prints about 150 bytes per node: 256 KiB is well over a thousand nodes. */
const MAX_OUTPUT = 256 * 1024;
export const MAX_ENTRIES = 1024;
const CHANNEL = 'shared-state';

export interface SharedStateOptions {
  /** The command, looked up in PATH unless absolute. */
  readonly command?: string;
  readonly intervalMs?: number;
  /** Where PATH is read from (tests give their own). */
  readonly env?: NodeJS.ProcessEnv;
}

export class SharedStateChannel implements DiscoveryChannel {
  readonly name = CHANNEL;
  private readonly command: string;
  private readonly intervalMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly warnings: RateLimitedLog;
  /** The nodes the last `get` listed. */
  private readonly present = new Set<string>();
  private inserted = false;
  private found: boolean | undefined;
  private failing = false;
  private readonly loop: PollLoop;

  constructor(
    private readonly deps: ChannelDeps,
    opts: SharedStateOptions = {},
  ) {
    this.command = opts.command ?? COMMAND;
    this.intervalMs = opts.intervalMs ?? SHARED_STATE_INTERVAL_MS;
    this.env = opts.env ?? process.env;
    this.warnings = new RateLimitedLog(deps.logger, deps.clock.now);
    const round = () => this.round().catch((err: Error) => this.warnings.warn(`${CHANNEL}: ${err.message}`));
    this.loop = new PollLoop(deps.clock, this.intervalMs, round);
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  /** Inserts the beacon and reads the others'; resolves when done (tests, shutdown). */
  poll(): Promise<void> {
    return this.loop.poll();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    if (!this.inserted) return;
    const path = await this.resolve();
    if (path === undefined) return;
    await this.run(path, ['insert', DATA_TYPE], JSON.stringify({ [this.deps.own().id]: '' })).catch((err: Error) =>
      this.deps.logger.warn(`${CHANNEL}: cannot withdraw this node's entry (${err.message}); it bleaches within ${SHARED_STATE_TTL_S} s`),
    );
  }

  private async round(): Promise<void> {
    const path = await this.resolve();
    if (path === undefined) {
      for (const id of this.present) this.deps.sink.gone(id, CHANNEL);
      this.present.clear();
      return;
    }
    try {
      await this.insert(path);
      this.read(await this.run(path, ['get', DATA_TYPE]));
      if (this.failing) this.deps.logger.info(`${CHANNEL}: ${COMMAND} answers again`);
      this.failing = false;
    } catch (err) {
      // The first failure of a run is worth a line; the same one every 30 s is not.
      if (!this.failing) this.deps.logger.warn(`${CHANNEL}: ${(err as Error).message}; trying every ${Math.round(this.intervalMs / 1000)} s`);
      this.failing = true;
    }
  }

  private async insert(path: string): Promise<void> {
    const own = this.deps.own();
    const entry = JSON.stringify({ [own.id]: encodeBeacon(own) });
    try {
      await this.run(path, ['insert', DATA_TYPE], entry);
    } catch (err) {
      if (!/unknown|unkown/i.test((err as Error).message)) throw err;
      // The type is not registered (yet, or any more): register it, as the init script does.
      const interval = String(Math.round(this.intervalMs / 1000));
      await this.run(path, ['register', DATA_TYPE, 'community', interval, String(SHARED_STATE_TTL_S)]);
      this.deps.logger.info(`${CHANNEL}: registered the data type ${DATA_TYPE}`);
      await this.run(path, ['insert', DATA_TYPE], entry);
    }
    this.inserted = true;
  }

  private read(output: string): void {
    let state: unknown;
    try {
      state = JSON.parse(output);
    } catch {
      throw new Error(`${COMMAND} get ${DATA_TYPE} printed no JSON`);
    }
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error(`${COMMAND} get ${DATA_TYPE} printed no JSON object`);
    const entries = Object.entries(state);
    if (entries.length > MAX_ENTRIES) this.warnings.warn(`${CHANNEL}: ${entries.length} entries; reading the first ${MAX_ENTRIES}`);
    const selfId = this.deps.own().id;
    const now = new Set<string>();
    for (const [key, value] of entries.slice(0, MAX_ENTRIES)) {
      // An empty value is a node that withdrew (see the header).
      if (key === selfId || value === '') continue;
      if (typeof value !== 'string') {
        this.warnings.warn(`${CHANNEL}: the entry ${JSON.stringify(key.slice(0, 40))} is not a beacon`);
        continue;
      }
      const parsed = parseBeacon(value);
      if (parsed.ok && parsed.beacon.id !== key) {
        this.warnings.warn(`${CHANNEL}: the entry ${JSON.stringify(key.slice(0, 40))} holds the beacon of node ${parsed.beacon.id}: refused`);
        continue;
      }
      this.deps.sink.heard(value, CHANNEL);
      if (parsed.ok) now.add(key);
    }
    for (const id of this.present) if (!now.has(id)) this.deps.sink.gone(id, CHANNEL);
    this.present.clear();
    for (const id of now) this.present.add(id);
  }

  /** The command's path, or undefined where it is not installed (no process is started to find out). */
  private async resolve(): Promise<string | undefined> {
    const candidates = isAbsolute(this.command) ? [this.command] : (this.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, this.command));
    for (const c of candidates) {
      if (await access(c, constants.X_OK).then(() => true, () => false)) {
        if (this.found !== true) this.deps.logger.info(`${CHANNEL}: using ${c}`);
        this.found = true;
        return c;
      }
    }
    if (this.found === true) this.deps.logger.warn(`${CHANNEL}: ${this.command} is gone`);
    this.found = false;
    return undefined;
  }

  private run(path: string, args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(path, args, { timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT, env: this.env }, (err, stdout, stderr) => {
        if (err === null) return resolve(stdout);
        const why = stderr.trim().split('\n').pop()?.slice(0, 200) || err.message;
        reject(new Error(`${COMMAND} ${args.join(' ')}: ${why}`));
      });
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(input ?? '');
    });
  }
}
