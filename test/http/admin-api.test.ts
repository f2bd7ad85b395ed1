/**
 * `signup approval` and the admins' API over real HTTPS against a running node (issue 10): a sign-up
 * waits with no SIP and no login until an admin approves it on the page; admins list, approve and
 * remove users; everyone else, and every malformed or cross-site request, is refused with a message.
 */
import t from 'tap';
import { databasePath } from '../../src/paths.js';
import { openDatabase } from '../../src/store/database.js';
import { PENDING_MAX } from '../../src/http/api/account-api.js';
import { cookieOf, httpsRequest, type HttpsAnswer } from '../helpers/https-client.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

type Api = (method: string, path: string, opts?: Parameters<typeof httpsRequest>[3]) => Promise<HttpsAnswer>;

function apiOf(node: TestNode): Api {
  return (method, path, opts = {}) => httpsRequest(node.config.httpsPort, method, path, opts);
}

/** The headers of a logged-in session of `name`. */
async function login(api: Api, name: string, password: string): Promise<{ Cookie: string; 'X-CSRF-Token': string }> {
  const res = await api('POST', '/api/login', { json: { name, password } });
  if (res.status !== 200) throw new Error(`login ${name}: ${res.status} ${JSON.stringify(res.json)}`);
  return { Cookie: cookieOf(res), 'X-CSRF-Token': (res.json as { csrf: string }).csrf };
}

const error = (a: HttpsAnswer) => (a.json as { error?: string } | undefined)?.error ?? '';

t.test('a sign-up waits for an admin, who lets it in', async (t) => {
  const node = await startTestNode(t, {}, { signup: 'approval' });
  node.addUser('root', 'root-secret', { admin: true });
  const api = apiOf(node);
  t.same((await api('GET', '/api/node')).json, { domain: 'test.mesh', signup: 'approval' });

  const signup = await api('POST', '/api/signup', { json: { name: 'Eva', password: 'eva-secret' } });
  t.equal(signup.status, 202, 'accepted, not done');
  t.same(signup.json, { name: 'eva', pending: true });
  t.equal(signup.headers['set-cookie'], undefined, 'no session for a waiting account');
  t.equal(node.node.accounts.ha1('eva', 'MD5'), undefined, 'no SIP registration either');
  t.ok(node.logs.some((l) => l.includes('web sign-up eva from 127.0.0.1 waits for approval')));

  const wrong = await api('POST', '/api/login', { json: { name: 'eva', password: 'not-evas' } });
  t.same([wrong.status, error(wrong)], [401, 'Wrong name or password.'], 'a wrong password does not learn that the account waits');
  const waiting = await api('POST', '/api/login', { json: { name: 'eva', password: 'eva-secret' } });
  t.equal(waiting.status, 403);
  t.match(error(waiting), /waits for an admin/, 'the right password learns why it cannot log in yet');
  const taken = await api('POST', '/api/signup', { json: { name: 'eva', password: 'other-secret' } });
  t.equal(taken.status, 409, 'the waiting name is taken');

  const root = await login(api, 'root', 'root-secret');
  const me = await api('GET', '/api/me', { headers: { Cookie: root.Cookie } });
  t.equal((me.json as { admin: boolean }).admin, true, 'the page learns it is an admin');
  const listed = await api('GET', '/api/admin/users', { headers: { Cookie: root.Cookie } });
  t.equal(listed.status, 200);
  t.same(
    (listed.json as { users: { name: string; admin: boolean; pending: boolean }[] }).users.map(({ name, admin, pending }) => ({ name, admin, pending })),
    [
      { name: 'eva', admin: false, pending: true },
      { name: 'root', admin: true, pending: false },
    ],
  );

  const approved = await api('POST', '/api/admin/approve', { json: { name: 'EVA' }, headers: root });
  t.same([approved.status, approved.json], [200, { name: 'eva' }]);
  t.ok(node.node.accounts.ha1('eva', 'MD5'), 'the account is there for SIP at once');
  t.ok(node.logs.some((l) => l.includes('web: root approved the sign-up of eva')));
  const eva = await login(api, 'eva', 'eva-secret');
  t.equal(((await api('GET', '/api/me', { headers: { Cookie: eva.Cookie } })).json as { admin: boolean }).admin, false);
  t.equal((await api('POST', '/api/admin/approve', { json: { name: 'eva' }, headers: root })).status, 200, 'approving twice is no error');
});

