// The bmx sms channel on a real file system laid out as bmx6's sms plugin keeps it: the test plays
// bmx, reading sendSms and writing rcvdSms (no bmx6 or bmx7 is packaged for Debian). The reading
// rules run on a fake clock with explicit polls; the watch of rcvdSms runs on the real clock and
// inotify, with the periodic reads set far off so that only the watch can have heard a change.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { systemClock, type Clock } from '../../src/clock.js';
import { encodeBeacon, type Beacon } from '../../src/federation/beacon.js';
import { BMX_POLL_MS, BmxSmsChannel, LEAVE_AFTER_MS, MAX_FILES, type BmxSmsOptions } from '../../src/federation/bmx-sms-channel.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { until } from '../helpers/sip-ua.js';
import { tempDir } from '../helpers/temp-dir.js';

const SELF: Beacon = { id: 'a'.repeat(26), domain: 'self.mesh', address: '10.0.0.1', port: 8443, seq: 1 };
const PEER: Beacon = { id: 'b'.repeat(26), domain: 'peer.mesh', address: '10.0.0.2', port: 8443, seq: 4 };

interface Setup {
  withBmx?: boolean;
  clock?: Clock;
  options?: Omit<BmxSmsOptions, 'runDirs'>;
}

function setup(t: { teardown(fn: () => unknown): void }, { withBmx = true, clock = new FakeClock(), options = {} }: Setup = {}) {
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
      clock,
      logger,
    },
    { runDirs: [runDir], ...options },
  );
  t.teardown(() => channel.stop());
  const sent = join(runDir, 'sms', 'sendSms', 'trucada');
  const received = (origin: string) => join(runDir, 'sms', 'rcvdSms', `${origin}:trucada`);
  return { runDir, clock, channel, events, warnings, sent, received, setOwn: (b: Beacon) => void (own = b) };
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
  const s = setup(t, { withBmx: false });
  await s.channel.poll();
  t.notOk(existsSync(s.runDir), 'the run dir is not made');
  t.same(s.events, []);
});

/** Time passes on the fake clock; the recheck it fires runs before the next poll. */
async function later(s: ReturnType<typeof setup>, ms: number): Promise<void> {
  (s.clock as FakeClock).advance(ms);
  await s.channel.poll();
}

t.test(`beacons in rcvdSms are heard per origin; a node whose file is gone for ${LEAVE_AFTER_MS} ms is gone`, async (t) => {
  const s = setup(t);
  writeFileSync(s.received('node2.AB12CD34'), encodeBeacon(PEER));
  writeFileSync(join(s.runDir, 'sms', 'rcvdSms', 'node2.AB12CD34:qmp_key'), 'not ours');
  await s.channel.poll();
  t.same(s.events, [`heard bmx6 node2.AB12CD34 ${encodeBeacon(PEER).trim()}`]);
  unlinkSync(s.received('node2.AB12CD34'));
  s.events.length = 0;
  await s.channel.poll();
  await later(s, LEAVE_AFTER_MS - 1);
  t.same(s.events, [], 'a read without it could fall between bmx deleting and rewriting the file');
  await later(s, 1);
  t.same(s.events, [`gone bmx6 node2.AB12CD34 ${PEER.id}`]);
});

t.test('a file rewritten before the recheck keeps its node', async (t) => {
  const s = setup(t);
  writeFileSync(s.received('node2.X'), encodeBeacon(PEER));
  await s.channel.poll();
  unlinkSync(s.received('node2.X'));
  await s.channel.poll();
  writeFileSync(s.received('node2.X'), encodeBeacon({ ...PEER, seq: 5 }));
  s.events.length = 0;
  await later(s, LEAVE_AFTER_MS);
  await later(s, LEAVE_AFTER_MS);
  t.notOk(s.events.some((e) => e.startsWith('gone')), 'not gone');
});

