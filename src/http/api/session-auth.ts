/**
 * Who a request of the page's API comes from: the session its cookie names, while its account
 * exists (a session outlives nothing the admin removed), and whether a state-changing request
 * carries that session's CSRF token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './json-reply.js';
import { sessionIdOf } from './session-cookie.js';
import type { Session, Sessions } from './sessions.js';

export class SessionAuth {
  constructor(
    readonly sessions: Sessions,
    private readonly exists: (name: string) => boolean,
  ) {}

  of(req: IncomingMessage): Session | undefined {
    return this.byId(sessionIdOf(req));
  }

  /**
   * For a connection that outlives its request (the page's WebSocket): who the session is, read
   * again at every use, so a logout, an expiry or a removed account ends it at once.
   */
  holder(req: IncomingMessage): (() => string | undefined) | undefined {
    const s = this.of(req);
    if (s === undefined) return undefined;
    const id = s.id;
    return () => this.byId(id)?.user;
  }

  private byId(id: string | undefined): Session | undefined {
    const s = this.sessions.use(id);
    if (s !== undefined && !this.exists(s.user)) {
      this.sessions.end(s.id);
      return undefined;
    }
    return s;
  }

  /**
   * The request's session, or undefined after answering: 401 with none, and, for a request that
   * `changes` something, 403 without the session's CSRF token.
   */
  required(req: IncomingMessage, res: ServerResponse, changes: boolean): Session | undefined {
    const s = this.of(req);
    if (s === undefined) return (sendError(res, 401, 'not logged in'), undefined);
    if (changes && !this.hasToken(req, s)) return (sendError(res, 403, 'missing or wrong X-CSRF-Token'), undefined);
    return s;
  }

  /** The request carries the session's CSRF token in `X-CSRF-Token`. */
  hasToken(req: IncomingMessage, s: Session): boolean {
    return req.headers['x-csrf-token'] === s.csrf;
  }
}
