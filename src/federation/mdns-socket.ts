/**
 * The UDP socket on port 5353 that mDNS (RFC 6762) is spoken on: bound to the wildcard with
 * SO_REUSEADDR so that it shares the port with the host's own responder (umdns on OpenWrt, avahi
 * on Linux; both bind it the same way), and a member of 224.0.0.251 on every IPv4 interface the
 * node serves on. Node has no IP_PKTINFO, so a packet's interface is the one whose subnet holds its
 * source; what is sent goes out of one chosen interface (IP_MULTICAST_IF) with IP TTL 255 (§11).
 *
 * IPv4 only: the mesh clouds trucada runs on (batman-adv, bmx6/7 and babel LibreMesh and qMp
 * builds) all carry IPv4, and one socket keeps it small; IPv6 addresses are still announced (AAAA).
 */
import dgram from 'node:dgram';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { literalLookup } from '../transport/literal-lookup.js';
import { sameSubnet } from '../net/local-address.js';

export const MDNS_PORT = 5353;
export const MDNS_GROUP = '224.0.0.251';
/** A router has a handful of interfaces; a bound keeps a box with hundreds of tunnels from joining them all. */
const MAX_INTERFACES = 32;

export interface MdnsInterface {
  readonly name: string;
  /** The IPv4 address the group is joined and sent on. */
  readonly address: string;
  readonly netmask: string;
  /** Every address of the interface, for its A and AAAA records. */
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

/** What the channel needs of the network; tests give it a fake. */
export interface MdnsTransport {
  open(onPacket: (bytes: Buffer, from: { address: string; port: number }) => void): Promise<void>;
  /** Reads the interfaces again and joins the group on new ones. */
  interfaces(): readonly MdnsInterface[];
  /** The interface whose subnet holds `address`, if one does. */
  interfaceFor(address: string): MdnsInterface | undefined;
  /** To the group on `iface`, or to one querier (RFC 6762 §6.7). */
  send(bytes: Buffer, iface: MdnsInterface, to?: { address: string; port: number }): void;
  close(): Promise<void>;
}

export interface MdnsSocketOptions {
  /** Only interfaces holding one of these addresses (the `listen` option); empty: every interface. */
  readonly listen: readonly string[];
  readonly onError: (message: string) => void;
  readonly read?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export class MdnsSocket implements MdnsTransport {
  private socket: dgram.Socket | undefined;
  private joined = new Map<string, MdnsInterface>();

  constructor(private readonly options: MdnsSocketOptions) {}

  async open(onPacket: (bytes: Buffer, from: { address: string; port: number }) => void): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true, lookup: literalLookup });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(MDNS_PORT, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => this.options.onError(`mdns socket: ${err.message}`));
    socket.on('message', (bytes, rinfo) => onPacket(bytes, { address: rinfo.address, port: rinfo.port }));
    socket.setMulticastTTL(255);
    this.socket = socket;
    this.interfaces();
  }

  interfaces(): readonly MdnsInterface[] {
    const now = readInterfaces(this.options.read ?? networkInterfaces, this.options.listen);
    const socket = this.socket;
    if (socket === undefined) return now;
    for (const [address, iface] of this.joined) {
      if (now.some((i) => i.address === address)) continue;
      this.joined.delete(address);
      this.membership(() => socket.dropMembership(MDNS_GROUP, address), iface);
    }
    for (const iface of now) {
      if (this.joined.has(iface.address)) continue;
      if (this.membership(() => socket.addMembership(MDNS_GROUP, iface.address), iface)) this.joined.set(iface.address, iface);
    }
    return [...this.joined.values()];
  }

  interfaceFor(address: string): MdnsInterface | undefined {
    return [...this.joined.values()].find((i) => sameSubnet({ address: i.address, netmask: i.netmask } as NetworkInterfaceInfo, address));
  }

  send(bytes: Buffer, iface: MdnsInterface, to = { address: MDNS_GROUP, port: MDNS_PORT }): void {
    const socket = this.socket;
    if (socket === undefined) return;
    try {
      // The lookup answers an address at once, so the datagram leaves before the next interface is set.
      socket.setMulticastInterface(iface.address);
      socket.send(bytes, to.port, to.address, (err) => {
        if (err) this.options.onError(`mdns: cannot send on ${iface.name}: ${err.message}`);
      });
    } catch (err) {
      this.options.onError(`mdns: cannot send on ${iface.name}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.joined.clear();
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private membership(change: () => void, iface: MdnsInterface): boolean {
    try {
      change();
      return true;
    } catch (err) {
      this.options.onError(`mdns: cannot change the group membership on ${iface.name}: ${(err as Error).message}`);
      return false;
    }
  }
}

function readInterfaces(read: () => NodeJS.Dict<NetworkInterfaceInfo[]>, listen: readonly string[]): MdnsInterface[] {
  const out: MdnsInterface[] = [];
  for (const [name, infos = []] of Object.entries(read())) {
    const v4 = infos.filter((i) => i.family === 'IPv4' && !i.internal);
    const first = v4[0];
    if (first === undefined) continue;
    if (listen.length > 0 && !infos.some((i) => listen.includes(i.address))) continue;
    const ipv6 = infos.filter((i) => i.family === 'IPv6' && !i.internal).map((i) => i.address);
    out.push({ name, address: first.address, netmask: first.netmask, ipv4: v4.map((i) => i.address), ipv6 });
    if (out.length >= MAX_INTERFACES) break;
  }
  return out;
}
