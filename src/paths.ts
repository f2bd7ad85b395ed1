/** Where the node keeps its files, derived from data_dir (flash) and run_dir (RAM). */
import { join } from 'node:path';
import type { Config } from './config/config.js';
import { CONTROL_SOCKET_NAME } from './control/protocol.js';

export function databasePath(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'trucada.db');
}

export function controlSocketPath(config: Pick<Config, 'runDir'>): string {
  return join(config.runDir, CONTROL_SOCKET_NAME);
}

export function bindingsPath(config: Pick<Config, 'runDir'>): string {
  return join(config.runDir, 'bindings.json');
}
