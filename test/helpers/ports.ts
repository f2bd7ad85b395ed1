/**
 * Ports free for both UDP and TCP on the given loopback addresses, for tests that start real
 * listeners on fixed ports (SIP listens on UDP and TCP at once, so port 0 cannot be used).
 */
import dgram from 'node:dgram';
import net from 'node:net';

type Holder = { close(done: () => void): unknown };

const release = (held: Holder[]) => Promise.all(held.map((h) => new Promise<void>((resolve) => h.close(() => resolve()))));

function holdTcp(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true, ipv6Only: net.isIPv6(host) }, () => resolve(server));
  });
}

function holdUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ address: host, port, exclusive: true }, () => resolve(socket));
  });
}

/**
 * Candidates come from below Linux's ephemeral range (32768-60999): a port found free there and
 * released could otherwise be taken as the source port of another test's outgoing connection
 * before the node under test binds it.
 */
const FIRST_PORT = 20000;
const LAST_PORT = 32767;

function candidate(): number {
  return FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT + 1));
}

/** Hold every socket of one port candidate; undefined (and nothing held) when one is taken. */
async function tryPort(hosts: readonly string[]): Promise<{ port: number; held: Holder[] } | undefined> {
  const port = candidate();
  const held: Holder[] = [];
  try {
    for (const host of hosts) {
      held.push(await holdTcp(host, port));
      held.push(await holdUdp(host, port));
    }
    return { port, held };
  } catch {
    await release(held);
    return undefined;
  }
}

/** `n` distinct ports free for UDP and TCP on every address of `hosts`. */
export async function freePorts(n: number, hosts: readonly string[] = ['127.0.0.1']): Promise<number[]> {
  const found: { port: number; held: Holder[] }[] = [];
  for (let attempts = 0; found.length < n; attempts++) {
    if (attempts > 50 * n) throw new Error(`no ${n} free ports on ${hosts.join(', ')}`);
    const got = await tryPort(hosts);
    if (got) found.push(got);
  }
  await release(found.flatMap((f) => f.held));
  return found.map((f) => f.port);
}

/** Whether this machine has a usable IPv6 loopback. */
export async function hasIpv6Loopback(): Promise<boolean> {
  try {
    await release([await holdTcp('::1', 0)]);
    return true;
  } catch {
    return false;
  }
}
