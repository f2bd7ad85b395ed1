/**
 * The page's account API (issue 10):
 *
 *   GET  /api/node    {domain, signup}                       who this node is, whether it takes sign-ups
 *   GET  /api/me      {name, csrf, admin} | 401              the session this browser has
 *   POST /api/login   {name, password} -> {name, csrf, admin}   sets the session cookie
 *   POST /api/signup  {name, password} -> 201 {name, csrf, admin}   when `signup` is open,
 *                                      -> 202 {name, pending: true}  when it is `approval`
 *   POST /api/logout  (X-CSRF-Token)                         ends the session
 *   GET  /api/users   {users: [{name, node, seen}]}           the node's users, then those its peer nodes publish, with the
 *                                                            presence each lets this user see (logged in only)
 *   POST /api/password {password, newPassword} (X-CSRF-Token) -> {name, csrf}   other sessions end
 *   POST /api/leave   {password} (X-CSRF-Token)              deletes the account, its history and messages
 *
 * Password checks run off the event loop and count into the same failure budget per address and
 * per user as SIP digest (one guesser, one budget). A cross-site request is refused by its Origin,
 * by the JSON content type a form cannot send, by the SameSite=Strict cookie and, once logged in, by
 * the CSRF token. An account waiting for approval has no session: its login is refused with a
 * message saying so, once its password has been checked (so the message tells a guesser nothing).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FailureThrottle } from '../../auth/throttle.js';
import type { DirectoryEntry } from '../../presence/mesh-directory.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../log.js';
import { RateLimiter } from '../../net/rate-limit.js';
import { StoreError } from '../../store/store-error.js';
import { PASSWORD_MAX } from '../../store/accounts.js';
import { normalizeUserName } from '../../store/user-name.js';
import { unmapAddress } from '../../net/addresses.js';
import { serveRoute, type Routes } from './api-routes.js';
import { readJsonBody } from './json-body.js';
import { sendError, sendJson } from './json-reply.js';
import type { SessionAuth } from './session-auth.js';
import { clearedSessionCookie, sessionCookie } from './session-cookie.js';
import type { Session } from './sessions.js';

/** A password made on the page: long enough that the failure budget makes guessing hopeless. */
export const SIGNUP_PASSWORD_MIN = 8;
const SESSION_MAX_AGE_S = 7 * 24 * 3600;
/** Sign-ups waiting for an admin: beyond this the node takes no more, so they cannot fill its flash. */
export const PENDING_MAX = 100;

export interface AccountApiOptions {
  readonly config: Pick<Config, 'domain' | 'signup'>;
  readonly accounts: {
    verifyPasswordAsync(name: string, password: string): Promise<boolean>;
    addAsync(name: string, password: string, kind?: { pending?: boolean }): Promise<void>;
    setPasswordAsync(name: string, password: string): Promise<void>;
    isPending(name: string): boolean;
    pendingCount(): number;
  };
  /** An admin of the node (src/http/api/admin-api.ts). */
  readonly isAdmin: (name: string) => boolean;
  /** The password changed: the daemon's cache reads the new digests. */
  readonly passwordChanged: (name: string) => void;
  /** Deletes the account and everything kept for it (history, stored messages, registrations). */
  readonly leave: (name: string) => void;
  /** An account was made: the daemon's cache reads it. */
  readonly added: (name: string) => void;
  /** The node's users, sorted, then the peer nodes' as `user@domain`, with what `watcher` may see of each. */
  readonly directory: (watcher: string) => DirectoryEntry[];
  readonly auth: SessionAuth;
  readonly failures: FailureThrottle;
  readonly logger: Logger;
  readonly now: () => number;
}

