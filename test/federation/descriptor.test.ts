import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { MAX_ADDRESSES, MAX_DESCRIPTOR_BYTES, MAX_USERS, parseDescriptor, signDescriptor, type DescriptorFields } from '../../src/federation/descriptor.js';
import { identityOf } from '../../src/federation/node-identity.js';
import { descriptorAddresses, OwnDescriptor, SEQ_BLOCK, SEQ_FILE } from '../../src/federation/own-descriptor.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../helpers/temp-dir.js';

const NODE1 = identityOf(generateKeyPairSync('ed25519').privateKey);
const OTHER = identityOf(generateKeyPairSync('ed25519').privateKey);
const T0 = Date.UTC(2026, 11, 6, 4, 0, 0);
const FIELDS: DescriptorFields = { domain: 'node1.mesh', sip: { udp: 5060, tcp: 5061 }, addresses: ['198.18.0.1', 'fd00::1'], seq: 3, time: T0, users: ['bob', 'alice'], online: ['bob'], offline: [] };

/** The descriptor as JSON, changed by `edit`, and re-serialised (the signature is left as it was). */
function edited(edit: (o: Record<string, unknown>) => void, identity = NODE1, fields = FIELDS): string {
  const o = JSON.parse(signDescriptor(identity, fields)) as Record<string, unknown>;
  edit(o);
  return JSON.stringify(o);
}

const refusal = (text: string | Buffer) => {
  const r = parseDescriptor(text);
  return r.ok ? 'accepted' : r.why;
};

t.test('a signed descriptor reads back as it was made, users sorted and unique', async (t) => {
  const text = signDescriptor(NODE1, { ...FIELDS, users: ['bob', 'alice', 'bob'] });
  t.match(text, /^\{"v":1,"id":"[a-z2-7]{26}","publicKey":"[A-Za-z0-9_-]{43}","domain":"node1\.mesh","sip":\{"udp":5060,"tcp":5061\},"addresses":\["198\.18\.0\.1","fd00::1"\],"seq":3,"time":\d+,"users":\["alice","bob"\],"online":\["bob"\],"offline":\[\],"sig":"[A-Za-z0-9_-]{86}"\}$/);
  const r = parseDescriptor(Buffer.from(text));
  if (!r.ok) throw new Error(r.why);
  t.equal(r.descriptor.id, NODE1.id);
  t.ok(r.descriptor.publicKey.equals(NODE1.publicKey));
  t.same({ ...r.descriptor, publicKey: undefined, id: undefined }, { ...FIELDS, users: ['alice', 'bob'], publicKey: undefined, id: undefined });
  t.equal(refusal(JSON.stringify(JSON.parse(text), null, 2)), 'accepted', 'the same fields in another spacing still verify');
});

t.test('any change to a signed field breaks the signature', async (t) => {
  const changes: Array<[string, (o: Record<string, unknown>) => void]> = [
    ['domain', (o) => (o.domain = 'node3.mesh')],
    ['a port', (o) => (o.sip = { udp: 5062, tcp: 5061 })],
    ['a transport dropped', (o) => (o.sip = { udp: 5060 })],
    ['seq', (o) => (o.seq = 4)],
    ['time', (o) => (o.time = T0 + 1)],
    ['a user added', (o) => (o.users = ['alice', 'bob', 'mallory'])],
    ['a user removed', (o) => (o.users = ['bob'])],
    ['an address added', (o) => (o.addresses = ['198.18.0.1', 'fd00::1', '198.18.66.6'])],
    ['an address replaced', (o) => (o.addresses = ['198.18.66.6', 'fd00::1'])],
    ['someone shown offline', (o) => ((o.online = []), (o.offline = ['bob']))],
    ['someone shown online', (o) => (o.online = ['alice', 'bob'])],
  ];
  for (const [what, change] of changes) t.equal(refusal(edited(change)), 'bad signature', what);
  const sig = (JSON.parse(signDescriptor(NODE1, FIELDS)) as { sig: string }).sig;
  const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
  t.equal(refusal(edited((o) => (o.sig = flipped))), 'bad signature', 'the signature itself');
});

