/**
 * This node's descriptor as served at /.well-known/trucada: signed afresh on every request so its
 * `time` tells the reader our clock now (a signature costs tens of microseconds), with a `seq` that
 * readers use to refuse an older descriptor replayed at them. `seq` must never go back, not even
 * across a restart on a router without a real-time clock, so it lives in data_dir
 * (`descriptor.seq`): one step at every start, one at every change of what the descriptor says. The
 * presence it publishes changes whenever someone's phone comes or goes, and flash wears, so the file
 * holds the top of a block of numbers the node may use without writing: it is written once per
 * SEQ_BLOCK changes and at each start, and a restart continues above the block. The beacon the discovery channels
 * announce (beacon.ts) carries the same seq, so a node that heard an older one fetches again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { writeFileDurably } from '../store/atomic-file.js';
import { isIP } from 'node:net';
import type { Beacon } from './beacon.js';
import { MAX_ADDRESSES, signDescriptor, type SipPorts } from './descriptor.js';
import type { NodeIdentity } from './node-identity.js';

export const SEQ_FILE = 'descriptor.seq';
export const SEQ_BLOCK = 64;

/** The users whose presence the descriptor publishes, by whether they are registered now. */
export interface PublishedPresence {
  readonly online: readonly string[];
  readonly offline: readonly string[];
}

export interface OwnDescriptorDeps {
  readonly identity: NodeIdentity;
  readonly dataDir: string;
  readonly domain: string;
  readonly sip: () => SipPorts;
  /** The node's addresses now (interfaces change on a router: DHCP, a new mesh link). */
  readonly addresses: () => readonly string[];
  /** Where the descriptor is served. */
  readonly httpsPort: () => number;
  /** The users this node publishes. */
  readonly users: () => readonly string[];
  /** Of those, the ones who show their presence to the mesh (src/presence/seen.ts). */
  readonly presence: () => PublishedPresence;
  readonly now: () => number;
  readonly logger: Logger;
}

export class OwnDescriptor {
  private seq: number;
  /** The highest seq `descriptor.seq` lets the node use before writing it again. */
  private reserved: number;
  private said: string | undefined;

  constructor(private readonly deps: OwnDescriptorDeps) {
    this.seq = this.readSeq() + 1;
    this.reserved = this.reserve();
  }

  /** The signed JSON text, as of now. */
  current(): string {
    const { sip, addresses, users, presence } = this.fields();
    return signDescriptor(this.deps.identity, { domain: this.deps.domain, sip, addresses, seq: this.seq, time: Math.floor(this.deps.now()), users, ...presence });
  }

  /** The beacon for the discovery channels, as of now. */
  beacon(): Beacon {
    const { addresses } = this.fields();
    return { id: this.deps.identity.id, domain: this.deps.domain, address: announced(addresses), port: this.deps.httpsPort(), seq: this.seq };
  }

  /** What the descriptor says now; a change since the last look is one step of seq. */
  private fields(): { sip: SipPorts; addresses: string[]; users: string[]; presence: PublishedPresence } {
    const sip = this.deps.sip();
    const addresses = [...new Set(this.deps.addresses().map((a) => a.toLowerCase()))].slice(0, MAX_ADDRESSES);
    const users = [...new Set(this.deps.users())].sort();
    const published = new Set(users);
    const shown = this.deps.presence();
    const presence = { online: [...new Set(shown.online)].filter((u) => published.has(u)).sort(), offline: [...new Set(shown.offline)].filter((u) => published.has(u)).sort() };
    const said = JSON.stringify([this.deps.domain, sip.udp, sip.tcp, addresses, users, presence.online, presence.offline]);
    if (this.said !== undefined && said !== this.said) {
      this.seq += 1;
      if (this.seq > this.reserved) this.reserved = this.reserve();
    }
    this.said = said;
    return { sip, addresses, users, presence };
  }

  private get path(): string {
    return join(this.deps.dataDir, SEQ_FILE);
  }

  private readSeq(): number {
    try {
      const text = readFileSync(this.path, 'utf8').trim();
      if (/^\d{1,15}$/.test(text)) return Number(text);
      this.deps.logger.warn(`${this.path} does not hold a sequence number: starting from the clock`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      this.deps.logger.warn(`cannot read ${this.path}: ${(err as Error).message}`);
    }
    // A lost counter must still not go back: the clock in ms is above any count of starts and changes.
    return Math.max(0, Math.floor(this.deps.now()));
  }

  /** Writes the top of the next block of numbers from seq on, and returns it. */
  private reserve(): number {
    const top = this.seq + SEQ_BLOCK - 1;
    try {
      writeFileDurably(this.path, `${top}\n`, 0o600);
    } catch (err) {
      this.deps.logger.warn(`cannot write ${this.path}: ${(err as Error).message}`);
    }
    return top;
  }
}

/**
 * The one address a beacon has room for: the first that is not loopback, IPv4 before IPv6 (mesh
 * firmwares route IPv4 everywhere; IPv6 often only on some links), never IPv4 link-local (not routed);
 * loopback only on a node with nothing else (tests on one machine, a node with no address yet).
 */
function announced(addresses: readonly string[]): string {
  const outside = addresses.filter((a) => !a.startsWith('127.') && a !== '::1' && !a.startsWith('169.254.'));
  return outside.find((a) => isIP(a) === 4) ?? outside[0] ?? addresses[0] ?? '127.0.0.1';
}

/**
 * The addresses the descriptor lists: the ones the node listens on when `listen` names them, else
 * every interface address but IPv6 link-local ones, which mean nothing without their interface.
 */
export function descriptorAddresses(listen: readonly string[], interfaces: readonly string[]): string[] {
  const named = listen.filter((a) => a !== '0.0.0.0' && a !== '::');
  return (named.length > 0 ? named : interfaces).filter((a) => !/^fe[89ab][0-9a-f]:/i.test(a));
}
