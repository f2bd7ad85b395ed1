/**
 * A SessionDescriptionHandler for SIP.js in Node, which has no RTCPeerConnection: every offer and
 * every answer is one fixed SDP (audio PCMU on a port nobody listens to), and what the peer sent is
 * kept so a test can see the SDP crossed the node unchanged. Signalling only: no media flows.
 *
 * SIP.js asks the handler for a local description to put in an INVITE or a 200 (`getDescription`),
 * hands it the peer's (`setDescription`), and asks whether it understands a body's Content-Type
 * before either (`hasDescription`); see sip.js `lib/api/session-description-handler.d.ts`.
 */
import { SessionDescriptionHandlerError, type BodyAndContentType, type SessionDescriptionHandler, type SessionDescriptionHandlerFactory } from 'sip.js';

const SDP = 'application/sdp';

/** RFC 4566 SDP with one PCMU audio stream at 127.0.0.1:`port`, `origin` as the o= user. */
export function fixedSdp(origin: string, port: number): string {
  return [
    'v=0',
    `o=${origin} 1 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
}

export class FixedSdpHandler implements SessionDescriptionHandler {
  /** Every SDP the peer sent, in order. */
  readonly remote: string[] = [];
  private closed = false;

  constructor(private readonly sdp: string) {}

  close(): void {
    this.closed = true;
  }

  async getDescription(): Promise<BodyAndContentType> {
    if (this.closed) throw new SessionDescriptionHandlerError('the fixed SDP handler is closed');
    return { body: this.sdp, contentType: SDP };
  }

  hasDescription(contentType: string): boolean {
    return contentType.split(';')[0]!.trim().toLowerCase() === SDP;
  }

  async setDescription(sdp: string): Promise<void> {
    if (this.closed) throw new SessionDescriptionHandlerError('the fixed SDP handler is closed');
    this.remote.push(sdp);
  }

  sendDtmf(): boolean {
    return false;
  }
}

/** A factory for `UserAgentOptions.sessionDescriptionHandlerFactory`: one handler per session. */
export function fixedSdpHandlerFactory(sdp: string): SessionDescriptionHandlerFactory {
  return () => new FixedSdpHandler(sdp);
}
