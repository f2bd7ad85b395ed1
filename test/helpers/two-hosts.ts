/**
 * Two test hosts on one link, in network namespaces of the test's own:
 *
 *   a 198.18.5.1/24 --- veth --- 198.18.5.2/24 b
 *
 * as two mesh nodes in one layer-2 cloud. Nothing is added to the machine's own namespace, the
 * addresses are from the benchmarking range 198.18.0.0/15, and the namespaces go when the test ends.
 * Needs root and iproute2.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export interface TwoHosts {
  readonly a: string;
  readonly b: string;
  readonly aAddress: string;
  readonly bAddress: string;
}

export const twoHostsMissing: string | false =
  process.getuid?.() !== 0
    ? 'network namespaces need root'
    : spawnSync('sh', ['-c', 'command -v ip']).status !== 0
      ? 'ip missing (apt-get install iproute2)'
      : false;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });

export function twoHosts(t: { teardown(fn: () => unknown): void }): TwoHosts {
  const tag = `trucada-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const hosts = { a: `${tag}-a`, b: `${tag}-b`, aAddress: '198.18.5.1', bAddress: '198.18.5.2' };
  const made: string[] = [];
  t.teardown(() => {
    for (const netns of made) spawnSync('ip', ['netns', 'del', netns], { timeout: 10_000 });
  });
  for (const netns of [hosts.a, hosts.b]) {
    ip('netns', 'add', netns);
    made.push(netns);
    ip('-n', netns, 'link', 'set', 'lo', 'up');
  }
  ip('link', 'add', 'va', 'netns', hosts.a, 'type', 'veth', 'peer', 'name', 'vb', 'netns', hosts.b);
  for (const [netns, dev, cidr] of [[hosts.a, 'va', '198.18.5.1/24'], [hosts.b, 'vb', '198.18.5.2/24']] as const) {
    ip('-n', netns, 'addr', 'add', cidr, 'dev', dev);
    ip('-n', netns, 'link', 'set', dev, 'up');
    // Multicast leaves by the link, not by a default route (there is none).
    ip('-n', netns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
  }
  return hosts;
}
