import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nodeIdOf } from '../../src/federation/node-identity.js';
import { Pins, PINS_FILE } from '../../src/federation/pins.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../helpers/temp-dir.js';

const key = () => generateKeyPairSync('ed25519').publicKey;

function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l.trimEnd()));
  return { dir, logs, path: join(dir, PINS_FILE), pins: () => new Pins(dir, logger) };
}

t.test('a key is pinned on first sight, kept across restarts, and the file written only on change', async (t) => {
  const s = setup(t);
  const k = key();
  const id = nodeIdOf(k);
  const pins = s.pins();
  t.notOk(existsSync(s.path), 'nothing written before a node is seen');
  t.equal(pins.check(id, k), 'pinned');
  await pins.flush();
  t.equal(statSync(s.path).mode & 0o777, 0o600);
  // Every write renames a new file into place: the inode tells whether one happened.
  const inode = statSync(s.path).ino;
  t.equal(pins.check(id, k), 'known');
  t.equal(statSync(s.path).ino, inode, 'a known key writes nothing');
  const other = key();
  t.equal(pins.check(nodeIdOf(other), other), 'pinned');
  await pins.flush();
  t.not(statSync(s.path).ino, inode, 'a new node is written');
  t.equal(s.pins().check(id, k), 'known', 'after a restart');
  t.ok(s.logs.some((l) => l.startsWith(`info: pinned the key of node ${id}: SHA256:`)));
});

t.test('another key for a pinned id is refused and logged once', async (t) => {
  const s = setup(t);
  const k = key();
  const id = nodeIdOf(k);
  const pins = s.pins();
  pins.check(id, k);
  await pins.flush();
  const rogue = key();
  t.equal(pins.check(id, rogue), 'refused');
  t.equal(pins.check(id, rogue), 'refused');
  t.equal(s.logs.filter((l) => l.startsWith(`warn: refused node ${id}: it now shows key`)).length, 1, 'one line, not one per poll');
  t.equal(s.pins().check(id, rogue), 'refused', 'also after a restart');
  t.equal(pins.check(id, k), 'known', 'the pinned key still works');
});

t.test('a damaged pins file is moved aside, loudly', async (t) => {
  const s = setup(t);
  for (const text of ['{', '[]', '{"short":"x"}', `{"${'a'.repeat(26)}":7}`]) {
    writeFileSync(s.path, text);
    const k = key();
    const pins = s.pins();
    t.equal(pins.check(nodeIdOf(k), k), 'pinned', text);
    await pins.flush();
    t.equal(readFileSync(`${s.path}.damaged`, 'utf8'), text, 'kept for the operator');
    t.ok(s.logs.some((l) => l.startsWith(`error: ${s.path} is damaged`)));
  }
});

t.test('pins made while the file is being written hold at once and go together in the next write', async (t) => {
  const s = setup(t);
  const pins = s.pins();
  const keys = [key(), key(), key()];
  for (const k of keys) t.equal(pins.check(nodeIdOf(k), k), 'pinned');
  t.notOk(existsSync(s.path), 'check() does not wait for the flash');
  for (const k of keys) t.equal(pins.check(nodeIdOf(k), k), 'known', 'pinned before the file is written');
  await pins.flush();
  const restarted = s.pins();
  for (const k of keys) t.equal(restarted.check(nodeIdOf(k), k), 'known', 'all in the file');
  t.same(Object.keys(JSON.parse(readFileSync(s.path, 'utf8'))).sort(), keys.map((k) => nodeIdOf(k)).sort());
});
