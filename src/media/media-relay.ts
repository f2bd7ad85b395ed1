/**
 * The media relay as the node holds it when `rtpengine` is set: the ng client and its health check,
 * started and stopped together, so the operator sees from `trucada status` and the log whether the
 * relay answers, and the calls that go through it.
 */
import type { Logger } from '../log.js';
import { hostPort } from '../net/addresses.js';
import { NgClient, type NgAddress } from './ng-client.js';
import { RelayHealth } from './relay-health.js';
import { RelayedCalls } from './relayed-calls.js';

export interface MediaRelay {
  readonly name: string;
  readonly client: NgClient;
  readonly health: RelayHealth;
  /** The calls going through it. */
  readonly calls: RelayedCalls;
  stop(): void;
}

export function startMediaRelay(address: NgAddress, logger: Logger): MediaRelay {
  const name = `udp:${hostPort(address.host, address.port)}`;
  const client = new NgClient({ address, logger });
  const health = new RelayHealth({ client, logger, name });
  health.start();
  return {
    name,
    client,
    health,
    calls: new RelayedCalls({ client, health, logger }),
    stop() {
      health.stop();
      client.close();
    },
  };
}
