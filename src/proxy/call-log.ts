/**
 * Turns what the proxy sees of a call into one history row, written once when the call ends
 * (never per message, to spare the router's flash): an unanswered call when its INVITE gets its
 * final response, an answered one when the BYE of its dialog passes the node (the node
 * record-routes every call, so it sees that BYE).
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

export interface CallLogOptions {
  history: Pick<CallHistory, 'record'>;
  clock: Clock;
  logger: Logger;
  /** Default 12 hours. */
  maxCallMs?: number;
  /** Default 10 000. */
  maxOpen?: number;
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

  constructor(private readonly options: CallLogOptions) {
    this.maxCallMs = options.maxCallMs ?? 12 * 3600_000;
    this.maxOpen = options.maxOpen ?? 10_000;
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

  /** Shutdown: calls still going are written as ending now, so none is lost. */
  close(): void {
    for (const callId of [...this.open.keys()]) this.end(callId);
  }

  private end(callId: string): void {
    const open = this.open.get(callId);
    if (!open) return;
    this.open.delete(callId);
    this.options.clock.clearTimeout(open.timer);
    this.write({ ...open.record, endedAt: this.options.clock.now() });
  }

  private write(record: CallRecord): void {
    try {
      this.options.history.record(record);
    } catch (err) {
      // The call itself is done; a full or broken disk must not turn into a SIP failure.
      this.options.logger.error(`call history: cannot record ${record.caller} -> ${record.callee}: ${(err as Error).message}`);
    }
  }
}
