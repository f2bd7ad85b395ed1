/**
 * The HTTPS port's JSON API in front of the page: `/api/ice-servers` here, everything else to
 * `fallback` (the page, or the placeholder until there is one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../config/config.js';
import { NonceManager } from '../../auth/nonce.js';
import type { Credentials } from '../../store/credentials.js';
import { HttpDigest } from './http-digest.js';
import { createIceServersHandler } from './ice-servers.js';

export interface ApiHandlerOptions {
  readonly config: Config;
  readonly credentials: Credentials;
  readonly now: () => number;
  readonly fallback: (req: IncomingMessage, res: ServerResponse) => void;
}

export function createApiHandler(opts: ApiHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const digest = new HttpDigest({ credentials: opts.credentials, nonces: new NonceManager({ now: opts.now }) });
  const iceServers = createIceServersHandler({ config: opts.config, digest, now: opts.now });
  return (req, res) => {
    if (!iceServers(req, res)) opts.fallback(req, res);
  };
}
