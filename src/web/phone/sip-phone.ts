/**
 * The page's phone on SIP.js (the only module that imports it): a UserAgent over the WebSocket of
 * the node that served the page (RFC 7118), one Registerer, and each call an Inviter or Invitation
 * behind the library-neutral `Call` of phone.ts.
 */
import { Invitation, Inviter, Messager, Registerer, RegistererState, SessionState, UserAgent, type Session, type SessionDescriptionHandlerModifier, type URI } from 'sip.js';
// The handler alone, not the whole Web platform namespace (SimpleUser and more), keeps the bundle small.
import * as Web from 'sip.js/lib/platform/web/session-description-handler/index.js';
import type { Call, CallEnd, CallEvents, CallState, HoldState, Phone, PhoneEvents, PhoneOptions, SendOutcome, VideoOutcome, VideoState } from './phone.js';

const AUDIO_ONLY = { sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } };
/** Waits between tries to reach the node again: a router that reboots is back within a minute or two. */
const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000, 15_000, 30_000];
/** Host candidates and the node's STUN answer in milliseconds on a mesh; nothing is worth waiting for longer. */
const ICE_GATHERING_TIMEOUT_MS = 1000;

/** A getUserMedia failure, kept apart from SIP failures so the page can name it. */
class MediaError extends Error {
  constructor(readonly mediaName: string) {
    super(`getUserMedia: ${mediaName}`);
  }
}

async function getMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
  if (navigator.mediaDevices === undefined) throw new MediaError('NotSupportedError');
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (err) {
    throw new MediaError(err instanceof DOMException ? err.name : 'NotReadableError');
  }
}

const getMicrophone: Web.MediaStreamFactory = (constraints) => getMedia(constraints);

/**
 * The video m-line as this side sends it: the handler offers and answers every m-line sendrecv
 * (sendonly when held) whether or not a camera is on it, so without one its direction is cut to
 * what is true, recvonly (inactive), and both sides then read who sends video from the
 * negotiated direction, as any SIP video phone would from the SDP (RFC 3264 §5.1, §6.1). SIP.js
 * passes the other side's descriptions through the same modifiers: only ours, known by our ICE
 * username fragment (the same for the whole call, RFC 8839 §5.4), are changed.
 */
function videoSendingOnlyWith(camera: () => boolean, pc: () => RTCPeerConnection | undefined): SessionDescriptionHandlerModifier {
  const ufrag = (sdp: string | undefined) => /^a=ice-ufrag:(\S+)/m.exec(sdp ?? '')?.[1];
  return async (description) => {
    const ours = ufrag(pc()?.localDescription?.sdp);
    if (camera() || description.sdp === undefined || ours === undefined || ufrag(description.sdp) !== ours) return description;
    const sections = description.sdp.split(/(?=^m=)/m).map((section) =>
      section.startsWith('m=video') ? section.replace(/^a=sendrecv(?=\r?$)/m, 'a=recvonly').replace(/^a=sendonly(?=\r?$)/m, 'a=inactive') : section,
    );
    return { type: description.type, sdp: sections.join('') };
  };
}

/** The call's video m-line: the transceiver whose receiver carries video. */
function videoTransceiver(pc: RTCPeerConnection): RTCRtpTransceiver | undefined {
  return pc.getTransceivers().find((t) => t.receiver.track.kind === 'video' && t.currentDirection !== 'stopped');
}

function nameOf(uri: URI, domain: string): string {
  return uri.host === domain ? uri.user ?? '' : `${uri.user ?? ''}@${uri.host}`;
}

function userOf(session: Session, domain: string): string {
  return nameOf(session.remoteIdentity.uri, domain);
}

/** `user@domain` of a 300's Contact (`<sip:bob@node3.mesh>`, one or several, comma-separated); nothing for another form. */
function choiceOf(contact: string): string[] {
  return [...contact.matchAll(/<sips?:([A-Za-z0-9._-]{1,32})@([A-Za-z0-9.-]{1,253})>/g)].map((m) => `${m[1]!.toLowerCase()}@${m[2]!.toLowerCase()}`);
}

/** RFC 3428 §7: 200 taken by a device, 202 accepted by the node (stored for an offline user). */
function sendOutcome(status: number): SendOutcome {
  if (status === 200) return { kind: 'delivered' };
  if (status === 202) return { kind: 'stored' };
  return { kind: 'refused', status };
}

