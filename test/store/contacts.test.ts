import t from 'tap';
import { join } from 'node:path';
import { AccountStore } from '../../src/store/accounts.js';
import { CONTACTS_MAX, ContactStore, normalizeContact } from '../../src/store/contacts.js';
import { openDatabase } from '../../src/store/database.js';
import { tempDir } from '../helpers/temp-dir.js';

t.test('a contact is a local name or name@domain, lower-cased, with our own domain dropped', async (t) => {
  t.equal(normalizeContact('Bob', 'node1.mesh'), 'bob');
  t.equal(normalizeContact('Bob@Node3.Mesh', 'node1.mesh'), 'bob@node3.mesh');
  t.equal(normalizeContact('bob@NODE1.mesh', 'node1.mesh'), 'bob');
  for (const bad of ['', 'bob smith', 'bob@', '@node3.mesh', 'bob@node_3.mesh', 'bob@-node.mesh', `bob@${'a'.repeat(64)}.mesh`, 'bob@node3.mesh@x']) {
    t.throws(() => normalizeContact(bad, 'node1.mesh'), { name: 'StoreError' }, JSON.stringify(bad));
  }
});

t.test('lists are kept per user, capped, and go with a deleted account', async (t) => {
  const db = openDatabase(join(tempDir(t), 'trucada.db'));
  t.teardown(() => db.close());
  const accounts = new AccountStore(db, 'node1.mesh');
  for (const name of ['alice', 'bob', 'carol']) accounts.add(name, 'pw');
  const contacts = new ContactStore(db, () => 1000);
  t.equal(contacts.add('alice', 'carol'), true);
  t.equal(contacts.add('alice', 'bob@node3.mesh'), true);
  t.equal(contacts.add('alice', 'carol'), false, 'there already');
  t.equal(contacts.add('bob', 'alice'), true);
  t.same(contacts.list('alice'), ['bob@node3.mesh', 'carol']);
  t.ok(contacts.has('bob', 'alice'));
  t.notOk(contacts.has('alice', 'bob'), 'a list is one way');
  t.equal(contacts.remove('alice', 'carol'), true);
  t.equal(contacts.remove('alice', 'carol'), false);

  db.transaction(() => {
    for (let i = contacts.list('carol').length; i < CONTACTS_MAX; i++) contacts.add('carol', `u${i}@node9.mesh`);
  });
  t.throws(() => contacts.add('carol', 'one-more@node9.mesh'), { code: 'TOO_MANY_CONTACTS' });
  t.equal(contacts.list('carol').length, CONTACTS_MAX);

  contacts.remove('carol', 'u0@node9.mesh');
  contacts.add('carol', 'alice');
  accounts.remove('carol');
  t.same(contacts.list('carol'), [], "the deleted account's list goes");
  accounts.remove('alice');
  t.same(contacts.list('bob'), [], 'and it leaves no one\'s list');
});