t.test('the wrong key: signed by another node, or claiming another node\'s id', async (t) => {
  const other = JSON.parse(signDescriptor(OTHER, FIELDS)) as Record<string, unknown>;
  t.equal(refusal(edited((o) => (o.sig = other.sig))), 'bad signature', "node1's descriptor with another node's signature");
  t.equal(refusal(edited((o) => (o.publicKey = other.publicKey))), 'id is not the one its key derives', "node1's id with another key");
  t.equal(refusal(edited((o) => (o.id = NODE1.id), OTHER)), 'id is not the one its key derives', "another node's descriptor relabelled with node1's id");
  t.equal(refusal(edited((o) => (o.publicKey = 'A'.repeat(43)))), 'id is not the one its key derives');
  t.equal(refusal(edited((o) => (o.publicKey = 'not-a-key'))), 'publicKey is not an Ed25519 key');
});

t.test('size, shape and every field are checked before the signature', async (t) => {
  t.equal(refusal(Buffer.alloc(MAX_DESCRIPTOR_BYTES + 1, 0x20)), `larger than ${MAX_DESCRIPTOR_BYTES} bytes`);
  const padded = signDescriptor(NODE1, FIELDS).replace('{', `{${' '.repeat(MAX_DESCRIPTOR_BYTES)}`);
  t.equal(refusal(padded), `larger than ${MAX_DESCRIPTOR_BYTES} bytes`, 'even a valid one padded past the limit');
  t.equal(refusal('{"v":1'), 'not JSON');
  for (const v of ['[]', 'null', '"x"', '7']) t.equal(refusal(v), 'not a JSON object', v);
  t.match(refusal(edited((o) => (o.extra = 1))), /^fields are not exactly/);
  t.match(refusal(edited((o) => delete o.users)), /^fields are not exactly/);
  t.match(refusal(edited((o) => delete o.sig)), /^fields are not exactly/);
  t.match(refusal(signDescriptor(NODE1, FIELDS).replace('{', '{"__proto__":{},')), /^fields are not exactly/);
  t.equal(refusal(edited((o) => (o.v = 2))), 'version is not 1');
  t.equal(refusal(edited((o) => (o.id = 'NOT-AN-ID'))), 'id is not a node id');
  const bad: Array<[string, (o: Record<string, unknown>) => void, RegExp]> = [
    ['upper-case domain', (o) => (o.domain = 'Node1.mesh'), /^domain/],
    ['domain with a space', (o) => (o.domain = 'node 1.mesh'), /^domain/],
    ['no transport', (o) => (o.sip = {}), /^sip must/],
    ['a websocket transport', (o) => (o.sip = { ws: 80 }), /^sip must/],
    ['sip a list', (o) => (o.sip = [5060]), /^sip is not/],
    ['port 0', (o) => (o.sip = { udp: 0 }), /port/],
    ['port 65536', (o) => (o.sip = { udp: 65536 }), /port/],
    ['a port as text', (o) => (o.sip = { udp: '5060' }), /port/],
    ['no address', (o) => (o.addresses = []), /^addresses is not/],
    ['addresses as text', (o) => (o.addresses = '198.18.0.1'), /^addresses is not/],
    ['a host name', (o) => (o.addresses = ['node1.mesh']), /an address/],
    ['upper-case IPv6', (o) => (o.addresses = ['FD00::1']), /an address/],
    ['an address twice', (o) => (o.addresses = ['198.18.0.1', '198.18.0.1']), /unique/],
    ['too many addresses', (o) => (o.addresses = Array.from({ length: MAX_ADDRESSES + 1 }, (_, i) => `198.18.1.${i}`)), /more than/],
    ['negative seq', (o) => (o.seq = -1), /^seq/],
    ['fractional seq', (o) => (o.seq = 1.5), /^seq/],
    ['seq past 2^53', (o) => (o.seq = 2 ** 53), /^seq/],
    ['time as text', (o) => (o.time = String(T0)), /^time/],
    ['users not a list', (o) => (o.users = 'alice'), /^users/],
    ['a user with @', (o) => (o.users = ['a@b']), /user name/],
    ['a user not a string', (o) => (o.users = [7]), /user name/],
    ['users unsorted', (o) => (o.users = ['bob', 'alice']), /sorted/],
    ['a user twice', (o) => (o.users = ['alice', 'alice']), /sorted/],
    ['too many users', (o) => (o.users = Array.from({ length: MAX_USERS + 1 }, (_, i) => `u${String(i).padStart(4, '0')}`)), /more than/],
    ['online not a list', (o) => (o.online = 'bob'), /^online is not/],
    ['online unsorted', (o) => ((o.users = ['alice', 'bob']), (o.online = ['bob', 'alice'])), /online are not sorted/],
    ['online someone unpublished', (o) => (o.online = ['mallory']), /online names someone not in users/],
    ['offline someone unpublished', (o) => (o.offline = ['mallory']), /offline names someone not in users/],
    ['both online and offline', (o) => (o.offline = ['bob']), /both online and offline/],
    ['short signature', (o) => (o.sig = 'abc'), /^sig/],
  ];
  for (const [what, edit, why] of bad) t.match(refusal(edited(edit)), why, what);
  t.throws(() => signDescriptor(NODE1, { ...FIELDS, sip: {} }), /cannot sign/, 'nor does the node sign one');
});

