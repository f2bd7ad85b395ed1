/**
 * A helper process on a test host (a network namespace): a script run there with the test runner's
 * own Node and loader, since the test's process is not in that namespace and cannot reach the node
 * there. It takes one JSON command a line on stdin, each with an `id`, answers each with a line
 * carrying that `id` (and `error` when it failed), and writes what happens unasked as
 * `{"event":...}` lines. Every wait is bounded, and the process is stopped when the test ends.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { within } from './sip-ua.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export type Line = Record<string, unknown>;

export interface NetnsAgent {
  /** Send `command` and resolve with its answer; an answer with `error` rejects. */
  ask(command: Line, what: string, ms?: number): Promise<Line>;
  /** The first line that `match` takes, seen already or to come. */
  next(match: (l: Line) => boolean, what: string, ms?: number): Promise<Line>;
  /** Every line so far, in order. */
  readonly seen: readonly Line[];
}

/** Runs `script` (a .ts file) in `netns` with `args`, and waits for its `{"event":"ready"}` line. */
export async function startNetnsAgent(t: Teardown, netns: string, script: string, args: string[], name: string): Promise<NetnsAgent> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, ...process.execArgv, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  });

  const seen: Line[] = [];
  const waiters: { match: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      return;
    }
    seen.push(line);
    for (const w of waiters.filter((w) => w.match(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const next = (match: (l: Line) => boolean, what: string, ms?: number): Promise<Line> => {
    const had = seen.find(match);
    if (had) return Promise.resolve(had);
    const found = new Promise<Line>((resolve) => waiters.push({ match, resolve }));
    return within(found, `${name}: ${what}`, ms).catch((err: Error) => {
      throw new Error(`${err.message}; saw ${JSON.stringify(seen.slice(-20))}; stderr: ${stderr.slice(-4000)}`);
    });
  };

  let lastId = 0;
  const ask = async (command: Line, what: string, ms = 10_000): Promise<Line> => {
    const id = ++lastId;
    child.stdin.write(`${JSON.stringify({ id, ...command })}\n`);
    const reply = await next((l) => l['id'] === id, what, ms);
    if (typeof reply['error'] === 'string') throw new Error(`${name}: ${what}: ${reply['error']}`);
    return reply;
  };

  await next((l) => l['event'] === 'ready', 'to start', 10_000);
  return { ask, next, seen };
}
