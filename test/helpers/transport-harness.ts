/**
 * Shared pieces of the transport and HTTP tests: a Config on loopback ports, the throwaway TLS
 * fixture, a sink that records what the transports deliver, and raw SIP messages to send.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../../src/config/config.js';
import { createLogger, type Logger } from '../../src/log.js';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';
import type { SipMessage, SipRequest } from '../../src/sip/message.js';
import type { Flow, FlowEnd, MessageSink } from '../../src/sip/flow.js';
import { startTransports, type Transports, type TransportsOptions } from '../../src/transport/transports.js';
import { ConnectionTotal } from '../../src/transport/connection-limits.js';
import { startHttpServers, type RequestHandler } from '../../src/http/server.js';
import { freePorts } from './ports.js';

/** Self-signed for localhost, 127.0.0.1 and ::1; made once with openssl, for tests only. */
export const TLS = {
  cert: readFileSync(new URL('../fixtures/tls/cert.pem', import.meta.url), 'utf8'),
  key: readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url), 'utf8'),
};

export function testConfig(ports: { sip: number; http: number; https: number }, overrides: Partial<Config> = {}): Config {
  return {
    domain: 'test.mesh',
    listen: ['127.0.0.1'],
    sipPort: ports.sip,
    httpPort: ports.http,
    httpsPort: ports.https,
    stunPort: 0,
    dataDir: '/nonexistent/data',
    runDir: '/nonexistent/run',
    firewallZones: ['lan'],
    logLevel: 'debug',
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 600,
    maxContacts: 5,
    maxMessageSize: DEFAULT_LIMITS.maxMessageSize,
    maxConnectionsPerAddress: 4,
    maxConnections: 2000,
    requestRate: 0,
    maxRequestsInProgress: 1000,
    idleTimeout: 30,
    tcpMessageTimeout: 20,
    turnUrls: [],
    turnTtl: 43200,
    ringTimeout: 45,
    rtpengineRelay: 'mixed',
    signup: 'open',
    natPingInterval: 20,
    messageMaxBody: 8192,
    messageMaxStored: 100,
    messageMaxAge: 604800,
    historyMaxCalls: 200,
    historyMaxAge: 7776000,
    peers: [],
    peerInterval: 30,
    peerTimeout: 180,
    // Nothing a test starts may multicast on the machine's own interfaces.
    mdns: 'off',
    bmx: 'off',
    bmxRunDirs: [],
    sharedState: 'off',
    peerExchange: 'off',
    source: 'defaults',
    ...overrides,
  };
}

/** Resolves with the next item pushed, or rejects after `ms`. */
export class Queue<T> {
  readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  next(ms = 3000): Promise<T> {
    const ready = this.items.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`nothing arrived within ${ms} ms`));
      }, ms);
      const waiter = (item: T) => {
        clearTimeout(timer);
        resolve(item);
      };
      this.waiters.push(waiter);
    });
  }
}

export class RecordingSink implements MessageSink {
  readonly messages = new Queue<{ message: SipMessage; flow: Flow }>();
  readonly closed = new Queue<Flow>();
  /** How each flow in `closed` ended, by its id. */
  readonly ends = new Map<string, FlowEnd>();

  onMessage(message: SipMessage, flow: Flow): void {
    this.messages.push({ message, flow });
  }

  onFlowClosed(flow: Flow, end: FlowEnd): void {
    this.ends.set(flow.id, end);
    this.closed.push(flow);
  }
}

export interface Harness {
  readonly transports: Transports;
  /** The web servers, which hand their WebSocket upgrades to the transports as main.ts has them do. */
  readonly ports: { readonly sip: number; readonly http: number; readonly https: number };
  readonly sink: RecordingSink;
  readonly config: Config;
  readonly log: string[];
}

/** Start every transport on fresh loopback ports; stopped when the test ends. */
export async function startHarness(
  t: { teardown(fn: () => unknown): void },
  overrides: Partial<Config> = {},
  hosts: readonly string[] = ['127.0.0.1'],
  extra: Pick<TransportsOptions, 'requestLimiter'> & { handler?: RequestHandler } = {},
): Promise<Harness> {
  const [sip, http, https] = (await freePorts(3, hosts)) as [number, number, number];
  const config = testConfig({ sip, http, https }, { listen: [...hosts], ...overrides });
  const log: string[] = [];
  const logger: Logger = createLogger('debug', (line) => log.push(line));
  const sink = new RecordingSink();
  const limits = { ...DEFAULT_LIMITS, maxMessageSize: config.maxMessageSize };
  const connectionTotal = new ConnectionTotal(config.maxConnections);
  const { handler, ...options } = extra;
  const transports = await startTransports({ config, sink, logger, limits, connectionTotal, ...options });
  t.teardown(() => transports.stop());
  const web = await startHttpServers({ config, tls: TLS, logger, onUpgrade: transports.upgrade, connectionTotal, ...(handler ? { handler } : {}) });
  // Teardowns run in order: the WebSockets close before the web servers, which wait for them.
  t.teardown(async () => {
    await transports.closeWebSockets();
    await web.stop();
  });
  return { transports, sink, config, log, ports: { sip, http, https } };
}

export interface RequestFields {
  method?: string;
  via?: string;
  callId?: string;
  body?: string;
}

/** A minimal valid request as wire text (CRLF line ends). */
export function rawRequest(f: RequestFields = {}): string {
  const method = f.method ?? 'OPTIONS';
  const body = f.body ?? '';
  return (
    `${method} sip:test.mesh SIP/2.0\r\n` +
    `Via: ${f.via ?? 'SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK-test-1;rport'}\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <sip:alice@test.mesh>;tag=a1\r\n` +
    `To: <sip:test.mesh>\r\n` +
    `Call-ID: ${f.callId ?? 'call-1@192.0.2.7'}\r\n` +
    `CSeq: 1 ${method}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Status line and header lines of a response text, for assertions. */
export function headLines(text: string): string[] {
  return text.split('\r\n\r\n')[0]!.split('\r\n');
}

export function asRequest(m: SipMessage): SipRequest {
  if (m.kind !== 'request') throw new Error(`expected a request, got ${m.status}`);
  return m;
}
