/**
 * The logged-in user's contacts and who of them is online (issue 10):
 *
 *   GET  /api/contacts          {presence, contacts: [{name, seen: online|offline|hidden}]}
 *   POST /api/contacts/add      {name} (X-CSRF-Token) -> {name}   a user of this node, or user@domain
 *   POST /api/contacts/remove   {name} (X-CSRF-Token) -> {name}
 *   POST /api/presence          {presence: mesh|contacts|nobody} (X-CSRF-Token)   who sees me online
 *
 * Presence is read by the page from here, not by SIP SUBSCRIBE/NOTIFY (RFC 3856): the node answers
 * a whole list from memory in one request that the page repeats while it is shown, where SIP would
 * hold one subscription dialog, with its refreshes and NOTIFY transactions, per contact per open
 * tab; and what another node's users show comes from that node's signed descriptor in any case.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log.js';
import { PRESENCE_SETTINGS, type PresenceSetting } from '../../store/accounts.js';
import { normalizeContact } from '../../store/contacts.js';
import { StoreError } from '../../store/store-error.js';
import type { Seen } from '../../presence/seen.js';
import { serveRoute, type Routes } from './api-routes.js';
import { readJsonBody } from './json-body.js';
import { sendError, sendJson } from './json-reply.js';
import type { SessionAuth } from './session-auth.js';

export interface ContactsApiOptions {
  readonly auth: SessionAuth;
  readonly domain: string;
  readonly contacts: {
    list(owner: string): string[];
    add(owner: string, contact: string): boolean;
    remove(owner: string, contact: string): boolean;
  };
  /** A local user's presence setting; undefined for no such user. */
  readonly presenceOf: (user: string) => PresenceSetting | undefined;
  readonly setPresence: (user: string, presence: PresenceSetting) => void;
  /** What `watcher` may see of `contact` (src/presence/seen.ts). */
  readonly seen: (watcher: string, contact: string) => Seen;
  readonly logger: Logger;
}

export function createContactsApi(opts: ContactsApiOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { auth } = opts;
  /** The contact a change names, normalised, or undefined after answering. */
  const named = async (req: IncomingMessage, res: ServerResponse): Promise<string | undefined> => {
    const body = (await readJsonBody(req)) as { name?: unknown } | null;
    if (typeof body?.name !== 'string') return (sendError(res, 400, 'send {"name": "..."}'), undefined);
    try {
      return normalizeContact(body.name.trim(), opts.domain);
    } catch (err) {
      if (err instanceof StoreError) return (sendError(res, 400, 'A contact is a name of this node, or name@node for another node.'), undefined);
      throw err;
    }
  };

  const routes: Routes = {
    '/api/contacts': {
      method: 'GET',
      handle: (req, res) => {
        const s = auth.required(req, res, false);
        if (s === undefined) return;
        const contacts = opts.contacts.list(s.user).map((name) => ({ name, seen: opts.seen(s.user, name) }));
        sendJson(res, 200, { presence: opts.presenceOf(s.user), contacts });
      },
    },
    '/api/contacts/add': {
      method: 'POST',
      handle: async (req, res) => {
        const s = auth.required(req, res, true);
        if (s === undefined) return;
        const name = await named(req, res);
        if (name === undefined) return;
        if (name === s.user) return sendError(res, 400, 'That is you.');
        if (!name.includes('@') && opts.presenceOf(name) === undefined) return sendError(res, 404, `There is no user ${name} on this node.`);
        try {
          opts.contacts.add(s.user, name);
        } catch (err) {
          if (err instanceof StoreError && err.code === 'TOO_MANY_CONTACTS') return sendError(res, 409, `${err.message}: remove some first.`);
          throw err;
        }
        sendJson(res, 200, { name });
      },
    },
    '/api/contacts/remove': {
      method: 'POST',
      handle: async (req, res) => {
        const s = auth.required(req, res, true);
        if (s === undefined) return;
        const name = await named(req, res);
        if (name === undefined) return;
        if (!opts.contacts.remove(s.user, name)) return sendError(res, 404, `${name} is not among your contacts.`);
        sendJson(res, 200, { name });
      },
    },
    '/api/presence': {
      method: 'POST',
      handle: async (req, res) => {
        const s = auth.required(req, res, true);
        if (s === undefined) return;
        const body = (await readJsonBody(req)) as { presence?: unknown } | null;
        const presence = PRESENCE_SETTINGS.find((p) => p === body?.presence);
        if (presence === undefined) return sendError(res, 400, `send {"presence": "${PRESENCE_SETTINGS.join('" | "')}"}`);
        opts.setPresence(s.user, presence);
        opts.logger.info(`web: ${s.user} shows their presence to ${presence === 'mesh' ? 'everyone on the mesh' : presence === 'contacts' ? 'their contacts' : 'nobody'}`);
        sendJson(res, 200, { presence });
      },
    },
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/api/contacts' && !path.startsWith('/api/contacts/') && path !== '/api/presence') return false;
    serveRoute(routes, opts.logger, req, res, path);
    return true;
  };
}
