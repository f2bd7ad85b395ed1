/**
 * A SIP peer on a real socket, UDP or TCP, that writes its requests as text: for the cases no SIP
 * stack will produce on demand (a Contact that names the connection's own port, a method to a user
 * whose device cannot be reached, a phone that sends from another port than it listens on). It
 * answers digest challenges (401 and 407, qop=auth) with the node's own hash functions, waits,
 * bounded, for each final response, and keeps the requests that reach it for the test to answer.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { createResponse } from '../../src/sip/response.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { StreamFramer } from '../../src/sip/stream-framer.js';
import { digestAuthorization } from './digest-client.js';
import { TEST_DOMAIN } from './test-node.js';
import { Queue } from './transport-harness.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface RawRequest {
  method: string;
  /** Default `sip:<to>@test.mesh`. */
  ruri?: string;
  /** The To user (the AOR for a REGISTER). */
  to: string;
  /** The From URI; default `sip:<user>@test.mesh`, the peer's own account. */
  from?: string;
  contact?: string;
  extra?: readonly string[];
  body?: string;
}

export interface RawSipPeer {
  readonly transport: 'udp' | 'tcp';
  /** The port this peer's socket has on its side. */
  readonly localPort: number;
  /** Send `req` as `user`, answer one challenge, and resolve with the final response. */
  send(req: RawRequest, ms?: number): Promise<SipResponse>;
  /** Requests that arrived on this peer's socket, in order. */
  readonly requests: Queue<SipRequest>;
  /** Answer a request that arrived here. */
  reply(req: SipRequest, status: number): void;
  close(): Promise<void>;
}

let serial = 0;

export interface RawSipPeerOptions {
  transport: 'udp' | 'tcp';
  nodePort: number;
  user: string;
  password: string;
  /** The host its Via names: another than 127.0.0.1 makes it look like a phone behind NAT. */
  viaHost?: string;
}

export async function rawSipPeer(t: Teardown, o: RawSipPeerOptions): Promise<RawSipPeer> {
  const responses = new Queue<SipResponse>();
  const requests = new Queue<SipRequest>();
  const deliver = (data: Buffer) => {
    const message = parseMessage(data);
    if (message.kind === 'response') responses.push(message);
    else requests.push(message);
  };
  let write: (text: string) => void;
  let localPort: number;
  let close: () => Promise<void>;
  if (o.transport === 'tcp') {
    const socket = net.connect({ host: '127.0.0.1', port: o.nodePort });
    await once(socket, 'connect');
    const framer = new StreamFramer(DEFAULT_LIMITS);
    socket.on('data', (chunk: Buffer) => {
      for (const e of framer.push(chunk)) if (e.type === 'message') deliver(e.data);
    });
    socket.on('error', () => {});
    localPort = socket.localPort!;
    write = (text) => socket.write(text);
    close = async () => {
      if (socket.destroyed) return;
      const closed = once(socket, 'close');
      socket.destroy();
      await closed;
    };
  } else {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    socket.on('message', deliver);
    localPort = socket.address().port;
    write = (text) => socket.send(text, o.nodePort, '127.0.0.1');
    let open = true;
    close = async () => {
      if (!open) return;
      open = false;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    };
  }
  t.teardown(close);

  const via = () => `SIP/2.0/${o.transport.toUpperCase()} ${o.viaHost ?? '127.0.0.1'}:${localPort};branch=z9hG4bK-raw-${++serial};rport`;
  const text = (req: RawRequest, callId: string, cseq: number, auth?: string) => {
    const ruri = req.ruri ?? (req.method === 'REGISTER' ? `sip:${TEST_DOMAIN}` : `sip:${req.to}@${TEST_DOMAIN}`);
    const body = req.body ?? '';
    return [
      `${req.method} ${ruri} SIP/2.0`,
      `Via: ${via()}`,
      'Max-Forwards: 70',
      `From: <${req.from ?? `sip:${o.user}@${TEST_DOMAIN}`}>;tag=raw${serial}`,
      `To: <sip:${req.to}@${TEST_DOMAIN}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${req.method}`,
      ...(req.contact ? [`Contact: ${req.contact}`] : []),
      ...(auth ? [auth] : []),
      ...(req.extra ?? []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  };
  const final = async (ms: number): Promise<SipResponse> => {
    for (;;) {
      const res = await responses.next(ms);
      if (res.status >= 200) return res;
    }
  };

  return {
    transport: o.transport,
    localPort,
    async send(req, ms = 3000) {
      const callId = `raw-${++serial}@127.0.0.1`;
      write(text(req, callId, 1));
      const first = await final(ms);
      if (first.status !== 401 && first.status !== 407) return first;
      const ruri = req.ruri ?? (req.method === 'REGISTER' ? `sip:${TEST_DOMAIN}` : `sip:${req.to}@${TEST_DOMAIN}`);
      const auth = digestAuthorization(first, { user: o.user, password: o.password, method: req.method, uri: ruri });
      if (req.method === 'INVITE') write(ackText(first, ruri));
      write(text(req, callId, 2, auth));
      return final(ms);
    },
    requests,
    reply(req, status) {
      write(serializeMessage(createResponse(req, status, undefined, status > 100 ? 'rawpeer' : undefined)).toString('latin1'));
    },
    close: () => close(),
  };

  /** §17.1.1.3: the ACK for a non-2xx final response, on the INVITE's branch. */
  function ackText(res: SipResponse, ruri: string): string {
    return [
      `ACK ${ruri} SIP/2.0`,
      `Via: ${res.headers.get('via')}`,
      'Max-Forwards: 70',
      `From: ${res.headers.get('from')}`,
      `To: ${res.headers.get('to')}`,
      `Call-ID: ${res.headers.get('call-id')}`,
      `CSeq: ${res.headers.get('cseq')!.replace(/INVITE/, 'ACK')}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }
}
