/**
 * What a node's admins do on the page (issue 10: `trucada user add --admin`, `trucada user admin`):
 *
 *   GET  /api/admin/users                       {users: [{name, createdAt, admin, pending}]}
 *   POST /api/admin/approve {name} (X-CSRF-Token)  lets in a sign-up waiting for approval
 *   POST /api/admin/remove  {name} (X-CSRF-Token)  deletes a user and everything kept for them, or
 *                                                  turns down a waiting sign-up
 *
 * Only an admin's session gets past the door (403 for anyone else). An admin leaves through their
 * own account's "leave", not here, and cannot remove another admin: admins are made and unmade on
 * the node itself, by whoever runs `trucada user`, so one page session cannot take a node over.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log.js';
import type { AccountSummary } from '../../store/accounts.js';
import { StoreError } from '../../store/store-error.js';
import { normalizeUserName } from '../../store/user-name.js';
import { serveRoute, type Routes } from './api-routes.js';
import { readJsonBody } from './json-body.js';
import { sendError, sendJson } from './json-reply.js';
import type { SessionAuth } from './session-auth.js';
import type { Session } from './sessions.js';

export interface AdminApiOptions {
  readonly auth: SessionAuth;
  readonly isAdmin: (name: string) => boolean;
  readonly accounts: {
    list(): AccountSummary[];
    /** False when the account was in already. */
    approve(name: string): boolean;
  };
  /** An account was let in: the daemon's cache reads it. */
  readonly added: (name: string) => void;
  /** Deletes the account and everything kept for it (history, stored messages, registrations). */
  readonly leave: (name: string) => void;
  readonly logger: Logger;
}

export function createAdminApi(opts: AdminApiOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { auth } = opts;
  /** The admin's session, or undefined after answering. */
  const admin = (req: IncomingMessage, res: ServerResponse, changes: boolean): Session | undefined => {
    const s = auth.required(req, res, false);
    if (s === undefined) return undefined;
    if (!opts.isAdmin(s.user)) return (sendError(res, 403, 'Only an admin of this node may do this.'), undefined);
    if (changes && !auth.hasToken(req, s)) return (sendError(res, 403, 'missing or wrong X-CSRF-Token'), undefined);
    return s;
  };
  /** The existing account a change names, or undefined after answering. */
  const target = async (req: IncomingMessage, res: ServerResponse): Promise<AccountSummary | undefined> => {
    const body = (await readJsonBody(req)) as { name?: unknown } | null;
    if (typeof body?.name !== 'string') return (sendError(res, 400, 'send {"name": "..."}'), undefined);
    let name: string;
    try {
      name = normalizeUserName(body.name);
    } catch (err) {
      if (err instanceof StoreError) return (sendError(res, 400, 'That is not a user name.'), undefined);
      throw err;
    }
    const account = opts.accounts.list().find((a) => a.name === name);
    return account ?? (sendError(res, 404, `There is no user ${name}.`), undefined);
  };

  const routes: Routes = {
    '/api/admin/users': {
      method: 'GET',
      handle: (req, res) => {
        if (admin(req, res, false) === undefined) return;
        sendJson(res, 200, { users: opts.accounts.list() });
      },
    },
    '/api/admin/approve': {
      method: 'POST',
      handle: async (req, res) => {
        const s = admin(req, res, true);
        if (s === undefined) return;
        const account = await target(req, res);
        if (account === undefined) return;
        if (opts.accounts.approve(account.name)) {
          opts.added(account.name);
          opts.logger.info(`web: ${s.user} approved the sign-up of ${account.name}`);
        }
        sendJson(res, 200, { name: account.name });
      },
    },
    '/api/admin/remove': {
      method: 'POST',
      handle: async (req, res) => {
        const s = admin(req, res, true);
        if (s === undefined) return;
        const account = await target(req, res);
        if (account === undefined) return;
        if (account.name === s.user) return sendError(res, 400, 'To remove your own account, use “Delete my account”.');
        if (account.admin) return sendError(res, 403, 'An admin is removed on the node itself, with trucada user del.');
        opts.leave(account.name);
        auth.sessions.endUser(account.name);
        opts.logger.info(`web: ${s.user} ${account.pending ? 'turned down the sign-up of' : 'removed the user'} ${account.name}: account, history and messages deleted`);
        sendJson(res, 200, { name: account.name });
      },
    },
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!path.startsWith('/api/admin/')) return false;
    serveRoute(routes, opts.logger, req, res, path);
    return true;
  };
}
