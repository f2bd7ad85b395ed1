/** What the daemon does for each control request (see protocol.ts). */
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Location } from '../location/location.js';
import type { Logger } from '../log.js';
import type { AccountCache } from '../store/account-cache.js';
import { VERSION } from '../version.js';
import type { NodeSummary, PeerSummary } from './protocol.js';
import type { ControlHandler } from './server.js';

export interface ControlHandlerDeps {
  config: Config;
  accounts: AccountCache;
  location: Location;
  ports: { sip: number; http: number; https: number };
  startedAt: number;
  clock: Clock;
  logger: Logger;
  node: NodeSummary;
  peers: () => PeerSummary[];
  mediaRelay?: { readonly name: string; readonly health: { readonly state: 'unknown' | 'up' | 'down' } };
}

export function createControlHandler(deps: ControlHandlerDeps): ControlHandler {
  const { accounts, location, logger, clock } = deps;
  return (request) => {
    if (request.cmd === 'account-changed') {
      accounts.reload(request.user);
      logger.info(`account ${request.user} changed by the command`);
      if (request.dropBindings) {
        for (const b of location.removeUser(request.user.toLowerCase())) {
          logger.info(`unregister ${b.aor} ${b.contact}: account changed`);
        }
      }
      return { ok: true };
    }
    const now = clock.now();
    return {
      ok: true,
      status: {
        version: VERSION,
        pid: process.pid,
        domain: deps.config.domain,
        realm: accounts.realm,
        ports: deps.ports,
        users: accounts.names().length,
        uptime: (now - deps.startedAt) / 1000,
        node: deps.node,
        peers: deps.peers(),
        ...(deps.mediaRelay ? { mediaRelay: { name: deps.mediaRelay.name, state: deps.mediaRelay.health.state } } : {}),
        bindings: location.all().map((b) => ({
          user: b.aor,
          contact: b.contact,
          transport: b.flow.transport,
          source: `${b.flow.remoteAddress}:${b.flow.remotePort}`,
          expiresIn: Math.max(0, Math.round((b.expiresAt - now) / 1000)),
          userAgent: b.userAgent,
        })),
      },
    };
  };
}
