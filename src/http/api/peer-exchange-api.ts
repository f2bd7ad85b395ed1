/**
 * `POST /.well-known/trucada/peers`: another node's peer exchange (src/federation/peer-exchange.ts),
 * signed by that node, which may introduce itself with its descriptor; the answer lists the beacons
 * this node knows that the request did not. The connection's address is where an introduced
 * node's descriptor counts as fetched from. The signature, not this connection, is what decides:
 * an unsigned or badly signed request gets 403 with the reason, and a browser's cross-site form
 * cannot make a node's signature.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EXCHANGE_PATH } from '../../federation/exchange-post.js';
import { MAX_EXCHANGE_BYTES, type PeerExchange } from '../../federation/peer-exchange.js';
import { SIGNATURE_HEADER } from '../../federation/request-signature.js';
import { unmapAddress } from '../../net/addresses.js';
import { BodyError, readBody } from './json-body.js';
import { sendError } from './json-reply.js';

export function createPeerExchangeHandler(exchange: Pick<PeerExchange, 'received'> | undefined): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (new URL(req.url ?? '/', 'https://node.invalid').pathname !== EXCHANGE_PATH) return false;
    if (exchange === undefined) {
      sendError(res, 404, 'this node does not take part in peer exchange');
      return true;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, 'only POST', { Allow: 'POST' });
      return true;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'text/plain') {
      sendError(res, 415, 'send the beacons as text/plain, one a line');
      return true;
    }
    readBody(req, MAX_EXCHANGE_BYTES).then(
      (body) => {
        const answer = exchange.received(req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, body, unmapAddress(req.socket.remoteAddress ?? ''));
        if (answer.status !== 200) {
          sendError(res, answer.status, answer.message);
          return;
        }
        res.writeHead(200, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Length': Buffer.byteLength(answer.body),
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end(answer.body);
      },
      (err: unknown) => sendError(res, err instanceof BodyError ? err.status : 400, (err as Error).message),
    );
    return true;
  };
}