t.test("the node's own descriptor: seq steps at every start and every change, and is kept in data_dir", async (t) => {
  const dir = tempDir(t);
  let users = ['alice'];
  let presence = { online: ['alice'], offline: [] as string[] };
  let addresses = ['198.18.0.1'];
  let now = T0;
  const own = () => new OwnDescriptor({
    identity: NODE1, dataDir: dir, domain: 'node1.mesh', sip: () => ({ udp: 5060 }), addresses: () => addresses, httpsPort: () => 8443, users: () => users, presence: () => presence, now: () => now, logger: silentLogger,
  });
  const read = (o: OwnDescriptor) => {
    const r = parseDescriptor(o.current());
    if (!r.ok) throw new Error(r.why);
    return r.descriptor;
  };
  const stored = () => readFileSync(join(dir, SEQ_FILE), 'utf8');
  const first = own();
  t.equal(read(first).seq, 1);
  t.equal(stored(), `${SEQ_BLOCK}\n`, 'the file holds the top of the block the node may use');
  now += 5000;
  const same = read(first);
  t.same([same.seq, same.time], [1, T0 + 5000], 'the same content keeps its seq, with the time of now');
  users = ['alice', 'bob'];
  t.equal(read(first).seq, 2, 'a new user is a change');
  t.same(first.beacon(), { id: NODE1.id, domain: 'node1.mesh', address: '198.18.0.1', port: 8443, seq: 2 }, 'the beacon carries the same seq');
  addresses = ['127.0.0.1', '169.254.3.3', 'fd00::1', '198.18.0.7'];
  t.same(first.beacon(), { id: NODE1.id, domain: 'node1.mesh', address: '198.18.0.7', port: 8443, seq: 3 }, 'a new address is a change; the beacon names one outside loopback and link-local, IPv4 first');
  t.same(read(first).addresses, ['127.0.0.1', '169.254.3.3', 'fd00::1', '198.18.0.7']);
  presence = { online: [], offline: ['alice', 'mallory'] };
  const away = read(first);
  t.same([away.seq, away.online, away.offline], [4, [], ['alice']], 'a phone that goes is a change; only published users are shown');
  for (let i = 0; i < SEQ_BLOCK; i++) {
    presence = { online: i % 2 === 0 ? ['alice'] : [], offline: i % 2 === 0 ? [] : ['alice'] };
    read(first);
  }
  t.equal(read(first).seq, 4 + SEQ_BLOCK);
  t.equal(stored(), `${2 * SEQ_BLOCK}\n`, 'written once per block of changes, not at each one');
  t.equal(read(own()).seq, 2 * SEQ_BLOCK + 1, 'a restart continues above the block, so a reader never sees seq go back');
  writeFileSync(join(dir, SEQ_FILE), 'garbage');
  t.ok(read(own()).seq > T0, 'a damaged counter restarts above every count, from the clock');
});

t.test('the addresses listed: the listen addresses when named, else the interfaces but IPv6 link-local', async (t) => {
  t.same(descriptorAddresses(['198.18.0.1'], ['127.0.0.1', '198.18.0.1', '198.18.9.9']), ['198.18.0.1']);
  t.same(descriptorAddresses([], ['127.0.0.1', 'fe80::1', 'fd00::1']), ['127.0.0.1', 'fd00::1']);
  t.same(descriptorAddresses(['0.0.0.0', '::'], ['198.18.0.1']), ['198.18.0.1'], 'wildcards name no address');
});
