/**
 * A SIP.js phone on a test host (a network namespace): netns-phone-agent.ts run there as a
 * netns-agent.ts process, driven over its stdin and stdout. Every wait is bounded, and the phone is
 * stopped when the test ends.
 */
import { fileURLToPath } from 'node:url';
import { startNetnsAgent, type Line } from './netns-agent.js';
import type { SipJsPhoneOptions } from './sipjs-phone.js';

const AGENT = fileURLToPath(new URL('./netns-phone-agent.ts', import.meta.url));

interface Teardown {
  teardown(fn: () => unknown): void;
}

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
  const agent = await startNetnsAgent(t, netns, AGENT, [JSON.stringify(options)], options.name);
  return {
    register: async () => void (await agent.ask({ cmd: 'register' }, 'REGISTER')),
    call: async (target) => {
      const r = await agent.ask({ cmd: 'call', target }, `the call to ${target}`);
      return { status: r['status'] as number, reason: r['reason'] as string };
    },
    hangUp: async () => (await agent.ask({ cmd: 'hangup' }, 'the BYE')).status as number,
    message: async (target, body) => (await agent.ask({ cmd: 'message', target, body }, `the MESSAGE to ${target}`)).status as number,
    event: (name, n = 1, ms) => {
      let count = 0;
      // Each line is matched once, in order: seen lines first, then as they come.
      return agent.next((l) => l['event'] === name && ++count === n, `${name} event ${n}`, ms);
    },
    events: (name) => agent.seen.filter((l) => l['event'] === name),
  };
}
