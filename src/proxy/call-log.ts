/**
 * Turns what the proxy sees of a call into one history row, written once when the call ends
 * (never per message, to spare the router's flash): an unanswered call when its INVITE gets its
 * final response, an answered one when the BYE of its dialog passes the node (the node
 * record-routes every call, so it sees that BYE).
 *
 * Rows are written together, at most `flushMs` after the first of them ended (or at once when
 * `maxBatch` wait): a transaction's fsync costs far more than its rows, and was most of the CPU a
 * call cost before. A crash loses at most the calls of that last moment; anything that reads the
 * history calls `flush()` first.
 *
 * Answered calls wait in memory for their BYE. A call whose BYE never comes (a phone that lost
 * power) is written after `maxCallMs` with that time as its end; at most `maxOpen` calls wait, the
 * oldest written first when more come.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { CallHistory } from '../store/call-history.js';
import type { CallOutcome, CallRecord } from '../store/call-record.js';
import type { CallAttempt } from './proxy.js';
import { RateLimitedLog } from '../transport/rate-limited-log.js';

export interface CallLogOptions {
  history: Pick<CallHistory, 'recordAll' | 'maxCalls'>;
  clock: Clock;
  logger: Logger;
  /** Default 12 hours. */
  maxCallMs?: number;
  /** Default 10 000. */
  maxOpen?: number;
  /** Default 2 000 ms. */
  flushMs?: number;
  /** Default 200 rows. */
  maxBatch?: number;
}

/** The callee's view of a final status (RFC 3261 §21): who did not pick up missed the call. */
export function outcomeOf(attempt: CallAttempt): CallOutcome {
  const { status, cancelled, timedOut } = attempt.outcome;
  if (status >= 200 && status < 300) return 'answered';
  if (cancelled || timedOut) return 'missed';
  if (status === 486 || status === 600) return 'busy';
  if (status === 603) return 'declined';
  if (status === 480 || status === 408 || status === 487) return 'missed';
  return 'failed';
}

export class CallLog {
  /** Answered calls by Call-ID, oldest first. */
  private readonly open = new Map<string, { record: CallRecord; timer: unknown }>();
  private readonly maxCallMs: number;
  private readonly maxOpen: number;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  /** Ended calls not yet written. */
  private batch: CallRecord[] = [];
  private flushTimer: unknown;
  /** Histories trimmed to history_max_calls: expected on a busy node, worth knowing, not per call. */
  private readonly trimLog: RateLimitedLog;

  constructor(private readonly options: CallLogOptions) {
    this.trimLog = new RateLimitedLog(options.logger, () => options.clock.now());
    this.maxCallMs = options.maxCallMs ?? 12 * 3600_000;
    this.maxOpen = options.maxOpen ?? 10_000;
    this.flushMs = options.flushMs ?? 2000;
    this.maxBatch = options.maxBatch ?? 200;
  }

  /** The INVITE that began a call has its final response. */
  attempted(attempt: CallAttempt): void {
    const { outcome } = attempt;
    const outcomeName = outcomeOf(attempt);
    const record: CallRecord = {
      caller: attempt.caller,
      callee: attempt.callee,
      callId: attempt.callId,
      devices: outcome.devices,
      startedAt: outcome.startedAt,
      ...(outcome.answeredAt !== undefined ? { answeredAt: outcome.answeredAt } : {}),
      endedAt: this.options.clock.now(),
      outcome: outcomeName,
    };
    if (outcomeName !== 'answered') return this.write(record);
    if (this.open.has(attempt.callId)) return;
    if (this.open.size >= this.maxOpen) this.end(this.open.keys().next().value!);
    const timer = this.options.clock.setTimeout(() => this.end(attempt.callId), this.maxCallMs);
    this.open.set(attempt.callId, { record, timer });
  }

  /** A BYE of the dialog with this Call-ID passed the node: the call is over. */
  ended(callId: string): void {
    if (this.open.has(callId)) this.end(callId);
  }

  /** Write the ended calls now (before the history is read). */
  flush(): void {
    this.options.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.batch;
    this.batch = [];
    try {
      const { history } = this.options;
      // history_max_calls 0 keeps no history at all: the operator's choice, not a limit biting.
      for (const { user, hidden } of history.recordAll(batch)) {
        if (history.maxCalls > 0) this.trimLog.info(`call history of ${user} at history_max_calls (${history.maxCalls}): its ${hidden} oldest call(s) dropped`);
      }
    } catch (err) {
      // The calls themselves are done; a full or broken disk must not turn into a SIP failure.
      this.options.logger.error(`call history: cannot record ${batch.length} call(s): ${(err as Error).message}`);
    }
  }

  /** Shutdown: calls still going are written as ending now, so none is lost. */
  close(): void {
    for (const callId of [...this.open.keys()]) this.end(callId);
    this.flush();
  }

  private end(callId: string): void {
    const open = this.open.get(callId);
    if (!open) return;
    this.open.delete(callId);
    this.options.clock.clearTimeout(open.timer);
    this.write({ ...open.record, endedAt: this.options.clock.now() });
  }

  private write(record: CallRecord): void {
    this.batch.push(record);
    if (this.batch.length >= this.maxBatch) this.flush();
    else this.flushTimer ??= this.options.clock.setTimeout(() => this.flush(), this.flushMs);
  }
}
