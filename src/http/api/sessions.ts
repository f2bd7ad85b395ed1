/**
 * Web login sessions: a random 256-bit id, which only the HttpOnly cookie carries, and a CSRF token
 * the page sends back in a header on every state-changing request. A session lasts `idleMs` after
 * its last use; at most `max` live at once, the least recently used going first. With `records`
 * they outlive a restart (the page's phone is authenticated by its session, RFC 7118 §7, and a
 * power cut must not log every page out); the store is written at login and logout, and a
 * session's last use at most once a SAVE_EVERY_MS, since the database is on flash.
 */
import { randomBytes } from 'node:crypto';
import type { SessionRecords } from '../../store/web-sessions.js';

/** A restored session may look up to this much less recently used than it was. */
const SAVE_EVERY_MS = 24 * 3600 * 1000;

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
  readonly records?: SessionRecords;
}

export class Sessions {
  /** Insertion order is recency order: a use moves the session to the end. */
  private readonly byId = new Map<string, Session>();
  /** The last use as stored, by session id. */
  private readonly saved = new Map<string, number>();
  private readonly idleMs: number;
  private readonly max: number;

  constructor(private readonly options: SessionOptions) {
    this.idleMs = options.idleMs ?? 7 * 24 * 3600 * 1000;
    this.max = options.max ?? 10_000;
    const now = options.now();
    const stale: string[] = [];
    for (const r of options.records?.all() ?? []) {
      if (now - r.lastUsed > this.idleMs) stale.push(r.id);
      else {
        this.byId.set(r.id, { id: r.id, user: r.user, csrf: r.csrf, lastUsed: r.lastUsed });
        this.saved.set(r.id, r.lastUsed);
      }
    }
    while (this.byId.size > this.max) stale.push(this.drop(this.byId.keys().next().value!));
    options.records?.delete(stale);
  }

  create(user: string): Session {
    const evicted: string[] = [];
    while (this.byId.size >= this.max) evicted.push(this.drop(this.byId.keys().next().value!));
    this.options.records?.delete(evicted);
    const session = { id: randomBytes(32).toString('base64url'), user, csrf: randomBytes(24).toString('base64url'), lastUsed: this.options.now() };
    this.byId.set(session.id, session);
    this.save(session);
    return session;
  }

  /** The live session with this id, marked used; undefined when unknown or expired. */
  use(id: string | undefined): Session | undefined {
    const session = id === undefined ? undefined : this.byId.get(id);
    if (session === undefined) return undefined;
    this.byId.delete(session.id);
    const now = this.options.now();
    if (now - session.lastUsed > this.idleMs) {
      this.end(session.id);
      return undefined;
    }
    session.lastUsed = now;
    this.byId.set(session.id, session);
    if (now - (this.saved.get(session.id) ?? 0) >= SAVE_EVERY_MS) this.save(session);
    return session;
  }

  end(id: string): void {
    this.drop(id);
    this.options.records?.delete([id]);
  }

  /** Every session of `user` ends but `keep` (the account was removed or its password changed). */
  endUser(user: string, keep?: string): void {
    const ended: string[] = [];
    for (const [id, s] of this.byId) if (s.user === user && id !== keep) ended.push(this.drop(id));
    this.options.records?.delete(ended);
  }

  get size(): number {
    return this.byId.size;
  }

  private save(s: Session): void {
    this.options.records?.put(s);
    this.saved.set(s.id, s.lastUsed);
  }

  private drop(id: string): string {
    this.byId.delete(id);
    this.saved.delete(id);
    return id;
  }
}
