// The mDNS channel against Python zeroconf, a DNS-SD implementation of its own, across a veth link
// between two network namespaces: what one announces the other sees, with the same TXT and SRV, and
// a goodbye takes the node away.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseBeacon } from '../../src/federation/beacon.js';
import { twoHosts, twoHostsMissing } from '../helpers/two-hosts.js';

const NODE = fileURLToPath(new URL('../helpers/mdns-node.ts', import.meta.url));
const ZEROCONF = fileURLToPath(new URL('../helpers/zeroconf-peer.py', import.meta.url));
const PYTHON = '/usr/bin/python3';
const ID_A = 'a'.repeat(26);
const ID_B = 'b'.repeat(26);

const zeroconfMissing =
  spawnSync(PYTHON, ['-c', 'import zeroconf'], { timeout: 10_000 }).status !== 0 ? 'python3-zeroconf missing (apt-get install python3-zeroconf)' : false;
const skip = twoHostsMissing || zeroconfMissing;

/** A child's stdout as JSON events, each resolved by the first event that matches. */
class Events {
  private readonly seen: Record<string, unknown>[] = [];
  private readonly waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];

  constructor(readonly child: ChildProcess, readonly name: string) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      this.seen.push(event);
      for (const w of this.waiters.filter((w) => w.match(event))) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(event);
      }
    });
  }

  next(match: (e: Record<string, unknown>) => boolean, ms = 15_000): Promise<Record<string, unknown>> {
    const had = this.seen.find(match);
    if (had) return Promise.resolve(had);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no such event in ${ms} ms; saw ${JSON.stringify(this.seen)}`)), ms);
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }
}

function run(t: { teardown(fn: () => unknown): void }, netns: string, name: string, argv: string[]): Events {
  const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    if (process.env.MDNS_TEST_DEBUG) console.error(`${name} stderr:\n${stderr}`);
  });
  return new Events(child, name);
}

function ourNode(t: { teardown(fn: () => unknown): void }, netns: string, mode: 'browse' | 'announce') {
  const args = { beacon: { id: ID_A, domain: 'node-a.mesh', address: '198.18.5.1', port: 8443, seq: 7 }, sipPort: 5060, mode };
  return run(t, netns, 'trucada', [process.execPath, ...process.execArgv, NODE, JSON.stringify(args)]);
}

t.test('our announcement is seen by zeroconf with its TXT and SRV, and again when seq changes', { skip, timeout: 45_000 }, async (t) => {
  const hosts = twoHosts(t);
  const browser = run(t, hosts.b, 'zeroconf', [PYTHON, ZEROCONF, 'browse', hosts.bAddress]);
  await browser.next((e) => e['browsing'] === true);
  const node = ourNode(t, hosts.a, 'announce');
  await node.next((e) => e['started'] === true);

  const trucada = await browser.next((e) => e['type'] === '_trucada._tcp.local.' && e['name'] === `${ID_A}._trucada._tcp.local.`);
  t.same(trucada['txt'], { id: ID_A, domain: 'node-a.mesh', seq: '7', port: '8443' }, 'the TXT keys of the beacon');
  t.equal(trucada['port'], 8443, 'SRV: the HTTPS port');
  t.equal(trucada['server'], `trucada-${ID_A}.local.`, 'SRV: our host');
  const addresses = trucada['addresses'] as string[];
  t.same(addresses.filter((a) => !a.includes(':')), [hosts.aAddress], 'A: the address on the link');
  t.ok(addresses.some((a) => a.startsWith('fe80:')), 'AAAA: the link-local IPv6 address of the link');
  for (const type of ['_sip._udp.local.', '_sip._tcp.local.']) {
    const sip = await browser.next((e) => e['type'] === type);
    t.equal(sip['port'], 5060, `${type} on the SIP port`);
  }

  node.child.stdin!.write('seq 8\n');
  const updated = await browser.next((e) => e['state'] === 'Updated' && (e['txt'] as Record<string, string>)['seq'] === '8');
  t.equal((updated['txt'] as Record<string, string>)['id'], ID_A, 'seq 8 announced again within a poll');

  node.child.kill('SIGTERM');
  await browser.next((e) => e['removed'] === `${ID_A}._trucada._tcp.local.`);
  t.pass('the goodbye at stop removes it');
});

t.test('a service zeroconf publishes is heard as a beacon, and its goodbye makes it gone', { skip, timeout: 45_000 }, async (t) => {
  const hosts = twoHosts(t);
  const node = ourNode(t, hosts.a, 'browse');
  await node.next((e) => e['started'] === true);
  const txt = { id: ID_B, domain: 'node-b.mesh', seq: '3', port: '8444' };
  const publisher = run(t, hosts.b, 'zeroconf', [PYTHON, ZEROCONF, 'publish', hosts.bAddress, JSON.stringify(txt)]);
  await publisher.next((e) => e['registered'] === true);

  const heard = await node.next((e) => typeof e['heard'] === 'string');
  const parsed = parseBeacon(heard['heard'] as string);
  t.ok(parsed.ok, 'the beacon parses');
  if (parsed.ok) t.same(parsed.beacon, { id: ID_B, domain: 'node-b.mesh', address: hosts.bAddress, port: 8444, seq: 3 });

  publisher.child.stdin!.end();
  await publisher.next((e) => e['unregistered'] === true);
  const gone = await node.next((e) => e['gone'] !== undefined, 10_000);
  t.equal(gone['gone'], ID_B, 'gone after the goodbye');
});
