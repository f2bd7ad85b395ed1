/**
 * Drops history rows and stored messages past their age once a day (and once shortly after start),
 * so a quiet node still forgets them; busy users are trimmed on every write anyway.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

const DAY_MS = 24 * 3600_000;
/** Not at start itself: the first minute of a router's boot is busy enough. */
const FIRST_MS = 60_000;

export function startDailyPruning(clock: Clock, logger: Logger, prune: () => number): { stop(): void } {
  let timer: unknown;
  const run = (next: number) => {
    timer = clock.setTimeout(() => {
      try {
        const dropped = prune();
        if (dropped > 0) logger.info(`dropped ${dropped} old history rows and stored messages`);
      } catch (err) {
        logger.error(`pruning history and stored messages failed: ${(err as Error).message}`);
      }
      run(DAY_MS);
    }, next);
  };
  run(FIRST_MS);
  return { stop: () => clock.clearTimeout(timer) };
}
