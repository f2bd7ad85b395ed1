/**
 * The node's own address as a peer reaches it, for the sent-by of a Via and the host of a
 * Record-Route. A connection knows its local address; a UDP socket bound to the wildcard does not
 * (Node has no IP_PKTINFO), so the address is taken from the interface whose subnet holds the
 * peer, as the kernel's route for a directly connected mesh neighbour would pick it.
 */
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { ipAddressBytes } from './ip-address-bytes.js';
import { unmapAddress } from './addresses.js';
import type { Flow } from '../sip/flow.js';

/** How long the interface list is trusted: addresses change rarely, and reading them costs a syscall. */
const INTERFACES_TTL_MS = 30_000;

export class LocalAddresses {
  private cached: { at: number; list: NetworkInterfaceInfo[]; addresses: string[] } | undefined;

  constructor(private readonly now: () => number, private readonly read: () => NetworkInterfaceInfo[] = allInterfaces) {}

  /**
   * The address `flow`'s peer sends to, to reach this node; for a wildcard socket, or a connection
   * still being made (its local end is not known yet), the interface that faces the peer.
   */
  forFlow(flow: Pick<Flow, 'localAddress' | 'remoteAddress'>): string {
    const local = unmapAddress(flow.localAddress);
    if (local !== '' && local !== '0.0.0.0' && local !== '::') return local;
    return this.facing(unmapAddress(flow.remoteAddress));
  }

  /** Every address of the node's interfaces (for recognising itself in a URI). */
  all(): readonly string[] {
    return this.current().addresses;
  }

  private facing(remote: string): string {
    const family = isIP(remote) === 6 ? 'IPv6' : 'IPv4';
    const list = this.current().list.filter((i) => i.family === family);
    const loopback = family === 'IPv4' ? '127.0.0.1' : '::1';
    if (remote === loopback || remote.startsWith('127.')) return loopback;
    const onLink = list.find((i) => !i.internal && sameSubnet(i, remote));
    return (onLink ?? list.find((i) => !i.internal) ?? list[0])?.address ?? loopback;
  }

  /** The interfaces and their addresses, read again when older than INTERFACES_TTL_MS. */
  private current(): { list: NetworkInterfaceInfo[]; addresses: string[] } {
    const now = this.now();
    if (!this.cached || now - this.cached.at > INTERFACES_TTL_MS) {
      const list = this.read();
      // Asked on every request for the node (our-host.ts): lower-cased once, not each time.
      this.cached = { at: now, list, addresses: list.map((i) => i.address.toLowerCase()) };
    }
    return this.cached;
  }

}

function allInterfaces(): NetworkInterfaceInfo[] {
  return Object.values(networkInterfaces()).flatMap((l) => l ?? []);
}

export function sameSubnet(iface: NetworkInterfaceInfo, remote: string): boolean {
  if (isIP(remote) !== isIP(iface.address)) return false;
  const a = ipAddressBytes(iface.address);
  const b = ipAddressBytes(remote);
  const m = ipAddressBytes(iface.netmask);
  return a.every((byte, i) => (byte & m[i]!) === (b[i]! & m[i]!));
}
