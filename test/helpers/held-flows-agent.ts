/**
 * Many SIP connections held by one process on a test host, run by held-flows.ts as a netns-agent.ts
 * process: `tcp` SIP-over-TCP connections to the node's SIP port and `ws` SIP-over-WebSocket ones
 * to its HTTP port, each registered (digest) with a binding that dies with its connection (RFC
 * 5626 outbound over TCP, a `.invalid` Contact over WebSocket, RFC 7118 §5). Raw sockets and text,
 * not a SIP stack: a thousand SIP.js instances would need more than the machine the test runs on.
 * Once connected it keeps them alive as phones do (a CRLF CRLF ping over TCP every `pingEveryMs`,
 * RFC 5626 §3.5.1; the `ws` library answers the node's WebSocket pings), refreshes `refreshBatch`
 * random registrations every `refreshEveryMs`, and answers every request the node brings with 200.
 * argv[2] is the HeldFlowsOptions as JSON.
 *
 *   {"id":1,"cmd":"connect"}                      → {"id":1,"tcp":250,"ws":250}, once all are registered
 *   {"id":2,"cmd":"message","to":"u1","body":".."} → {"id":2,"status":200} from a random connection
 *   {"id":3,"cmd":"stats"}                        → {"id":3,...HeldFlowsStats}
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { createResponse } from '../../src/sip/response.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { StreamFramer } from '../../src/sip/stream-framer.js';
import { digestAuthorization } from './digest-client.js';
import type { HeldFlowsOptions, HeldFlowsStats } from './held-flows.js';
import { within } from './sip-ua.js';

const o = JSON.parse(process.argv[2]!) as HeldFlowsOptions;
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
/** Connections opened and registered at once: the node's accept queue and the two cores set the pace. */
const CONCURRENCY = 20;
const ANSWER_MS = 10_000;

interface Conn {
  readonly kind: 'tcp' | 'ws';
  readonly user: string;
  readonly via: string;
  readonly contact: string;
  readonly registerCallId: string;
  cseq: number;
  open: boolean;
  write(text: string): void;
  /** Final responses awaited, by the Via branch of their request. */
  readonly pending: Map<string, { resolve: (res: SipResponse) => void; reject: (err: Error) => void }>;
}

const conns: Conn[] = [];
const stats: HeldFlowsStats = { open: 0, closedByNode: 0, refreshed: 0, refreshFailed: 0, messagesAnswered: 0, lastFailure: '' };
let serial = 0;

function deliver(conn: Conn, data: Buffer): void {
  let message;
  try {
    message = parseMessage(data);
  } catch (err) {
    stats.lastFailure = `unreadable message from the node: ${(err as Error).message}`;
    return;
  }
  if (message.kind === 'request') answer(conn, message);
  else if (message.status >= 200) {
    const branch = /branch=([^;,\s]+)/.exec(message.headers.get('via') ?? '')?.[1] ?? '';
    conn.pending.get(branch)?.resolve(message);
    conn.pending.delete(branch);
  }
}

/** Whatever the node brings (a forked MESSAGE) is taken: the phone is there. */
function answer(conn: Conn, req: SipRequest): void {
  if (req.method === 'ACK') return;
  stats.messagesAnswered++;
  conn.write(serializeMessage(createResponse(req, 200, undefined, `held${++serial}`)).toString('latin1'));
}

function closed(conn: Conn, ours: boolean): void {
  if (!conn.open) return;
  conn.open = false;
  stats.open--;
  if (!ours) stats.closedByNode++;
  for (const { reject } of conn.pending.values()) reject(new Error(`the ${conn.kind} connection of ${conn.user} closed`));
  conn.pending.clear();
}

async function openTcp(user: string): Promise<Conn> {
  const socket = net.connect({ host: o.node, port: o.sipPort });
  await within(new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject)), `a TCP connection to ${o.node}:${o.sipPort}`, ANSWER_MS);
  const here = `${socket.localAddress}:${socket.localPort}`;
  const conn: Conn = {
    kind: 'tcp',
    user,
    via: `SIP/2.0/TCP ${here}`,
    // Outbound: the binding is this flow and goes with it (RFC 5626 §5.2).
    contact: `<sip:${user}@${here};transport=tcp;ob>;reg-id=1;+sip.instance="<urn:uuid:${randomUUID()}>"`,
    registerCallId: `held-${randomUUID()}`,
    cseq: 0,
    open: true,
    write: (text) => void socket.write(text),
    pending: new Map(),
  };
  const framer = new StreamFramer(DEFAULT_LIMITS);
  socket.on('data', (chunk: Buffer) => {
    for (const e of framer.push(chunk)) if (e.type === 'message') deliver(conn, e.data);
  });
  socket.on('error', () => {});
  socket.on('close', () => closed(conn, false));
  return conn;
}

