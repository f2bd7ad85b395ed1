/**
 * A real node for integration tests: its own temporary data_dir and run_dir, free ports on
 * 127.0.0.1, accounts made before it starts, and everything removed when the test ends.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config.js';
import { configFromDefaults } from '../../src/config/load.js';
import { createLogger, type Logger } from '../../src/log.js';
import { startNode, type RunningNode } from '../../src/main.js';
import { databasePath } from '../../src/paths.js';
import { AccountStore, type NewAccount } from '../../src/store/accounts.js';
import { openDatabase } from '../../src/store/database.js';
import { realmFor } from '../../src/store/realm.js';
import { freePorts } from './ports.js';

export const TEST_DOMAIN = 'test.mesh';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface TestNode {
  config: Config;
  node: RunningNode;
  /** Every log line the node wrote. */
  logs: string[];
  addUser(name: string, password: string, kind?: NewAccount): void;
  stop(): Promise<void>;
}

/** A config for a node under test, with fresh directories and ports. */
export async function testConfig(t: Teardown, overrides: Partial<Config> = {}): Promise<Config> {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [sipPort, httpPort, httpsPort] = await freePorts(3);
  return {
    ...configFromDefaults('test-node', dir),
    domain: TEST_DOMAIN,
    listen: ['127.0.0.1'],
    sipPort: sipPort!,
    httpPort: httpPort!,
    httpsPort: httpsPort!,
    stunPort: 0,
    dataDir: join(dir, 'data'),
    runDir: join(dir, 'run'),
    logLevel: 'debug',
    // Nothing a test starts may multicast on the machine's own interfaces.
    mdns: 'off',
    bmx: 'off',
    bmxRunDirs: [],
    sharedState: 'off',
    peerExchange: 'off',
    ...overrides,
  };
}

export function addAccount(config: Config, name: string, password: string, kind: NewAccount = {}): void {
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(databasePath(config));
  try {
    new AccountStore(db, realmFor(db, config.domain)).add(name, password, kind);
  } finally {
    db.close();
  }
}

export async function startTestNode(
  t: Teardown,
  users: Record<string, string> = {},
  overrides: Partial<Config> = {},
): Promise<TestNode> {
  return startTestNodeWith(t, await testConfig(t, overrides), users);
}

/** A node from a config made beforehand (several nodes that must know each other's ports). */
export async function startTestNodeWith(t: Teardown, config: Config, users: Record<string, string> = {}): Promise<TestNode> {
  for (const [name, password] of Object.entries(users)) addAccount(config, name, password);
  const logs: string[] = [];
  const logger: Logger = createLogger('debug', (line) => logs.push(line.trimEnd()));
  const node = await startNode(config, logger);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await node.stop();
  };
  t.teardown(stop);
  return {
    config,
    node,
    logs,
    addUser(name, password, kind) {
      addAccount(config, name, password, kind);
      node.accounts.reload(name);
    },
    stop,
  };
}
