/**
 * Call history: one row per call, written once when the call ends, together with the pruning it
 * causes, in one transaction; never a write per SIP message (an autocommit write costs about a
 * millisecond of fsync on the router's flash).
 *
 * Caller and callee share the row, and each hides it from their own history without touching the
 * other's: by deleting it, or by going over their count limit. The row goes once both sides have
 * hidden it. A party of another node keeps no history here, so its side starts hidden. Age removes
 * rows outright, since it is the same for both sides.
 */
import type { CallRecord, CallRow, CallOutcome } from './call-record.js';
import type { Db, Row } from './database.js';

export interface CallHistoryOptions {
  /** Calls kept in one user's history (`history_max_calls`); 0 keeps none, nor any missed-call notice. */
  maxCalls: number;
  /** How long a call is kept after it ended (`history_max_age`), in ms. */
  maxAgeMs: number;
  now: () => number;
}

/** A user whose history went past `history_max_calls` with a write, and how many calls it lost. */
export interface Trimmed {
  user: string;
  hidden: number;
}

export interface ListOptions {
  /** At most this many rows; clamped to 1..LIST_MAX. */
  limit: number;
  /** Only calls with a lower id: the next page after the last row of the previous one. */
  beforeId?: number;
}

/** The most rows one `list` returns, whatever the page asks for. */
export const LIST_MAX = 500;
/** Longest caller, callee, Call-ID or device text kept; longer ones (from the network) are cut. */
export const TEXT_MAX = 256;
/** Most devices kept for one call. */
export const DEVICES_MAX = 100;
/** Ids per statement, well under SQLite's limit on bound parameters (999 in old builds). */
const ID_BATCH = 500;

const COLUMNS = 'id, caller, callee, call_id, devices, started_at, answered_at, ended_at, outcome, notified';
/** The calls that user ?1 sees in their history. */
const VISIBLE_TO = '((caller = ?1 AND caller_deleted = 0) OR (callee = ?1 AND callee_deleted = 0))';

export class CallHistory {
  constructor(
    private readonly db: Db,
    private readonly opts: CallHistoryOptions,
  ) {}

  /** `history_max_calls`: how many calls one history keeps. */
  get maxCalls(): number {
    return this.opts.maxCalls;
  }

  /** Writes the call and prunes the histories of both parties; returns the call's id. */
  record(call: CallRecord): number {
    return this.db.transaction(() => {
      const id = this.insert(call);
      this.pruneAfterWrite(new Set([clip(call.caller), clip(call.callee)]));
      return id;
    });
  }

  /**
   * Several calls in one transaction: one fsync for all of them, which is what a router's flash
   * wants, and each party's history trimmed once rather than once per call. Returns the histories
   * that the count limit trimmed.
   */
  recordAll(calls: readonly CallRecord[]): Trimmed[] {
    if (calls.length === 0) return [];
    return this.db.transaction(() => {
      const users = new Set<string>();
      for (const call of calls) {
        this.insert(call);
        users.add(clip(call.caller)).add(clip(call.callee));
      }
      return this.pruneAfterWrite(users);
    });
  }