t.test('admins remove users and turn down sign-ups; nobody else may', async (t) => {
  const node = await startTestNode(t, { bob: 'bob-secret-1' }, { signup: 'approval' });
  node.addUser('root', 'root-secret', { admin: true });
  node.addUser('ada', 'ada-secret', { admin: true });
  const api = apiOf(node);
  await api('POST', '/api/signup', { json: { name: 'spam', password: 'spam-secret' } });
  const root = await login(api, 'root', 'root-secret');
  const bob = await login(api, 'bob', 'bob-secret-1');

  const refused = async (answer: Promise<HttpsAnswer>, status: number, message: RegExp, what: string) => {
    const a = await answer;
    t.equal(a.status, status, `${what}: ${status}`);
    t.match(error(a), message, `${what}: says why`);
  };
  await refused(api('GET', '/api/admin/users'), 401, /not logged in/, 'no session');
  await refused(api('GET', '/api/admin/users', { headers: { Cookie: bob.Cookie } }), 403, /Only an admin/, 'a user who is no admin');
  await refused(api('POST', '/api/admin/remove', { json: { name: 'spam' }, headers: bob }), 403, /Only an admin/, 'a user who is no admin removing');
  await refused(api('POST', '/api/admin/remove', { json: { name: 'bob' }, headers: { Cookie: root.Cookie } }), 403, /CSRF/, 'no CSRF token');
  await refused(api('POST', '/api/admin/remove', { json: { name: 'bob' }, headers: { ...root, Origin: 'https://evil.example' } }), 403, /cross-site/, 'another origin');
  await refused(api('GET', '/api/admin/remove', { headers: root }), 405, /takes POST/, 'the wrong method');
  await refused(api('GET', '/api/admin/nothing', { headers: root }), 404, /no API/, 'an unknown path');
  await refused(api('POST', '/api/admin/remove', { json: {}, headers: root }), 400, /send \{"name"/, 'no name');
  await refused(api('POST', '/api/admin/remove', { json: { name: 'a b' }, headers: root }), 400, /not a user name/, 'a bad name');
  await refused(api('POST', '/api/admin/approve', { json: { name: 'nobody' }, headers: root }), 404, /no user nobody/, 'an unknown user');
  await refused(api('POST', '/api/admin/remove', { json: { name: 'root' }, headers: root }), 400, /Delete my account/, 'oneself');
  await refused(api('POST', '/api/admin/remove', { json: { name: 'ada' }, headers: root }), 403, /on the node itself/, 'another admin');
  t.ok(node.node.accounts.ha1('bob', 'MD5'), 'bob is still there after all that');

  const turnedDown = await api('POST', '/api/admin/remove', { json: { name: 'spam' }, headers: root });
  t.same([turnedDown.status, turnedDown.json], [200, { name: 'spam' }]);
  t.ok(node.logs.some((l) => l.includes('web: root turned down the sign-up of spam')));
  const removed = await api('POST', '/api/admin/remove', { json: { name: 'bob' }, headers: root });
  t.equal(removed.status, 200);
  t.equal(node.node.accounts.ha1('bob', 'MD5'), undefined, 'bob is gone for SIP');
  t.equal((await api('GET', '/api/me', { headers: { Cookie: bob.Cookie } })).status, 401, 'and his session with him');
  const names = ((await api('GET', '/api/admin/users', { headers: { Cookie: root.Cookie } })).json as { users: { name: string }[] }).users.map((u) => u.name);
  t.same(names, ['ada', 'root']);
  t.equal((await api('POST', '/api/signup', { json: { name: 'spam', password: 'spam-secret' } })).status, 202, 'a turned-down name is free again');
});

t.test('sign-ups waiting for approval are capped, so they cannot fill the flash', async (t) => {
  const node = await startTestNode(t, {}, { signup: 'approval' });
  const db = openDatabase(databasePath(node.config));
  t.teardown(() => db.close());
  db.transaction(() => {
    for (let i = 0; i < PENDING_MAX; i++) {
      db.run("INSERT INTO accounts (name, ha1_md5, ha1_sha256, password_hash, created_at, updated_at, pending) VALUES (?, '', '', '', 0, 0, 1)", [`waiting${i}`]);
    }
  });
  const full = await apiOf(node)('POST', '/api/signup', { json: { name: 'late', password: 'late-secret' } });
  t.equal(full.status, 503);
  t.match(error(full), /Too many sign-ups wait/);
  t.equal(full.headers['retry-after'], '3600');
  t.ok(node.logs.some((l) => l.includes(`web sign-up late from 127.0.0.1 refused: ${PENDING_MAX} sign-ups wait for approval already`)));
});
