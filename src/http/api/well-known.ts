/**
 * `GET /.well-known/trucada` (RFC 8615): this node's signed descriptor, which other nodes fetch to
 * learn its key, domain, SIP ports and users (src/federation/descriptor.ts). Open to anyone: what
 * it says is public on the mesh, and its signature, not this HTTPS connection, is what peers trust.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './json-reply.js';

export const WELL_KNOWN_PATH = '/.well-known/trucada';

export function createWellKnownHandler(descriptor: () => string): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (new URL(req.url ?? '/', 'https://node.invalid').pathname !== WELL_KNOWN_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'only GET', { Allow: 'GET, HEAD' });
      return true;
    }
    const text = descriptor();
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : text);
    return true;
  };
}
