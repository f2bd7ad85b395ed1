/**
 * The node's web servers on every listen address: plain HTTP (a page pointing to HTTPS, and ws://
 * for SIP clients that are not browsers) and HTTPS (the softphone, and wss:// for browsers).
 * WebSocket upgrades are handed to `onUpgrade`; every other request stays here.
 */
import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import { type BindAddress, bindAddresses, hostPort, isMissingFamily, unmapAddress } from '../net/addresses.js';
import { acquireConnection, ConnectionLimits, releaseConnection, type ConnectionTotal } from '../transport/connection-limits.js';
import { RateLimitedLog } from '../transport/rate-limited-log.js';
import { plainPage } from './plain-page.js';

/** Slow clients may not hold sockets open: whole request, headers, idle keep-alive, TLS handshake. */
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_HEADERS_COUNT = 100;
/**
 * How often Node looks for requests past those timeouts; its default of 30 s would let a slow
 * client (slowloris) hold a socket for up to 40 s instead of 10.
 */
const TIMEOUT_CHECK_MS = 1_000;

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface HttpServersOptions {
  readonly config: Config;
  readonly tls: { readonly cert: string; readonly key: string };
  readonly logger: Logger;
  onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, secure: boolean): void;
  /** Serves the HTTPS port; by default a placeholder page at `/`. */
  readonly handler?: RequestHandler;
  /** All accepted connections, shared with the SIP TCP port (`max_connections`). */
  readonly connectionTotal: ConnectionTotal;
}

export interface HttpServers {
  readonly http: http.Server[];
  readonly https: https.Server[];
  stop(): Promise<void>;
}

const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function respond(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...extra, 'Content-Type': `${type}; charset=utf-8`, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Only GET and HEAD are served by these pages; false after answering 405. */
function readOnly(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  respond(res, 405, 'text/plain', 'Method not allowed\n', { Allow: 'GET, HEAD' });
  return false;
}

function plainHandler(httpsPort: number, fingerprint: string): RequestHandler {
  return (req, res) => {
    if (!readOnly(req, res)) return;
    const local = unmapAddress(req.socket.localAddress ?? '127.0.0.1');
    respond(res, 200, 'text/html', plainPage(req.headers.host, local, httpsPort, fingerprint));
  };
}

/** The HTTPS page until the softphone lands: `/` only. */
export const placeholderPage: RequestHandler = (req, res) => {
  if (!readOnly(req, res)) return;
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/') return respond(res, 404, 'text/plain', 'Not found\n');
  respond(res, 200, 'text/html', '<!doctype html><meta charset="utf-8"><title>trucada</title><p>trucada node — softphone coming</p>\n');
};

function limit(server: http.Server): void {
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.maxHeadersCount = MAX_HEADERS_COUNT;
}

/**
 * The connections a browser opens to one host over HTTP/1.1 for a page's files and API, beside its
 * WebSocket, which the WebSocket transport counts against `max_connections_per_address`.
 */
export const PAGE_CONNECTIONS = 6;

/**
 * Web connections are counted from the TCP accept, before any TLS handshake, per address and in
 * all: one host, or many, must not hold a router's sockets or keep its CPU on handshakes.
 */
function limitConnections(server: http.Server, limits: ConnectionLimits, total: ConnectionTotal, warnings: RateLimitedLog): void {
  server.on('connection', (socket: Duplex & { remoteAddress?: string }) => {
    const address = unmapAddress(socket.remoteAddress ?? '');
    const refused = acquireConnection(total, limits, address);
    if (refused !== undefined) {
      warnings.warn(`HTTP: refused a connection from ${address}: ${refused}`);
      socket.destroy();
      return;
    }
    socket.once('close', () => releaseConnection(total, limits, address));
  });
}

function listen(server: http.Server, bind: BindAddress, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: bind.host, port, ipv6Only: bind.ipv6Only, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startHttpServers(opts: HttpServersOptions): Promise<HttpServers> {
  const { config, logger } = opts;
  const plain: http.Server[] = [];
  const secure: https.Server[] = [];
  const stop = async () => {
    await Promise.all([...plain, ...secure].filter((s) => s.listening).map(close));
  };
  const perAddress = new ConnectionLimits(config.maxConnectionsPerAddress + PAGE_CONNECTIONS);
  const warnings = new RateLimitedLog(logger, Date.now);
  const start = async (server: http.Server, bind: BindAddress, port: number, isSecure: boolean) => {
    limit(server);
    limitConnections(server, perAddress, opts.connectionTotal, warnings);
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => opts.onUpgrade(req, socket, head, isSecure));
    if (isSecure) server.on('tlsClientError', (err: Error) => logger.debug(`TLS handshake failed: ${err.message}`));
    try {
      await listen(server, bind, port);
    } catch (err) {
      if (!bind.required && isMissingFamily(err)) {
        logger.info(`HTTP: no ${hostPort(bind.host, port)} socket (${(err as Error).message})`);
        return false;
      }
      throw err;
    }
    server.on('error', (err) => logger.warn(`HTTP server ${hostPort(bind.host, port)}: ${err.message}`));
    return true;
  };

  const fingerprint = new X509Certificate(opts.tls.cert).fingerprint256;
  try {
    for (const bind of bindAddresses(config.listen)) {
      const p = http.createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_MS }, plainHandler(config.httpsPort, fingerprint));
      if (await start(p, bind, config.httpPort, false)) plain.push(p);
      const s = https.createServer(
        { cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2', handshakeTimeout: HANDSHAKE_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
        opts.handler ?? placeholderPage,
      );
      if (await start(s, bind, config.httpsPort, true)) secure.push(s);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { http: plain, https: secure, stop };
}
