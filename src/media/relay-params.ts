/**
 * The ng `offer` and `answer` parameters that make rtpengine hand each end of a call an SDP it can
 * use, as Kamailio's WebRTC gateway configurations do: towards a browser DTLS-SRTP with ICE forced
 * and RTCP multiplexed (RFC 8834 §5 requires both), towards a plain phone RTP/AVP with ICE removed,
 * no DTLS or SDES, and RTCP on its own port; transcoding only where the codecs do not meet. The
 * origin and connection lines are rewritten to rtpengine's address, so neither end learns the other's.
 */
import type { BencodeInput } from './bencode.js';
import type { MediaKind } from './media-kind.js';

/** A call leg as rtpengine tells them apart: Call-ID and tags (RFC 3261 §12), and the branch for forks. */
export interface LegIds {
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag?: string;
  readonly viaBranch?: string;
}

type NgParams = { readonly [key: string]: BencodeInput | undefined };

/** Whether the two ends need the relay: they speak different kinds, or the operator asks for every call. */
export function needsRelay(caller: MediaKind, callee: MediaKind, always = false): boolean {
  return always || caller !== callee;
}

function towards(kind: MediaKind, step: 'offer' | 'answer'): NgParams {
  if (kind === 'webrtc') {
    return {
      'transport-protocol': 'UDP/TLS/RTP/SAVPF',
      ICE: 'force',
      // Browsers key SRTP by DTLS only (RFC 8827 §6.5): SDES crypto lines would be noise.
      SDES: ['off'],
      // A browser bundles on a=mid and requires rtcp-mux; in an answer, rtpengine accepts the offer's.
      'rtcp-mux': step === 'offer' ? ['offer', 'require'] : ['accept', 'require'],
      flags: ['generate-mid'],
      // A phone that offers none of a browser's codecs (G.729, GSM, G.723 only) is still heard:
      // rtpengine adds PCMU to the browser's offer when it is missing and transcodes only then.
      // The other way needs nothing: every browser offers PCMU and PCMA (RFC 7874 §3).
      ...(step === 'offer' ? { codec: { transcode: ['PCMU'] } } : {}),
    };
  }
  return { 'transport-protocol': 'RTP/AVP', ICE: 'remove', DTLS: 'off', SDES: ['off'], 'rtcp-mux': ['demux'] };
}

function ids(leg: LegIds): NgParams {
  return { 'call-id': leg.callId, 'from-tag': leg.fromTag, 'to-tag': leg.toTag, 'via-branch': leg.viaBranch };
}

/** `offer`: the caller's SDP, rewritten for a callee of kind `callee`. */
export function offerParams(leg: LegIds, sdp: string, callee: MediaKind): NgParams {
  return { ...ids(leg), sdp, replace: ['origin', 'session-connection'], ...towards(callee, 'offer') };
}

/** `answer`: the callee's SDP (its to-tag in `leg`), rewritten for a caller of kind `caller`. */
export function answerParams(leg: LegIds, sdp: string, caller: MediaKind): NgParams {
  return { ...ids(leg), sdp, replace: ['origin', 'session-connection'], ...towards(caller, 'answer') };
}

/**
 * `delete`: the call's relay session, all its legs, at once: rtpengine would otherwise hold its
 * ports for its `delete-delay` (30 s by default), and a router's port range is small.
 */
export function deleteParams(leg: Pick<LegIds, 'callId' | 'fromTag'>): NgParams {
  return { 'call-id': leg.callId, 'from-tag': leg.fromTag, 'delete-delay': 0 };
}
