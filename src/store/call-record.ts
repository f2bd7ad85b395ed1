/** A call as the proxy reports it when it ends, and as the history gives it back (the page's JSON API). */

/** How a call ended, for the callee's side: a call nobody answered is `missed`. */
export type CallOutcome = 'answered' | 'missed' | 'busy' | 'declined' | 'failed';

export interface CallRecord {
  /** Lower-case local user name, or `user@domain` for a user of another node. */
  caller: string;
  callee: string;
  callId: string;
  /** What was rung: a contact or User-Agent string per device. */
  devices: readonly string[];
  /** ms since 1970 */
  startedAt: number;
  answeredAt?: number;
  endedAt: number;
  outcome: CallOutcome;
}

export interface CallRow {
  id: number;
  caller: string;
  callee: string;
  callId: string;
  devices: string[];
  startedAt: number;
  /** null when nobody answered (JSON keeps null, it drops undefined). */
  answeredAt: number | null;
  endedAt: number;
  outcome: CallOutcome;
  /** The callee has been told of this missed call. */
  notified: boolean;
}
