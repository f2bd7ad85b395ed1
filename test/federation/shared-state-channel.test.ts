// The shared-state channel running a real command on PATH: a stand-in for LibreMesh's
// shared-state-async command line (test/helpers/fake-shared-state-async.mjs, as Debian packages no
// shared-state-async), over a file that plays the mesh-wide store.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { encodeBeacon, type Beacon } from '../../src/federation/beacon.js';
import { DATA_TYPE, SharedStateChannel } from '../../src/federation/shared-state-channel.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const FAKE = fileURLToPath(new URL('../helpers/fake-shared-state-async.mjs', import.meta.url));
const SELF: Beacon = { id: 'a'.repeat(26), domain: 'self.mesh', address: '10.0.0.1', port: 8443, seq: 1 };
const PEER: Beacon = { id: 'b'.repeat(26), domain: 'peer.mesh', address: '10.0.0.2', port: 8443, seq: 4 };

function setup(t: { teardown(fn: () => unknown): void }, installed = true) {
  const root = tempDir(t);
  const bin = join(root, 'bin');
  mkdirSync(bin);
  if (installed) symlinkSync(FAKE, join(bin, 'shared-state-async'));
  const store = join(root, 'store.json');
  const env: NodeJS.ProcessEnv = { PATH: `${bin}:${dirname(process.execPath)}`, FAKE_SHARED_STATE: store };
  const events: string[] = [];
  const lines: string[] = [];
  const logger = { ...createLogger('debug', (l) => void lines.push(l.trim())) };
  const channel = new SharedStateChannel(
    {
      sink: { heard: (text, channel) => void events.push(`heard ${channel} ${text.toString().trim()}`), gone: (id, channel) => void events.push(`gone ${channel} ${id}`) },
      own: () => SELF,
      clock: new FakeClock(),
      logger,
    },
    { env },
  );
  t.teardown(() => channel.stop());
  const entries = (): Record<string, unknown> => JSON.parse(readFileSync(store, 'utf8')).data[DATA_TYPE];
  const put = (data: Record<string, unknown>) => {
    const s = JSON.parse(readFileSync(store, 'utf8'));
    s.data[DATA_TYPE] = { ...s.data[DATA_TYPE], ...data };
    writeFileSync(store, JSON.stringify(s));
  };
  const drop = (key: string) => {
    const s = JSON.parse(readFileSync(store, 'utf8'));
    delete s.data[DATA_TYPE][key];
    writeFileSync(store, JSON.stringify(s));
  };
  return { channel, events, lines, env, store, entries, put, drop };
}

t.test('not installed: nothing runs, nothing is heard', async (t) => {
  const s = setup(t, false);
  await s.channel.poll();
  t.same(s.events, []);
  t.same(s.lines, []);
});

t.test('the data type is registered when unknown, and the beacon inserted under the node id', async (t) => {
  const s = setup(t);
  await s.channel.poll();
  t.same(s.entries(), { [SELF.id]: encodeBeacon(SELF) });
  t.match(s.lines, [/using .*shared-state-async/, /registered the data type trucada/]);
  t.same(JSON.parse(readFileSync(s.store, 'utf8')).types[DATA_TYPE], ['community', '30', '300'], 'community scope, 30 s rounds, 300 s TTL');
  t.same(s.events, [], 'its own entry is not heard');
});

t.test("the others' entries are heard; one that leaves the store is gone", async (t) => {
  const s = setup(t);
  await s.channel.poll();
  s.put({ [PEER.id]: encodeBeacon(PEER) });
  await s.channel.poll();
  t.same(s.events, [`heard shared-state ${encodeBeacon(PEER).trim()}`]);
  s.drop(PEER.id);
  s.events.length = 0;
  await s.channel.poll();
  t.same(s.events, [`gone shared-state ${PEER.id}`]);
});

t.test('an empty value is a node that withdrew', async (t) => {
  const s = setup(t);
  await s.channel.poll();
  s.put({ [PEER.id]: encodeBeacon(PEER) });
  await s.channel.poll();
  s.put({ [PEER.id]: '' });
  s.events.length = 0;
  await s.channel.poll();
  t.same(s.events, [`gone shared-state ${PEER.id}`]);
});

t.test('entries not under their own id, or not text, are refused', async (t) => {
  const s = setup(t);
  await s.channel.poll();
  s.put({ ['c'.repeat(26)]: encodeBeacon(PEER), other: { a: 1 } });
  await s.channel.poll();
  t.same(s.events, []);
  t.match(s.lines.join('\n'), /holds the beacon of node b{26}: refused/);
  t.match(s.lines.join('\n'), /"other" is not a beacon/);
});

t.test('a failing command is logged once, and again when it answers', async (t) => {
  const s = setup(t);
  await s.channel.poll();
  s.env.FAKE_SHARED_STATE_FAIL = 'Failure connecting to the local instance';
  await s.channel.poll();
  await s.channel.poll();
  t.equal(s.lines.filter((l) => l.includes('Failure connecting')).length, 1);
  t.match(s.lines.join('\n'), /warn: shared-state: shared-state-async insert trucada: F Failure connecting/);
  delete s.env.FAKE_SHARED_STATE_FAIL;
  await s.channel.poll();
  t.match(s.lines.at(-1), /answers again/);
});

t.test('stop leaves an empty value under the node id', async (t) => {
  const s = setup(t);
  await s.channel.poll();
  await s.channel.stop();
  t.same(s.entries(), { [SELF.id]: '' });
});
