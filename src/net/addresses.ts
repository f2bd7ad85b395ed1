/**
 * Addresses as the sockets see them. Which local addresses the SIP and HTTP sockets bind: an empty
 * `listen` means every address, as one IPv4 wildcard and one IPv6-only wildcard rather than one
 * dual-stack socket, so that peers keep their plain IPv4 addresses and a reply leaves from a
 * socket of the peer's family.
 */
import { isIP } from 'node:net';

export interface BindAddress {
  readonly host: string;
  /** IPv6 sockets never take IPv4 traffic (no `::ffff:` mapped peers). */
  readonly ipv6Only: boolean;
  /** False for the IPv6 wildcard of an empty `listen`: a host without IPv6 still starts. */
  readonly required: boolean;
}

export function bindAddresses(listen: readonly string[]): BindAddress[] {
  if (listen.length === 0) {
    return [
      { host: '0.0.0.0', ipv6Only: false, required: true },
      { host: '::', ipv6Only: true, required: false },
    ];
  }
  return listen.map((host) => ({ host, ipv6Only: isIP(host) === 6, required: true }));
}

/** A bind error that only says this host has no IPv6. */
export function isMissingFamily(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL' || code === 'EPROTONOSUPPORT';
}

/** `host:port`, with brackets around an IPv6 host. */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `::ffff:192.0.2.1` (an IPv4 peer seen on an IPv6 socket) written as the IPv4 address it is. */
export function unmapAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** One spelling per address, so `[::1]`, `0:0::1` and `::1` compare equal. */
export function canonicalHost(host: string): string {
  // Unmapped first: the URL parser would write `::ffff:198.18.0.9` as `::ffff:c612:9`.
  const bare = unmapAddress(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase();
  if (isIP(bare) !== 6) return bare;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare;
  }
}
