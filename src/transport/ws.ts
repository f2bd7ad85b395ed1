/**
 * SIP over WebSocket (RFC 7118) on the HTTP (`ws`) and HTTPS (`wss`) servers: the upgrade must ask
 * for the `sip` subprotocol (§4.1), each WebSocket message holds one SIP message (§5.2), frames
 * larger than the message limit are refused before they are buffered, and silent connections are
 * pinged and dropped when the pong does not come. A wss:// upgrade from the node's own page that
 * carries a live login session is authenticated by it (§7), so the page needs no SIP password;
 * only from the same origin, so another site's page cannot use a visitor's session (the cookie is
 * SameSite=Strict as well).
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { hostPort, unmapAddress } from '../net/addresses.js';
import type { ConnectionLimits } from './connection-limits.js';
import type { Flow } from '../sip/flow.js';
import { type ReceiveContext, deliverClosed, receiveMessage } from './received.js';
import { StreamFlow } from './stream-flow.js';

/** After a going-away close the peer gets this long to answer before the socket is cut. */
const CLOSE_GRACE_MS = 1_000;
const CRLF = Buffer.from('\r\n');
const CRLF_CRLF = Buffer.from('\r\n\r\n');

export interface WsOptions {
  readonly ctx: ReceiveContext;
  readonly connectionLimits: ConnectionLimits;
  /** A connection silent this long has been pinged at least once; no pong by the next check ends it. */
  readonly idleTimeoutMs: number;
  /** The login session an upgrade request carries, as a reader of its user while it lasts. */
  readonly webSession?: (req: IncomingMessage) => (() => string | undefined) | undefined;
}

export interface WsTransport {
  /** For the HTTP servers' `upgrade` event; `secure` is true on the HTTPS port. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, secure: boolean): void;
  /** Only an open connection from that address: a WebSocket client cannot be called back. */
  flowTo(transport: 'ws' | 'wss', remoteAddress: string, remotePort: number): Flow | undefined;
  flowById(id: string): Flow | undefined;
  stop(): Promise<void>;
}

interface Connection {
  readonly ws: WebSocket;
  readonly flow: StreamFlow;
  /** Something arrived since the last check. */
  heard: boolean;
  awaitingPong: boolean;
}

function refuse(socket: Duplex, status: string, body: string): void {
  const text = `${body}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Nothing but CR and LF: a keep-alive (RFC 5626 §3.5.1 carried in a WebSocket message). */
function isKeepAlive(data: Buffer): boolean {
  return data.length <= 4 && data.every((b) => b === 0x0d || b === 0x0a);
}

export function createWsTransport(opts: WsOptions): WsTransport {
  const { ctx, connectionLimits } = opts;
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: ctx.limits.maxMessageSize,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: () => 'sip',
  });
  const connections = new Map<string, Connection>();
  const byPeer = new Map<string, StreamFlow>();
  const maxQueued = Math.max(1 << 20, 16 * ctx.limits.maxMessageSize);
  let seq = 0;

  const send = (ws: WebSocket, data: Buffer): boolean => {
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > maxQueued) {
      ctx.warnings.warn(`WebSocket peer does not read its data; connection closed`);
      ws.terminate();
      return false;
    }
    // RFC 7118 §5.1: text or binary frames; text where the message is valid UTF-8, as browsers expect.
    ws.send(data, { binary: !isUtf8(data) });
    return true;
  };

  const attach = (ws: WebSocket, req: IncomingMessage, secure: boolean, remoteAddress: string, remotePort: number) => {
    const transport = secure ? 'wss' : 'ws';
    const id = `${transport}#${++seq}`;
    const peer = `${transport}:${hostPort(remoteAddress, remotePort)}`;
    const webUser = secure && req.headers.origin === `https://${req.headers.host ?? ''}` ? opts.webSession?.(req) : undefined;
    const flow = new StreamFlow({ id, transport, remoteAddress, remotePort, socket: req.socket, webUser }, (d) => send(ws, d));
    const conn: Connection = { ws, flow, heard: true, awaitingPong: false };
    connections.set(id, conn);
    byPeer.set(peer, flow);
    ws.on('message', (raw) => {
      conn.heard = true;
      const data = toBuffer(raw);
      if (isKeepAlive(data)) {
        // A double CRLF is a ping to answer with one CRLF; a lone CRLF is a pong.
        if (data.equals(CRLF_CRLF)) send(ws, CRLF);
        return;
      }
      receiveMessage(data, flow, ctx);
    });
    ws.on('pong', () => {
      conn.heard = true;
      conn.awaitingPong = false;
    });
    ws.on('error', (err) => ctx.warnings.warn(`${id} (${hostPort(remoteAddress, remotePort)}): ${err.message}`));
    ws.on('close', () => {
      flow.markClosed();
      connections.delete(id);
      if (byPeer.get(peer) === flow) byPeer.delete(peer);
      deliverClosed(flow, 'closed', ctx);
    });
  };

  const check = () => {
    for (const conn of connections.values()) {
      // A logout, expiry or removed account in another tab ends the page's connection within a check.
      if (conn.flow.webUser !== undefined && conn.flow.webUser() === undefined) {
        ctx.logger.debug(`${conn.flow.id}: its login session ended; connection closed`);
        conn.ws.close(1008, 'login session ended');
        continue;
      }
      if (conn.awaitingPong) {
        ctx.logger.debug(`${conn.flow.id}: no pong; connection ended`);
        conn.ws.terminate();
        continue;
      }
      if (!conn.heard) {
        conn.awaitingPong = true;
        conn.ws.ping();
      }
      conn.heard = false;
    }
  };
  const timer = setInterval(check, Math.max(1, opts.idleTimeoutMs / 2));
  timer.unref();

  return {
    handleUpgrade(req, socket, head, secure) {
      socket.on('error', (err) => ctx.logger.debug(`WebSocket upgrade socket: ${err.message}`));
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!offered.includes('sip')) {
        refuse(socket, '400 Bad Request', 'The WebSocket subprotocol "sip" is required (RFC 7118 section 4.1).');
        return;
      }
      const { remoteAddress, remotePort } = req.socket;
      if (remoteAddress === undefined || remotePort === undefined) {
        socket.destroy();
        return;
      }
      const address = unmapAddress(remoteAddress);
      if (!connectionLimits.acquire(address)) {
        ctx.warnings.warn(`WebSocket: refused a connection from ${address}: it already has the most connections allowed`);
        refuse(socket, '503 Service Unavailable', 'Too many connections from your address.');
        return;
      }
      // Counted until the socket goes, whether or not the handshake succeeds.
      socket.once('close', () => connectionLimits.release(address));
      server.handleUpgrade(req, socket, head, (ws) => attach(ws, req, secure, address, remotePort));
    },
    flowTo(transport, remoteAddress, remotePort) {
      const flow = byPeer.get(`${transport}:${hostPort(remoteAddress, remotePort)}`);
      return flow?.open ? flow : undefined;
    },
    flowById: (id) => connections.get(id)?.flow,
    async stop() {
      clearInterval(timer);
      await Promise.all(
        [...connections.values()].map(
          ({ ws }) =>
            new Promise<void>((resolve) => {
              ws.once('close', () => resolve());
              ws.close(1001, 'node stopping');
              setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
            }),
        ),
      );
      server.close();
    },
  };
}
