import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { acquireDataDirLock, PID_FILE, readDaemonPid } from '../../src/store/data-dir-lock.js';
import { openDatabase } from '../../src/store/database.js';
import { tempDir } from '../helpers/temp-dir.js';

const sqlitePackage = createRequire(import.meta.url).resolve('node-sqlite3-wasm');

function start(t: { teardown(fn: () => void): void }, command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

function line(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', () => reject(new Error('child exited early')));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

t.test('a process killed mid-transaction blocks the file until the daemon takes its lock', async (t) => {
  const dir = tempDir(t);
  const dbPath = join(dir, 'trucada.db');
  openDatabase(dbPath).close();
  const child = start(t, process.execPath, [
    '-e',
    `const { Database } = require(${JSON.stringify(sqlitePackage)});
     const db = new Database(${JSON.stringify(dbPath)});
     db.exec('BEGIN IMMEDIATE');
     db.run("INSERT INTO meta VALUES ('half', 'written')");
     console.log('ready');
     setInterval(() => {}, 1000);`,
  ]);
  t.equal(await line(child), 'ready');
  child.kill('SIGKILL');
  await exited(child);
  t.ok(existsSync(`${dbPath}.lock`), 'the lock directory stays behind');
  t.throws(() => openDatabase(dbPath, { busyTimeoutMs: 100 }), { code: 'DB_BUSY' });

  const made = statSync(`${dbPath}.lock`).mtimeMs;
  const lock = acquireDataDirLock(dir, dbPath);
  t.ok(Date.now() - made >= 950, 'a fresh lock directory is given about a second');
  t.notOk(existsSync(`${dbPath}.lock`));
  const db = openDatabase(dbPath);
  t.equal(db.get("SELECT value FROM meta WHERE key = 'half'"), undefined, 'the dead transaction was rolled back');
  db.close();
  lock.release();
  t.notOk(existsSync(join(dir, PID_FILE)));
});

t.test('an old lock directory goes at once; one released in time is left to its owner', async (t) => {
  const dir = tempDir(t);
  const dbPath = join(dir, 'trucada.db');
  mkdirSync(`${dbPath}.lock`);
  const past = new Date(Date.now() - 10_000);
  utimesSync(`${dbPath}.lock`, past, past);
  let started = Date.now();
  acquireDataDirLock(dir, dbPath).release();
  t.ok(Date.now() - started < 500);
  t.notOk(existsSync(`${dbPath}.lock`));

  mkdirSync(`${dbPath}.lock`);
  const owner = start(t, process.execPath, ['-e', `setTimeout(() => require('fs').rmdirSync(${JSON.stringify(`${dbPath}.lock`)}), 200)`]);
  started = Date.now();
  acquireDataDirLock(dir, dbPath, { staleLockMs: 3000 }).release();
  const waited = Date.now() - started;
  t.ok(waited >= 100 && waited < 2500, `waited for the owner (${waited} ms)`);
  await exited(owner);
  t.equal(owner.exitCode, 0, 'the owner removed its own directory');
});

t.test('a live daemon refuses a second one', async (t) => {
  const dir = tempDir(t);
  const other = start(t, process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)']);
  await line(other);
  writeFileSync(join(dir, PID_FILE), `${other.pid}\n`);
  t.throws(() => acquireDataDirLock(dir, join(dir, 'trucada.db')), {
    code: 'DATA_DIR_LOCKED',
    message: new RegExp(`pid ${other.pid}`),
  });
  t.equal(readDaemonPid(dir), other.pid);
  t.equal(readFileSync(join(dir, PID_FILE), 'utf8'), `${other.pid}\n`, 'its pid file is untouched');
});

t.test('stale pid files are replaced', async (t) => {
  const dir = tempDir(t);
  const pidFile = join(dir, PID_FILE);
  const dead = start(t, process.execPath, ['-e', '0']);
  await exited(dead);
  const stale: Array<[string, string]> = [
    ['a dead process', `${dead.pid}\n`],
    ['our own pid (a restart that reused it)', `${process.pid}\n`],
    ['garbage', 'not a pid'],
  ];
  if (existsSync('/proc/self/exe')) {
    const sleeper = start(t, 'sleep', ['30']);
    await new Promise((resolve) => sleeper.once('spawn', resolve));
    stale.push(['a live process that is not node (a pid reused after reboot)', `${sleeper.pid}\n`]);
  }
  for (const [what, content] of stale) {
    writeFileSync(pidFile, content);
    const lock = acquireDataDirLock(dir, join(dir, 'trucada.db'));
    t.equal(readFileSync(pidFile, 'utf8'), `${process.pid}\n`, what);
    t.equal(readDaemonPid(dir), process.pid);
    lock.release();
    t.equal(readDaemonPid(dir), undefined);
  }
});

t.test('release leaves a pid file that is no longer ours', async (t) => {
  const dir = tempDir(t);
  const lock = acquireDataDirLock(dir, join(dir, 'trucada.db'));
  writeFileSync(lock.pidFile, '4194000\n');
  lock.release();
  t.equal(readFileSync(lock.pidFile, 'utf8'), '4194000\n');
});

t.test('a data_dir the node makes is its owner\'s only; one that exists keeps its mode', async (t) => {
  const root = tempDir(t);
  const fresh = join(root, 'etc', 'trucada');
  acquireDataDirLock(fresh, join(fresh, 'trucada.db')).release();
  t.equal(statSync(fresh).mode & 0o777, 0o700, 'made 0700: it holds the digests and keys');
  const existing = join(root, 'kept');
  mkdirSync(existing, { mode: 0o750 });
  acquireDataDirLock(existing, join(existing, 'trucada.db')).release();
  t.equal(statSync(existing).mode & 0o777, 0o750, 'the operator\'s mode is left alone');
});
