/**
 * A discovery channel (mDNS, bmx6/bmx7 sms, LibreMesh shared-state): it announces this node's
 * beacon where the channel carries it and hands every beacon it hears, and every node it stops
 * hearing, to the sink (beacons.ts). Channels decide nothing about trust: the directory does, from
 * the descriptor fetched (DESIGN.md §5). Each is enabled by its own UCI option and runs beside the
 * others; federation.ts starts and stops them.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Beacon } from './beacon.js';
import type { BeaconSink } from './beacons.js';

/**
 * The channel name of beacons that a verified peer passed on (peer-exchange.ts): second-hand news.
 * It finds nodes and keeps them heard, but it does not hold a node that every first-hand channel
 * has withdrawn: the peer that passed it on may not have heard the withdrawal yet.
 */
export const EXCHANGE_CHANNEL = 'exchange';

export interface ChannelDeps {
  readonly sink: BeaconSink;
  /** This node's beacon as of now (its seq grows when the descriptor changes); read it at every announcement. */
  readonly own: () => Beacon;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface DiscoveryChannel {
  /** The name beacons are handed over with (`mdns`, `bmx6`, …), as logs and the directory show it. */
  readonly name: string;
  start(): Promise<void>;
  /** Withdraws the announcement where the channel can (an mDNS goodbye, the sms file removed). */
  stop(): Promise<void>;
}
