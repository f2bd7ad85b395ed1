import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ha1 } from '../../src/sip/digest-hash.js';
import { AccountCache } from '../../src/store/account-cache.js';
import { AccountStore } from '../../src/store/accounts.js';
import { openDatabase } from '../../src/store/database.js';
import { tempDir } from '../helpers/temp-dir.js';

function setup(t: { teardown(fn: () => void): void }, now = () => 1_700_000_000_000) {
  const dir = tempDir(t);
  const db = openDatabase(join(dir, 'trucada.db'));
  t.teardown(() => db.close());
  return { dir, db, store: new AccountStore(db, 'node1.mesh', now) };
}

t.test('add, list, get, change password, remove', async (t) => {
  let clock = 1000;
  const { store } = setup(t, () => clock);
  store.add('Alice', 'secret one');
  clock = 2000;
  store.add('bob', 'hunter2');
  t.same(store.list(), [
    { name: 'alice', createdAt: 1000, admin: false, pending: false },
    { name: 'bob', createdAt: 2000, admin: false, pending: false },
  ]);
  t.same(store.get('ALICE'), {
    name: 'alice',
    ha1Md5: ha1('MD5', 'alice', 'node1.mesh', 'secret one'),
    ha1Sha256: ha1('SHA-256', 'alice', 'node1.mesh', 'secret one'),
    admin: false,
    presence: 'contacts',
  });
  t.ok(store.verifyPassword('alice', 'secret one'));
  t.notOk(store.verifyPassword('alice', 'secret two'));

  store.setPassword('aLiCe', 'secret two');
  t.equal(store.get('alice')?.ha1Md5, ha1('MD5', 'alice', 'node1.mesh', 'secret two'));
  t.ok(store.verifyPassword('Alice', 'secret two'));
  t.notOk(store.verifyPassword('alice', 'secret one'));

  store.remove('BOB');
  t.same(store.list().map((a) => a.name), ['alice']);
  t.equal(store.get('bob'), undefined);
  t.notOk(store.verifyPassword('bob', 'hunter2'));
});

t.test('refusals carry stable codes', async (t) => {
  const { store } = setup(t);
  store.add('carol', 'pw');
  t.throws(() => store.add('CAROL', 'other'), { code: 'USER_EXISTS' });
  t.throws(() => store.remove('dave'), { code: 'NO_SUCH_USER' });
  t.throws(() => store.setPassword('dave', 'pw'), { code: 'NO_SUCH_USER' });
  t.throws(() => store.add('dave', ''), { code: 'BAD_PASSWORD' });
  t.throws(() => store.add('dave', 'x'.repeat(129)), { code: 'BAD_PASSWORD', message: /1 to 128/ });
  t.throws(() => store.setPassword('carol', ''), { code: 'BAD_PASSWORD' });
  t.throws(() => store.add('da ve', 'pw'), { code: 'BAD_USER_NAME' });
  t.equal(store.get('da ve'), undefined, 'a name from the network that cannot exist is just unknown');
  t.notOk(store.verifyPassword('da ve', 'pw'));
  store.add('dave', 'x'.repeat(128));
  t.same(store.list().map((a) => a.name), ['carol', 'dave']);
  t.ok(store.verifyPassword('carol', 'pw'), 'a refused change left the old password');
});

t.test('no password is written anywhere in the files', async (t) => {
  const { dir, db, store } = setup(t);
  const passwords = ['Correct-Horse-Battery', 'S3cret!Zebra', 'Kettle-Lamp-77'];
  store.add('erin', passwords[0]!);
  store.setPassword('erin', passwords[1]!);
  store.add('frank', passwords[2]!);
  store.remove('frank');
  db.close();
  for (const file of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, file));
    for (const p of passwords) {
      t.equal(bytes.indexOf(p, 0, 'utf8'), -1, `${file} lacks the password in UTF-8`);
      t.equal(bytes.indexOf(p, 0, 'utf16le'), -1, `${file} lacks the password in UTF-16`);
    }
  }
});

