import t from 'tap';
import { normalizeUserName } from '../../src/store/user-name.js';

t.test('names are lower-cased', async (t) => {
  t.equal(normalizeUserName('Alice.Smith_2-b'), 'alice.smith_2-b');
  t.equal(normalizeUserName('x'), 'x');
  t.equal(normalizeUserName('a'.repeat(32)), 'a'.repeat(32));
});

t.test('anything else is refused with what is allowed', async (t) => {
  for (const bad of ['', 'a'.repeat(33), 'al ice', 'alice@node', 'josé', 'a:b', '\u212a', 'a\nb']) {
    t.throws(() => normalizeUserName(bad), { code: 'BAD_USER_NAME', message: /1 to 32 characters among a-z, 0-9/ }, JSON.stringify(bad));
  }
});
