/**
 * A browser-shaped WebSocket for JsSIP and SIP.js running in Node 20, which has no global
 * WebSocket. Both libraries call `new WebSocket(url, 'sip')` on the global name (JsSIP in
 * `WebSocketInterface.connect`, SIP.js in its web `Transport`), so the class is installed on
 * `globalThis` for the length of one test and the previous value put back afterwards.
 *
 * `ws` already has the browser API (`binaryType`, `readyState`, `protocol`, `on*` handlers,
 * `addEventListener`, the state constants, text frames delivered as strings); the subclass only
 * accepts the node's self-signed certificate, always asks for the `sip` subprotocol (RFC 7118 §4),
 * and records what went over each socket so a failing test can show the SIP exchange.
 */
import WebSocket from 'ws';

interface TestScope {
  teardown(fn: () => unknown): void;
  passing(): boolean;
}

/** One WebSocket message as the client sent or received it; `closed` marks the end of a socket. */
export interface Frame {
  direction: 'sent' | 'received' | 'closed';
  url: string;
  text: string;
}

export interface SipSockets {
  /** Sockets opened since install and not yet closed. */
  readonly open: Set<WebSocket>;
  /** Every frame, in order. */
  readonly frames: Frame[];
  /** The text of every message received, in order. */
  received(): string[];
  /** The frames written out for a failure report. */
  transcript(): string;
  /** Drop every open connection without a close frame, as a crashed or unplugged client would. */
  terminateAll(): void;
}

/** A WebSocket class that records into `frames` and keeps `open` current. */
function sipWebSocketClass(open: Set<WebSocket>, frames: Frame[]) {
  return class SipWebSocket extends WebSocket {
    constructor(url: string | URL, _protocols?: string | string[]) {
      super(url, 'sip', { rejectUnauthorized: false });
      open.add(this);
      const where = String(url);
      // `ws` hands text frames over as a Buffer whatever `binaryType` says.
      this.on('message', (data, isBinary) =>
        frames.push({ direction: 'received', url: where, text: isBinary ? '[binary message]' : String(data) }),
      );
      this.on('close', (code, reason) => {
        open.delete(this);
        frames.push({ direction: 'closed', url: where, text: `${code} ${reason.toString()}` });
      });
    }

    override send(data: unknown, ...rest: unknown[]): void {
      frames.push({ direction: 'sent', url: this.url, text: typeof data === 'string' ? data : '[binary]' });
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  };
}

const ARROWS = { sent: '>>', received: '<<', closed: '--' } as const;

/**
 * Make `globalThis.WebSocket` the SIP-ready class until the test ends. Tests of one file run one
 * after another, so each test's install sees only its own sockets. When the test has failed, the
 * transcript goes to stderr, which tap shows beside the failure.
 */
export function installSipWebSocket(t: TestScope): SipSockets {
  const open = new Set<WebSocket>();
  const frames: Frame[] = [];
  const scope = globalThis as { WebSocket?: unknown };
  const previous = scope.WebSocket;
  scope.WebSocket = sipWebSocketClass(open, frames);
  const sockets: SipSockets = {
    open,
    frames,
    received: () => frames.filter((f) => f.direction === 'received').map((f) => f.text),
    transcript: () => frames.map((f) => `${ARROWS[f.direction]} ${f.url}\n${f.text}`).join('\n'),
    terminateAll() {
      for (const socket of open) socket.terminate();
    },
  };
  t.teardown(() => {
    if (!t.passing()) process.stderr.write(`SIP over WebSocket in the failed test:\n${sockets.transcript()}\n`);
    sockets.terminateAll();
    if (previous === undefined) delete scope.WebSocket;
    else scope.WebSocket = previous;
  });
  return sockets;
}
