/**
 * One daemon per data_dir: `<dataDir>/trucada.pid` is created exclusively and holds the daemon's
 * pid. Holding it, the daemon may clear the `<db>.lock` directory that node-sqlite3-wasm leaves
 * behind when a process is killed mid-transaction (every later open would fail with SQLITE_BUSY).
 */
import { readFileSync, readlinkSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { makeDataDir } from './data-dir.js';
import { sleepSync } from './sleep-sync.js';
import { StoreError } from './store-error.js';

export const PID_FILE = 'trucada.pid';

export interface DataDirLock {
  readonly pidFile: string;
  release(): void;
}

export interface DataDirLockOptions {
  pid?: number;
  /** A `<db>.lock` directory that lasts this long (ms) is left from a crash, not held by the command. */
  staleLockMs?: number;
}

const DEFAULT_STALE_LOCK_MS = 1000;
const POLL_MS = 50;

export function acquireDataDirLock(dataDir: string, dbPath: string, options: DataDirLockOptions = {}): DataDirLock {
  const pid = options.pid ?? process.pid;
  const pidFile = join(dataDir, PID_FILE);
  makeDataDir(dataDir);
  // Two tries: the second follows the removal of a stale file. Two daemons racing over the same
  // stale file could both win; procd starts one instance, so that is left alone.
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(pidFile, `${pid}\n`, { flag: 'wx', mode: 0o644 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const holder = readPid(pidFile);
    if (holder !== undefined && holder !== pid && isDaemonAlive(holder)) {
      throw new StoreError('DATA_DIR_LOCKED', `another trucada (pid ${holder}) is using ${dataDir}; see ${pidFile}`);
    }
    removeIfPresent(() => unlinkSync(pidFile));
  }
  clearStaleSqliteLock(`${dbPath}.lock`, options.staleLockMs ?? DEFAULT_STALE_LOCK_MS);
  return {
    pidFile,
    release() {
      if (readPid(pidFile) === pid) removeIfPresent(() => unlinkSync(pidFile));
    },
  };
}

/** The pid of the daemon running on `dataDir`, if one is. */
export function readDaemonPid(dataDir: string): number | undefined {
  const pid = readPid(join(dataDir, PID_FILE));
  return pid !== undefined && isDaemonAlive(pid) ? pid : undefined;
}

/**
 * The command holds the lock directory for a few ms at a time, so only one that stays (the same
 * directory, by inode) for `staleMs`, or was made that long ago, is removed.
 */
function clearStaleSqliteLock(lockDir: string, staleMs: number): void {
  let seen: { ino: number; since: number } | undefined;
  for (;;) {
    const st = statIfPresent(lockDir);
    if (st === undefined) return;
    const now = Date.now();
    if (seen?.ino !== st.ino) seen = { ino: st.ino, since: Math.min(now, st.mtimeMs) };
    if (now - seen.since >= staleMs) {
      removeIfPresent(() => rmdirSync(lockDir));
      return;
    }
    sleepSync(POLL_MS);
  }
}

function readPid(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * A pid is a daemon's if the process exists and, where /proc tells, runs the same executable as
 * we do: after a reboot the pid in the file (kept on flash) may belong to an unrelated process.
 */
function isDaemonAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return true;
  }
  return executableName(exe) === executableName(process.execPath);
}

/** The name of an executable, also when it was replaced on disk since it started (an upgrade). */
function executableName(path: string): string {
  return basename(path.replace(/ \(deleted\)$/, ''));
}

function statIfPresent(path: string): { ino: number; mtimeMs: number } | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function removeIfPresent(remove: () => void): void {
  try {
    remove();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
