/**
 * One table of the page's API, path to method and handler: a wrong method is 405 with `Allow`, an
 * unknown path 404, a cross-site POST 403, a body that cannot be read its 4xx, and a handler that
 * throws a logged 500, so every handler answers only its own request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log.js';
import { BodyError } from './json-body.js';
import { sendError } from './json-reply.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
export type Routes = Record<string, { method: 'GET' | 'POST'; handle: Handler }>;

/** Answers a request for `path` from `routes`. */
export function serveRoute(routes: Routes, logger: Logger, req: IncomingMessage, res: ServerResponse, path: string): void {
  const route = routes[path];
  if (route === undefined) return sendError(res, 404, `no API ${path}`);
  if (req.method !== route.method && !(route.method === 'GET' && req.method === 'HEAD')) {
    return sendError(res, 405, `${path} takes ${route.method}`, { Allow: route.method });
  }
  if (route.method === 'POST' && !sameOrigin(req)) return sendError(res, 403, 'cross-site request refused');
  Promise.resolve(route.handle(req, res)).catch((err: unknown) => {
    if (err instanceof BodyError) return sendError(res, err.status, err.message);
    logger.error(`${req.method} ${path} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (!res.headersSent) sendError(res, 500, 'the node failed to answer; see its log');
  });
}

/** A browser names the page's origin in `Origin` on every POST; another origin is another site. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin === undefined || origin === `https://${req.headers.host ?? ''}`;
}