t.test('an empty file, as a node that stopped leaves it, counts as no beacon', async (t) => {
  const s = setup(t);
  writeFileSync(s.received('0123abcd'), encodeBeacon(PEER));
  await s.channel.poll();
  writeFileSync(s.received('0123abcd'), '');
  s.events.length = 0;
  await s.channel.poll();
  await later(s, LEAVE_AFTER_MS);
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

// The watch, on the real clock. The periodic rounds are a minute apart: after the first (at start),
// only the watch reads rcvdSms within a test. The waits are bounded well under the 5 s bmx poll.
const FAR = { pollMs: 60_000, fullReadMs: 60_000 };
const WATCH_WAIT_MS = 3000;

async function started(t: Parameters<typeof setup>[0], options: Setup['options'] = FAR) {
  const s = setup(t, { clock: systemClock, options });
  await s.channel.start();
  // The first round (publish, watch, read) has run once the beacon is in sendSms.
  await until(() => existsSync(s.sent), 'the first round', WATCH_WAIT_MS);
  await sleep(50);
  return s;
}

async function timed(condition: () => boolean, what: string): Promise<number> {
  const from = performance.now();
  await until(condition, what, WATCH_WAIT_MS);
  return performance.now() - from;
}

t.test(`a file bmx writes into rcvdSms is heard at once, well within the ${BMX_POLL_MS / 1000} s read`, async (t) => {
  const s = await started(t);
  writeFileSync(s.received('node2.AB12CD34'), encodeBeacon(PEER));
  const ms = await timed(() => s.events.length > 0, 'the beacon to be heard');
  t.ok(ms < 1000, `heard after ${ms.toFixed(0)} ms`);
  t.same(s.events, [`heard bmx6 node2.AB12CD34 ${encodeBeacon(PEER).trim()}`]);
  t.same(s.warnings, []);
});

t.test(`a file bmx removes: its node leaves ${LEAVE_AFTER_MS} ms later, not at the next read`, async (t) => {
  const s = await started(t);
  writeFileSync(s.received('node2.AB12CD34'), encodeBeacon(PEER));
  await timed(() => s.events.length > 0, 'the beacon to be heard');
  unlinkSync(s.received('node2.AB12CD34'));
  const ms = await timed(() => s.events.some((e) => e.startsWith('gone')), 'the node to leave');
  t.ok(ms >= LEAVE_AFTER_MS && ms < LEAVE_AFTER_MS + 1500, `gone after ${ms.toFixed(0)} ms`);
  t.same(s.events.at(-1), `gone bmx6 node2.AB12CD34 ${PEER.id}`);
});

t.test('a burst of files is read once, together', async (t) => {
  const s = await started(t);
  const n = 20;
  for (let i = 0; i < n; i++) writeFileSync(s.received(`node${i}.A`), encodeBeacon({ ...PEER, id: `${'b'.repeat(24)}${'abcdefghijklmnopqrstuvwxyz'[i]}a` }));
  await timed(() => s.events.length >= n, `${n} beacons to be heard`);
  await sleep(400);
  t.equal(s.events.length, n, 'one read per file, though each was created and written (two events)');
});

t.test('an rcvdSms made again (bmx restarted) is watched again', async (t) => {
  const s = await started(t);
  const rcvd = join(s.runDir, 'sms', 'rcvdSms');
  writeFileSync(s.received('node2.A'), encodeBeacon(PEER));
  await timed(() => s.events.length === 1, 'the first beacon');
  // bmx6 empties rcvdSms when it starts; a new run dir is a new directory.
  rmSync(rcvd, { recursive: true });
  mkdirSync(rcvd);
  const other = { ...PEER, id: 'c'.repeat(26) };
  writeFileSync(s.received('node3.B'), encodeBeacon(other));
  const heard = await timed(() => s.events.includes(`heard bmx6 node3.B ${encodeBeacon(other).trim()}`), 'the beacon in the new rcvdSms');
  t.ok(heard < 1000, `the beacon in the new rcvdSms heard after ${heard.toFixed(0)} ms`);
  await timed(() => s.events.includes(`gone bmx6 node2.A ${PEER.id}`), 'the node whose file went with the old one to leave');
  t.pass('the node whose file went with the old rcvdSms left');
  writeFileSync(s.received('node4.C'), encodeBeacon({ ...PEER, id: 'd'.repeat(26) }));
  const later = await timed(() => s.events.some((e) => e.startsWith('heard bmx6 node4.C')), 'a later file in the new rcvdSms');
  t.ok(later < 1000, `a later file there heard after ${later.toFixed(0)} ms: the new directory is watched`);
});

t.test('an rcvdSms that bmx makes after the node started is watched from the next round', async (t) => {
  const s = setup(t, { clock: systemClock, options: { pollMs: 200, fullReadMs: 60_000 } });
  rmSync(join(s.runDir, 'sms', 'rcvdSms'), { recursive: true });
  await s.channel.start();
  await sleep(300);
  mkdirSync(join(s.runDir, 'sms', 'rcvdSms'));
  await sleep(500);
  s.events.length = 0;
  writeFileSync(s.received('node2.A'), encodeBeacon(PEER));
  const ms = await timed(() => s.events.length > 0, 'the beacon');
  t.ok(ms < 1000, `heard after ${ms.toFixed(0)} ms`);
});

t.test('after stop, nothing is watched', async (t) => {
  const s = await started(t);
  await s.channel.stop();
  writeFileSync(s.received('node2.A'), encodeBeacon(PEER));
  await sleep(400);
  t.same(s.events, []);
});
