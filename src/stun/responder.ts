/**
 * The STUN server of the node (RFC 8489 §6.3 over UDP): one socket per bind address on `stun_port`,
 * each answering Binding requests from the address and port they came from. Nothing is kept per
 * request; the only state is the rate limiter's bounded table.
 */
import dgram from 'node:dgram';
import type { Logger } from '../log.js';
import { type BindAddress, hostPort, isMissingFamily } from '../net/addresses.js';
import { bindUdpSocket } from '../transport/udp-socket.js';
import { answerStunBinding } from './binding.js';
import { RateLimiter, isLoopback } from '../net/rate-limit.js';

/** Answers per address: a browser sends a few per ICE gathering, a phone one per keep-alive. */
export const DEFAULT_RATE = { perSecond: 20, burst: 40, maxAddresses: 4096 } as const;

export interface StunResponderOptions {
  readonly binds: readonly BindAddress[];
  readonly port: number;
  readonly logger: Logger;
  /** The SOFTWARE attribute, e.g. `trucada 0.1.0`. */
  readonly software: string;
  /** Defaults to DEFAULT_RATE with loopback exempt, on `Date.now`. */
  readonly limiter?: RateLimiter;
}

export interface StunResponder {
  /** The bound sockets' addresses and ports (the port differs from the option only when it was 0). */
  readonly addresses: readonly { address: string; port: number }[];
  stop(): Promise<void>;
}

function close(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

export async function startStunResponder(opts: StunResponderOptions): Promise<StunResponder> {
  const { logger } = opts;
  const limiter = opts.limiter ?? new RateLimiter({ ...DEFAULT_RATE, now: Date.now, exempt: isLoopback });
  const software = Buffer.from(opts.software, 'utf8');
  const sockets: dgram.Socket[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(sockets.map(close));
  };
  for (const b of opts.binds) {
    try {
      sockets.push(await bindUdpSocket(b, opts.port));
    } catch (err) {
      if (!b.required && isMissingFamily(err)) {
        logger.info(`STUN: no ${hostPort(b.host, opts.port)} socket (${(err as Error).message})`);
        continue;
      }
      await stop();
      throw err;
    }
  }
  for (const socket of sockets) {
    const local = socket.address();
    socket.on('message', (data, rinfo) => {
      const answer = answerStunBinding(data, rinfo, { software });
      if (answer === undefined || !limiter.allow(rinfo.address)) return;
      // No callback: Node then tries the send at once (uv_udp_try_send) instead of queueing a
      // request and a completion per datagram. A lost answer is the client's to retry (RFC 8489 §6.2.1).
      socket.send(answer, rinfo.port, rinfo.address);
    });
    socket.on('error', (err) => logger.warn(`STUN socket ${hostPort(local.address, local.port)}: ${err.message}`));
  }
  return {
    addresses: sockets.map((s) => ({ address: s.address().address, port: s.address().port })),
    stop,
  };
}
