/**
 * HTTPS requests from this node to another (descriptor fetches, peer exchanges), bounded in bytes
 * and time since the other end is untrusted: a peer that sends too much or too slowly is cut off.
 * The TLS certificate is not checked: mesh nodes sign their own (src/http/certificate.ts), and what
 * the node trusts is the Ed25519 signature on what it reads, which TLS would not add to.
 *
 * One agent keeps a connection open for a few seconds after its request, less than the other
 * node's server does (src/http/server.ts, 5 s), so a peer exchange that follows a descriptor fetch
 * to the same node (as when a node joins) takes no second TLS handshake, and at rest nothing stays
 * open. Sockets are bounded per node and in all.
 *
 * Every connection uses one TLS context: without it Node makes a context per connection from the
 * request's options (about 300 µs each here), which while 30 nodes found each other on two cores
 * was 5 % of their CPU, for contexts that were all alike (nothing to verify, no client certificate).
 */
import https from 'node:https';
import { isIP } from 'node:net';
import { createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import { unmapAddress } from '../net/addresses.js';

const agent = new https.Agent({ keepAlive: true, timeout: 4000, maxSockets: 2, maxTotalSockets: 64, maxFreeSockets: 32 });
let context: SecureContext | undefined;

export interface PeerRequest {
  readonly host: string;
  readonly port: number;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** The most bytes the answer may have. */
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export interface PeerAnswer {
  readonly body: Buffer;
  /** The peer's IP address as connected to. */
  readonly address: string;
}

/** An answer other than 200. */
export class PeerStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** Resolves with a 200 answer's body; anything else rejects with a reason for the log. */
export function requestPeer(r: PeerRequest): Promise<PeerAnswer> {
  return new Promise((resolve, reject) => {
    const headers = r.body === undefined ? r.headers : { ...r.headers, 'Content-Length': String(r.body.length) };
    // tls.connect takes secureContext, which https.RequestOptions does not list: it passes it on.
    const options: https.RequestOptions & Pick<ConnectionOptions, 'secureContext'> = {
      host: r.host,
      port: r.port,
      path: r.path,
      method: r.method,
      headers,
      // SNI takes names only (RFC 6066 §3).
      ...(isIP(r.host) === 0 ? { servername: r.host } : {}),
      rejectUnauthorized: false,
      secureContext: (context ??= createSecureContext()),
      agent,
    };
    const req = https.request(options);
    const timer = setTimeout(() => req.destroy(new Error(`no whole answer within ${r.timeoutMs} ms`)), r.timeoutMs);
    timer.unref();
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    req.on('error', fail);
    req.on('response', (res) => {
      // Read now: once the body has ended the socket may already be closed and forget its peer.
      const address = res.socket.remoteAddress;
      if (res.statusCode !== 200) {
        req.destroy(new PeerStatusError(res.statusCode ?? 0));
        return;
      }
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > r.maxBytes) {
        req.destroy(new Error(`an answer of ${declared} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > r.maxBytes) req.destroy(new Error(`an answer over ${r.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        if (address === undefined) reject(new Error('the connection closed before its address was known'));
        else resolve({ body: Buffer.concat(chunks), address: unmapAddress(address) });
      });
    });
    req.end(r.body);
  });
}
