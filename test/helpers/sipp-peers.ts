/**
 * sipp as the two ends of a call through a test node, every message traced to a file (sipp-trace.ts)
 * so a test can say what reached each end:
 *
 *   - a device: registers a user from its own port (call-callee-register.xml), then handles every
 *     call that comes with an out-of-call scenario (-oocsf: answer, ring until cancelled, be busy);
 *     several devices of one user are several bindings, all rung at once;
 *   - a caller: one run of a caller scenario to its end (call-caller*.xml).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports.js';
import { until } from './sip-ua.js';
import { runSippScenario, startSipp, type SippProcess } from './sipp-process.js';
import { SIPP_SCENARIOS } from './sipp.js';
import { readSippTrace, sippTraceArgs, type SippMessage } from './sipp-trace.js';
import { TEST_DOMAIN, type TestNode } from './test-node.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface SippPeer {
  /** Everything this peer sent and received so far. */
  messages(): SippMessage[];
  /** The messages it received whose start line matches, e.g. /^INVITE /. */
  received(startLine: RegExp): SippMessage[];
  sent(startLine: RegExp): SippMessage[];
}

export interface SippDevice extends SippPeer {
  readonly port: number;
  readonly process: SippProcess;
  /** Wait (bounded) until the device has received a message whose start line matches. */
  waitReceived(startLine: RegExp, what: string, ms?: number): Promise<SippMessage>;
  waitSent(startLine: RegExp, what: string, ms?: number): Promise<SippMessage>;
}

export interface SippDeviceOptions {
  user: string;
  password: string;
  /** What the device does with each call: a file in test/sipp run as the out-of-call scenario. */
  scenario: string;
  transport?: 'udp' | 'tcp';
  /** How long the device stays up (it is stopped when the test ends in any case). */
  seconds?: number;
  /** More `-key NAME VALUE` for the scenario, e.g. the port its SDP names. */
  keys?: Record<string, string>;
  /** sipp's own media port (-mp), for a scenario that plays audio from it. */
  mediaPort?: number;
}

const keyArgs = (keys: Record<string, string> = {}) => Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]);

/** A fresh file for one peer's trace, removed when the test ends. */
function traceFile(t: Teardown, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-sipp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, `${name}.log`);
}

function peer(file: string): SippPeer {
  const messages = () => readSippTrace(file);
  return {
    messages,
    received: (line) => messages().filter((m) => m.direction === 'received' && line.test(m.startLine)),
    sent: (line) => messages().filter((m) => m.direction === 'sent' && line.test(m.startLine)),
  };
}

/** Waits (bounded) until the peer has received, or sent, a message whose start line matches. */
function waitFor(traced: SippPeer, direction: 'received' | 'sent') {
  return async (line: RegExp, what: string, ms?: number) => {
    const found = () => traced[direction](line)[0];
    await until(() => found() !== undefined, what, ms);
    return found()!;
  };
}

const transportArg = (transport: 'udp' | 'tcp') => (transport === 'udp' ? 'u1' : 't1');

/** A sipp device of `options.user`, registered with the node when this resolves. */
export async function registerSippDevice(t: Teardown, node: TestNode, options: SippDeviceOptions): Promise<SippDevice> {
  const [port] = await freePorts(1);
  const seconds = options.seconds ?? 20;
  const file = traceFile(t, `${options.user}-${port}`);
  const process = startSipp(t, 'call-callee-register.xml', [
    '-oocsf', join(SIPP_SCENARIOS, options.scenario),
    '-t', transportArg(options.transport ?? 'udp'),
    '-i', '127.0.0.1', '-p', String(port!),
    '-key', 'domain', TEST_DOMAIN, '-s', options.user, '-ap', options.password, '-auth_uri', TEST_DOMAIN,
    '-d', String(seconds * 1000), '-m', '1',
    ...keyArgs(options.keys),
    ...(options.mediaPort === undefined ? [] : ['-mp', String(options.mediaPort)]),
    ...sippTraceArgs(file),
    `127.0.0.1:${node.config.sipPort}`,
  ], seconds + 10);
  await until(
    () => node.node.location.lookup(options.user).some((b) => b.contact.includes(`:${port}`)),
    `${options.user}'s sipp device on port ${port} to register`,
  );
  const traced = peer(file);
  return { ...traced, port: port!, process, waitReceived: waitFor(traced, 'received'), waitSent: waitFor(traced, 'sent') };
}

export interface SippCallerOptions {
  scenario: string;
  /** The From user and, unless `authUser` says otherwise, the digest user. */
  user: string;
  password?: string;
  authUser?: string;
  callee: string;
  transport?: 'udp' | 'tcp';
  /** Milliseconds between the ACK and the BYE where the scenario pauses (default 200). */
  pauseMs?: number;
  keys?: Record<string, string>;
  timeoutSeconds?: number;
}

/** A caller scenario started: what it sent and received so far, and its end. */
export interface SippCall extends SippPeer {
  waitReceived(startLine: RegExp, what: string, ms?: number): Promise<SippMessage>;
  readonly done: Promise<{ code: number | null; output: string }>;
}

/** A caller scenario started, to follow while it runs. */
export async function startSippCaller(t: Teardown, node: TestNode, options: SippCallerOptions): Promise<SippCall> {
  const [port] = await freePorts(1);
  const file = traceFile(t, `${options.user}-caller`);
  const done = runSippScenario(t, options.scenario, [
    '-t', transportArg(options.transport ?? 'udp'),
    '-i', '127.0.0.1', '-p', String(port!),
    '-key', 'domain', TEST_DOMAIN, '-key', 'callee', options.callee,
    '-s', options.user,
    ...(options.authUser ? ['-au', options.authUser] : []),
    ...(options.password !== undefined ? ['-ap', options.password] : []),
    '-auth_uri', `${options.callee}@${TEST_DOMAIN}`,
    '-m', '1', '-d', String(options.pauseMs ?? 200),
    ...keyArgs(options.keys),
    ...sippTraceArgs(file),
    `127.0.0.1:${node.config.sipPort}`,
  ], options.timeoutSeconds);
  const traced = peer(file);
  return { ...traced, waitReceived: waitFor(traced, 'received'), done };
}

/** One run of a caller scenario to its end, with what it sent and received. */
export async function runSippCaller(t: Teardown, node: TestNode, options: SippCallerOptions) {
  const call = await startSippCaller(t, node, options);
  return { ...(await call.done), ...call };
}
