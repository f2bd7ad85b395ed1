/**
 * Fetches a node's descriptor from its HTTPS port (GET /.well-known/trucada), bounded in bytes and
 * time since the other end is untrusted: a peer that sends too much or too slowly is cut off. The
 * TLS certificate is not checked: mesh nodes sign their own (src/http/certificate.ts), and what the
 * node trusts is the descriptor's Ed25519 signature against the pinned key, which TLS would not add
 * to. The answer carries the address the connection reached, where the node then sends SIP.
 */
import https from 'node:https';
import { isIP } from 'node:net';
import { unmapAddress } from '../net/addresses.js';
import { MAX_DESCRIPTOR_BYTES } from './descriptor.js';

export const DESCRIPTOR_PATH = '/.well-known/trucada';

export interface Fetched {
  readonly body: Buffer;
  /** The peer's IP address as connected to. */
  readonly address: string;
}

export type FetchDescriptor = (host: string, port: number, timeoutMs: number) => Promise<Fetched>;

export const fetchDescriptor: FetchDescriptor = (host, port, timeoutMs) =>
  new Promise((resolve, reject) => {
    const req = https.request({
      host,
      port,
      path: DESCRIPTOR_PATH,
      method: 'GET',
      headers: { Accept: 'application/json' },
      // SNI takes names only (RFC 6066 §3).
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
      agent: false,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no whole answer within ${timeoutMs} ms`)), timeoutMs);
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
        req.destroy(new Error(`HTTP ${res.statusCode}`));
        return;
      }
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > MAX_DESCRIPTOR_BYTES) {
        req.destroy(new Error(`a descriptor of ${declared} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_DESCRIPTOR_BYTES) req.destroy(new Error(`a descriptor over ${MAX_DESCRIPTOR_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        if (address === undefined) reject(new Error('the connection closed before its address was known'));
        else resolve({ body: Buffer.concat(chunks), address: unmapAddress(address) });
      });
    });
    req.end();
  });
