/**
 * Two real nodes on loopback that find each other only through the bmx sms files or only through
 * LibreMesh's shared-state, with no static peer: each fetches and verifies the other's descriptor,
 * alice@node1.mesh and bob@node2.mesh message each other, and a node that withdraws leaves.
 *
 * Debian packages neither bmx6/bmx7 nor shared-state-async. The test plays bmx: it carries each
 * node's sendSms/trucada into the other's rcvdSms/<origin>:trucada, as bmx's description flooding
 * does, and deletes it when the sender withdraws it, as bmx does when a description changes. For
 * shared-state it puts the stand-in command line (test/helpers/fake-shared-state-async.mjs) on the
 * PATH, both nodes sharing the one store file that plays the synced mesh-wide state.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { Messager, UserAgent } from 'sip.js';
import type { Config } from '../../src/config/config.js';
import { until } from '../helpers/sip-ua.js';
import { finalStatus, startSipJsPhone, type SipJsPhone } from '../helpers/sipjs-phone.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestNodeWith, testConfig, type TestNode } from '../helpers/test-node.js';
import { installSipWebSocket, type SipSockets } from '../helpers/ws-for-sip-clients.js';

const PEER_TIMEOUT = 10;
/** bmx files are read as they change (every 5 s where they cannot be watched), shared-state every PEER_TIMEOUT / 3: met within a few rounds. */
const MEET_MS = 30_000;

function joinedOver(node: TestNode, domain: string, channel: string): boolean {
  return node.logs.some((l) => l.includes(`(${domain}) at 127.0.0.1 joined (${channel}`));
}

function leftOver(node: TestNode, domain: string, channel: string): boolean {
  return node.logs.some((l) => l.includes(`(${domain}) left: no longer announced (${channel}`));
}

function showLogsOnFailure(t: Test, nodes: TestNode[]): void {
  t.teardown(() => {
    if (t.passing()) return;
    for (const n of nodes) t.comment(`${n.config.domain}:\n${n.logs.slice(-60).join('\n')}`);
  });
}

async function phone(t: Test, sockets: SipSockets, node: TestNode, user: string, password: string): Promise<SipJsPhone> {
  const p = await startSipJsPhone(t, sockets, { server: `ws://127.0.0.1:${node.config.httpPort}`, name: user, user, password, domain: node.config.domain });
  await p.register();
  return p;
}

/** alice and bob message each other across the two nodes; both get there. */
async function messagesCross(t: Test, node1: TestNode, node2: TestNode): Promise<void> {
  const sockets = installSipWebSocket(t);
  const alice = await phone(t, sockets, node1, 'alice', 'alice-secret');
  const bob = await phone(t, sockets, node2, 'bob', 'bob-secret');
  const inbox: string[] = [];
  for (const p of [alice, bob]) p.ua.delegate = { ...p.ua.delegate, onMessage: (m) => { inbox.push(`${m.request.from.uri.toString()} ${m.request.body}`); void m.accept(); } };
  const send = (from: SipJsPhone, to: string, body: string) =>
    finalStatus((requestDelegate) => new Messager(from.ua, UserAgent.makeURI(to)!, body, 'text/plain').message({ requestDelegate }), `the MESSAGE to ${to} to be answered`);
  t.equal(await send(alice, 'sip:bob@node2.mesh', 'hola bob'), 200);
  t.equal(await send(bob, 'sip:alice@node1.mesh', 'hola alice'), 200);
  t.same(inbox, ['sip:alice@node1.mesh hola bob', 'sip:bob@node2.mesh hola alice']);
}

t.test('bmx sms: the nodes find each other through the files bmx carries, and one that stops leaves', async (t) => {
  const root = tempDir(t);
  const runDir = (n: number) => join(root, `node${n}`, 'bmx6');
  for (const n of [1, 2]) for (const sub of ['sendSms', 'rcvdSms']) mkdirSync(join(runDir(n), 'sms', sub), { recursive: true });
  const configs: Config[] = [];
  for (const n of [1, 2]) configs.push(await testConfig(t, { domain: `node${n}.mesh`, peerTimeout: PEER_TIMEOUT, bmx: 'auto', bmxRunDirs: [runDir(n)] }));
  const node1 = await startTestNodeWith(t, configs[0]!, { alice: 'alice-secret' });
  const node2 = await startTestNodeWith(t, configs[1]!, { bob: 'bob-secret' });
  showLogsOnFailure(t, [node1, node2]);

  // bmx: node n's sendSms reaches the other as <hostname>.<key id>:trucada.
  const carried = (from: number, to: number) => join(runDir(to), 'sms', 'rcvdSms', `node${from}.0000${from}ABC:trucada`);
  const carry = () => {
    for (const [from, to] of [[1, 2], [2, 1]] as const) {
      const sent = join(runDir(from), 'sms', 'sendSms', 'trucada');
      if (existsSync(sent)) writeFileSync(carried(from, to), readFileSync(sent));
      else rmSync(carried(from, to), { force: true });
    }
  };
  const bmx = setInterval(carry, 500);
  t.teardown(() => clearInterval(bmx));
  await until(() => joinedOver(node1, 'node2.mesh', 'bmx6 node2.00002ABC') && joinedOver(node2, 'node1.mesh', 'bmx6 node1.00001ABC'), 'each node to accept the other over bmx6', MEET_MS);
  await messagesCross(t, node1, node2);

  await node2.stop();
  t.notOk(existsSync(join(runDir(2), 'sms', 'sendSms', 'trucada')), 'node2 took its beacon out of its description when it stopped');
  await until(() => leftOver(node1, 'node2.mesh', 'bmx6 node2.00002ABC'), 'node2 to leave node1 once bmx no longer carries it', MEET_MS);
});

t.test('shared-state: the nodes find each other as entries of the data type trucada', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'bin'));
  symlinkSync(fileURLToPath(new URL('../helpers/fake-shared-state-async.mjs', import.meta.url)), join(root, 'bin', 'shared-state-async'));
  const saved = { PATH: process.env.PATH, FAKE_SHARED_STATE: process.env.FAKE_SHARED_STATE };
  process.env.PATH = `${join(root, 'bin')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  process.env.FAKE_SHARED_STATE = join(root, 'store.json');
  t.teardown(() => Object.assign(process.env, saved));

  const c1 = await testConfig(t, { domain: 'node1.mesh', peerTimeout: PEER_TIMEOUT, sharedState: 'auto' });
  const c2 = await testConfig(t, { domain: 'node2.mesh', peerTimeout: PEER_TIMEOUT, sharedState: 'auto' });
  const node1 = await startTestNodeWith(t, c1, { alice: 'alice-secret' });
  const node2 = await startTestNodeWith(t, c2, { bob: 'bob-secret' });
  showLogsOnFailure(t, [node1, node2]);
  await until(() => joinedOver(node1, 'node2.mesh', 'shared-state') && joinedOver(node2, 'node1.mesh', 'shared-state'), 'each node to accept the other over shared-state', MEET_MS);
  await messagesCross(t, node1, node2);

  await node2.stop();
  const store = JSON.parse(readFileSync(join(root, 'store.json'), 'utf8'));
  const values = Object.values(store.data.trucada as Record<string, string>);
  t.same(values.map((v) => (v === '' ? 'withdrawn' : v.split(' ')[2])).sort(), ['node1.mesh', 'withdrawn'], 'node2 left an empty entry when it stopped');
  await until(() => leftOver(node1, 'node2.mesh', 'shared-state'), 'node2 to leave node1 at its next read', MEET_MS);
});
