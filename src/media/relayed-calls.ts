/**
 * The calls whose media goes through rtpengine, as the node drives it (issue 14): the `offer` of
 * each leg that needs the relay, the `answer` of the leg that took it, and the `delete` when the
 * call fails or ends. A relay that is down or does not answer leaves the call to go on without it:
 * every step resolves with the SDP to send, undefined when it stays as it was, and says why in the
 * log. The kinds of both ends of an answered call are kept, so that a re-INVITE from either side
 * (hold, video on or off) is offered to the other in what it speaks.
 */
import type { Logger } from '../log.js';
import type { MediaKind } from './media-kind.js';
import type { NgClient } from './ng-client.js';
import { answerParams, deleteParams, offerParams, type LegIds } from './relay-params.js';
import type { RelayHealth } from './relay-health.js';

export interface RelayedCallsOptions {
  readonly client: Pick<NgClient, 'request'>;
  readonly health: Pick<RelayHealth, 'state' | 'check'>;
  readonly logger: Logger;
  /**
   * Answered calls remembered for their re-INVITEs; past it the oldest is forgotten (its BYE may
   * have been lost: rtpengine ends a session without media by itself, and the node must not grow).
   */
  readonly maxCalls?: number;
}

/** The two ends of an answered relayed call: each tag and what that end speaks. */
interface Ends {
  readonly fromTag: string;
  readonly kinds: ReadonlyMap<string, MediaKind>;
}

const DEFAULT_MAX_CALLS = 1000;

export class RelayedCalls {
  /** Answered calls by Call-ID, oldest first. */
  private readonly answered = new Map<string, Ends>();
  private readonly maxCalls: number;

  constructor(private readonly options: RelayedCallsOptions) {
    this.maxCalls = options.maxCalls ?? DEFAULT_MAX_CALLS;
  }

  /** Whether a new call should be offered to the relay: not while the health check says it is down. */
  get usable(): boolean {
    return this.options.health.state !== 'down';
  }

  /** The caller's (or in a dialog the sender's) SDP, rewritten for a recipient that speaks `towards`. */
  offer(leg: LegIds, sdp: string, towards: MediaKind): Promise<string | undefined> {
    return this.rewrite('offer', leg, () => offerParams(leg, sdp, towards));
  }

  /** The recipient's SDP in its response (`leg.toTag` its tag), rewritten for the offerer, who speaks `towards`. */
  answer(leg: LegIds, sdp: string, towards: MediaKind): Promise<string | undefined> {
    return this.rewrite('answer', leg, () => answerParams(leg, sdp, towards));
  }

  /** The call was answered through the relay: its ends are kept for what comes in the dialog. */
  established(callId: string, caller: { tag: string; kind: MediaKind }, callee: { tag: string; kind: MediaKind }): void {
    this.answered.delete(callId);
    this.answered.set(callId, { fromTag: caller.tag, kinds: new Map([[caller.tag, caller.kind], [callee.tag, callee.kind]]) });
    if (this.answered.size > this.maxCalls) this.answered.delete(this.answered.keys().next().value!);
  }

  /** What the end of the answered call `callId` with this tag speaks; undefined when the call is not relayed. */
  kindOf(callId: string, tag: string): MediaKind | undefined {
    return this.answered.get(callId)?.kinds.get(tag);
  }

  /** The call ended (BYE), or failed before an answer: its relay session goes, every leg. */
  end(callId: string, fromTag?: string): void {
    const tag = fromTag ?? this.answered.get(callId)?.fromTag;
    this.answered.delete(callId);
    if (tag === undefined) return;
    this.options.client.request('delete', deleteParams({ callId, fromTag: tag })).then(
      () => this.options.logger.debug(`media relay: call ${callId} deleted`),
      (err: Error) => this.options.logger.info(`media relay: call ${callId} not deleted (${err.message}); rtpengine ends it when its media stops`),
    );
  }

  private async rewrite(command: 'offer' | 'answer', leg: LegIds, params: () => Parameters<NgClient['request']>[1]): Promise<string | undefined> {
    try {
      const reply = await this.options.client.request(command, params());
      if (typeof reply.sdp === 'string' && reply.sdp.length > 0) return reply.sdp;
      this.options.logger.warn(`media relay: ${command} for call ${leg.callId} came back without SDP; the call goes on without the relay`);
    } catch (err) {
      this.options.logger.warn(`media relay: ${(err as Error).message} for call ${leg.callId}; the call goes on without the relay`);
      void this.options.health.check();
    }
    return undefined;
  }
}
