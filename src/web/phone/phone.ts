/**
 * What the page asks of a SIP phone, whatever library implements it (sip-phone.ts wraps SIP.js;
 * JsSIP could stand in). The page never imports the library itself.
 */

export interface PhoneOptions {
  /** `wss://host:port/`: the origin that served the page. */
  readonly server: string;
  readonly user: string;
  /** No password: the node takes the WebSocket's login session cookie as proof (RFC 7118 §7). */
  readonly domain: string;
  readonly iceServers: RTCIceServer[];
}

/** Why a call ended, as the page explains it. */
export type CallEnd =
  /** Either side hung up after the call was answered, or we hung up first. */
  | { kind: 'hung-up' }
  /** The caller gave up before this device answered (or another device of ours answered). */
  | { kind: 'cancelled' }
  /** A final SIP response refused the call (RFC 3261 §21: 480, 486, 603, …). */
  | { kind: 'refused'; status: number }
  /** 300 Multiple Choices (§21.3.1): the name is someone on each of several nodes, `user@domain` each. */
  | { kind: 'choose'; choices: string[] }
  /** getUserMedia failed: `NotAllowedError`, `NotFoundError`, … */
  | { kind: 'media'; error: string }
  /** The connection to the node went away during the call. */
  | { kind: 'failed' };

export type CallState = 'calling' | 'ringing' | 'incoming' | 'connected' | 'ended';

/** Who holds a connected call: RFC 3264 §8.4, read from the negotiated media direction. */
export interface HoldState {
  /** This side put the call on hold. */
  readonly local: boolean;
  /** The other side did. */
  readonly remote: boolean;
}

/** Who sends video in a connected call. */
export interface VideoState {
  readonly local: boolean;
  readonly remote: boolean;
}

/** What became of turning video on or off. */
export type VideoOutcome = { kind: 'done' } | { kind: 'refused' } | { kind: 'media'; error: string };

export interface CallEvents {
  onState(state: CallState, end?: CallEnd): void;
  /** After every offer/answer of a connected call whose hold state changed. */
  onHold?(hold: HoldState): void;
  /** After every offer/answer of a connected call whose video changed. */
  onVideo?(video: VideoState): void;
}

export interface Call {
  /** The other side's user (or user@domain when not on this node). */
  readonly peer: string;
  readonly state: CallState;
  answer(): void;
  /** Declines a call that rings here, cancels one that rings there, or ends one in progress. */
  hangUp(): void;
  /** Refuses a call that rings here because another call is on (486 Busy Here, RFC 3261 §21.4.24). */
  refuseBusy(): void;
  setMuted(muted: boolean): void;
  /**
   * Puts the call on hold or takes it off (a re-INVITE, RFC 3264 §8.4: sendonly, inactive when the
   * other side holds too); resolves false when the other side refused the change.
   */
  setHeld(held: boolean): Promise<boolean>;
  /** Starts or stops sending the camera (a re-INVITE adding or pausing the video stream). */
  setVideo(on: boolean): Promise<VideoOutcome>;
  /** The camera this side sends, and the other side's video while it sends one. */
  localVideo(): MediaStreamTrack | undefined;
  remoteVideo(): MediaStreamTrack | undefined;
  /** A DTMF tone (0-9, *, #) in the media as RFC 4733 events; false when the call cannot send one. */
  sendTone(tone: string): boolean;
  /** The connection the media flows on, once there is one. */
  peerConnection(): RTCPeerConnection | undefined;
  /** The other side's audio, for an `<audio>` element. */
  remoteStream(): MediaStream | undefined;
  /** Sets the listener of an incoming call (an outgoing one has it from `Phone.call`). */
  listen(events: CallEvents): void;
}

export type RegistrationState = 'connecting' | 'registered' | 'unregistered';

/** A text message (SIP MESSAGE, RFC 3428) that reached this phone. */
export interface TextMessage {
  /** The sender's user (or user@domain when not on this node). */
  readonly from: string;
  readonly body: string;
  /** ms since 1970: when the node took it (its Date header; stored messages arrive late), else now. */
  readonly at: number;
}

/** What became of a message sent: taken by a device, kept by the node for an offline user, or refused. */
export type SendOutcome = { kind: 'delivered' } | { kind: 'stored' } | { kind: 'refused'; status: number };

export interface PhoneEvents {
  onRegistration(state: RegistrationState, failure?: { status?: number }): void;
  onIncoming(call: Call): void;
  onMessage(message: TextMessage): void;
  onDisconnected(): void;
}

export interface Phone {
  start(): Promise<void>;
  /** `target` is a user of this node (`bob`) or an address (`bob@node3.mesh`). */
  call(target: string, events: CallEvents): Call;
  /** A text message to `target` (as for `call`). */
  send(target: string, body: string): Promise<SendOutcome>;
  stop(): Promise<void>;
}
