/**
 * Three test hosts in network namespaces of the test's own, with a NAT between the first two:
 *
 *   client 198.18.1.2 --- 198.18.1.1 router 198.19.0.1 --- 198.19.0.2 server
 *                                    (masquerades what leaves towards the server)
 *
 * as a phone on a qMp node in roaming mode reaches the rest of the mesh. Every interface is made
 * inside its namespace (nothing is added to the machine's own), the addresses are from the
 * benchmarking range 198.18.0.0/15, and the namespaces go when the test ends. Needs root,
 * iproute2 and nftables.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export interface NatHosts {
  /** Namespace names, for `ip netns exec`. */
  readonly client: string;
  readonly router: string;
  readonly server: string;
  readonly clientAddress: string;
  /** Where the client's packets seem to come from, once through the NAT. */
  readonly publicAddress: string;
  readonly serverAddress: string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** A skip reason when namespaces cannot be made here, else false. */
export const natHostsMissing: string | false =
  process.getuid?.() !== 0
    ? 'network namespaces need root'
    : !has('ip')
      ? 'ip missing (apt-get install iproute2)'
      : !has('nft')
        ? 'nft missing (apt-get install nftables)'
        : false;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });

/** The command line that runs `argv` on the host `netns`. */
export function inHost(netns: string, argv: readonly string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', netns, ...argv]];
}

export function natHosts(t: Teardown): NatHosts {
  const tag = `trucada-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const hosts = {
    client: `${tag}-client`,
    router: `${tag}-router`,
    server: `${tag}-server`,
    clientAddress: '198.18.1.2',
    publicAddress: '198.19.0.1',
    serverAddress: '198.19.0.2',
  };
  const made: string[] = [];
  t.teardown(() => {
    for (const netns of made) spawnSync('ip', ['netns', 'del', netns], { timeout: 10_000 });
  });
  for (const netns of [hosts.client, hosts.router, hosts.server]) {
    ip('netns', 'add', netns);
    made.push(netns);
    ip('-n', netns, 'link', 'set', 'lo', 'up');
  }
  ip('link', 'add', 'c0', 'netns', hosts.client, 'type', 'veth', 'peer', 'name', 'r0', 'netns', hosts.router);
  ip('link', 'add', 'r1', 'netns', hosts.router, 'type', 'veth', 'peer', 'name', 's0', 'netns', hosts.server);
  const link = (netns: string, dev: string, cidr: string) => {
    ip('-n', netns, 'addr', 'add', cidr, 'dev', dev);
    // No IPv6 link-local address: the kernel would add it a second or two after the link comes up
    // (duplicate address detection), and Chromium, started by then, fails the page it is loading
    // with ERR_NETWORK_CHANGED.
    ip('-n', netns, 'link', 'set', dev, 'addrgenmode', 'none');
    ip('-n', netns, 'link', 'set', dev, 'up');
  };
  link(hosts.client, 'c0', '198.18.1.2/24');
  link(hosts.router, 'r0', '198.18.1.1/24');
  link(hosts.router, 'r1', '198.19.0.1/24');
  link(hosts.server, 's0', '198.19.0.2/24');
  ip('-n', hosts.client, 'route', 'add', 'default', 'via', '198.18.1.1');
  execFileSync(...inHost(hosts.router, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']), { timeout: 10_000 });
  execFileSync(...inHost(hosts.router, ['nft', '-f', '-']), {
    input: 'table ip nat {\n  chain postrouting {\n    type nat hook postrouting priority srcnat;\n    oifname "r1" masquerade\n  }\n}\n',
    timeout: 10_000,
  });
  return hosts;
}
