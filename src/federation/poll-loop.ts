/**
 * The loop of a channel that has to ask (bmx's files, shared-state's command line): one round now
 * and then one every `intervalMs` after the last has ended, never two at once, none after stop.
 */
import type { Clock } from '../clock.js';

export class PollLoop {
  private timer: unknown;
  private stopped = false;
  private running: Promise<void> | undefined;

  /** `round` must not reject: a channel logs its own failures. */
  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly round: () => Promise<void>,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      void this.poll().finally(() => {
        if (!this.stopped) this.timer = this.clock.setTimeout(tick, this.intervalMs);
      });
    };
    tick();
  }

  /** A round now, or the one running; resolves when it has ended. */
  poll(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves once the round running (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    await this.running;
  }
}
