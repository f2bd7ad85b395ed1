/**
 * SIP over TCP (RFC 3261 §18): a listening socket per bind address, a `StreamFramer` per
 * connection, CRLF keep-alives answered (RFC 5626 §3.5.1), silent connections closed, and at most
 * `maxConnectionsPerAddress` accepted connections per peer. Requests for a peer with no open
 * connection open a new one (RFC 3261 §18.1.1).
 */
import net from 'node:net';
import { StreamFramer } from '../sip/stream-framer.js';
import { type BindAddress, hostPort, isMissingFamily, unmapAddress } from '../net/addresses.js';
import { acquireConnection, releaseConnection, type ConnectionLimits, type ConnectionTotal } from './connection-limits.js';
import type { Flow, FlowEnd } from '../sip/flow.js';
import { type ReceiveContext, deliverClosed, receiveMessage, rejectMalformed } from './received.js';
import { StreamFlow, type StreamFlowEnds } from './stream-flow.js';

/** After a framing error the 400 is flushed and the peer gets this long to close before we do. */
const LINGER_MS = 2_000;
/**
 * How long a connection the node opens may take to come up (Kamailio's tcp_connect_timeout is
 * 10 s too): a mesh peer that vanished sends no reset, and the kernel would try for minutes.
 */
const CONNECT_TIMEOUT_MS = 10_000;

export interface TcpOptions {
  readonly binds: readonly BindAddress[];
  readonly port: number;
  readonly ctx: ReceiveContext;
  readonly connectionLimits: ConnectionLimits;
  /** All accepted connections, shared with the web ports (`max_connections`). */
  readonly connectionTotal: ConnectionTotal;
  /** Milliseconds without a byte either way before a connection is closed. */
  readonly idleTimeoutMs: number;
  /**
   * Milliseconds a begun message may take to arrive whole. A peer that trickles a header a byte at
   * a time is never idle, and would hold its connection for ever (slowloris); Kamailio bounds the
   * same with `tcp_msg_read_timeout`.
   */
  readonly messageTimeoutMs: number;
}

export interface TcpTransport {
  /** The open connection to that address, or a new outgoing one; undefined for a non-IP address. */
  flowTo(remoteAddress: string, remotePort: number): Flow | undefined;
  flowById(id: string): Flow | undefined;
  stop(): Promise<void>;
}

