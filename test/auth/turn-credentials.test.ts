import t from 'tap';
import { turnCredentials } from '../../src/auth/turn-credentials.js';

t.test("coturn's REST scheme: expiry:user and base64(HMAC-SHA1(secret, username))", async (t) => {
  // The password as `openssl dgst -sha1 -hmac S3cret -binary | base64` computes it for this name.
  t.same(turnCredentials('S3cret', 'alice', 600, 1795526426_000), { username: '1795527026:alice', credential: '0wymaUy6+Zv/wGJ9ERQBWyvUuys=' });
  t.equal(turnCredentials('S3cret', 'alice', 43200, 1_000_999).username, '44200:alice', 'whole seconds');
});
