/**
 * Promise-shaped handles on two real SIP user agents, JsSIP and SIP.js, for integration tests:
 * connect, register, unregister, stop. Every wait is bounded and fails with a message that says
 * what was awaited. Both libraries need `installSipWebSocket` (ws-for-sip-clients.ts) first.
 *
 * Their loggers are silenced: JsSIP logs through `debug` (enable with DEBUG=JsSIP:* to see it),
 * SIP.js through its own logger factory. The SIP exchange itself is kept by the WebSocket shim.
 */
import JsSIP from 'jssip';
import type { RegistrationFailedListener } from 'jssip/lib/UA.js';
import { Registerer, RegistererState, UserAgent } from 'sip.js';
import type { BindingEvent, BindingEventType } from '../../src/location/binding.js';
import type { Location } from '../../src/location/location.js';

/** How long any one step may take before the test fails. */
export const WAIT_MS = 5000;

/** What became of one REGISTER as the library saw it. */
export type RegisterOutcome = { registered: true } | { registered: false; status?: number; reason: string };

export interface ClientOptions {
  /** `ws://127.0.0.1:port/` or `wss://...`. */
  url: string;
  user: string;
  password: string;
  domain: string;
}

/** Reject with a clear message when `promise` takes longer than `ms`. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Poll `condition` until it holds, failing after `ms`. */
export async function until(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The next location event of `type` for `aor` (unbounded: wrap it in `within`). */
export function bindingEvent(location: Pick<Location, 'onChange'>, type: BindingEventType, aor: string): Promise<BindingEvent> {
  return new Promise((resolve) => {
    const off = location.onChange((event) => {
      if (event.type !== type || event.binding.aor !== aor) return;
      off();
      resolve(event);
    });
  });
}

/**
 * The Contact header lines of the last 200 to a REGISTER among `messages` (as received by the
 * client), or undefined when there is none.
 */
export function lastRegisterOkContacts(messages: readonly string[]): string[] | undefined {
  const ok = messages.filter((m) => /^SIP\/2\.0 200 /.test(m) && /^CSeq:\s*\d+\s+REGISTER\s*$/im.test(m)).at(-1);
  return ok?.split('\r\n').filter((line) => /^(Contact|m)\s*:/i.test(line));
}

export interface JsSipClient {
  readonly ua: JsSIP.UA;
  /** The first REGISTER (JsSIP reports only the first success; see `refresh`). */
  register(): Promise<RegisterOutcome>;
  /**
   * A re-REGISTER. JsSIP raises no event when an already registered UA gets its 200, so the
   * caller passes what shows the refresh landed (the node's location event); this rejects if
   * JsSIP reports a failure first.
   */
  refresh<T>(landed: Promise<T>): Promise<T>;
  unregister(): Promise<void>;
  /** Unregister (if still registered), stop the UA and wait for it to drop its connection. */
  stop(): Promise<void>;
}

/** A JsSIP UA connected to `url`, not yet registered. Stopped when the test ends. */
export async function startJsSip(t: { teardown(fn: () => unknown): void }, options: ClientOptions): Promise<JsSipClient> {
  JsSIP.debug.disable();
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(options.url)],
    uri: `sip:${options.user}@${options.domain}`,
    password: options.password,
    register: false,
    // A dropped connection must stay dropped for the test's length: no reconnect and re-REGISTER
    // behind its back. `stop` clears the recovery timer.
    connection_recovery_min_interval: 30,
    connection_recovery_max_interval: 30,
  });
  const connected = new Promise<void>((resolve, reject) => {
    ua.once('connected', () => resolve());
    ua.once('disconnected', (e) => reject(new Error(`JsSIP could not connect to ${options.url} (code ${e.code ?? '-'})`)));
  });
  ua.start();
  const unregisterNow = () => {
    const done = new Promise<void>((resolve, reject) => {
      ua.once('unregistered', (e) =>
        e.cause ? reject(new Error(`JsSIP's un-REGISTER failed: ${e.response?.status_code ?? '-'} ${String(e.cause)}`)) : resolve(),
      );
    });
    ua.unregister();
    return within(done, `JsSIP's un-REGISTER for ${options.user} to be answered`);
  };
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (!ua.isConnected()) {
        ua.stop();
        return;
      }
      if (ua.isRegistered()) await unregisterNow();
      // JsSIP keeps a finished client transaction until its Timer K (0 ms over WebSocket), armed
      // just after it reports the response; a UA stopped with a transaction left waits 2 s
      // before closing. One timer turn later the table is empty and the socket closes at once.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const closed = new Promise<void>((resolve) => ua.once('disconnected', () => resolve()));
      ua.stop();
      await within(closed, `JsSIP to close its connection to ${options.url}`);
    })());
  t.teardown(stop);
  await within(connected, `JsSIP to connect to ${options.url}`);

  return {
    ua,
    register() {
      // Whichever event comes, the other listener goes, so repeated REGISTERs leave none behind.
      const outcome = new Promise<RegisterOutcome>((resolve) => {
        const ok = () => {
          ua.off('registrationFailed', failed);
          resolve({ registered: true });
        };
        const failed: RegistrationFailedListener = (e) => {
          ua.off('registered', ok);
          resolve({ registered: false, status: e.response?.status_code, reason: String(e.cause) });
        };
        ua.once('registered', ok);
        ua.once('registrationFailed', failed);
      });
      ua.register();
      return within(outcome, `JsSIP's REGISTER for ${options.user} to be answered`);
    },
    refresh(landed) {
      const failed = new Promise<never>((_, reject) => {
        ua.once('registrationFailed', (e) =>
          reject(new Error(`JsSIP's re-REGISTER failed: ${e.response?.status_code ?? '-'} ${String(e.cause)}`)),
        );
      });
      ua.register();
      return within(Promise.race([landed, failed]), `JsSIP's re-REGISTER for ${options.user} to land`);
    },
    unregister: unregisterNow,
    stop,
  };
}

