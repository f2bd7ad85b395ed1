/**
 * SIP over UDP (RFC 3261 §18): one socket per bind address, one message per datagram. A flow is a
 * (local socket, remote address) pair; its id names both, so it can be rebuilt from the id alone and
 * nothing is kept per peer (a flood of spoofed sources costs no memory). STUN Binding requests on
 * the same port, the keep-alives of RFC 5626 §4.4.2, are answered there.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { SipMessage } from '../sip/message.js';
import { serializeMessage } from '../sip/serializer.js';
import { answerStunBinding } from '../stun/binding.js';
import { isStunMessage } from '../stun/codec.js';
import { RateLimiter, isLoopback } from '../net/rate-limit.js';
import { DEFAULT_RATE } from '../stun/responder.js';
import { VERSION } from '../version.js';
import { type BindAddress, hostPort, isMissingFamily } from '../net/addresses.js';
import type { Flow } from '../sip/flow.js';
import { bindUdpSocket } from './udp-socket.js';
import { type ReceiveContext, receiveMessage } from './received.js';

/** The largest UDP payload over IPv4; IPv6 allows a little more, but no SIP message needs it. */
const MAX_DATAGRAM = 65_507;

export interface UdpOptions {
  readonly binds: readonly BindAddress[];
  readonly port: number;
  readonly ctx: ReceiveContext;
  /** SOFTWARE of the STUN keep-alive answers (RFC 8489 §14.14); defaults to `trucada <version>`. */
  readonly software?: string;
  /**
   * Caps STUN answers per source so the SIP port reflects no floods at spoofed victims (RFC 8489
   * §16.1.4); defaults to the STUN responder's rate with loopback exempt, on `Date.now`.
   */
  readonly stunLimiter?: RateLimiter;
}

export interface UdpTransport {
  /** A flow from the first socket of the peer's family; undefined when there is none. */
  flowTo(remoteAddress: string, remotePort: number): Flow | undefined;
  flowById(id: string): Flow | undefined;
  stop(): Promise<void>;
}

interface BoundSocket {
  readonly socket: dgram.Socket;
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  closed: boolean;
}

class UdpFlow implements Flow {
  readonly transport = 'udp';
  readonly reliable = false;
  readonly id: string;
  readonly localAddress: string;
  readonly localPort: number;

  constructor(
    private readonly bound: BoundSocket,
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly ctx: ReceiveContext,
  ) {
    this.localAddress = bound.address;
    this.localPort = bound.port;
    this.id = `udp:${hostPort(bound.address, bound.port)}/${hostPort(remoteAddress, remotePort)}`;
  }

  get open(): boolean {
    return !this.bound.closed;
  }

  send(message: SipMessage): boolean {
    return this.sendBytes(serializeMessage(message));
  }

  sendBytes(data: Buffer): boolean {
    if (this.bound.closed) return false;
    if (data.length > MAX_DATAGRAM) {
      this.ctx.logger.warn(`not sent: a ${data.length}-byte message does not fit a UDP datagram (${this.id})`);
      return false;
    }
    try {
      // No callback: Node then tries the send at once (uv_udp_try_send) instead of queueing a
      // request and a completion per datagram. UDP is best effort; the transactions retransmit.
      this.bound.socket.send(data, this.remotePort, this.remoteAddress);
      return true;
    } catch (err) {
      this.ctx.logger.debug(`UDP send to ${this.id} failed: ${String(err)}`);
      return false;
    }
  }
}

/** A datagram of nothing but CR, LF, space or tab is a keep-alive (RFC 5626 §3.5.1 style): ignored. */
function isKeepAlive(data: Buffer): boolean {
  return data.every((b) => b === 0x0d || b === 0x0a || b === 0x20 || b === 0x09);
}

/**
 * The kernel's default receive buffer (about 208 KB) holds some 90 REGISTERs: a burst beyond that is
 * dropped and costs each client a 500 ms retransmission (RFC 3261 Timer E). 1 MiB is a ceiling, not an
 * allocation, and the kernel caps it at net.core.rmem_max.
 */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;

