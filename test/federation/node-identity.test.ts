import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { base32, fingerprintOf, loadOrCreateIdentity, nodeIdOf, NODE_KEY_FILE, publicKeyFromRaw, rawPublicKey } from '../../src/federation/node-identity.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../helpers/temp-dir.js';

t.test('base32 is RFC 4648 §10 in lower case without padding', async (t) => {
  const vectors: Array<[string, string]> = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
  for (const [input, output] of vectors) t.equal(base32(Buffer.from(input)), output, JSON.stringify(input));
});

t.test('the id is 128 bits of SHA-256 over the raw public key, in 26 base32 characters', async (t) => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  t.equal(raw.length, 32);
  t.same(raw, Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'), 'the same bytes as the JWK x');
  const id = nodeIdOf(publicKey);
  t.match(id, /^[a-z2-7]{26}$/);
  t.equal(id, base32(createHash('sha256').update(raw).digest().subarray(0, 16)));
  t.not(nodeIdOf(generateKeyPairSync('ed25519').publicKey), id, 'another key, another id');
  t.match(fingerprintOf(publicKey), /^SHA256:[A-Za-z0-9+/]{43}$/);
  t.throws(() => nodeIdOf(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey), /not an Ed25519 key/);
});

t.test('a key made from its raw bytes is that key: it verifies its signatures and gives the same id and fingerprint', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const key = publicKeyFromRaw(raw);
  if (key === undefined) throw new Error('no key from 32 raw bytes');
  t.same(key.export({ format: 'der', type: 'spki' }), publicKey.export({ format: 'der', type: 'spki' }), 'the same key as exported');
  t.same(rawPublicKey(key), raw);
  t.equal(nodeIdOf(key), nodeIdOf(publicKey));
  t.equal(fingerprintOf(key), fingerprintOf(publicKey));
  const data = Buffer.from('descriptor');
  t.ok(verify(null, data, key, sign(null, data, privateKey)));
  t.same(rawPublicKey(publicKey), raw, 'the second look at a key gives the bytes the first did');
  t.equal(publicKeyFromRaw(raw.subarray(0, 31)), undefined, '31 bytes are no key');
  t.equal(publicKeyFromRaw(Buffer.concat([raw, Buffer.alloc(1)])), undefined, '33 bytes are no key');
});

t.test('the key is made at first start, private to its owner, and the same one is loaded after', async (t) => {
  const dir = tempDir(t);
  const logs: string[] = [];
  const first = loadOrCreateIdentity(dir, { ...silentLogger, info: (m) => logs.push(m) });
  const path = join(dir, NODE_KEY_FILE);
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.same(readdirSync(dir), [NODE_KEY_FILE], 'no temporary file left');
  t.match(logs[0], new RegExp(`node id ${first.id}, fingerprint ${first.fingerprint.replace(/[+/]/g, '\\$&')}`));
  const again = loadOrCreateIdentity(dir, silentLogger);
  t.equal(again.id, first.id);
  t.equal(again.fingerprint, first.fingerprint);
  const data = Buffer.from('descriptor');
  t.ok(verify(null, data, first.publicKey, sign(null, data, again.privateKey)), 'the loaded private key is the one made');
});

t.test('a damaged or foreign key file stops the start instead of making a new identity', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, NODE_KEY_FILE);
  writeFileSync(path, 'not a key');
  t.throws(() => loadOrCreateIdentity(dir, silentLogger), /damaged.*remove it/);
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  writeFileSync(path, ec.export({ format: 'pem', type: 'pkcs8' }));
  t.throws(() => loadOrCreateIdentity(dir, silentLogger), /is ec, not Ed25519/);
  t.ok(existsSync(path), 'the file is left for the operator');
});
