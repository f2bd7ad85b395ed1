/**
 * sipp as a long-running peer (a callee that registers and then answers calls), started in the
 * background and stopped by the test; `runSipp` in sipp.ts covers the one-shot clients.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SIPP_SCENARIOS } from './sipp.js';

export interface SippProcess {
  /** Resolves with sipp's exit code and everything it printed. */
  readonly exited: Promise<{ code: number | null; output: string }>;
  stop(): Promise<{ code: number | null; output: string }>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * `scenario` is a file in test/sipp; `args` are sipp's other arguments, ending with the remote host.
 * With `netns`, sipp runs on that test host (`ip netns exec` becomes sipp, so signals reach it).
 */
export function startSipp(t: Teardown, scenario: string, args: readonly string[], timeoutSeconds = 30, netns?: string): SippProcess {
  const argv = ['-sf', join(SIPP_SCENARIOS, scenario), '-nostdin', '-timeout', `${timeoutSeconds}s`, ...args];
  const child = spawn(netns === undefined ? 'sipp' : 'ip', netns === undefined ? argv : ['netns', 'exec', netns, 'sipp', ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.once('exit', (code) => resolve({ code, output }));
    child.once('error', (err) => resolve({ code: -1, output: `${output}\n${err.message}` }));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  t.teardown(stop);
  return { exited, stop };
}

/** One sipp run to its end, with `-timeout_error`: a run cut short by the timeout fails. */
export async function runSippScenario(t: Teardown, scenario: string, args: readonly string[], timeoutSeconds = 20, netns?: string) {
  return startSipp(t, scenario, ['-timeout_error', ...args], timeoutSeconds, netns).exited;
}