class SipCall implements Call {
  state: CallState;
  private events: CallEvents = { onState: () => {} };
  private established = false;
  private refusedWith: number | undefined;
  private choices: string[] | undefined;
  /** The INVITE is being made: its offer waits for the microphone. */
  private offering = false;
  private held = false;
  private muted = false;
  private hold: HoldState = { local: false, remote: false };
  private camera: MediaStreamTrack | undefined;
  private video: VideoState = { local: false, remote: false };

  constructor(
    private readonly session: Inviter | Invitation,
    readonly peer: string,
  ) {
    this.state = session instanceof Invitation ? 'incoming' : 'calling';
    session.sessionDescriptionHandlerModifiersReInvite = [videoSendingOnlyWith(() => this.camera !== undefined, () => this.peerConnection())];
    session.stateChange.addListener((s) => {
      if (s === SessionState.Established) {
        this.established = true;
        this.watchMedia();
        this.move('connected');
      } else if (s === SessionState.Terminated) {
        // While the offer is made (the microphone asked for), an end is a failure the invite's own
        // rejection names. Otherwise SIP.js ends the session before it hands the final response to
        // the request's delegate (Inviter.onReject, onRedirect), so the reason is read once that has run.
        if (!this.offering) queueMicrotask(() => this.finish(this.endReason()));
      }
    });
  }

  listen(events: CallEvents): void {
    this.events = events;
  }

  /** Sends the INVITE; a 18x means it rings there (RFC 3261 §21.1.2). */
  invite(): void {
    const inviter = this.session as Inviter;
    this.offering = true;
    inviter
      .invite({
        ...AUDIO_ONLY,
        requestDelegate: {
          onProgress: (r) => {
            if (r.message.statusCode === 180 || r.message.statusCode === 183) this.move('ringing');
          },
          onReject: (r) => (this.refusedWith = r.message.statusCode),
          onRedirect: (r) => (this.choices = r.message.getHeaders('contact').flatMap((c) => choiceOf(c))),
        },
      })
      .then(
        () => {
          this.offering = false;
          if (this.session.state === SessionState.Terminated) this.finish(this.endReason());
        },
        (err: unknown) => {
          this.offering = false;
          this.failed(err);
        },
      );
  }

  answer(): void {
    if (!(this.session instanceof Invitation) || this.state !== 'incoming') return;
    this.session.accept(AUDIO_ONLY).catch((err: unknown) => this.failed(err));
  }

  hangUp(): void {
    const s = this.session;
    if (s.state === SessionState.Established) void s.bye().catch(() => this.finish({ kind: 'hung-up' }));
    // RFC 3261 §21.6.2: 603 Decline, the callee does not want to take the call.
    else if (s instanceof Invitation && s.state === SessionState.Initial) s.reject({ statusCode: 603 });
    else if (s instanceof Inviter && s.state === SessionState.Establishing) void s.cancel();
    else if (s instanceof Inviter && s.state === SessionState.Initial) this.finish({ kind: 'hung-up' });
  }

  refuseBusy(): void {
    if (this.session instanceof Invitation && this.session.state === SessionState.Initial) this.session.reject({ statusCode: 486 });
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    this.applyTracks();
  }

  async setHeld(held: boolean): Promise<boolean> {
    const s = this.session;
    if (s.state !== SessionState.Established || held === this.held) return held === this.held;
    if (!(await this.reInvite(held))) return false;
    this.held = held;
    this.applyTracks();
    this.readMedia();
    return true;
  }

  async setVideo(on: boolean): Promise<VideoOutcome> {
    const pc = this.peerConnection();
    if (this.session.state !== SessionState.Established || pc === undefined) return { kind: 'refused' };
    if (on === (this.camera !== undefined)) return { kind: 'done' };
    if (on) {
      let camera: MediaStreamTrack | undefined;
      try {
        camera = (await getMedia({ video: true })).getVideoTracks()[0];
      } catch (err) {
        return { kind: 'media', error: err instanceof MediaError ? err.mediaName : 'NotReadableError' };
      }
      // The call may have ended while the browser asked for the camera.
      if (camera === undefined || this.state === 'ended') {
        camera?.stop();
        return { kind: 'refused' };
      }
      this.camera = camera;
      // The direction without hold: the handler turns it into sendonly while held.
      const t = videoTransceiver(pc);
      if (t !== undefined) {
        await t.sender.replaceTrack(camera);
        t.direction = 'sendrecv';
      } else {
        pc.addTransceiver(camera, { direction: 'sendrecv' });
      }
    } else {
      await this.setVideoOffLocally(pc);
    }
    this.applyTracks();
    const accepted = await this.reInvite(this.held);
    if (!accepted && on) await this.setVideoOffLocally(pc);
    this.readMedia();
    return accepted ? { kind: 'done' } : { kind: 'refused' };
  }

