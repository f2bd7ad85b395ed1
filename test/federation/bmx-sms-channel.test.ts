// The bmx sms channel on a real file system laid out as bmx6's sms plugin keeps it: the test plays
// bmx, reading sendSms and writing rcvdSms (no bmx6 or bmx7 is packaged for Debian).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { encodeBeacon, type Beacon } from '../../src/federation/beacon.js';
import { BmxSmsChannel, MAX_FILES } from '../../src/federation/bmx-sms-channel.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const SELF: Beacon = { id: 'a'.repeat(26), domain: 'self.mesh', address: '10.0.0.1', port: 8443, seq: 1 };
const PEER: Beacon = { id: 'b'.repeat(26), domain: 'peer.mesh', address: '10.0.0.2', port: 8443, seq: 4 };

function setup(t: { teardown(fn: () => unknown): void }, withBmx = true) {
  const root = tempDir(t);
  const runDir = join(root, 'bmx6');
  if (withBmx) {
    mkdirSync(join(runDir, 'sms', 'sendSms'), { recursive: true });
    mkdirSync(join(runDir, 'sms', 'rcvdSms'), { recursive: true });
  }
  const events: string[] = [];
  const warnings: string[] = [];
  let own = SELF;
  const logger = { ...createLogger('error', () => {}), warn: (m: string) => void warnings.push(m) };
  const channel = new BmxSmsChannel(
    {
      sink: { heard: (text, channel) => void events.push(`heard ${channel} ${text.toString().trim()}`), gone: (id, channel) => void events.push(`gone ${channel} ${id}`) },
      own: () => own,
      clock: new FakeClock(),
      logger,
    },
    { runDirs: [runDir] },
  );
  t.teardown(() => channel.stop());
  const sent = join(runDir, 'sms', 'sendSms', 'trucada');
  const received = (origin: string) => join(runDir, 'sms', 'rcvdSms', `${origin}:trucada`);
  return { runDir, channel, events, warnings, sent, received, setOwn: (b: Beacon) => void (own = b) };
}

t.test('the beacon goes to sendSms/trucada, and is rewritten when it changes', async (t) => {
  const s = setup(t);
  await s.channel.poll();
  t.equal(readFileSync(s.sent, 'utf8'), encodeBeacon(SELF));
  const inode = statSync(s.sent).ino;
  s.setOwn({ ...SELF, seq: 12345 });
  await s.channel.poll();
  t.equal(readFileSync(s.sent, 'utf8'), encodeBeacon({ ...SELF, seq: 12345 }), 'a longer beacon');
  s.setOwn({ ...SELF, seq: 2 });
  await s.channel.poll();
  t.equal(readFileSync(s.sent, 'utf8'), encodeBeacon({ ...SELF, seq: 2 }), 'a shorter one is cut to length');
  t.equal(statSync(s.sent).ino, inode, 'written in place, as the node may not create files there on OpenWrt');
  t.same(s.warnings, []);
});

t.test('where no bmx runs, nothing is written', async (t) => {
  const s = setup(t, false);
  await s.channel.poll();
  t.notOk(existsSync(s.runDir), 'the run dir is not made');
  t.same(s.events, []);
});

t.test('beacons in rcvdSms are heard per origin; a node whose file is gone for two polls is gone', async (t) => {
  const s = setup(t);
  writeFileSync(s.received('node2.AB12CD34'), encodeBeacon(PEER));
  writeFileSync(join(s.runDir, 'sms', 'rcvdSms', 'node2.AB12CD34:qmp_key'), 'not ours');
  await s.channel.poll();
  t.same(s.events, [`heard bmx6 node2.AB12CD34 ${encodeBeacon(PEER).trim()}`]);
  unlinkSync(s.received('node2.AB12CD34'));
  s.events.length = 0;
  await s.channel.poll();
  t.same(s.events, [], 'one poll without it could fall between bmx deleting and rewriting the file');
  await s.channel.poll();
  t.same(s.events, [`gone bmx6 node2.AB12CD34 ${PEER.id}`]);
});

t.test('an empty file, as a node that stopped leaves it, counts as no beacon', async (t) => {
  const s = setup(t);
  writeFileSync(s.received('0123abcd'), encodeBeacon(PEER));
  await s.channel.poll();
  writeFileSync(s.received('0123abcd'), '');
  s.events.length = 0;
  await s.channel.poll();
  await s.channel.poll();
  t.same(s.events, [`gone bmx6 0123abcd ${PEER.id}`]);
});

t.test('the first line is the beacon: a shorter beacon written in place may still show the old tail', async (t) => {
  const s = setup(t);
  writeFileSync(s.received('node2.X'), `${encodeBeacon(PEER)}99\n`);
  await s.channel.poll();
  t.same(s.events, [`heard bmx6 node2.X ${encodeBeacon(PEER).trim()}`]);
});

t.test('a file whose beacon names another node: the first is gone, the second heard', async (t) => {
  const s = setup(t);
  writeFileSync(s.received('node2.X'), encodeBeacon(PEER));
  await s.channel.poll();
  const other = { ...PEER, id: 'c'.repeat(26) };
  writeFileSync(s.received('node2.X'), encodeBeacon(other));
  s.events.length = 0;
  await s.channel.poll();
  t.same(s.events, [`heard bmx6 node2.X ${encodeBeacon(other).trim()}`, `gone bmx6 node2.X ${PEER.id}`]);
});

t.test('what bmx would not write is not read: large files, links, FIFOs, odd names', async (t) => {
  const s = setup(t);
  const secret = join(s.runDir, 'secret');
  writeFileSync(secret, encodeBeacon(PEER));
  symlinkSync(secret, s.received('link'));
  writeFileSync(s.received('big'), `${encodeBeacon(PEER)}${'x'.repeat(300)}`);
  execFileSync('mkfifo', [s.received('fifo')]);
  writeFileSync(s.received('bad name'), encodeBeacon(PEER));
  await s.channel.poll();
  t.same(s.events, [], 'none of them is heard, and the poll does not wait on the FIFO');
});

t.test('text that is no beacon is handed on for the sink to refuse, and keeps no node', async (t) => {
  const s = setup(t);
  writeFileSync(s.received('node9.Z'), 'hello\n');
  await s.channel.poll();
  await s.channel.poll();
  t.same(s.events, ['heard bmx6 node9.Z hello', 'heard bmx6 node9.Z hello']);
});

t.test(`at most ${MAX_FILES} files are read per poll`, async (t) => {
  const s = setup(t);
  for (let i = 0; i <= MAX_FILES; i++) writeFileSync(s.received(`n${i}`), 'x\n');
  await s.channel.poll();
  t.equal(s.events.length, MAX_FILES);
  t.match(s.warnings, [/1025 beacon files/]);
});

t.test('stop takes the beacon out of the description', async (t) => {
  const s = setup(t);
  await s.channel.poll();
  t.ok(existsSync(s.sent));
  await s.channel.stop();
  t.notOk(existsSync(s.sent));
});
