/**
 * Test hosts on layer-2 segments, each host a network namespace of the test's own and each segment a
 * bridge in one more namespace (the switch), so that nothing is added to the machine's own:
 *
 *   segment 198.18.20.0/24: host eth0 --- veth --- port on bridge --- veth --- eth0 other host
 *
 * A host on two segments (eth0, eth1) can route between them; the others then reach beyond their
 * segment through it. Addresses are from the benchmarking range 198.18.0.0/15, names start with
 * `trc-mesh-` and the test's pid, and everything goes when the test ends, failed or not. Needs root
 * and iproute2.
 */
import { execFileSync, spawnSync } from 'node:child_process';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const meshHostsMissing: string | false =
  process.getuid?.() !== 0
    ? 'network namespaces need root'
    : spawnSync('sh', ['-c', 'command -v ip']).status !== 0
      ? 'ip missing (apt-get install iproute2)'
      : false;

export interface Segment {
  /** The /24 as its first three octets, e.g. `198.18.20`. */
  readonly subnet: string;
  /** Host name → its last octet on this segment. */
  readonly members: Readonly<Record<string, number>>;
}

export interface MeshSpec {
  readonly segments: readonly Segment[];
  /** Host name → the address of its gateway, for hosts that reach other segments through a router. */
  readonly gateways?: Readonly<Record<string, string>>;
  /** Hosts that forward between their segments. */
  readonly routers?: readonly string[];
}

export interface MeshHosts {
  /** The namespace of a host, for `ip netns exec`. */
  netns(host: string): string;
  /** A host's addresses, one per segment it is on, in the order of the segments. */
  addresses(host: string): string[];
  /** A host's first address. */
  address(host: string): string;
  /** A host's interface on `subnet` (eth0, eth1, ...). */
  interfaceOn(host: string, subnet: string): string;
  /**
   * Pull the host's cables: its ports on the switches go down, so what it sends and what is sent
   * to it are lost without a FIN or a reset, as when a phone leaves the Wi-Fi or a router loses
   * power. The host itself keeps running and its sockets open.
   */
  unplug(host: string): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });

export function meshHosts(t: Teardown, spec: MeshSpec): MeshHosts {
  const tag = `trc-mesh-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const netns = (host: string) => `${tag}-${host}`;
  const hosts = [...new Set(spec.segments.flatMap((s) => Object.keys(s.members)))];
  const switchNs = `${tag}-switch`;
  const made: string[] = [];
  // Deleting a namespace takes its ends of the veths with it, and so the other ends and the bridges.
  t.teardown(() => {
    for (const ns of made) spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
  });
  for (const ns of [switchNs, ...hosts.map(netns)]) {
    ip('netns', 'add', ns);
    made.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }

  const interfaces = new Map<string, { subnet: string; dev: string; address: string; port: string }[]>(hosts.map((h) => [h, []]));
  spec.segments.forEach((segment, s) => {
    const bridge = `br${s}`;
    // 224.0.0.251 is link-local and flooded anyway; without snooping nothing depends on IGMP timing.
    ip('-n', switchNs, 'link', 'add', bridge, 'type', 'bridge', 'mcast_snooping', '0');
    ip('-n', switchNs, 'link', 'set', bridge, 'up');
    for (const [host, octet] of Object.entries(segment.members)) {
      const own = interfaces.get(host)!;
      const dev = `eth${own.length}`;
      const port = `p${hosts.indexOf(host)}s${s}`;
      ip('link', 'add', dev, 'netns', netns(host), 'type', 'veth', 'peer', 'name', port, 'netns', switchNs);
      ip('-n', switchNs, 'link', 'set', port, 'master', bridge);
      ip('-n', switchNs, 'link', 'set', port, 'up');
      const address = `${segment.subnet}.${octet}`;
      ip('-n', netns(host), 'addr', 'add', `${address}/24`, 'dev', dev);
      ip('-n', netns(host), 'link', 'set', dev, 'up');
      own.push({ subnet: segment.subnet, dev, address, port });
    }
  });

  for (const host of hosts) {
    const gateway = spec.gateways?.[host];
    if (gateway !== undefined) ip('-n', netns(host), 'route', 'add', 'default', 'via', gateway);
    // A host with neither gateway nor default route has no route for multicast; mDNS names its
    // interface for each packet anyway, but a responder that does not would get ENETUNREACH.
    else ip('-n', netns(host), 'route', 'add', '224.0.0.0/4', 'dev', interfaces.get(host)![0]!.dev);
  }
  for (const router of spec.routers ?? []) {
    execFileSync('ip', ['netns', 'exec', netns(router), 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { timeout: 10_000 });
  }

  const of = (host: string) => {
    const own = interfaces.get(host);
    if (own === undefined) throw new Error(`no test host ${host}`);
    return own;
  };
  return {
    netns: (host) => (of(host), netns(host)),
    addresses: (host) => of(host).map((i) => i.address),
    address: (host) => of(host)[0]!.address,
    interfaceOn: (host, subnet) => {
      const found = of(host).find((i) => i.subnet === subnet);
      if (found === undefined) throw new Error(`${host} is not on ${subnet}`);
      return found.dev;
    },
    unplug: (host) => {
      for (const { port } of of(host)) ip('-n', switchNs, 'link', 'set', port, 'down');
    },
  };
}