function listen(server: net.Server, bind: BindAddress, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: bind.host, port, ipv6Only: bind.ipv6Only, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startTcp(opts: TcpOptions): Promise<TcpTransport> {
  const { ctx, connectionLimits, connectionTotal } = opts;
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const flows = new Map<string, StreamFlow>();
  const byPeer = new Map<string, StreamFlow>();
  // Bytes queued to a peer that does not read: past this the connection is dropped.
  const maxQueued = Math.max(1 << 20, 16 * ctx.limits.maxMessageSize);
  let seq = 0;
  let stopped = false;

  const write = (socket: net.Socket, data: Buffer): boolean => {
    if (socket.destroyed || !socket.writable) return false;
    if (socket.writableLength > maxQueued) {
      ctx.warnings.warn(`TCP: ${socket.remoteAddress ?? '?'} does not read its data; connection closed`);
      socket.destroy();
      return false;
    }
    socket.write(data);
    return true;
  };

  /**
   * A flow over `socket`: one a peer opened (counted against its limit), or one the node opens
   * (`opened`), which is up only once it has connected.
   */
  const attach = (socket: net.Socket, remoteAddress: string, remotePort: number, opened?: StreamFlowEnds['opened']): StreamFlow => {
    const id = `tcp#${++seq}`;
    const flow = new StreamFlow({ id, transport: 'tcp', remoteAddress, remotePort, socket, ...(opened ? { opened } : {}) }, (d) => write(socket, d));
    const peer = hostPort(remoteAddress, remotePort);
    flows.set(id, flow);
    byPeer.set(peer, flow);
    sockets.add(socket);
    const framer = new StreamFramer(ctx.limits);
    let broken = false;
    let connected = opened === undefined;
    socket.setNoDelay(true);
    const idle = () => {
      ctx.logger.debug(`TCP ${id} (${peer}) idle; closed`);
      socket.destroy();
    };
    if (connected) socket.setTimeout(opts.idleTimeoutMs, idle);
    else {
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => {
        ctx.logger.debug(`TCP ${id} (${peer}): no connection within ${CONNECT_TIMEOUT_MS} ms`);
        socket.destroy();
      });
      socket.once('connect', () => {
        connected = true;
        socket.setTimeout(opts.idleTimeoutMs, idle);
      });
    }
    let slowMessage: NodeJS.Timeout | undefined;
    const tooSlow = () => {
      ctx.warnings.warn(`TCP ${peer} took over ${opts.messageTimeoutMs} ms to send one message: closed`);
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      if (broken) return;
      const begun = framer.inMessage;
      let completed = false;
      for (const event of framer.push(chunk)) {
        if (event.type === 'message') {
          completed = true;
          receiveMessage(event.data, flow, ctx);
        } else if (event.type === 'ping') write(socket, Buffer.from('\r\n'));
        else if (event.type === 'error') {
          // The stream can no longer be framed: answer what can be answered, then close.
          broken = true;
          rejectMalformed(event.error, flow, ctx);
          socket.end();
          setTimeout(() => socket.destroy(), LINGER_MS).unref();
          return;
        }
        if (socket.destroyed) return;
      }
      // The deadline runs from the chunk in which the message still unfinished began.
      if (!framer.inMessage) {
        clearTimeout(slowMessage);
        slowMessage = undefined;
      } else if (!begun || completed) {
        clearTimeout(slowMessage);
        slowMessage = setTimeout(tooSlow, opts.messageTimeoutMs);
      }
    });
    socket.on('error', (err) => ctx.logger.debug(`TCP ${id} (${peer}): ${err.message}`));
    socket.on('close', () => {
      clearTimeout(slowMessage);
      flow.markClosed();
      sockets.delete(socket);
      flows.delete(id);
      if (byPeer.get(peer) === flow) byPeer.delete(peer);
      if (opened === undefined) releaseConnection(connectionTotal, connectionLimits, remoteAddress);
      const end: FlowEnd = connected ? 'closed' : 'unreachable';
      deliverClosed(flow, end, ctx);
    });
    return flow;
  };

  const accept = (socket: net.Socket) => {
    const { remoteAddress, remotePort } = socket;
    if (remoteAddress === undefined || remotePort === undefined) {
      socket.destroy();
      return;
    }
    const address = unmapAddress(remoteAddress);
    const refused = acquireConnection(connectionTotal, connectionLimits, address);
    if (refused !== undefined) {
      ctx.warnings.warn(`TCP: refused a connection from ${address}: ${refused}`);
      socket.destroy();
      return;
    }
    attach(socket, address, remotePort);
  };

  const stop = async () => {
    stopped = true;
    const closing = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const socket of sockets) {
      closing.push(new Promise<void>((resolve) => socket.once('close', () => resolve())));
      socket.destroy();
    }
    await Promise.all(closing);
  };

  for (const bind of opts.binds) {
    const server = net.createServer(accept);
    try {
      await listen(server, bind, opts.port);
      servers.push(server);
      server.on('error', (err) => ctx.logger.warn(`TCP server ${hostPort(bind.host, opts.port)}: ${err.message}`));
    } catch (err) {
      if (!bind.required && isMissingFamily(err)) {
        ctx.logger.info(`TCP: no ${bind.host} socket (${(err as Error).message})`);
        continue;
      }
      await stop();
      throw err;
    }
  }

  const listeningPort = () => {
    const bound = servers[0]?.address();
    return bound && typeof bound === 'object' ? bound.port : opts.port;
  };

  // Outgoing connections leave from a configured address of the peer's family, when there is one.
  const localFor = (family: number) =>
    opts.binds.find((b) => net.isIP(b.host) === family && b.host !== '0.0.0.0' && b.host !== '::')?.host;

  return {
    flowTo(remoteAddress, remotePort) {
      const open = byPeer.get(hostPort(remoteAddress, remotePort));
      if (open?.open) return open;
      const family = net.isIP(remoteAddress);
      if (family === 0 || !Number.isInteger(remotePort) || remotePort < 1 || remotePort > 65535) return undefined;
      if (stopped) return undefined;
      const localAddress = localFor(family);
      const socket = net.connect({ host: remoteAddress, port: remotePort, ...(localAddress ? { localAddress } : {}) });
      return attach(socket, remoteAddress, remotePort, { listeningPort: listeningPort(), localAddress });
    },
    flowById: (id) => flows.get(id),
    stop,
  };
}