export function createAccountApi(opts: AccountApiOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  // Sign-ups per address: five at once, then one a minute.
  const signups = new RateLimiter({ now: opts.now, perSecond: 1 / 60, burst: 5, maxAddresses: 1000 });
  const { auth } = opts;
  /**
   * The password of `name` checked within the failure budget (429 while held back); on a mismatch
   * the failure is counted, logged as `what`, and answered `refusal`. True when it matches.
   */
  const passwordOk = async (req: IncomingMessage, res: ServerResponse, name: string, password: string, what: string, refusal: [number, string]): Promise<boolean> => {
    const address = unmapAddress(req.socket.remoteAddress ?? '');
    const keys = [`addr:${address}`, `user:${name}`];
    const wait = Math.max(...keys.map((k) => opts.failures.blockedFor(k)));
    if (wait > 0) return (sendError(res, 429, 'Too many failed attempts: wait a minute and try again.', { 'Retry-After': String(Math.ceil(wait / 1000)) }), false);
    if (await opts.accounts.verifyPasswordAsync(name, password)) return true;
    for (const k of keys) opts.failures.recordFailure(k);
    opts.logger.warn(`${what} failed for ${JSON.stringify(name)} from ${address}`);
    sendError(res, ...refusal);
    return false;
  };
  /** The session of a state-changing request and its password checked as a login's, or undefined after answering. */
  const confirmed = async (req: IncomingMessage, res: ServerResponse): Promise<{ s: Session; body: Record<string, unknown> } | undefined> => {
    const s = auth.required(req, res, true);
    if (s === undefined) return undefined;
    const body = ((await readJsonBody(req)) ?? {}) as Record<string, unknown>;
    if (typeof body.password !== 'string') return (sendError(res, 400, 'send your password as "password"'), undefined);
    const ok = await passwordOk(req, res, s.user, body.password, 'web password check', [403, 'That is not your password.']);
    return ok ? { s, body } : undefined;
  };
  const me = (s: Session) => ({ name: s.user, csrf: s.csrf, admin: opts.isAdmin(s.user) });
  const loggedIn = (res: ServerResponse, s: Session, status = 200) => sendJson(res, status, me(s), { 'Set-Cookie': sessionCookie(s.id, SESSION_MAX_AGE_S) });

  const routes: Routes = {
    '/api/node': { method: 'GET', handle: (_req, res) => sendJson(res, 200, { domain: opts.config.domain, signup: opts.config.signup }) },
    '/api/me': {
      method: 'GET',
      handle: (req, res) => {
        const s = auth.required(req, res, false);
        if (s !== undefined) sendJson(res, 200, me(s));
      },
    },
    '/api/users': {
      method: 'GET',
      handle: (req, res) => {
        const s = auth.required(req, res, false);
        if (s !== undefined) sendJson(res, 200, { users: opts.directory(s.user) });
      },
    },
    '/api/login': {
      method: 'POST',
      handle: async (req, res) => {
        const creds = await credentials(req, res);
        if (creds === undefined) return;
        if (!(await passwordOk(req, res, creds.name, creds.password, 'web login', [401, 'Wrong name or password.']))) return;
        opts.failures.recordSuccess(`user:${creds.name}`);
        if (opts.accounts.isPending(creds.name)) return sendError(res, 403, 'Your account waits for an admin of this node to approve it: try again later.');
        opts.logger.info(`web login ${creds.name} from ${unmapAddress(req.socket.remoteAddress ?? '')}`);
        loggedIn(res, auth.sessions.create(creds.name));
      },
    },
    '/api/signup': {
      method: 'POST',
      handle: async (req, res) => {
        const mode = opts.config.signup;
        if (mode === 'closed') return sendError(res, 403, 'This node does not take new accounts: ask its admin for one.');
        const creds = await credentials(req, res);
        if (creds === undefined) return;
        if (creds.password.length < SIGNUP_PASSWORD_MIN) return sendError(res, 400, `Choose a password of at least ${SIGNUP_PASSWORD_MIN} characters.`);
        const address = unmapAddress(req.socket.remoteAddress ?? '');
        if (!signups.allow(address)) return sendError(res, 429, 'Too many new accounts from your address: try again later.', { 'Retry-After': '60' });
        const pending = mode === 'approval';
        if (pending && opts.accounts.pendingCount() >= PENDING_MAX) {
          opts.logger.warn(`web sign-up ${creds.name} from ${address} refused: ${PENDING_MAX} sign-ups wait for approval already`);
          return sendError(res, 503, 'Too many sign-ups wait for approval: ask an admin of this node.', { 'Retry-After': '3600' });
        }
        try {
          await opts.accounts.addAsync(creds.name, creds.password, { pending });
        } catch (err) {
          if (err instanceof StoreError && err.code === 'USER_EXISTS') return sendError(res, 409, `The name ${creds.name} is taken: choose another.`);
          throw err;
        }
        if (pending) {
          opts.logger.info(`web sign-up ${creds.name} from ${address} waits for approval`);
          return sendJson(res, 202, { name: creds.name, pending: true });
        }
        opts.added(creds.name);
        opts.logger.info(`web sign-up ${creds.name} from ${address}`);
        loggedIn(res, auth.sessions.create(creds.name), 201);
      },
    },
    '/api/password': {
      method: 'POST',
      handle: async (req, res) => {
        const ok = await confirmed(req, res);
        if (ok === undefined) return;
        const next = ok.body.newPassword;
        if (typeof next !== 'string' || next.length < SIGNUP_PASSWORD_MIN || next.length > PASSWORD_MAX) {
          return sendError(res, 400, `Choose a new password of ${SIGNUP_PASSWORD_MIN} to ${PASSWORD_MAX} characters.`);
        }
        await opts.accounts.setPasswordAsync(ok.s.user, next);
        opts.passwordChanged(ok.s.user);
        // The session that changed it goes on (its page's phone is authenticated by it); the others end.
        auth.sessions.endUser(ok.s.user, ok.s.id);
        opts.logger.info(`web password change for ${ok.s.user}`);
        loggedIn(res, ok.s);
      },
    },
    '/api/leave': {
      method: 'POST',
      handle: async (req, res) => {
        const ok = await confirmed(req, res);
        if (ok === undefined) return;
        opts.leave(ok.s.user);
        auth.sessions.endUser(ok.s.user);
        opts.logger.info(`web account ${ok.s.user} left: account, history and messages deleted`);
        sendJson(res, 200, {}, { 'Set-Cookie': clearedSessionCookie() });
      },
    },
    '/api/logout': {
      method: 'POST',
      handle: (req, res) => {
        const s = auth.required(req, res, true);
        if (s === undefined) return;
        auth.sessions.end(s.id);
        sendJson(res, 200, {}, { 'Set-Cookie': clearedSessionCookie() });
      },
    },
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/api' && !path.startsWith('/api/')) return false;
    serveRoute(routes, opts.logger, req, res, path);
    return true;
  };
}

/** `{name, password}` from the body, or undefined after answering 400. */
async function credentials(req: IncomingMessage, res: ServerResponse): Promise<{ name: string; password: string } | undefined> {
  const body = (await readJsonBody(req)) as { name?: unknown; password?: unknown } | null;
  const { name, password } = body ?? {};
  if (typeof name !== 'string' || typeof password !== 'string') return (sendError(res, 400, 'send {"name": "...", "password": "..."}'), undefined);
  if (password.length === 0 || password.length > PASSWORD_MAX) return (sendError(res, 400, `A password has 1 to ${PASSWORD_MAX} characters.`), undefined);
  try {
    return { name: normalizeUserName(name.trim()), password };
  } catch (err) {
    if (err instanceof StoreError) return (sendError(res, 400, 'A name has 1 to 32 of the letters a-z, digits, ".", "_" and "-".'), undefined);
    throw err;
  }
}