async function bindSocket(bind: BindAddress, port: number): Promise<BoundSocket> {
  const socket = await bindUdpSocket(bind, port, { recvBufferSize: RECEIVE_BUFFER_BYTES });
  return { socket, address: bind.host, port: socket.address().port, family: isIP(bind.host) === 6 ? 6 : 4, closed: false };
}

const ID = /^udp:(\[[^\]]+\]|[^:/]+):(\d+)\/(\[[^\]]+\]|[^:/]+):(\d+)$/;

export async function startUdp(opts: UdpOptions): Promise<UdpTransport> {
  const sockets: BoundSocket[] = [];
  const { ctx } = opts;
  const closeAll = () =>
    Promise.all(
      sockets.map(
        (b) =>
          new Promise<void>((resolve) => {
            if (b.closed) return resolve();
            b.closed = true;
            b.socket.close(() => resolve());
          }),
      ),
    ).then(() => undefined);

  for (const bind of opts.binds) {
    try {
      sockets.push(await bindSocket(bind, opts.port));
    } catch (err) {
      if (!bind.required && isMissingFamily(err)) {
        ctx.logger.info(`UDP: no ${bind.host} socket (${(err as Error).message})`);
        continue;
      }
      await closeAll();
      throw err;
    }
  }
  const software = Buffer.from(opts.software ?? `trucada ${VERSION}`, 'utf8');
  const limiter = opts.stunLimiter ?? new RateLimiter({ ...DEFAULT_RATE, now: Date.now, exempt: isLoopback });
  /**
   * RFC 5626 §8.4: the SIP port answers STUN Binding requests, so outbound clients can check the NAT
   * binding of their flow. A STUN message starts with two zero bits and SIP with a letter (RFC 7983
   * §7), so whatever has the STUN shape is never SIP and never reaches the parser.
   */
  const answerStun = (b: BoundSocket, data: Buffer, rinfo: dgram.RemoteInfo) => {
    const answer = answerStunBinding(data, rinfo, { software });
    if (answer === undefined || b.closed || !limiter.allow(rinfo.address)) return;
    try {
      b.socket.send(answer, rinfo.port, rinfo.address);
    } catch (err) {
      ctx.logger.debug(`STUN answer to ${hostPort(rinfo.address, rinfo.port)} not sent: ${String(err)}`);
    }
  };
  for (const b of sockets) {
    b.socket.on('message', (data, rinfo) => {
      if (isKeepAlive(data)) return;
      if (isStunMessage(data)) {
        answerStun(b, data, rinfo);
        return;
      }
      receiveMessage(data, new UdpFlow(b, rinfo.address, rinfo.port, ctx), ctx);
    });
    b.socket.on('error', (err) => ctx.logger.warn(`UDP socket ${hostPort(b.address, b.port)}: ${err.message}`));
  }

  const unbracket = (h: string) => (h.startsWith('[') ? h.slice(1, -1) : h);
  const validPort = (p: number) => Number.isInteger(p) && p > 0 && p < 65536;
  return {
    flowTo(remoteAddress, remotePort) {
      const family = isIP(remoteAddress);
      const b = sockets.find((s) => s.family === family && !s.closed);
      return b && validPort(remotePort) ? new UdpFlow(b, remoteAddress, remotePort, ctx) : undefined;
    },
    flowById(id) {
      const m = ID.exec(id);
      if (!m) return undefined;
      const local = unbracket(m[1]!);
      const b = sockets.find((s) => s.address === local && s.port === Number(m[2]) && !s.closed);
      const remote = unbracket(m[3]!);
      const port = Number(m[4]);
      return b && isIP(remote) === b.family && validPort(port) ? new UdpFlow(b, remote, port, ctx) : undefined;
    },
    stop: closeAll,
  };
}