async function openWs(user: string): Promise<Conn> {
  const ws = new WebSocket(`ws://${o.node}:${o.httpPort}/`, 'sip');
  await within(new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject)), `a WebSocket to ${o.node}:${o.httpPort}`, ANSWER_MS);
  const host = `${randomUUID().slice(0, 8)}.invalid`;
  const conn: Conn = {
    kind: 'ws',
    user,
    via: `SIP/2.0/WS ${host}`,
    contact: `<sip:${user}@${host};transport=ws>`,
    registerCallId: `held-${randomUUID()}`,
    cseq: 0,
    open: true,
    write: (text) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    pending: new Map(),
  };
  ws.on('message', (data: Buffer) => deliver(conn, data));
  ws.on('error', () => {});
  ws.on('close', () => closed(conn, false));
  return conn;
}

interface Request {
  method: string;
  ruri: string;
  to: string;
  callId: string;
  extra: string[];
  body?: string;
}

/** Sends `req` on `conn`, answers one challenge, and resolves with the final response. */
async function transact(conn: Conn, req: Request): Promise<SipResponse> {
  const once = (auth?: string): Promise<SipResponse> => {
    const branch = `z9hG4bK-held-${++serial}`;
    const body = req.body ?? '';
    const text = [
      `${req.method} ${req.ruri} SIP/2.0`,
      `Via: ${conn.via};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:${conn.user}@${o.domain}>;tag=held${serial}`,
      `To: <sip:${req.to}@${o.domain}>`,
      `Call-ID: ${req.callId}`,
      `CSeq: ${++conn.cseq} ${req.method}`,
      ...req.extra,
      ...(auth ? [auth] : []),
      ...(body ? ['Content-Type: text/plain'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    const answered = new Promise<SipResponse>((resolve, reject) => conn.pending.set(branch, { resolve, reject }));
    conn.write(text);
    return within(answered, `the ${req.method}'s answer on a ${conn.kind} connection of ${conn.user}`, ANSWER_MS).finally(() => conn.pending.delete(branch));
  };
  const first = await once();
  if (first.status !== 401 && first.status !== 407) return first;
  return once(digestAuthorization(first, { user: conn.user, password: o.password, method: req.method, uri: req.ruri }));
}

async function register(conn: Conn): Promise<void> {
  const res = await transact(conn, {
    method: 'REGISTER',
    ruri: `sip:${o.domain}`,
    to: conn.user,
    callId: conn.registerCallId,
    extra: [`Contact: ${conn.contact}`, `Expires: ${o.expires}`, 'Supported: outbound'],
  });
  if (res.status !== 200) throw new Error(`REGISTER of ${conn.user} over ${conn.kind}: ${res.status} ${res.reason}`);
}

/** Connection `i` is TCP for the first `tcp`, WebSocket after; the users take turns so each has both kinds. */
async function connectAll(): Promise<{ tcp: number; ws: number }> {
  const total = o.tcp + o.ws;
  let nextIndex = 0;
  const worker = async () => {
    for (let i = nextIndex++; i < total; i = nextIndex++) {
      const user = o.users[i % o.users.length]!;
      const conn = i < o.tcp ? await openTcp(user) : await openWs(user);
      conns.push(conn);
      stats.open++;
      await register(conn);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  setInterval(() => {
    for (const c of conns) if (c.open && c.kind === 'tcp') c.write('\r\n\r\n');
  }, o.pingEveryMs);
  setInterval(refreshSome, o.refreshEveryMs);
  return { tcp: conns.filter((c) => c.kind === 'tcp').length, ws: conns.filter((c) => c.kind === 'ws').length };
}

function refreshSome(): void {
  const open = conns.filter((c) => c.open);
  for (let n = 0; n < o.refreshBatch && open.length > 0; n++) {
    const conn = open.splice(Math.floor(Math.random() * open.length), 1)[0]!;
    register(conn).then(
      () => stats.refreshed++,
      (err: Error) => {
        // A refresh cut short by the connection's loss is that loss, counted already.
        if (!conn.open) return;
        stats.refreshFailed++;
        stats.lastFailure = err.message;
      },
    );
  }
}

async function message(to: string, body: string): Promise<{ status: number; from: string }> {
  const open = conns.filter((c) => c.open);
  const conn = open[Math.floor(Math.random() * open.length)];
  if (conn === undefined) throw new Error('no open connection to send from');
  const res = await transact(conn, { method: 'MESSAGE', ruri: `sip:${to}@${o.domain}`, to, callId: `held-${randomUUID()}`, extra: [], body });
  return { status: res.status, from: `${conn.user} over ${conn.kind}` };
}

type Command = { id: number; cmd: 'connect' } | { id: number; cmd: 'message'; to: string; body: string } | { id: number; cmd: 'stats' };

async function run(c: Command): Promise<object> {
  switch (c.cmd) {
    case 'connect':
      return connectAll();
    case 'message':
      return message(c.to, c.body);
    case 'stats':
      return { ...stats };
  }
}

say({ event: 'ready' });
createInterface({ input: process.stdin })
  .on('line', (line) => {
    const c = JSON.parse(line) as Command;
    run(c).then(
      (reply) => say({ id: c.id, ...reply }),
      (err: Error) => say({ id: c.id, error: `${err.message} (${JSON.stringify(stats)})` }),
    );
  })
  // The test ended: go at once, sockets and all, whatever is still held.
  .on('close', () => process.exit(0));