  private insert(call: CallRecord): number {
    const caller = clip(call.caller);
    const callee = clip(call.callee);
    const devices = JSON.stringify(call.devices.slice(0, DEVICES_MAX).map(clip));
    this.db.run(
      'INSERT INTO calls (caller, callee, call_id, devices, started_at, answered_at, ended_at, outcome, caller_deleted, callee_deleted) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        caller, callee, clip(call.callId), devices, call.startedAt, call.answeredAt ?? null, call.endedAt, call.outcome,
        isLocal(caller) ? 0 : 1, isLocal(callee) ? 0 : 1,
      ],
    );
    return Number(this.db.get('SELECT last_insert_rowid() AS id')?.id);
  }

  /** After a write: rows past their age go, and each local party keeps its newest maxCalls. */
  private pruneAfterWrite(users: ReadonlySet<string>): Trimmed[] {
    this.dropExpired();
    const trimmed: Trimmed[] = [];
    for (const user of users) {
      const hidden = isLocal(user) ? this.trim(user) : 0;
      if (hidden > 0) trimmed.push({ user, hidden });
    }
    return trimmed;
  }

  /** The user's calls, made and received, newest first. */
  list(user: string, options: ListOptions): CallRow[] {
    const limit = Number.isSafeInteger(options.limit) ? Math.min(Math.max(options.limit, 1), LIST_MAX) : LIST_MAX;
    const before = options.beforeId !== undefined && Number.isSafeInteger(options.beforeId) ? options.beforeId : Number.MAX_SAFE_INTEGER;
    return this.db
      .all(`SELECT ${COLUMNS} FROM calls WHERE ${VISIBLE_TO} AND id < ?2 AND ended_at >= ?3 ORDER BY id DESC LIMIT ?4`, [
        user, before, this.cutoff(), limit,
      ])
      .map(toCallRow);
  }

  /** Removes a call from the user's own history; false when it is not there (or is someone else's). */
  delete(user: string, id: number): boolean {
    if (!Number.isSafeInteger(id)) return false;
    return this.db.transaction(() => {
      const visible = this.db.get(`SELECT id FROM calls WHERE id = ?2 AND ${VISIBLE_TO}`, [user, id]) !== undefined;
      if (visible) this.hide(user, [id]);
      return visible;
    });
  }

  /** Removes every call from the user's side (the account leaves); the other sides keep theirs. */
  forget(user: string): void {
    this.db.transaction(() => {
      const ids = this.db.all(`SELECT id FROM calls WHERE ${VISIBLE_TO}`, [user]).map((row) => Number(row.id));
      this.hide(user, ids);
    });
  }

  /** Missed calls the callee has not been told of yet, oldest first. */
  unnotifiedMissed(callee: string): CallRow[] {
    return this.db
      .all(
        `SELECT ${COLUMNS} FROM calls WHERE callee = ? AND callee_deleted = 0 AND outcome = 'missed' AND notified = 0 ` +
          'AND ended_at >= ? ORDER BY id',
        [callee, this.cutoff()],
      )
      .map(toCallRow);
  }

  /** Every user with missed calls not yet told of (read once at start, so a REGISTER need not ask). */
  usersWithUnnotifiedMissed(): string[] {
    return this.db
      .all("SELECT DISTINCT callee FROM calls WHERE callee_deleted = 0 AND outcome = 'missed' AND notified = 0 AND ended_at >= ?", [this.cutoff()])
      .map((row) => String(row.callee));
  }

  markNotified(ids: readonly number[]): void {
    const valid = ids.filter((id) => Number.isSafeInteger(id));
    if (valid.length === 0) return;
    this.db.transaction(() => {
      for (const batch of batches(valid)) this.db.run(`UPDATE calls SET notified = 1 WHERE id IN (${marks(batch)})`, batch);
    });
  }

  /**
   * Drops calls past the age limit and trims every history to the count limit (which may have been
   * lowered since the calls were written); for a daily timer. Returns how many calls were dropped for age.
   */
  prune(): number {
    return this.db.transaction(() => {
      const dropped = this.dropExpired();
      const users = this.db.all(
        'SELECT caller AS user FROM calls WHERE caller_deleted = 0 UNION SELECT callee FROM calls WHERE callee_deleted = 0',
      );
      for (const row of users) this.trim(String(row.user));
      return dropped;
    });
  }

  private cutoff(): number {
    return this.opts.now() - this.opts.maxAgeMs;
  }

  private dropExpired(): number {
    return this.db.run('DELETE FROM calls WHERE ended_at < ?', [this.cutoff()]);
  }

  /** Hides the user's calls beyond the newest maxCalls; returns how many. */
  private trim(user: string): number {
    // A UNION rather than an OR: SQLite merges the two index scans in id order instead of sorting.
    const beyond = this.db.all(
      'SELECT id FROM calls WHERE caller = ?1 AND caller_deleted = 0 UNION SELECT id FROM calls WHERE callee = ?1 AND callee_deleted = 0 ' +
        'ORDER BY id DESC LIMIT -1 OFFSET ?2',
      [user, this.opts.maxCalls],
    );
    this.hide(user, beyond.map((row) => Number(row.id)));
    return beyond.length;
  }

  /** Hides the calls from the user's side, and deletes those the other side has hidden already. */
  private hide(user: string, ids: readonly number[]): void {
    for (const batch of batches(ids)) {
      this.db.run(
        'DELETE FROM calls WHERE (caller = ? OR caller_deleted = 1) AND (callee = ? OR callee_deleted = 1) ' +
          `AND id IN (${marks(batch)})`,
        [user, user, ...batch],
      );
      this.db.run(
        'UPDATE calls SET caller_deleted = (caller_deleted OR caller = ?), callee_deleted = (callee_deleted OR callee = ?) ' +
          `WHERE id IN (${marks(batch)})`,
        [user, user, ...batch],
      );
    }
  }
}

/** Ids in groups small enough for one statement's bound parameters. */
function* batches(ids: readonly number[]): Generator<number[]> {
  for (let i = 0; i < ids.length; i += ID_BATCH) yield ids.slice(i, i + ID_BATCH);
}

function marks(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

/** A local user is a bare name; users of other nodes are written `user@domain`. */
function isLocal(party: string): boolean {
  return !party.includes('@');
}

/** Cuts text to TEXT_MAX UTF-16 units without splitting a surrogate pair. */
function clip(text: string): string {
  if (text.length <= TEXT_MAX) return text;
  const last = text.charCodeAt(TEXT_MAX - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? TEXT_MAX - 1 : TEXT_MAX);
}

function toCallRow(row: Row): CallRow {
  return {
    id: Number(row.id),
    caller: String(row.caller),
    callee: String(row.callee),
    callId: String(row.call_id),
    devices: parseDevices(String(row.devices)),
    startedAt: Number(row.started_at),
    answeredAt: row.answered_at === null ? null : Number(row.answered_at),
    endedAt: Number(row.ended_at),
    outcome: String(row.outcome) as CallOutcome,
    notified: Number(row.notified) === 1,
  };
}

function parseDevices(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((d): d is string => typeof d === 'string') : [];
}
