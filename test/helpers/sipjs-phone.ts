/**
 * A SIP.js UserAgent in Node as one end of a call through a test node: it calls (Inviter) and
 * takes calls (Invitation) with the fixed SDP of fixed-sdp-handler.ts, over the WebSocket shim of
 * ws-for-sip-clients.ts. Each phone connects to its own URL path (the node ignores the path), so the
 * shim's frames tell the phones apart and a test can read exactly what one phone sent and received.
 * Every wait is bounded (`within`, sip-ua.ts).
 */
import { Invitation, Inviter, Registerer, SessionState, UserAgent, type Session } from 'sip.js';
import { fixedSdp, fixedSdpHandlerFactory, type FixedSdpHandler } from './fixed-sdp-handler.js';
import { within } from './sip-ua.js';
import type { SipSockets } from './ws-for-sip-clients.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface SipJsPhoneOptions {
  /** `ws://127.0.0.1:port` or `wss://...`, without a path: the phone adds `/<name>`. */
  server: string;
  /** Unique per test: the URL path that tells this phone's frames apart. */
  name: string;
  /** The AOR's user (From of its calls, To of its registration). */
  user: string;
  /** The digest user, when it differs from `user` (a test of a From that does not match it). */
  authUser?: string;
  password: string;
  domain: string;
  /** The audio port in the phone's SDP, to recognise it at the other end. */
  sdpPort?: number;
}

/** How an outgoing INVITE ended, as SIP.js reported it. */
export interface CallOutcome {
  status: number;
  reason: string;
}

export interface OutgoingCall {
  readonly inviter: Inviter;
  /** The final response to the INVITE (after any 407 round SIP.js answers by itself). */
  readonly final: Promise<CallOutcome>;
}

export interface SipJsPhone {
  readonly ua: UserAgent;
  readonly url: string;
  /** Every SIP message this phone received, in order. */
  received(): string[];
  sent(): string[];
  register(): Promise<void>;
  call(target: string): OutgoingCall;
  /** The next INVITE for this phone (SIP.js has already sent 180 for it). */
  nextInvitation(what?: string): Promise<Invitation>;
  stop(): Promise<void>;
}

/** The handler SIP.js made for `session`, with the peer's SDP. */
export function sdpOf(session: Session): FixedSdpHandler | undefined {
  return session.sessionDescriptionHandler as FixedSdpHandler | undefined;
}

/** Resolves when `session` reaches `state` (at once if it is there already). */
export function reaches(session: Session, state: SessionState, what: string, ms?: number): Promise<void> {
  if (session.state === state) return Promise.resolve();
  const reached = new Promise<void>((resolve) => {
    const listener = (s: SessionState) => {
      if (s !== state) return;
      session.stateChange.removeListener(listener);
      resolve();
    };
    session.stateChange.addListener(listener);
  });
  return within(reached, what, ms);
}

/** The part of a SIP.js response a test reads. */
interface Answer {
  message: { statusCode?: number };
}

/** What SIP.js calls back with the final response of a request it sent. */
export interface AnswerDelegate {
  onAccept(response: Answer): void;
  /** 3xx */
  onRedirect(response: Answer): void;
  onReject(response: Answer): void;
}

/** Send one request with `send` (given a request delegate); resolves with its final status. */
export function finalStatus(send: (requestDelegate: AnswerDelegate) => Promise<unknown>, what: string): Promise<number> {
  const answered = new Promise<number>((resolve, reject) => {
    const settle = (r: Answer) => resolve(r.message.statusCode ?? 0);
    send({ onAccept: settle, onRedirect: settle, onReject: settle }).catch(reject);
  });
  return within(answered, what);
}

/** Send BYE in `session`; resolves with the status of its final response. */
export function hangUp(session: Session, what = 'the BYE to be answered'): Promise<number> {
  return finalStatus((requestDelegate) => session.bye({ requestDelegate }), what);
}

/** A connected phone, stopped when the test ends. */
export async function startSipJsPhone(t: Teardown, sockets: SipSockets, options: SipJsPhoneOptions): Promise<SipJsPhone> {
  const url = `${options.server}/${options.name}`;
  const uri = UserAgent.makeURI(`sip:${options.user}@${options.domain}`);
  if (!uri) throw new Error(`SIP.js cannot parse sip:${options.user}@${options.domain}`);
  const invitations: Invitation[] = [];
  const waiting: Array<(i: Invitation) => void> = [];
  const ua = new UserAgent({
    uri,
    authorizationUsername: options.authUser ?? options.user,
    authorizationPassword: options.password,
    transportOptions: { server: url },
    sessionDescriptionHandlerFactory: fixedSdpHandlerFactory(fixedSdp(options.name, options.sdpPort ?? 40000)),
    delegate: {
      onInvite(invitation) {
        const waiter = waiting.shift();
        if (waiter) waiter(invitation);
        else invitations.push(invitation);
      },
    },
    logLevel: 'error',
    logBuiltinEnabled: false,
  });
  const registerer = new Registerer(ua);
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= within(ua.stop(), `SIP.js phone ${options.name} to stop`));
  t.teardown(stop);
  await within(ua.start(), `SIP.js phone ${options.name} to connect to ${url}`);

  const frames = (direction: 'sent' | 'received') => () =>
    sockets.frames.filter((f) => f.direction === direction && f.url === url).map((f) => f.text);

  return {
    ua,
    url,
    received: frames('received'),
    sent: frames('sent'),
    register() {
      const done = new Promise<void>((resolve, reject) => {
        registerer
          .register({
            requestDelegate: {
              onAccept: () => resolve(),
              onReject: (r) => reject(new Error(`${options.name}'s REGISTER was refused: ${r.message.statusCode}`)),
            },
          })
          .catch(reject);
      });
      return within(done, `${options.name}'s REGISTER to be answered`);
    },
    call(target) {
      const targetUri = UserAgent.makeURI(target);
      if (!targetUri) throw new Error(`SIP.js cannot parse ${target}`);
      const inviter = new Inviter(ua, targetUri);
      const final = new Promise<CallOutcome>((resolve, reject) => {
        const settle = (r: { message: { statusCode?: number; reasonPhrase?: string } }) =>
          resolve({ status: r.message.statusCode ?? 0, reason: r.message.reasonPhrase ?? '' });
        inviter
          .invite({ requestDelegate: { onAccept: settle, onReject: settle, onRedirect: settle } })
          .catch(reject);
      });
      return { inviter, final };
    },
    nextInvitation(what = `an INVITE for ${options.name}`) {
      const queued = invitations.shift();
      if (queued) return Promise.resolve(queued);
      let waiter: (i: Invitation) => void = () => {};
      const next = new Promise<Invitation>((resolve) => waiting.push((waiter = resolve)));
      // A waiter that timed out must not swallow a later INVITE.
      return within(next, what).finally(() => {
        const i = waiting.indexOf(waiter);
        if (i >= 0) waiting.splice(i, 1);
      });
    },
    stop,
  };
}
