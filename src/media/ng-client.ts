/**
 * A client of rtpengine's ng control protocol: each request is a datagram `<cookie> <bencoded
 * dictionary>` with a `command` key, answered by `<cookie> <dictionary>` whose `result` is `ok`,
 * `pong` or `error` (with `error-reason`). A request unanswered within `timeoutMs` is sent again
 * with the same cookie, which rtpengine recognises as a retransmission and answers from its cache
 * instead of acting twice (as Kamailio's rtpengine module does, `rtpengine_tout_ms`/`rtpengine_retr`).
 * Replies are untrusted: one with an unknown cookie or that does not decode is dropped.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import { type BencodeDict, type BencodeInput, decode, encode } from './bencode.js';

export interface NgAddress {
  readonly host: string;
  readonly port: number;
}

export interface NgClientOptions {
  readonly address: NgAddress;
  readonly logger: Logger;
  /** Wait for each try; default 1000 ms. */
  readonly timeoutMs?: number;
  /** Tries in all; default 3. */
  readonly tries?: number;
  /** Requests in flight at once; past it a request fails at once. Default 256. */
  readonly maxPending?: number;
}

/** rtpengine answered, refusing: `reason` is its `error-reason`. */
export class NgRefused extends Error {
  override readonly name = 'NgRefused';

  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`rtpengine refused ${command}: ${reason}`);
  }
}

/** No answer after every try, too many in flight, or the client closed. */
export class NgUnanswered extends Error {
  override readonly name = 'NgUnanswered';

  constructor(
    readonly command: string,
    why: string,
  ) {
    super(`rtpengine did not answer ${command}: ${why}`);
  }
}

interface Pending {
  readonly command: string;
  readonly packet: Buffer;
  triesLeft: number;
  timer?: NodeJS.Timeout;
  resolve(reply: BencodeDict): void;
  reject(err: Error): void;
}

const SPACE = 0x20;

export class NgClient {
  private readonly socket: dgram.Socket;
  private readonly pending = new Map<string, Pending>();
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly maxPending: number;
  private closed = false;

  constructor(private readonly options: NgClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.tries = options.tries ?? 3;
    this.maxPending = options.maxPending ?? 256;
    this.socket = dgram.createSocket(isIP(options.address.host) === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (data) => this.receive(data));
    this.socket.on('error', (err) => options.logger.debug(`rtpengine control socket: ${err.message}`));
  }

  /** Sends `command` with `params`; resolves with rtpengine's reply dictionary unless it says `error`. */
  request(command: string, params: { readonly [key: string]: BencodeInput | undefined } = {}): Promise<BencodeDict> {
    if (this.closed) return Promise.reject(new NgUnanswered(command, 'the client is closed'));
    if (this.pending.size >= this.maxPending) return Promise.reject(new NgUnanswered(command, `${this.maxPending} requests already waiting`));
    const cookie = randomBytes(8).toString('hex');
    const packet = Buffer.concat([Buffer.from(`${cookie} `), encode({ ...params, command })]);
    return new Promise<BencodeDict>((resolve, reject) => {
      const entry: Pending = { command, packet, triesLeft: this.tries, resolve, reject };
      this.pending.set(cookie, entry);
      this.send(cookie, entry);
    });
  }

  ping(): Promise<BencodeDict> {
    return this.request('ping');
  }

  /** Fails every request still waiting and closes the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [cookie, entry] of this.pending) this.settle(cookie, entry, new NgUnanswered(entry.command, 'the client is closed'));
    this.socket.close();
  }

  private send(cookie: string, entry: Pending): void {
    entry.triesLeft--;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (entry.triesLeft > 0) this.send(cookie, entry);
      else this.settle(cookie, entry, new NgUnanswered(entry.command, `no reply in ${this.tries} tries of ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    const { host, port } = this.options.address;
    this.socket.send(entry.packet, port, host, (err) => {
      if (err) this.options.logger.debug(`rtpengine ${entry.command} not sent: ${err.message}`);
    });
  }

  private receive(data: Buffer): void {
    const space = data.indexOf(SPACE);
    const cookie = space < 0 ? '' : data.toString('latin1', 0, space);
    const entry = this.pending.get(cookie);
    if (entry === undefined) {
      this.options.logger.debug(`rtpengine: a reply with no request waiting (${data.length} bytes) dropped`);
      return;
    }
    let reply: unknown;
    try {
      reply = decode(data, space + 1);
    } catch (err) {
      this.options.logger.warn(`rtpengine: unreadable reply to ${entry.command} dropped (${(err as Error).message})`);
      return;
    }
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) {
      this.options.logger.warn(`rtpengine: reply to ${entry.command} is not a dictionary; dropped`);
      return;
    }
    const dict = reply as BencodeDict;
    if (dict.result === 'error') {
      const reason = typeof dict['error-reason'] === 'string' ? dict['error-reason'] : 'no reason given';
      this.settle(cookie, entry, new NgRefused(entry.command, reason));
      return;
    }
    if (typeof dict.warning === 'string') this.options.logger.warn(`rtpengine warns about ${entry.command}: ${dict.warning}`);
    this.settle(cookie, entry, dict);
  }

  private settle(cookie: string, entry: Pending, outcome: BencodeDict | Error): void {
    clearTimeout(entry.timer);
    this.pending.delete(cookie);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }
}
