/**
 * A proxy wired as main.ts wires it, with nothing but fakes at the edges: FakeFlows instead of
 * sockets, a FakeClock, an injected interface list, accounts as real HA1 digests. Messages cross
 * the fake wire as bytes (serialised and parsed again), as they would between real peers.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import type { Binding } from '../../src/location/binding.js';
import { Location } from '../../src/location/location.js';
import { createLogger } from '../../src/log.js';
import { FlowTokens } from '../../src/proxy/flow-token.js';
import type { FlowSource } from '../../src/proxy/next-hop.js';
import type { Peers } from '../../src/proxy/peers.js';
import { OurHosts } from '../../src/core/our-host.js';
import { Proxy, type CallAttempt } from '../../src/proxy/proxy.js';
import type { RouteDeps } from '../../src/proxy/record-route.js';
import { digestResponse, ha1, type DigestAlgorithm } from '../../src/sip/digest-hash.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { createResponse } from '../../src/sip/response.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { ClientTransactionTable } from '../../src/sip/transactions/client-transaction-table.js';
import { ServerTransactionTable } from '../../src/sip/transactions/server-transaction-table.js';
import { transactionTimers } from '../../src/sip/transactions/timers.js';
import type { Credentials } from '../../src/store/credentials.js';
import type { FlowAddress } from '../../src/sip/flow.js';
import { LocalAddresses } from '../../src/net/local-address.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeFlow, type FakeFlowOptions } from '../helpers/fake-flow.js';

export const DOMAIN = 'node1.mesh';
export const REALM = 'node1.mesh-realm';
export const NODE_IP = '198.18.0.1';
export const PASSWORDS: Record<string, string> = { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' };

/** eth0 on the mesh (198.18.0.0/15), a second LAN, loopback: what `os.networkInterfaces()` would say. */
export const INTERFACES: NetworkInterfaceInfo[] = [
  { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' },
  { address: NODE_IP, netmask: '255.254.0.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: `${NODE_IP}/15` },
  { address: '192.168.77.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:02', internal: false, cidr: '192.168.77.1/24' },
];

export function credentials(accounts: Record<string, string> = PASSWORDS): Credentials {
  return {
    realm: REALM,
    ha1: (user: string, algorithm: DigestAlgorithm) => {
      const name = user.toLowerCase();
      const password = accounts[name];
      return password === undefined ? undefined : ha1(algorithm, name, REALM, password);
    },
  };
}

/** Bytes and back: what the peer at the other end of a flow would read. */
export function wire<M extends SipMessage>(message: M): M {
  return parseMessage(serializeMessage(message)) as M;
}

export function sipText(lines: readonly string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

export interface RequestOptions {
  method?: string;
  ruri?: string;
  from?: string;
  fromTag?: string;
  to?: string;
  toTag?: string;
  callId?: string;
  cseq?: number;
  branch?: string;
  /** The sender's Via host:port. */
  sentBy?: string;
  /** `null` leaves Max-Forwards out. */
  maxForwards?: string | null;
  routes?: readonly string[];
  extra?: readonly string[];
  body?: string;
}

let branches = 0;

/** A request as a phone at 198.18.0.2:5062 sends it (alice calling bob unless told otherwise). */
export function request(o: RequestOptions = {}): SipRequest {
  const method = o.method ?? 'INVITE';
  const body = o.body ?? '';
  const to = `<${o.to ?? `sip:bob@${DOMAIN}`}>${o.toTag ? `;tag=${o.toTag}` : ''}`;
  const lines = [
    `${method} ${o.ruri ?? `sip:bob@${DOMAIN}`} SIP/2.0`,
    `Via: SIP/2.0/UDP ${o.sentBy ?? '198.18.0.2:5062'};branch=${o.branch ?? `z9hG4bKclient${++branches}`};rport`,
    ...(o.maxForwards === null ? [] : [`Max-Forwards: ${o.maxForwards ?? '70'}`]),
    ...(o.routes ?? []).map((r) => `Route: ${r}`),
    `From: "Alice" <${o.from ?? `sip:alice@${DOMAIN}`}>;tag=${o.fromTag ?? 'alicetag1'}`,
    `To: ${to}`,
    `Call-ID: ${o.callId ?? 'call-1@198.18.0.2'}`,
    `CSeq: ${o.cseq ?? 1} ${method === 'ACK' ? 'ACK' : method}`,
    'Contact: <sip:alice@198.18.0.2:5062>',
    'User-Agent: fixture-phone/1.0',
    ...(o.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return parseMessage(sipText(lines, body)) as SipRequest;
}

export interface AnswerOptions {
  toTag?: string;
  contact?: string;
  reason?: string;
}

/** What a UAS sends back for `req`: Via, From, To, Call-ID, CSeq and, as §12.1.1 says, Record-Route. */
export function answer(req: SipRequest, status: number, o: AnswerOptions = {}): SipResponse {
  const res = createResponse(req, status, o.reason, status === 100 ? undefined : o.toTag ?? 'calleetag');
  if (status > 100 && status < 300) {
    for (const rr of req.headers.getAll('record-route')) res.headers.append('Record-Route', rr);
    res.headers.append('Contact', o.contact ?? `<${req.uri}>`);
  }
  return res;
}

export interface Challenge {
  realm: string;
  nonce: string;
  algorithm: string;
  qop?: string;
}

/** The challenges of a 407, in order. */
export function challengesOf(res: SipMessage): Challenge[] {
  return res.headers.getAll('proxy-authenticate').map((v) => {
    const out: Record<string, string> = {};
    for (const m of v.matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]+))/g)) out[m[1]!] = m[2] ?? m[3]!;
    return out as unknown as Challenge;
  });
}

/** The Proxy-Authorization a client computes for the challenge (qop=auth). */
export function proxyAuthorization(ch: Challenge, o: { user: string; password: string; method: string; uri: string; nc?: number }): string {
  const algorithm = ch.algorithm as DigestAlgorithm;
  const nc = (o.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = 'f00dcafe';
  const response = digestResponse({
    algorithm,
    ha1: ha1(algorithm, o.user, ch.realm, o.password),
    method: o.method,
    uri: o.uri,
    nonce: ch.nonce,
    qop: 'auth',
    nc,
    cnonce,
  });
  return (
    `Digest username="${o.user}", realm="${ch.realm}", nonce="${ch.nonce}", uri="${o.uri}", ` +
    `response="${response}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}"`
  );
}

/** The transports as the proxy sees them: flows by id, and new UDP/TCP flows opened on demand. */
export class FakeFlows implements FlowSource {
  readonly byId = new Map<string, FakeFlow>();
  /** Flows `flowTo` had to open. */
  readonly opened: FakeFlow[] = [];

  add(o: FakeFlowOptions): FakeFlow {
    const flow = new FakeFlow({ localAddress: NODE_IP, ...o });
    this.byId.set(flow.id, flow);
    return flow;
  }

  flowById(id: string): FakeFlow | undefined {
    return this.byId.get(id);
  }

  flowTo(address: FlowAddress): FakeFlow | undefined {
    for (const f of this.byId.values()) if (f.open && sameAddress(f, address)) return f;
    // As the transports: a WebSocket is only ever the client's own connection.
    if (address.transport !== 'udp' && address.transport !== 'tcp') return undefined;
    const flow = this.add({
      transport: address.transport,
      remoteAddress: address.remoteAddress,
      remotePort: address.remotePort,
      ...(address.transport === 'tcp' ? { id: `tcp#new${this.opened.length + 1}` } : {}),
    });
    this.opened.push(flow);
    return flow;
  }

  /** Every message sent on any flow but `except`. */
  sentExcept(...except: FakeFlow[]): SipMessage[] {
    return [...this.byId.values()].filter((f) => !except.includes(f)).flatMap((f) => f.sent);
  }
}

function sameAddress(f: FakeFlow, a: FlowAddress): boolean {
  return f.transport === a.transport && f.remoteAddress === a.remoteAddress && f.remotePort === a.remotePort;
}

export interface HarnessOptions {
  ringTimeoutMs?: number;
  messageMaxBody?: number;
  /** The node's verified peer nodes (federation). */
  peers?: Peers;
}

export function harness(o: HarnessOptions = {}) {
  const clock = new FakeClock();
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l.trim()));
  const timers = transactionTimers();
  const serverTransactions = new ServerTransactionTable({ clock, timers });
  const clientTransactions = new ClientTransactionTable({ clock, timers });
  const location = new Location({ clock, logger });
  const addresses = new LocalAddresses(clock.now, () => INTERFACES);
  const hosts = new OurHosts({ domain: DOMAIN, addresses, ports: () => ({ sip: 5060, http: 8080, https: 8443 }) });
  const route: RouteDeps = { tokens: new FlowTokens(Buffer.alloc(32, 0x5a)), addresses, hosts };
  const flows = new FakeFlows();
  const calls: CallAttempt[] = [];
  const byes: string[] = [];
  const proxy = new Proxy({
    credentials: credentials(),
    location,
    flows,
    hosts,
    route,
    addresses,
    clientTransactions,
    serverTransactions,
    timers,
    clock,
    logger,
    ringTimeoutMs: o.ringTimeoutMs ?? 60_000,
    messageMaxBody: o.messageMaxBody ?? 4096,
    ...(o.peers ? { peers: o.peers } : {}),
    onCall: (call) => calls.push(call),
    onBye: (callId) => byes.push(callId),
  });

  /** As the dispatcher does: responses to the client transactions, requests past the server ones. */
  const deliver = (message: SipMessage, flow: FakeFlow): void => {
    const m = wire(message);
    if (m.kind === 'response') {
      clientTransactions.receiveResponse(m);
      return;
    }
    if (serverTransactions.receive(m, flow) === 'absorbed') return;
    proxy.handle(m, flow);
  };

  let registered = 0;
  const register = (user: string, flow: FakeFlow, contact: string, userAgent?: string): Binding => {
    const binding: Binding = {
      aor: user,
      contact,
      expiresAt: clock.now() + 3600_000,
      callId: `reg-${++registered}`,
      cseq: 1,
      flowId: flow.id,
      flow: { transport: flow.transport, remoteAddress: flow.remoteAddress, remotePort: flow.remotePort },
      // Later registrations sort first (Location.lookup), as they would a moment later.
      registeredAt: clock.now() + registered,
      ...(userAgent ? { userAgent } : {}),
    };
    location.save(binding);
    return binding;
  };

  /** The caller's phone: UDP from 198.18.0.2:5062. */
  const alice = flows.add({ remoteAddress: '198.18.0.2', remotePort: 5062 });

  /**
   * Send `req` from `flow`, answer the 407 with the user's password, and send it again with a
   * new branch and CSeq: the request the proxy then routes is returned.
   */
  const sendAuthenticated = (o: RequestOptions & { user?: string; password?: string } = {}, flow: FakeFlow = alice): SipRequest => {
    const method = o.method ?? 'INVITE';
    const ruri = o.ruri ?? `sip:bob@${DOMAIN}`;
    const first = request(o);
    deliver(first, flow);
    const challenge = flow.sent.at(-1);
    if (challenge?.kind !== 'response' || challenge.status !== 407) throw new Error(`expected a 407, got ${describe(challenge)}`);
    if (method === 'INVITE') deliver(ackFor(first, challenge), flow);
    const user = o.user ?? 'alice';
    const authorization = proxyAuthorization(challengesOf(challenge)[0]!, { user, password: o.password ?? PASSWORDS[user] ?? '', method, uri: ruri });
    const second = request({ ...o, cseq: (o.cseq ?? 1) + 1, branch: undefined, extra: [...(o.extra ?? []), `Proxy-Authorization: ${authorization}`] });
    deliver(second, flow);
    return second;
  };

  return { clock, logs, timers, serverTransactions, clientTransactions, location, addresses, hosts, route, flows, calls, byes, proxy, deliver, register, alice, sendAuthenticated };
}

