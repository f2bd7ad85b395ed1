/**
 * Web login sessions, in memory (a restart logs everyone out, and nothing is written to flash):
 * a random 256-bit id, which only the HttpOnly cookie carries, and a CSRF token the page sends back
 * in a header on every state-changing request. A session lasts `idleMs` after its last use; at most
 * `max` live at once, the least recently used going first.
 */
import { randomBytes } from 'node:crypto';

export interface Session {
  readonly id: string;
  readonly user: string;
  readonly csrf: string;
  lastUsed: number;
}

export interface SessionOptions {
  readonly now: () => number;
  /** Default 7 days. */
  readonly idleMs?: number;
  /** Default 10 000. */
  readonly max?: number;
}

export class Sessions {
  /** Insertion order is recency order: a use moves the session to the end. */
  private readonly byId = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly max: number;

  constructor(private readonly options: SessionOptions) {
    this.idleMs = options.idleMs ?? 7 * 24 * 3600 * 1000;
    this.max = options.max ?? 10_000;
  }

  create(user: string): Session {
    while (this.byId.size >= this.max) this.byId.delete(this.byId.keys().next().value!);
    const session = { id: randomBytes(32).toString('base64url'), user, csrf: randomBytes(24).toString('base64url'), lastUsed: this.options.now() };
    this.byId.set(session.id, session);
    return session;
  }

  /** The live session with this id, marked used; undefined when unknown or expired. */
  use(id: string | undefined): Session | undefined {
    const session = id === undefined ? undefined : this.byId.get(id);
    if (session === undefined) return undefined;
    this.byId.delete(session.id);
    const now = this.options.now();
    if (now - session.lastUsed > this.idleMs) return undefined;
    session.lastUsed = now;
    this.byId.set(session.id, session);
    return session;
  }

  end(id: string): void {
    this.byId.delete(id);
  }

  /** Every session of `user` ends (the account was removed or its password changed). */
  endUser(user: string): void {
    for (const [id, s] of this.byId) if (s.user === user) this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }
}
