/**
 * What an SDP speaks, read from its media lines' transport protocol (RFC 8866 §5.14): a browser
 * offers DTLS-SRTP with feedback (`UDP/TLS/RTP/SAVPF`, RFC 5764 §8, as WebRTC requires, RFC 8827
 * §6.5), a plain phone `RTP/AVP` (or `RTP/AVPF`, `RTP/SAVP` with SDES keys). Which kind a leg of a
 * call expects follows from how its device reached the node: a WebSocket device is a browser.
 */
import type { TransportName } from '../sip/flow.js';
import { TRANSPORT_TRAITS } from '../sip/transport-traits.js';

export type MediaKind = 'webrtc' | 'plain';

const MEDIA_LINE = /^m=[a-z]+ \d+(?:\/\d+)? (\S+)/gim;

/** The kind of the SDP's media; undefined when it has no RTP media line to tell by. */
export function mediaKind(sdp: string): MediaKind | undefined {
  let kind: MediaKind | undefined;
  for (const m of sdp.matchAll(MEDIA_LINE)) {
    const proto = m[1]!.toUpperCase();
    if (proto.includes('TLS') || proto.includes('DTLS')) return 'webrtc';
    if (proto.startsWith('RTP/')) kind = 'plain';
  }
  return kind;
}

/** What a device that reached the node over `transport` speaks: browsers come over WebSocket. */
export function kindOfTransport(transport: TransportName): MediaKind {
  return TRANSPORT_TRAITS[transport].browser ? 'webrtc' : 'plain';
}