/** The ACK a UAC sends for a non-2xx final response: hop by hop, the INVITE's branch (§17.1.1.3). */
export function ackFor(invite: SipRequest, res: SipResponse): SipRequest {
  const ack = wire(invite);
  ack.method = 'ACK';
  ack.headers.set('CSeq', ack.headers.get('cseq')!.replace('INVITE', 'ACK'));
  ack.headers.set('To', res.headers.get('to')!);
  ack.headers.delete('proxy-authorization');
  ack.body = Buffer.alloc(0);
  return ack;
}

export function describe(m: SipMessage | undefined): string {
  if (!m) return 'nothing';
  return m.kind === 'response' ? `${m.status} ${m.headers.get('cseq')}` : `${m.method} ${m.uri}`;
}

/** Requests among `messages` with this method. */
export function requests(messages: readonly SipMessage[], method?: string): SipRequest[] {
  return messages.filter((m): m is SipRequest => m.kind === 'request' && (method === undefined || m.method === method));
}

/** Responses among `messages`, as their status codes. */
export function statuses(messages: readonly SipMessage[]): number[] {
  return messages.filter((m): m is SipResponse => m.kind === 'response').map((m) => m.status);
}

export function last<T>(list: readonly T[]): T {
  const item = list.at(-1);
  if (item === undefined) throw new Error('empty list');
  return item;
}
