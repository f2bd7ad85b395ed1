/**
 * Whether the media relay answers: a `ping` every `intervalMs`, and `up` from the last one. A relay
 * that stops answering is marked down (calls then go on without it, issue 14) and up again at its
 * next pong; each change is logged once, not every ping.
 */
import type { Logger } from '../log.js';
import type { NgClient } from './ng-client.js';

export type RelayState = 'unknown' | 'up' | 'down';

export interface RelayHealthOptions {
  readonly client: Pick<NgClient, 'ping'>;
  readonly logger: Logger;
  /** How rtpengine is named in the log, e.g. `udp:127.0.0.1:2223`. */
  readonly name: string;
  /** Default 10 s. */
  readonly intervalMs?: number;
}

export class RelayHealth {
  private stateValue: RelayState = 'unknown';
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(private readonly options: RelayHealthOptions) {}

  get state(): RelayState {
    return this.stateValue;
  }

  /** Pings at once, then every interval. */
  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One ping now (a caller that saw the relay fail may ask); concurrent calls share it. */
  check(): Promise<void> {
    this.checking ??= this.options.client
      .ping()
      .then(
        (reply) => this.mark(reply.result === 'pong' ? 'up' : 'down', `answered ${String(reply.result)}`),
        (err: Error) => this.mark('down', err.message),
      )
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private mark(state: 'up' | 'down', why: string): void {
    if (state === this.stateValue) return;
    const was = this.stateValue;
    this.stateValue = state;
    const { logger, name } = this.options;
    if (state === 'up') logger.info(`media relay rtpengine at ${name} is ${was === 'down' ? 'up again' : 'up'}`);
    else logger.warn(`media relay rtpengine at ${name} is down (${why}): calls go on without it`);
  }
}