t.test('an account waiting for approval has no HA1 until approved; admins are marked', async (t) => {
  const { db, store } = setup(t);
  store.add('ivo', 'pw1', { pending: true });
  store.add('root', 'pw2', { admin: true });
  const cache = new AccountCache(new AccountStore(db, store.realm));
  t.equal(store.get('ivo'), undefined, 'not for SIP');
  t.same(store.all().map((a) => a.name), ['root']);
  t.same(cache.names(), ['root']);
  t.ok(store.isPending('IVO'));
  t.notOk(store.isPending('root'));
  t.notOk(store.isPending('no such name!'));
  t.equal(store.pendingCount(), 1);
  t.ok(store.verifyPassword('ivo', 'pw1'), 'its password is kept, so the login can say why it waits');
  t.ok(cache.isAdmin('ROOT'));
  t.notOk(cache.isAdmin('ivo'));
  t.notOk(cache.isAdmin('nobody'));

  t.equal(store.approve('Ivo'), true);
  t.equal(store.approve('ivo'), false, 'approved already');
  t.throws(() => store.approve('nobody'), { code: 'NO_SUCH_USER' });
  t.equal(store.pendingCount(), 0);
  cache.reload('ivo');
  t.equal(cache.ha1('ivo', 'MD5'), ha1('MD5', 'ivo', 'node1.mesh', 'pw1'));

  store.setAdmin('ivo', true);
  store.setAdmin('root', false);
  t.throws(() => store.setAdmin('nobody', true), { code: 'NO_SUCH_USER' });
  cache.reload();
  t.ok(cache.isAdmin('ivo'));
  t.notOk(cache.isAdmin('root'));
  t.same(store.list().map(({ name, admin, pending }) => ({ name, admin, pending })), [
    { name: 'ivo', admin: true, pending: false },
    { name: 'root', admin: false, pending: false },
  ]);
});

t.test('the daemon cache answers HA1 and follows reloads', async (t) => {
  const { db, store } = setup(t);
  store.add('gina', 'pw1');
  const cache = new AccountCache(new AccountStore(db, store.realm));
  t.equal(cache.realm, 'node1.mesh');
  t.equal(cache.ha1('GINA', 'MD5'), ha1('MD5', 'gina', 'node1.mesh', 'pw1'));
  t.equal(cache.ha1('gina', 'SHA-256'), ha1('SHA-256', 'gina', 'node1.mesh', 'pw1'));
  t.equal(cache.ha1('nobody', 'MD5'), undefined);

  store.setPassword('gina', 'pw2');
  store.add('hugo', 'pw3');
  t.equal(cache.ha1('gina', 'MD5'), ha1('MD5', 'gina', 'node1.mesh', 'pw1'), 'unchanged until told');
  cache.reload('Gina');
  t.equal(cache.ha1('gina', 'MD5'), ha1('MD5', 'gina', 'node1.mesh', 'pw2'));
  t.equal(cache.ha1('hugo', 'MD5'), undefined);
  cache.reload();
  t.same(cache.names(), ['gina', 'hugo']);

  store.remove('gina');
  cache.reload('gina');
  t.equal(cache.ha1('gina', 'MD5'), undefined);
  t.same(cache.names(), ['hugo']);
  cache.reload('no such name!');
  t.same(cache.names(), ['hugo']);
});

t.test('the asynchronous sign-up and login agree with the synchronous ones, and leave the event loop free', async (t) => {
  const { store } = setup(t);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  await store.addAsync('Dora', 'dora secret');
  t.ok(await store.verifyPasswordAsync('dora', 'dora secret'));
  clearInterval(ticker);
  t.ok(ticks > 0, `timers ran while scrypt worked (${ticks})`);
  t.ok(store.verifyPassword('dora', 'dora secret'), 'the synchronous check takes the asynchronous hash');
  t.notOk(await store.verifyPasswordAsync('dora', 'wrong'));
  t.notOk(await store.verifyPasswordAsync('nobody', 'dora secret'), 'an unknown user');
  t.notOk(await store.verifyPasswordAsync('bad name!', 'x'), 'a name that cannot be one');
  store.add('erik', 'erik secret');
  t.ok(await store.verifyPasswordAsync('erik', 'erik secret'), 'and the other way round');
  await t.rejects(store.addAsync('dora', 'again'), { name: 'StoreError', message: /already exists/ });
  await t.rejects(store.addAsync('fay', ''), { name: 'StoreError', message: /a password needs/ });
  await t.rejects(store.addAsync('no spaces', 'x'), { name: 'StoreError', message: /bad user name/ });
});