  localVideo(): MediaStreamTrack | undefined {
    return this.camera;
  }

  remoteVideo(): MediaStreamTrack | undefined {
    const pc = this.peerConnection();
    return this.video.remote && pc !== undefined ? videoTransceiver(pc)?.receiver.track : undefined;
  }

  sendTone(tone: string): boolean {
    // RTCDTMFSender (W3C WebRTC §7) sends telephone-events in the RTP stream, which phones and
    // voicemail menus read; SIP INFO would need the other side to understand a body format.
    const sender = this.peerConnection()?.getSenders().find((s) => s.track?.kind === 'audio');
    if (!sender?.dtmf?.canInsertDTMF || !/^[0-9*#]$/.test(tone)) return false;
    sender.dtmf.insertDTMF(tone, 160, 70);
    return true;
  }

  peerConnection(): RTCPeerConnection | undefined {
    return this.handler()?.peerConnection;
  }

  remoteStream(): MediaStream | undefined {
    return this.handler()?.remoteMediaStream;
  }

  /** A re-INVITE with the media as it is now (RFC 3261 §14.1); resolves whether it was accepted. */
  private reInvite(hold: boolean): Promise<boolean> {
    const s = this.session;
    // The handler offers sendonly (or inactive) for hold and sendrecv again after (RFC 3264 §8.4).
    s.sessionDescriptionHandlerOptionsReInvite = { ...s.sessionDescriptionHandlerOptionsReInvite, hold } as Web.SessionDescriptionHandlerOptions;
    return new Promise<boolean>((resolve) => {
      s.invite({ requestDelegate: { onAccept: () => resolve(true), onReject: () => resolve(false) } }).catch(() => resolve(false));
    }).then((accepted) => {
      if (!accepted) s.sessionDescriptionHandlerOptionsReInvite = { ...s.sessionDescriptionHandlerOptionsReInvite, hold: this.held } as Web.SessionDescriptionHandlerOptions;
      return accepted;
    });
  }

  private async setVideoOffLocally(pc: RTCPeerConnection): Promise<void> {
    this.camera?.stop();
    this.camera = undefined;
    const t = videoTransceiver(pc);
    if (t === undefined) return;
    await t.sender.replaceTrack(null);
    t.direction = 'recvonly';
  }

  /** On hold nothing is sent and nothing played; muted, nothing is sent. */
  private applyTracks(): void {
    for (const sender of this.peerConnection()?.getSenders() ?? []) {
      if (sender.track !== null) sender.track.enabled = !this.held && (sender.track.kind === 'video' || !this.muted);
    }
    for (const receiver of this.peerConnection()?.getReceivers() ?? []) receiver.track.enabled = !this.held;
  }

  /** Every offer/answer the other side starts (its own hold or resume) ends in a stable signalling state. */
  private watchMedia(): void {
    this.peerConnection()?.addEventListener('signalingstatechange', () => this.readMedia());
  }

  private readMedia(): void {
    const pc = this.peerConnection();
    if (pc === undefined || pc.signalingState !== 'stable') return;
    const audio = pc.getTransceivers().find((t) => t.receiver.track.kind === 'audio');
    const direction = audio?.currentDirection;
    // From here: sendrecv, nobody holds; sendonly, we hold; recvonly, they hold; inactive, both do.
    const hold = { local: this.held, remote: direction === 'recvonly' || direction === 'inactive' };
    if (hold.local !== this.hold.local || hold.remote !== this.hold.remote) {
      this.hold = hold;
      this.events.onHold?.(hold);
    }
    // The other side sends video when its m-line lets it (we receive) and it does not hold.
    const v = videoTransceiver(pc)?.currentDirection;
    const video = { local: this.camera !== undefined, remote: (v === 'sendrecv' || v === 'recvonly') && !hold.remote };
    if (video.local !== this.video.local || video.remote !== this.video.remote) {
      this.video = video;
      this.events.onVideo?.(video);
    }
  }

  private handler(): Web.SessionDescriptionHandler | undefined {
    return this.session.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
  }

  private endReason(): CallEnd {
    if (this.established) return { kind: 'hung-up' };
    if (this.choices !== undefined) return { kind: 'choose', choices: this.choices };
    if (this.refusedWith !== undefined) return { kind: 'refused', status: this.refusedWith };
    return this.session instanceof Invitation ? { kind: 'cancelled' } : { kind: 'hung-up' };
  }

  private failed(err: unknown): void {
    this.finish(err instanceof MediaError ? { kind: 'media', error: err.mediaName } : { kind: 'failed' });
    void this.session.dispose();
  }

  private move(state: CallState): void {
    if (this.state === 'ended' || this.state === state) return;
    this.state = state;
    this.events.onState(state);
  }

  private finish(end: CallEnd): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    // The camera is ours, not the handler's: its light goes off with the call.
    this.camera?.stop();
    this.camera = undefined;
    this.events.onState('ended', end);
  }
}

export function createSipPhone(opts: PhoneOptions, events: PhoneEvents): Phone {
  const uri = UserAgent.makeURI(`sip:${opts.user}@${opts.domain}`);
  if (uri === undefined) throw new Error(`not a SIP address: ${opts.user}@${opts.domain}`);
  const ua = new UserAgent({
    uri,
    transportOptions: { server: opts.server },
    sessionDescriptionHandlerFactory: Web.defaultSessionDescriptionHandlerFactory(getMicrophone),
    sessionDescriptionHandlerFactoryOptions: {
      peerConnectionConfiguration: { iceServers: opts.iceServers },
      iceGatheringTimeout: ICE_GATHERING_TIMEOUT_MS,
    },
    delegate: {
      onInvite: (invitation) => events.onIncoming(new SipCall(invitation, userOf(invitation, opts.domain))),
      onMessage: (message) => {
        const req = message.request;
        void message.accept();
        const date = Date.parse(req.getHeader('date') ?? '');
        events.onMessage({ from: nameOf(req.from.uri, opts.domain), body: req.body, at: Number.isNaN(date) ? Date.now() : date });
      },
      onDisconnect: (error) => {
        if (error === undefined) return;
        events.onDisconnected();
        reconnect(0);
      },
    },
    logLevel: 'error',
  });
  const registerer = new Registerer(ua);
  registerer.stateChange.addListener((s) => {
    if (s === RegistererState.Registered) events.onRegistration('registered');
    else if (s === RegistererState.Unregistered) events.onRegistration('unregistered');
  });

  const register = () =>
    registerer.register({
      requestDelegate: {
        // The Registerer does not follow the transport: it still says Registered after the socket
        // dropped, so when the node takes the REGISTER sent on the new socket its state does not
        // change, and only the answer tells the page it is reachable again.
        onAccept: () => events.onRegistration('registered'),
        onReject: (r) => events.onRegistration('unregistered', { status: r.message.statusCode }),
      },
    });

  // SIP.js gives up after a fixed number of tries; a mesh node that reboots or a link that flaps
  // comes back later, so the page keeps trying, less often, until the phone is stopped.
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const reconnect = (attempt: number) => {
    if (stopped) return;
    clearTimeout(retry);
    const delay = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)]!;
    retry = setTimeout(() => {
      ua.reconnect()
        .then(() => {
          events.onRegistration('connecting');
          return register();
        })
        // Either no socket yet, or a REGISTER sent before the drop still waits for its answer
        // (RFC 3261 §10.2 allows one at a time) and refuses another until it times out.
        .catch(() => reconnect(attempt + 1));
    }, delay);
  };
  const targetUri = (target: string) => {
    const u = UserAgent.makeURI(`sip:${target.includes('@') ? target : `${target}@${opts.domain}`}`);
    if (u === undefined) throw new Error(`not a SIP address: ${target}`);
    return u;
  };

  return {
    async start() {
      events.onRegistration('connecting');
      await ua.start();
      await register();
    },
    call(target, callEvents) {
      const call = new SipCall(new Inviter(ua, targetUri(target)), target);
      call.listen(callEvents);
      call.invite();
      return call;
    },
    send(target, body) {
      return new Promise<SendOutcome>((resolve, reject) => {
        const done = (status: number | undefined) => resolve(sendOutcome(status ?? 0));
        new Messager(ua, targetUri(target), body, 'text/plain')
          .message({ requestDelegate: { onAccept: (r) => done(r.message.statusCode), onReject: (r) => done(r.message.statusCode) } })
          .catch(reject);
      });
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await ua.stop();
    },
  };
}
