import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { realmFor } from '../../src/store/realm.js';
import { tempDir } from '../helpers/temp-dir.js';

t.test('the realm is the domain at first use, and stays when the domain changes', async (t) => {
  const path = join(tempDir(t), 'trucada.db');
  const db = openDatabase(path);
  t.equal(realmFor(db, 'first.mesh'), 'first.mesh');
  t.equal(realmFor(db, 'renamed.mesh'), 'first.mesh');
  db.close();
  const again = openDatabase(path);
  t.teardown(() => again.close());
  t.equal(realmFor(again, 'renamed.mesh'), 'first.mesh');
});
