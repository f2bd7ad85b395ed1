/**
 * Debian's rtpengine (package `rtpengine-daemon`) started by a test in userspace mode (`--table=-1`:
 * no kernel module) on loopback, with no configuration file, its ng control port and a small RTP port
 * range of its own. Stopped when the test ends; `restart` brings it back on the same ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePorts } from './ports.js';

export const RTPENGINE = '/usr/bin/rtpengine';

/** A skip reason when rtpengine is missing, else false. */
export const rtpengineMissing: string | false = existsSync(RTPENGINE) ? false : `${RTPENGINE} missing (apt-get install rtpengine-daemon)`;

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Rtpengine {
  /** The ng control port on 127.0.0.1. */
  readonly ngPort: number;
  /** The RTP ports it may give out, [min, max]. */
  readonly rtpPorts: readonly [number, number];
  readonly output: string[];
  stop(): Promise<void>;
  restart(): Promise<void>;
}

// A fresh machine loads rtpengine's libraries cold while the other test files run beside it: CI saw
// more than 5 s pass before its first log line.
const START_MS = 30_000;
const RTP_PORTS = 20;

export async function startRtpengine(t: Teardown): Promise<Rtpengine> {
  const [ngPort, base] = (await freePorts(2)) as [number, number];
  // An even, fixed range per run above the control port's candidate; rtpengine binds only what a call asks.
  const min = 20000 + ((base * 2) % 10000);
  const rtpPorts = [min, min + RTP_PORTS - 1] as const;
  const output: string[] = [];
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(RTPENGINE, [
        '--config-file=none',
        '--foreground',
        '--log-stderr',
        '--table=-1',
        '--interface=127.0.0.1',
        `--listen-ng=127.0.0.1:${ngPort}`,
        `--port-min=${rtpPorts[0]}`,
        `--port-max=${rtpPorts[1]}`,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      const timer = setTimeout(() => reject(new Error(`rtpengine did not start within ${START_MS} ms:\n${output.join('')}`)), START_MS);
      c.stderr!.on('data', (d: Buffer) => {
        output.push(d.toString());
        if (/Startup complete/.test(d.toString())) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`rtpengine exited (${code}):\n${output.join('')}`));
      });
    });
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    const killer = setTimeout(() => c.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };
  t.teardown(stop);
  await start();
  return { ngPort, rtpPorts, output, stop, restart: async () => (await stop(), await start()) };
}
