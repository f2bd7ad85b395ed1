import t from 'tap';
import { DigestHeaderError, formatDigestChallenge, parseDigestCredentials } from '../../src/sip/digest-header.js';

const base = 'username="alice", realm="r", nonce="n1", uri="sip:node1.mesh", response="abc"';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof DigestHeaderError ? e.code : 'OTHER';
  }
  return undefined;
}

t.test('parses quoted and token values, names case-insensitively', async (t) => {
  const c = parseDigestCredentials(`Digest ${base},Algorithm=SHA-256 ,qop=auth, NC=00000001, cnonce="x y"`);
  t.equal(c.username, 'alice');
  t.equal(c.uri, 'sip:node1.mesh');
  t.equal(c.algorithm, 'SHA-256');
  t.equal(c.qop, 'auth');
  t.equal(c.nc, '00000001');
  t.equal(c.cnonce, 'x y');
  t.equal(c.params.get('nc'), '00000001');
});

t.test('quoted strings keep commas and resolve escapes', async (t) => {
  const c = parseDigestCredentials('digest username="a\\"b\\\\c, d", realm="r", nonce="n", uri="u", response="x"');
  t.equal(c.username, 'a"b\\c, d');
});

t.test('refuses duplicates, missing parameters, other schemes and bad syntax', async (t) => {
  t.equal(code(() => parseDigestCredentials(`Digest ${base}, realm="again"`)), 'DUPLICATE_PARAM');
  t.equal(code(() => parseDigestCredentials('Digest username="a", realm="r", nonce="n", uri="u"')), 'MISSING_PARAM');
  t.equal(code(() => parseDigestCredentials(`Digest ${base}, qop=auth, nc=00000001`)), 'MISSING_PARAM');
  t.equal(code(() => parseDigestCredentials('Basic YWxpY2U6c2VjcmV0')), 'NOT_DIGEST');
  t.equal(code(() => parseDigestCredentials('Digestusername="a"')), 'NOT_DIGEST');
  t.equal(code(() => parseDigestCredentials('Digest')), 'SYNTAX');
  t.equal(code(() => parseDigestCredentials(`Digest ${base},`)), 'SYNTAX');
  t.equal(code(() => parseDigestCredentials(`Digest ${base},, a=b`)), 'SYNTAX');
  t.equal(code(() => parseDigestCredentials('Digest username="unterminated, realm="r"')), 'SYNTAX');
  t.equal(code(() => parseDigestCredentials(`Digest ${base} extra="x"`)), 'SYNTAX');
  t.equal(code(() => parseDigestCredentials('Digest username=, realm="r"')), 'SYNTAX');
  const many = Array.from({ length: 40 }, (_, i) => `p${i}=1`).join(', ');
  t.equal(code(() => parseDigestCredentials(`Digest ${base}, ${many}`)), 'TOO_MANY_PARAMS');
});

t.test('formats a challenge with quoted realm, nonce and qop', async (t) => {
  t.equal(
    formatDigestChallenge({ realm: 'my "realm"', nonce: 'abc', algorithm: 'SHA-256', qop: 'auth', stale: true }),
    'Digest realm="my \\"realm\\"", nonce="abc", algorithm=SHA-256, qop="auth", stale=true',
  );
  t.equal(formatDigestChallenge({ realm: 'r', nonce: 'n', algorithm: 'MD5' }), 'Digest realm="r", nonce="n", algorithm=MD5');
});
