/** Runs sipp (Debian package sip-tester) as a real SIP peer, bounded in time, on 127.0.0.1. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';

export const SIPP_SCENARIOS = fileURLToPath(new URL('../sipp', import.meta.url));

export interface SippRun {
  scenario: string;
  transport: 'udp' | 'tcp';
  port: number;
  domain: string;
  user: string;
  password: string;
  /** Calls to run (default 1). */
  calls?: number;
  /** Calls started per second (sipp's default: 10). */
  rate?: number;
  timeoutSeconds?: number;
}

export interface SippResult {
  /** sipp's exit code: 0 every call succeeded, 1 at least one failed, other values are errors. */
  code: number;
  output: string;
}

export async function runSipp(run: SippRun): Promise<SippResult> {
  const [localPort] = await freePorts(1);
  const timeout = run.timeoutSeconds ?? 20;
  const args = [
    '-sf', join(SIPP_SCENARIOS, run.scenario),
    '-t', run.transport === 'udp' ? 'u1' : 't1',
    '-i', '127.0.0.1',
    '-p', String(localPort),
    '-m', String(run.calls ?? 1),
    ...(run.rate === undefined ? [] : ['-r', String(run.rate)]),
    '-key', 'domain', run.domain,
    '-s', run.user,
    '-au', run.user,
    '-ap', run.password,
    // The digest uri is the Request-URI (RFC 3261 §22.4); sipp's default would be HOST:PORT.
    '-auth_uri', run.domain,
    '-timeout', `${timeout}s`,
    '-timeout_error',
    '-nostdin',
    `127.0.0.1:${run.port}`,
  ];
  return new Promise((resolve) => {
    execFile('sipp', args, { timeout: (timeout + 10) * 1000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}
