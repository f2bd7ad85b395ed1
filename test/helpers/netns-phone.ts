/**
 * A SIP.js phone on a test host (a network namespace): netns-phone-agent.ts run there with the test
 * runner's own Node and loader, driven over its stdin and stdout. Every wait is bounded, and the
 * phone is stopped when the test ends.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SipJsPhoneOptions } from './sipjs-phone.js';
import { within } from './sip-ua.js';

const AGENT = fileURLToPath(new URL('./netns-phone-agent.ts', import.meta.url));

interface Teardown {
  teardown(fn: () => unknown): void;
}

type Line = Record<string, unknown>;

export interface NetnsPhone {
  register(): Promise<void>;
  /** Calls `target`; resolves with the final status, once established when it is 200. */
  call(target: string): Promise<{ status: number; reason: string }>;
  /** BYE in the current call; resolves with its answer's status. */
  hangUp(): Promise<number>;
  message(target: string, body: string): Promise<number>;
  /** The `n`th event (`invite`, `established`, `terminated`, `message`) of that name, seen already or to come. */
  event(name: string, n?: number, ms?: number): Promise<Line>;
  events(name: string): Line[];
}

export async function startNetnsPhone(t: Teardown, netns: string, options: SipJsPhoneOptions): Promise<NetnsPhone> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, ...process.execArgv, AGENT, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
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
    return within(found, `${options.name}: ${what}`, ms).catch((err: Error) => {
      throw new Error(`${err.message}; saw ${JSON.stringify(seen)}; stderr: ${stderr}`);
    });
  };

  let lastId = 0;
  const ask = async (command: Line, what: string): Promise<Line> => {
    const id = ++lastId;
    child.stdin.write(`${JSON.stringify({ id, ...command })}\n`);
    const reply = await next((l) => l['id'] === id, what, 10_000);
    if (typeof reply['error'] === 'string') throw new Error(`${options.name}: ${what}: ${reply['error']}`);
    return reply;
  };

  await next((l) => l['event'] === 'ready', `to connect to ${options.server}`, 10_000);
  return {
    register: async () => void (await ask({ cmd: 'register' }, 'REGISTER')),
    call: async (target) => {
      const r = await ask({ cmd: 'call', target }, `the call to ${target}`);
      return { status: r['status'] as number, reason: r['reason'] as string };
    },
    hangUp: async () => (await ask({ cmd: 'hangup' }, 'the BYE')).status as number,
    message: async (target, body) => (await ask({ cmd: 'message', target, body }, `the MESSAGE to ${target}`)).status as number,
    event: (name, n = 1, ms) => {
      let count = 0;
      // Each line is matched once, in order: seen lines first, then as they come.
      return next((l) => l['event'] === name && ++count === n, `${name} event ${n}`, ms);
    },
    events: (name) => seen.filter((l) => l['event'] === name),
  };
}
