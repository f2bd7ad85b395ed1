/**
 * Warnings about what the network sends (malformed messages, refused connections), and notices of a
 * limit that bites, are capped per time window: a flood must not fill a router's log buffer. Past the
 * cap the lines go to debug and one summary line counts them when the next window opens.
 */
import type { Logger } from '../log.js';

export class RateLimitedLog {
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  private suppressed = 0;
  private suppressedWarnings = false;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly maxPerWindow = 10,
    private readonly windowMs = 60_000,
  ) {}

  warn(line: string): void {
    this.write('warn', line);
  }

  /** For what is expected but worth knowing, such as a history trimmed to its limit. */
  info(line: string): void {
    this.write('info', line);
  }

  private write(level: 'warn' | 'info', line: string): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) {
        if (this.suppressedWarnings) this.logger.warn(`${this.suppressed} similar warnings were not logged`);
        else this.logger.info(`${this.suppressed} similar lines were not logged`);
      }
      this.windowStart = t;
      this.inWindow = 0;
      this.suppressed = 0;
      this.suppressedWarnings = false;
    }
    if (this.inWindow < this.maxPerWindow) {
      this.inWindow++;
      this.logger[level](line);
    } else {
      this.suppressed++;
      this.suppressedWarnings ||= level === 'warn';
      this.logger.debug(line);
    }
  }
}
