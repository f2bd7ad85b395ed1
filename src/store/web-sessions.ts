/**
 * The web login sessions kept in the database (migration 3), for Sessions (src/http/api/sessions.ts)
 * to read back at start. Each write is one small statement; Sessions decides when to write.
 */
import type { Db } from './database.js';

export interface SessionRecord {
  readonly id: string;
  readonly user: string;
  readonly csrf: string;
  readonly lastUsed: number;
}

/** What Sessions asks of storage. */
export interface SessionRecords {
  all(): SessionRecord[];
  put(s: SessionRecord): void;
  delete(ids: readonly string[]): void;
}

export class WebSessionStore implements SessionRecords {
  constructor(private readonly db: Db) {}

  all(): SessionRecord[] {
    return this.db
      .all('SELECT id, user, csrf, last_used FROM web_sessions ORDER BY last_used')
      .map((r) => ({ id: String(r.id), user: String(r.user), csrf: String(r.csrf), lastUsed: Number(r.last_used) }));
  }

  put(s: SessionRecord): void {
    this.db.run('INSERT OR REPLACE INTO web_sessions (id, user, csrf, last_used) VALUES (?, ?, ?, ?)', [s.id, s.user, s.csrf, s.lastUsed]);
  }

  delete(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) this.db.run('DELETE FROM web_sessions WHERE id = ?', [id]);
    });
  }
}
