/**
 * The node's side of federation, put together (DESIGN.md §5): the verified peer nodes the proxy
 * routes to and checks signatures against (peer-nodes.ts), the directory that alone admits and
 * drops them, the pinned keys, and the channels that find them. Every channel hands the directory
 * what it found through one of two doors: static peers fetch descriptors themselves; announcing
 * channels (mDNS, bmx sms, shared-state) hand beacons to `beacons`, which fetches. main.ts gives the
 * proxy `peers` and stops the whole at shutdown.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Beacon } from './beacon.js';
import { Beacons } from './beacons.js';
import type { DiscoveryChannel } from './channel.js';
import { fetchDescriptor, type FetchDescriptor } from './descriptor-fetch.js';
import { Directory } from './directory.js';
import { MAX_QUERY_INTERVAL_MS, MdnsChannel } from './mdns-channel.js';
import type { NodeIdentity } from './node-identity.js';
import { PeerNodes } from './peer-nodes.js';
import { Pins } from './pins.js';
import { StaticPeers } from './static-peers.js';

export interface FederationDeps {
  readonly config: Pick<Config, 'dataDir' | 'domain' | 'peers' | 'peerInterval' | 'peerTimeout' | 'mdns' | 'listen'>;
  readonly identity: NodeIdentity;
  /** This node's beacon as of now, for the announcing channels. */
  readonly own: () => Beacon;
  /** The SIP port bound, which mDNS announces as `_sip._udp` and `_sip._tcp`. */
  readonly sipPort: () => number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly fetch?: FetchDescriptor;
}

export interface Federation {
  readonly peers: PeerNodes;
  readonly directory: Directory;
  readonly beacons: Beacons;
  readonly staticPeers: StaticPeers;
  /** Resolves once the channels have withdrawn this node's announcements. */
  stop(): Promise<void>;
}

export function startFederation(deps: FederationDeps): Federation {
  const { config, identity, clock, logger } = deps;
  const fetch = deps.fetch ?? fetchDescriptor;
  const peers = new PeerNodes(identity, () => clock.now());
  const directory = new Directory({
    peers,
    pins: new Pins(config.dataDir, logger),
    self: { id: identity.id, domain: config.domain },
    clock,
    timeoutMs: config.peerTimeout * 1000,
    // Three tries before the timeout: one lost fetch does not make a node leave.
    refreshMs: (config.peerTimeout * 1000) / 3,
    logger,
  });
  const staticPeers = new StaticPeers({ peers: config.peers, intervalMs: config.peerInterval * 1000, fetch, directory, clock, logger });
  const beacons = new Beacons({ directory, fetch, selfId: identity.id, clock, retryMs: config.peerInterval * 1000, logger });
  const channels: DiscoveryChannel[] = [];
  if (config.mdns !== 'off') {
    // A node is heard again at least every third of peer_timeout, or it would leave between two queries.
    const maxQueryIntervalMs = Math.min(MAX_QUERY_INTERVAL_MS, (config.peerTimeout * 1000) / 3);
    channels.push(new MdnsChannel({ sink: beacons, own: deps.own, clock, logger }, { mode: config.mdns, sipPort: deps.sipPort, listen: config.listen, maxQueryIntervalMs }));
  }
  directory.start();
  staticPeers.start();
  for (const channel of channels) {
    channel.start().catch((err: Error) => logger.warn(`${channel.name}: not started: ${err.message}`));
  }
  return {
    peers,
    directory,
    beacons,
    staticPeers,
    stop: async () => {
      staticPeers.stop();
      await Promise.all(channels.map((c) => c.stop()));
      directory.stop();
    },
  };
}
