/**
 * Where the proxy puts rtpengine into a call (issue 14), as Kamailio's WebRTC gateway
 * configurations do with `rtpengine_offer` and `rtpengine_answer`. The node that rings its own
 * devices decides, because only it knows what each device speaks (a WebSocket device is a
 * browser); a call for a peer node's user is left to that node. A branch is relayed when its
 * device and the caller speak different kinds (mode `mixed`), or always (mode `all`):
 *
 *   - a new INVITE's SDP is offered once per relayed branch (each its own `via-branch`, so that
 *     rtpengine keeps the branches apart, and a browser and a desk phone of one user can ring
 *     together), and the branch's request carries the rewritten SDP;
 *   - a relayed branch's responses pass through here in order: one with SDP (a 183 or the 2xx,
 *     RFC 3264 §4) is the answer, rewritten for the caller; the first 2xx makes the call one whose
 *     re-INVITEs and UPDATEs (hold, video) are offered and answered the same way in both directions;
 *   - a call that fails, is cancelled or is answered by a branch that was not relayed has its relay
 *     session deleted; an answered call's goes with its BYE.
 *
 * An INVITE without SDP (a late offer, §5.1 of RFC 3264) is not relayed, and neither is anything
 * while the relay is down: then the call goes on as if there were none.
 */
import type { Logger } from '../log.js';
import { kindOfTransport, mediaKind, type MediaKind } from '../media/media-kind.js';
import type { RelayedCalls } from '../media/relayed-calls.js';
import type { LegIds } from '../media/relay-params.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { tagOf } from '../sip/name-addr.js';
import type { Flow } from '../sip/flow.js';
import type { ForkTarget } from './fork.js';

export type RelayMode = 'mixed' | 'all';

export interface MediaAnchorOptions {
  readonly calls: RelayedCalls;
  readonly mode: RelayMode;
  readonly logger: Logger;
}

/** The SDP a message carries (RFC 3264 with RFC 3261 §20.15's Content-Type); undefined when none. */
function sdpOf(message: SipRequest | SipResponse): string | undefined {
  if (message.body.length === 0) return undefined;
  const type = message.headers.get('content-type');
  if (type === undefined || !/^\s*application\/sdp\s*(;|$)/i.test(type)) return undefined;
  return message.body.toString('utf8');
}

function withSdp<M extends SipRequest | SipResponse>(message: M, sdp: string): M {
  message.body = Buffer.from(sdp, 'utf8');
  return message;
}

/** Runs each response of a branch after the one before it is done, so a rewritten 183 never overtakes a 180. */
function inOrder(handle: (res: SipResponse) => Promise<SipResponse>): NonNullable<ForkTarget['receive']> {
  let last: Promise<unknown> = Promise.resolve();
  return (res, deliver) => {
    last = last.then(() => handle(res)).then(deliver, () => deliver(res));
  };
}

export class MediaAnchor {
  /** New calls by Call-ID until their final response: the caller's tag and kind. */
  private readonly ringing = new Map<string, { tag: string; kind: MediaKind; relayedAnswer: boolean }>();

  constructor(private readonly options: MediaAnchorOptions) {}

  /**
   * The targets of a new INVITE from `flow`, each relayed branch with its own SDP and its responses
   * rewritten; undefined when no branch needs the relay. The promise never rejects: a failed offer
   * leaves that branch as it was.
   */
  newCall(req: SipRequest, flow: Flow, targets: readonly ForkTarget[]): Promise<ForkTarget[]> | undefined {
    const sdp = sdpOf(req);
    const callId = req.headers.get('call-id') ?? '';
    const fromTag = tagOf(req.headers.get('from'));
    const { calls, mode, logger } = this.options;
    if (sdp === undefined || !fromTag || !calls.usable) return undefined;
    const callerKind = mediaKind(sdp) ?? kindOfTransport(flow.transport);
    const relayed = targets.map((t) => mode === 'all' || kindOfTransport(t.flow.transport) !== callerKind);
    if (!relayed.includes(true)) return undefined;
    this.ringing.set(callId, { tag: fromTag, kind: callerKind, relayedAnswer: false });
    return Promise.all(
      targets.map(async (target, i): Promise<ForkTarget> => {
        if (!relayed[i]) return target;
        const calleeKind = kindOfTransport(target.flow.transport);
        const leg: LegIds = { callId, fromTag, viaBranch: `branch${i}` };
        const offer = await calls.offer(leg, sdp, calleeKind);
        if (offer === undefined) return target;
        logger.info(`media relay: call ${callId} to ${target.device} goes through rtpengine (${callerKind} to ${calleeKind})`);
        return {
          ...target,
          body: Buffer.from(offer, 'utf8'),
          receive: inOrder((res) => this.answerOfBranch(res, leg, callerKind, calleeKind)),
        };
      }),
    );
  }

  /**
   * A request inside a dialog for `target`: a re-INVITE or UPDATE with SDP in a relayed call is
   * offered to the other end in what it speaks, and its answer rewritten for the sender.
   */
  inDialog(req: SipRequest, target: ForkTarget): Promise<ForkTarget[]> | undefined {
    if (req.method !== 'INVITE' && req.method !== 'UPDATE') return undefined;
    const sdp = sdpOf(req);
    const callId = req.headers.get('call-id') ?? '';
    const fromTag = tagOf(req.headers.get('from'));
    const toTag = tagOf(req.headers.get('to'));
    if (sdp === undefined || !fromTag || !toTag) return undefined;
    const senderKind = this.options.calls.kindOf(callId, fromTag);
    const recipientKind = this.options.calls.kindOf(callId, toTag);
    if (senderKind === undefined || recipientKind === undefined) return undefined;
    const leg: LegIds = { callId, fromTag, toTag };
    return this.options.calls.offer(leg, sdp, recipientKind).then((offer) => {
      if (offer === undefined) return [target];
      return [{ ...target, body: Buffer.from(offer, 'utf8'), receive: inOrder((res) => this.answer(res, leg, senderKind)) }];
    });
  }

  /** A new call has its final response: unless a relayed branch answered it, its relay session goes. */
  settled(callId: string, status: number): void {
    const call = this.ringing.get(callId);
    if (!call) return;
    this.ringing.delete(callId);
    if (status >= 300 || !call.relayedAnswer) this.options.calls.end(callId, call.tag);
  }

  /** The dialog `callId` ended with a BYE from either side. */
  ended(callId: string): void {
    this.options.calls.end(callId);
  }

  private async answerOfBranch(res: SipResponse, leg: LegIds, callerKind: MediaKind, calleeKind: MediaKind): Promise<SipResponse> {
    const toTag = tagOf(res.headers.get('to'));
    const answered = await this.answer(res, { ...leg, ...(toTag ? { toTag } : {}) }, callerKind);
    const call = this.ringing.get(leg.callId);
    if (res.status >= 200 && res.status < 300 && toTag && call && !call.relayedAnswer) {
      call.relayedAnswer = true;
      this.options.calls.established(leg.callId, { tag: leg.fromTag, kind: callerKind }, { tag: toTag, kind: calleeKind });
    }
    return answered;
  }

  private async answer(res: SipResponse, leg: LegIds, towards: MediaKind): Promise<SipResponse> {
    const sdp = res.status < 300 ? sdpOf(res) : undefined;
    if (sdp === undefined || leg.toTag === undefined) return res;
    const answer = await this.options.calls.answer(leg, sdp, towards);
    return answer === undefined ? res : withSdp(res, answer);
  }
}
