/**
 * The HTTPS port's requests that are not WebSocket upgrades: the node's descriptor at
 * `/.well-known/trucada`, other nodes' peer exchanges at `/.well-known/trucada/peers`, the JSON API under `/api/` (accounts and sessions, admins, contacts
 * and presence, call history, ICE servers), everything else to `fallback` (the page's files).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../config/config.js';
import { NonceManager } from '../../auth/nonce.js';
import type { Credentials } from '../../store/credentials.js';
import { type AccountApiOptions, createAccountApi } from './account-api.js';
import { type AdminApiOptions, createAdminApi } from './admin-api.js';
import { type ContactsApiOptions, createContactsApi } from './contacts-api.js';
import { createHistoryApi, type HistoryApiOptions } from './history-api.js';
import { HttpDigest } from './http-digest.js';
import { createIceServersHandler } from './ice-servers.js';
import type { PeerExchange } from '../../federation/peer-exchange.js';
import { createPeerExchangeHandler } from './peer-exchange-api.js';
import { createWellKnownHandler } from './well-known.js';

export interface ApiHandlerOptions extends Omit<AccountApiOptions, 'accounts'>, Omit<AdminApiOptions, 'accounts'>, HistoryApiOptions, ContactsApiOptions {
  readonly accounts: AccountApiOptions['accounts'] & AdminApiOptions['accounts'];
  readonly config: Config;
  readonly credentials: Credentials;
  readonly fallback: (req: IncomingMessage, res: ServerResponse) => void;
  /** This node's signed descriptor (src/federation/own-descriptor.ts). */
  readonly descriptor: () => string;
  /** Other nodes' peer exchanges; absent when `peer_exchange` is off. */
  readonly peerExchange?: Pick<PeerExchange, 'received'>;
}

export function createApiHandler(opts: ApiHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const digest = new HttpDigest({ credentials: opts.credentials, nonces: new NonceManager({ now: opts.now }) });
  const iceServers = createIceServersHandler({ config: opts.config, digest, sessionUser: (req) => opts.auth.of(req)?.user, now: opts.now });
  const history = createHistoryApi(opts);
  const accounts = createAccountApi(opts);
  const admin = createAdminApi(opts);
  const contacts = createContactsApi(opts);
  const wellKnown = createWellKnownHandler(opts.descriptor);
  const peerExchange = createPeerExchangeHandler(opts.peerExchange);
  return (req, res) => {
    if (!wellKnown(req, res) && !peerExchange(req, res) && !iceServers(req, res) && !history(req, res) && !contacts(req, res) && !admin(req, res) && !accounts(req, res)) opts.fallback(req, res);
  };
}
