// The simulated mesh's network: one network namespace per node, a veth pair per link, static routes
// along shortest paths, and nftables counters of what each node itself sends. Addresses come only
// from 198.18.0.0/15 (RFC 2544's benchmarking range, never routed on a real network):
//   - link k (0-based) is the /30 198.18.0.0 + 4k: its lower-numbered node takes .1, the other .2;
//   - node i has one stable address, 198.19.0.i/32 on its loopback, which it listens on, announces
//     and sends from (every route carries it as `src`), as a router's mesh address would be.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LINK_BASE = (198 << 24) | (18 << 16);
/** 198.18.0.0/16 holds 16384 /30s; node addresses are in 198.19.0.0/24. */
export const MAX_NODES = 250;
/** Ports every node uses: each is alone in its namespace. */
export const PORTS = { sip: 5060, http: 8080, https: 8443 };

export const nodeAddress = (i) => `198.19.0.${i}`;
const dotted = (n) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const linkAddress = (k, end) => dotted(LINK_BASE + 4 * k + end);

/** `ip netns` names are process-wide; the prefix carries the sim's pid so two sims never meet. */
export function namespaceNames(n, prefix = `trcsim-${process.pid}`) {
  return Array.from({ length: n + 1 }, (_, i) => (i === 0 ? null : `${prefix}-${i}`));
}

async function ip(args, input) {
  if (input === undefined) return run('ip', args, { timeout: 30_000 });
  // execFile cannot take stdin; the batch goes through spawnSync, which is quick for a few lines.
  const r = spawnSync('ip', args, { input, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r;
}

/**
 * Makes the namespaces, links and routes. `paths` is topology.shortestPaths(n, edges).
 * @returns {Promise<void>}
 */
export async function buildNetwork(ns, edges, paths) {
  const n = ns.length - 1;
  // The address of node i on its link to neighbour j, from that link's /30.
  const linkEnd = new Map();
  edges.forEach(([a, b], k) => {
    linkEnd.set(`${a}>${b}`, linkAddress(k, 1));
    linkEnd.set(`${b}>${a}`, linkAddress(k, 2));
  });
  for (let i = 1; i <= n; i += 1) {
    await ip(['netns', 'add', ns[i]]);
    // Before the links exist, so that each veth gets these as its defaults: no IPv6 (its router
    // solicitations and MLD reports would be counted as traffic), no reverse-path filter (two
    // shortest paths of equal length may go out and come back over different links).
    await run('ip', ['netns', 'exec', ns[i], 'sysctl', '-q', '-w',
      'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0',
      'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], { timeout: 10_000 });
  }
  // In node a the link to b is n<b>, and the other way round: names are per namespace.
  for (const [a, b] of edges) await ip(['link', 'add', `n${b}`, 'netns', ns[a], 'type', 'veth', 'peer', 'name', `n${a}`, 'netns', ns[b]]);
  for (let i = 1; i <= n; i += 1) {
    const lines = ['link set lo up', `addr add ${nodeAddress(i)}/32 dev lo`];
    for (const j of paths.neighbours[i]) lines.push(`addr add ${linkEnd.get(`${i}>${j}`)}/30 dev n${j}`, `link set n${j} up`);
    for (let v = 1; v <= n; v += 1) {
      if (v === i) continue;
      const hop = paths.next[i][v];
      lines.push(`route add ${nodeAddress(v)}/32 via ${linkEnd.get(`${hop}>${i}`)} dev n${hop} src ${nodeAddress(i)}`);
    }
    await ip(['-n', ns[i], '-batch', '-'], `${lines.join('\n')}\n`);
    await installCounters(ns[i]);
  }
}

/**
 * Counters on the output hook, which sees only packets this namespace's own sockets send (and the
 * kernel's answers for them, such as TCP ACKs); packets routed through the node for others take the
 * forward hook and are not counted. Loopback stays out (the node talking to itself). `sent` is
 * everything else; `https` the descriptor fetches, as server and as client (TCP port 8443 at either
 * end); `sip` SIP to or from port 5060. Bytes are IP packet lengths (IP header included, the 14-byte
 * Ethernet header not).
 */
async function installCounters(netns) {
  const rules = `table inet trcsim {
  counter sent {}
  counter https {}
  counter sip {}
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "lo" return
    counter name "sent"
    tcp sport ${PORTS.https} counter name "https"
    tcp dport ${PORTS.https} counter name "https"
    meta l4proto { tcp, udp } th sport ${PORTS.sip} counter name "sip"
    meta l4proto { tcp, udp } th dport ${PORTS.sip} th sport != ${PORTS.sip} counter name "sip"
  }
}
`;
  const r = spawnSync('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], { input: rules, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`nft in ${netns}: ${r.stderr || r.error?.message}`);
}

/**
 * What node's namespace has sent so far: its own packets by counter (bytes), and every byte its
 * interfaces transmitted, routed transit of others included.
 * @returns {Promise<{ sent: number, https: number, sip: number, interfaceTx: number }>}
 */
export async function readCounters(netns) {
  const [{ stdout: nft }, { stdout: links }] = await Promise.all([
    run('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'counters', 'table', 'inet', 'trcsim'], { timeout: 10_000 }),
    run('ip', ['-n', netns, '-s', '-j', 'link', 'show'], { timeout: 10_000 }),
  ]);
  const counters = {};
  for (const item of JSON.parse(nft).nftables) if (item.counter) counters[item.counter.name] = item.counter.bytes;
  const interfaceTx = JSON.parse(links)
    .filter((l) => l.ifname !== 'lo')
    .reduce((sum, l) => sum + l.stats64.tx.bytes, 0);
  return { sent: counters.sent, https: counters.https, sip: counters.sip, interfaceTx };
}

/** Deletes the namespaces (their veths go with them); never throws. Their processes must be gone. */
export function removeNetwork(ns) {
  for (const name of ns) if (name) spawnSync('ip', ['netns', 'del', name], { timeout: 10_000 });
}

/**
 * Namespaces a sim that was killed outright (SIGKILL) left behind: trcsim-<pid>-<i> whose pid is
 * no longer running. Their nodes, if any survived, are killed with them.
 */
export function removeLeftovers() {
  const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((name) => {
      const m = /^trcsim-(\d+)-\d+$/.exec(name);
      return m !== null && !alive(Number(m[1]));
    });
  for (const name of names) {
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 10_000 }).stdout.split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  removeNetwork(names);
  return names.length;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}