export interface SipJsClient {
  readonly ua: UserAgent;
  readonly registerer: Registerer;
  /** A REGISTER, first or refresh: settles when the registerer has dealt with the final response. */
  register(): Promise<RegisterOutcome>;
  unregister(): Promise<void>;
  /** Stop the UA gracefully (unregistering if still registered). */
  stop(): Promise<void>;
}

/** A SIP.js UserAgent connected to `url` with one Registerer. Stopped when the test ends. */
export async function startSipJs(t: { teardown(fn: () => unknown): void }, options: ClientOptions): Promise<SipJsClient> {
  const uri = UserAgent.makeURI(`sip:${options.user}@${options.domain}`);
  if (!uri) throw new Error(`SIP.js cannot parse sip:${options.user}@${options.domain}`);
  const ua = new UserAgent({
    uri,
    authorizationUsername: options.user,
    authorizationPassword: options.password,
    transportOptions: { server: options.url },
    logLevel: 'error',
    logBuiltinEnabled: false,
  });
  const registerer = new Registerer(ua);
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= within(ua.stop(), `SIP.js to stop (and unregister from ${options.url})`));
  t.teardown(stop);
  await within(ua.start(), `SIP.js to connect to ${options.url}`);

  return {
    ua,
    registerer,
    register() {
      return within(sipJsRegister(registerer), `SIP.js's REGISTER for ${options.user} to be answered`);
    },
    async unregister() {
      const done = new Promise<void>((resolve, reject) => {
        registerer
          .unregister({
            requestDelegate: {
              onAccept: () => resolve(),
              onReject: (r) => reject(new Error(`SIP.js's un-REGISTER was refused: ${r.message.statusCode}`)),
            },
          })
          .catch(reject);
      });
      await within(done, `SIP.js's un-REGISTER for ${options.user} to be answered`);
    },
    stop,
  };
}

/**
 * SIP.js calls `onAccept` only for a 200 it keeps: one without `expires` on our Contact turns the
 * registerer Unregistered with no callback, which is reported here as a refusal of its own.
 */
function sipJsRegister(registerer: Registerer): Promise<RegisterOutcome> {
  return new Promise<RegisterOutcome>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: RegisterOutcome) => {
      if (settled) return;
      settled = true;
      registerer.stateChange.removeListener(onState);
      resolve(outcome);
    };
    const onState = (state: RegistererState) => {
      // On a refusal the state changes just before `onReject` runs in the same turn: let it speak.
      if (state === RegistererState.Unregistered) {
        queueMicrotask(() => settle({ registered: false, reason: 'SIP.js dropped the 200 (no Contact of ours with expires)' }));
      }
    };
    registerer.stateChange.addListener(onState);
    registerer
      .register({
        requestDelegate: {
          onAccept: () => settle({ registered: true }),
          onReject: (r) => settle({ registered: false, status: r.message.statusCode, reason: r.message.reasonPhrase ?? '' }),
        },
      })
      .catch((err: unknown) => {
        registerer.stateChange.removeListener(onState);
        reject(err);
      });
  });
}
