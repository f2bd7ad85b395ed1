/** `trucada serve`: runs the node in the foreground until SIGTERM/SIGINT (procd sends SIGTERM). */
import type { Config } from '../config/config.js';
import { keepLastGood } from '../config/last-good.js';
import { createLogger } from '../log.js';
import { startNode } from '../main.js';
import { EXIT } from './usage.js';

export async function serveCommand(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  // Listened for before the node starts: a signal while it starts stops it once started, rather
  // than killing it between its first log line and the rest of its start.
  let signalled: string | undefined;
  let onSignal = (signal: string): void => {
    signalled = signal;
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const node = await startNode(config, logger);
  keepLastGood(config, logger);
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info(`${signal}: stopping`);
      node.stop().then(
        () => resolve(EXIT.ok),
        (err: Error) => {
          logger.error(`stop failed: ${err.message}`);
          resolve(EXIT.failed);
        },
      );
    };
    onSignal = stop;
    if (signalled !== undefined) stop(signalled);
  });
}
