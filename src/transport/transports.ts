/**
 * Every SIP transport of the node, started together: UDP and TCP on the SIP port, and SIP over
 * WebSocket (RFC 7118) for the upgrades the web servers hand over (main.ts owns those servers: the
 * page's HTTPS port serves ws upgrades, the page and its API). Messages from all of them reach one
 * sink; the layers above reach peers only through the flows handed out here.
 */
import type { Config } from '../config/config.js';
import type { HttpServersOptions } from '../http/server.js';
import type { Logger } from '../log.js';
import { isLoopback, RateLimiter } from '../net/rate-limit.js';
import type { ParseLimits } from '../sip/limits.js';
import { bindAddresses } from '../net/addresses.js';
import { ConnectionLimits, type ConnectionTotal } from './connection-limits.js';
import type { Flow, FlowAddress, MessageSink } from '../sip/flow.js';
import { RateLimitedLog } from './rate-limited-log.js';
import type { ReceiveContext } from './received.js';
import { startTcp } from './tcp.js';
import { startUdp } from './udp.js';
import { createWsTransport, type WsOptions } from './ws.js';

export interface TransportsOptions {
  readonly config: Config;
  readonly sink: MessageSink;
  readonly logger: Logger;
  readonly limits: ParseLimits;
  /** Every accepted connection, shared with the web servers (`max_connections`). */
  readonly connectionTotal: ConnectionTotal;
  /** The page's login sessions, which authenticate its wss:// connections (ws.ts). */
  readonly webSession?: WsOptions['webSession'];
  /** Clock for rate-limiting warnings; defaults to `Date.now`. */
  readonly now?: () => number;
  /** Takes requests per source address; by default `request_rate` from the config, loopback exempt. */
  readonly requestLimiter?: RateLimiter;
}

/** Buckets kept at most: a spoofed-source flood over UDP evicts the oldest instead of growing. */
const MAX_LIMITED_ADDRESSES = 10_000;

function requestLimit(rate: number, now: () => number): RateLimiter | undefined {
  if (rate === 0) return undefined;
  return new RateLimiter({ now, perSecond: rate, burst: 2 * rate, maxAddresses: MAX_LIMITED_ADDRESSES, exempt: isLoopback });
}

export interface Transports {
  readonly sipPort: number;
  /** Takes a WebSocket upgrade from a web server (its `onUpgrade`). */
  readonly upgrade: HttpServersOptions['onUpgrade'];
  /**
   * Closes every WebSocket. Before the web servers stop: a server's close waits for every socket it
   * accepted, upgraded ones too, which only the WebSocket transport closes (a browser left connected
   * held the node's stop until it went away).
   */
  closeWebSockets(): Promise<void>;
  flowById(id: string): Flow | undefined;
  /**
   * UDP: a flow from our socket of the peer's family. TCP: the open connection to that address or a
   * new outgoing one (RFC 3261 §18.1.1). ws/wss: only an open connection.
   */
  flowTo(address: FlowAddress): Flow | undefined;
  stop(): Promise<void>;
}

export async function startTransports(opts: TransportsOptions): Promise<Transports> {
  const { config, logger } = opts;
  const now = opts.now ?? Date.now;
  const ctx: ReceiveContext = {
    sink: opts.sink,
    limits: opts.limits,
    logger,
    warnings: new RateLimitedLog(logger, now),
    requests: opts.requestLimiter ?? requestLimit(config.requestRate, now),
  };
  const connectionLimits = new ConnectionLimits(config.maxConnectionsPerAddress);
  const { connectionTotal } = opts;
  const idleTimeoutMs = config.idleTimeout * 1000;
  const binds = bindAddresses(config.listen);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    // In reverse order of starting, like unwinding a stack.
    for (const s of stops.splice(0).reverse()) await s();
  };

  try {
    const udp = await startUdp({ binds, port: config.sipPort, ctx });
    stops.push(udp.stop);
    const tcp = await startTcp({ binds, port: config.sipPort, ctx, connectionLimits, connectionTotal, idleTimeoutMs, messageTimeoutMs: config.tcpMessageTimeout * 1000 });
    stops.push(tcp.stop);
    const ws = createWsTransport({ ctx, connectionLimits, idleTimeoutMs, ...(opts.webSession ? { webSession: opts.webSession } : {}) });
    stops.push(ws.stop);
    logger.info(`SIP on UDP and TCP port ${config.sipPort}`);
    return {
      sipPort: config.sipPort,
      upgrade: ws.handleUpgrade,
      closeWebSockets: ws.stop,
      flowById(id) {
        if (id.startsWith('udp:')) return udp.flowById(id);
        if (id.startsWith('tcp#')) return tcp.flowById(id);
        return ws.flowById(id);
      },
      flowTo(address) {
        const { transport, remoteAddress, remotePort } = address;
        if (transport === 'udp') return udp.flowTo(remoteAddress, remotePort);
        if (transport === 'tcp') return tcp.flowTo(remoteAddress, remotePort);
        return ws.flowTo(transport, remoteAddress, remotePort);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
