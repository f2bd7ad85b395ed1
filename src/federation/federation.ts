/**
 * The node's side of federation, put together (DESIGN.md §5): the verified peer nodes the proxy
 * routes to and checks signatures against (peer-nodes.ts), the directory that alone admits and
 * drops them, the pinned keys, and the channels that find them. Every channel hands the directory
 * what it found through one of two doors: static peers fetch descriptors themselves; announcing
 * channels (mDNS, bmx sms, shared-state) hand beacons to `beacons`, which fetches. main.ts gives the
 * proxy `peers`, starts the whole once the node listens, and stops it at shutdown.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Beacon } from './beacon.js';
import { Beacons } from './beacons.js';
import { BMX_FULL_READ_MS, BmxSmsChannel } from './bmx-sms-channel.js';
import type { DiscoveryChannel } from './channel.js';
import { fetchDescriptor, type FetchDescriptor } from './descriptor-fetch.js';
import { Directory } from './directory.js';
import { MAX_QUERY_INTERVAL_MS, MdnsChannel } from './mdns-channel.js';
import type { NodeIdentity } from './node-identity.js';
import { postExchange } from './exchange-post.js';
import { PeerExchange, type PostExchange } from './peer-exchange.js';
import { PeerNodes } from './peer-nodes.js';
import { Pins } from './pins.js';
import { SHARED_STATE_INTERVAL_MS, SharedStateChannel } from './shared-state-channel.js';
import { StaticPeers } from './static-peers.js';

/**
 * How often a node still announced has its descriptor fetched again (directory.ts): rarely, since
 * each fetch is a TLS handshake and a few KB, times every peer, and the channels say who is there;
 * often enough that a beacon left behind does not keep a dead node for more than a few hours.
 */
const REVALIDATE_MS = 2 * 3600_000;

/** Where bmx6 and bmx7 keep their run time files on OpenWrt and in their Debian builds. */
const DEFAULT_BMX_RUN_DIRS = ['/var/run/bmx6', '/var/run/bmx7'];

export interface FederationDeps {
  readonly config: Pick<Config, 'dataDir' | 'domain' | 'peers' | 'peerInterval' | 'peerTimeout' | 'mdns' | 'listen' | 'bmx' | 'bmxRunDirs' | 'sharedState' | 'peerExchange'>;
  readonly identity: NodeIdentity;
  /** This node's beacon as of now, for the announcing channels. */
  readonly own: () => Beacon;
  /** This node's signed descriptor as of now, with which peer exchange introduces it. */
  readonly descriptor: () => string;
  /** The SIP port bound, which mDNS announces as `_sip._udp` and `_sip._tcp`. */
  readonly sipPort: () => number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly fetch?: FetchDescriptor;
  readonly post?: PostExchange;
}

export interface Federation {
  readonly peers: PeerNodes;
  readonly directory: Directory;
  readonly beacons: Beacons;
  readonly staticPeers: StaticPeers;
  /** Peer exchange with the verified peers; undefined when `peer_exchange` is off. */
  readonly exchange: PeerExchange | undefined;
  /**
   * Starts the directory's expiry, the static peers and the channels. Only once the node serves its
   * descriptor and takes SIP: a node that announces itself earlier is fetched by the others at once,
   * refused a connection, and not tried again for `peer_interval`.
   */
  start(): void;
  /** Resolves once the channels have withdrawn this node's announcements (safe before start). */
  stop(): Promise<void>;
}

export function createFederation(deps: FederationDeps): Federation {
  const { config, identity, clock, logger } = deps;
  const fetch = deps.fetch ?? fetchDescriptor;
  const peers = new PeerNodes(identity, () => clock.now(), (id) => directory.suspect(id));
  const pins = new Pins(config.dataDir, logger);
  const directory = new Directory({
    peers,
    pins,
    self: { id: identity.id, domain: config.domain },
    clock,
    timeoutMs: config.peerTimeout * 1000,
    revalidateMs: REVALIDATE_MS,
    logger,
    joined: (id) => exchange?.exchangeWith(id, true),
  });
  const beacons = new Beacons({ directory, fetch, selfId: identity.id, clock, retryMs: config.peerInterval * 1000, logger });
  const exchange = config.peerExchange === 'on'
    ? new PeerExchange({ directory, peers, sink: beacons, own: deps.own, descriptor: deps.descriptor, post: deps.post ?? postExchange, clock, logger })
    : undefined;
  const staticPeers = new StaticPeers({ peers: config.peers, intervalMs: config.peerInterval * 1000, fetch, directory, clock, logger, polled: (id) => exchange?.exchangeWith(id, false) });
  const channels: DiscoveryChannel[] = [];
  const channelDeps = { sink: beacons, own: deps.own, clock, logger };
  if (config.mdns !== 'off') {
    // A node is heard again at least every third of peer_timeout, or it would leave between two queries.
    const maxQueryIntervalMs = Math.min(MAX_QUERY_INTERVAL_MS, (config.peerTimeout * 1000) / 3);
    channels.push(new MdnsChannel(channelDeps, { mode: config.mdns, sipPort: deps.sipPort, listen: config.listen, maxQueryIntervalMs }));
  }
  if (config.bmx !== 'off') {
    const runDirs = config.bmxRunDirs.length > 0 ? config.bmxRunDirs : DEFAULT_BMX_RUN_DIRS;
    // Only reads of the whole of rcvdSms hear again the nodes whose files did not change: well within peer_timeout.
    const fullReadMs = Math.min(BMX_FULL_READ_MS, (config.peerTimeout * 1000) / 3);
    channels.push(new BmxSmsChannel(channelDeps, { runDirs, fullReadMs }));
  }
  if (config.sharedState !== 'off') {
    // Renewed well within peer_timeout, so a node heard only here does not leave between two rounds.
    const intervalMs = Math.min(SHARED_STATE_INTERVAL_MS, (config.peerTimeout * 1000) / 3);
    channels.push(new SharedStateChannel(channelDeps, { intervalMs }));
  }
  return {
    peers,
    directory,
    beacons,
    staticPeers,
    exchange,
    start: () => {
      directory.start();
      staticPeers.start();
      for (const channel of channels) {
        channel.start().catch((err: Error) => logger.warn(`${channel.name}: not started: ${err.message}`));
      }
    },
    stop: async () => {
      staticPeers.stop();
      exchange?.stop();
      await Promise.all(channels.map((c) => c.stop()));
      directory.stop();
      await pins.flush();
    },
  };
}
