/**
 * The HTTPS port's requests that are not WebSocket upgrades: the JSON API under `/api/` (accounts
 * and sessions, call history, ICE servers), everything else to `fallback` (the page's files).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../config/config.js';
import { NonceManager } from '../../auth/nonce.js';
import type { Credentials } from '../../store/credentials.js';
import { type AccountApiOptions, createAccountApi } from './account-api.js';
import { createHistoryApi, type HistoryApiOptions } from './history-api.js';
import { HttpDigest } from './http-digest.js';
import { createIceServersHandler } from './ice-servers.js';

export interface ApiHandlerOptions extends AccountApiOptions, HistoryApiOptions {
  readonly config: Config;
  readonly credentials: Credentials;
  readonly fallback: (req: IncomingMessage, res: ServerResponse) => void;
}

export function createApiHandler(opts: ApiHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const digest = new HttpDigest({ credentials: opts.credentials, nonces: new NonceManager({ now: opts.now }) });
  const iceServers = createIceServersHandler({ config: opts.config, digest, now: opts.now });
  const history = createHistoryApi(opts);
  const accounts = createAccountApi(opts);
  return (req, res) => {
    if (!iceServers(req, res) && !history(req, res) && !accounts(req, res)) opts.fallback(req, res);
  };
}
