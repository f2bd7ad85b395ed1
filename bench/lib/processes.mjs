// The processes the bench starts (targets and sipp), each in a process group of its own so that
// stopping one also stops its children (Kamailio forks its workers). The ids of the groups still
// running are kept in a file, so bench/run.sh's exit trap can stop what a crashed bench left behind
// (and only that: a group that ended is taken off, its id may be reused).
import { spawn } from 'node:child_process';
import { openSync, closeSync, writeFileSync } from 'node:fs';

export class ProcessGroups {
  /** @param {string} pidFile where the group ids go, one per line */
  constructor(pidFile) {
    this.pidFile = pidFile;
    /** @type {Set<import('node:child_process').ChildProcess>} */
    this.running = new Set();
    writeFileSync(pidFile, '');
  }

  /**
   * Starts `command` with stdout and stderr appended to `logFile`.
   * @returns {{ pid: number, exited: Promise<number | null>, stop: () => Promise<void> }}
   */
  start(command, args, { logFile, cwd, env } = {}) {
    const log = openSync(logFile, 'a');
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    if (child.pid === undefined) throw new Error(`cannot start ${command}`);
    this.running.add(child);
    this.#writePidFile();
    const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(signal === null ? code : null));
      child.once('error', () => resolve(null));
    }).then((code) => {
      this.running.delete(child);
      this.#writePidFile();
      return code;
    });
    return { pid: child.pid, exited, stop: () => stopGroup(child, exited) };
  }

  async stopAll() {
    await Promise.all([...this.running].map((child) => stopGroup(child, new Promise((r) => child.once('exit', r)))));
  }

  #writePidFile() {
    writeFileSync(this.pidFile, [...this.running].map((c) => `${c.pid}\n`).join(''));
  }
}

/** SIGTERM to the whole group, SIGKILL if it is still there after 5 s. */
async function stopGroup(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  // Kamailio's workers may outlive their parent by a moment; make sure none is left.
  signalGroup(child.pid, 'SIGKILL');
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
