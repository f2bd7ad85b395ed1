/** `trucada serve`: runs the node in the foreground until SIGTERM/SIGINT (procd sends SIGTERM). */
import type { Config } from '../config/config.js';
import { createLogger } from '../log.js';
import { startNode } from '../main.js';
import { EXIT } from './usage.js';

export async function serveCommand(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  const node = await startNode(config, logger);
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
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
