/**
 * The page's account API over real HTTPS against a running node (issue 10): sign-up, session
 * cookie, me, logout with the CSRF token, login, and every refusal with its status and message.
 */
import t from 'tap';
import { cookieOf, httpsRequest } from '../helpers/https-client.js';
import { rawSipPeer } from '../helpers/raw-sip-peer.js';
import { startTestNode } from '../helpers/test-node.js';

t.test('sign up, stay logged in, log out, log in again', async (t) => {
  const node = await startTestNode(t);
  const port = node.config.httpsPort;
  const api = (method: string, path: string, opts: Parameters<typeof httpsRequest>[3] = {}) => httpsRequest(port, method, path, opts);

  t.same((await api('GET', '/api/node')).json, { domain: 'test.mesh', signup: 'open' });
  const anonymous = await api('GET', '/api/me');
  t.equal(anonymous.status, 401);
  t.same(anonymous.json, { error: 'not logged in' });

  const signup = await api('POST', '/api/signup', { json: { name: 'Alice', password: 'alice-secret' } });
  t.equal(signup.status, 201);
  const me = signup.json as { name: string; csrf: string };
  t.equal(me.name, 'alice', 'names are lower-case');
  t.match(me.csrf, /^[A-Za-z0-9_-]{32}$/);
  const setCookie = String(signup.headers['set-cookie']);
  for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) t.ok(setCookie.includes(flag), `the cookie is ${flag}`);
  t.equal(signup.headers['cache-control'], 'no-store');
  t.ok(node.node.accounts.ha1('alice', 'MD5'), 'the account is there for SIP at once');

  const cookie = cookieOf(signup);
  t.same((await api('GET', '/api/me', { headers: { Cookie: cookie } })).json, me, 'the session holds across requests');
  node.addUser('zoe', 'zoe-secret');
  t.same(
    (await api('GET', '/api/users', { headers: { Cookie: cookie } })).json,
    { users: [{ name: 'alice', node: 'test.mesh', seen: 'offline' }, { name: 'zoe', node: 'test.mesh', seen: 'hidden' }] },
    'the users, for dial suggestions, with the presence each lets alice see',
  );
  t.equal((await api('GET', '/api/users')).status, 401, 'to people logged in only');

  const noToken = await api('POST', '/api/logout', { headers: { Cookie: cookie } });
  t.equal(noToken.status, 403, 'logout needs the CSRF token');
  const wrongToken = await api('POST', '/api/logout', { headers: { Cookie: cookie, 'X-CSRF-Token': 'x'.repeat(32) } });
  t.equal(wrongToken.status, 403);
  const out = await api('POST', '/api/logout', { headers: { Cookie: cookie, 'X-CSRF-Token': me.csrf } });
  t.equal(out.status, 200);
  t.match(String(out.headers['set-cookie']), /Max-Age=0/, 'the cookie is cleared');
  t.equal((await api('GET', '/api/me', { headers: { Cookie: cookie } })).status, 401, 'and the session is gone on the node');

  const wrong = await api('POST', '/api/login', { json: { name: 'alice', password: 'not-hers' } });
  t.equal(wrong.status, 401);
  t.same(wrong.json, { error: 'Wrong name or password.' });
  const unknown = await api('POST', '/api/login', { json: { name: 'nobody', password: 'not-hers' } });
  t.same([unknown.status, unknown.json], [wrong.status, wrong.json], 'no account looks like a wrong password');
  const login = await api('POST', '/api/login', { json: { name: 'ALICE', password: 'alice-secret' } });
  t.equal(login.status, 200);
  t.equal((login.json as { name: string }).name, 'alice');
  t.not(cookieOf(login), cookie, 'a new session');
  t.ok(node.logs.some((l) => l.includes('web login failed for "alice" from 127.0.0.1')), 'failures are logged');
  t.notOk(node.logs.some((l) => l.includes('alice-secret') || l.includes('not-hers')), 'passwords are not');
});

t.test('what the API refuses, with a message', async (t) => {
  const node = await startTestNode(t, { bob: 'bob-secret-1' });
  const port = node.config.httpsPort;
  const api = (method: string, path: string, opts: Parameters<typeof httpsRequest>[3] = {}) => httpsRequest(port, method, path, opts);
  const refused = async (answer: Promise<Awaited<ReturnType<typeof api>>>, status: number, message: RegExp, what: string) => {
    const a = await answer;
    t.equal(a.status, status, `${what}: ${status}`);
    t.match((a.json as { error?: string } | undefined)?.error ?? '', message, `${what}: says why`);
  };
  await refused(api('POST', '/api/signup', { json: { name: 'bob', password: 'another-pass' } }), 409, /taken/, 'a name in use');
  await refused(api('POST', '/api/signup', { json: { name: 'carol', password: 'short' } }), 400, /at least 8/, 'a short password');
  await refused(api('POST', '/api/signup', { json: { name: 'carol smith', password: 'long enough' } }), 400, /A name has/, 'a bad name');
  await refused(api('POST', '/api/signup', { json: { name: 'carol' } }), 400, /send \{"name"/, 'no password');
  await refused(api('POST', '/api/signup', { body: 'name=carol&password=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415, /application\/json/, 'a form post');
  await refused(api('POST', '/api/signup', { body: '{"name":', headers: { 'Content-Type': 'application/json' } }), 400, /not valid JSON/, 'broken JSON');
  await refused(api('POST', '/api/signup', { json: { name: 'carol', password: 'x'.repeat(5000) } }), 413, /at most 4096 bytes/, 'a body too large');
  await refused(api('POST', '/api/login', { json: { name: 'bob', password: 'bob-secret-1' }, headers: { Origin: 'https://evil.example' } }), 403, /cross-site/, 'another origin');
  await refused(api('GET', '/api/login'), 405, /takes POST/, 'the wrong method');
  await refused(api('GET', '/api/nothing'), 404, /no API/, 'an unknown path');

  for (let i = 0; i < 10; i++) t.equal((await api('POST', '/api/login', { json: { name: 'bob', password: `guess-${i}` } })).status, 401);
  const held = await api('POST', '/api/login', { json: { name: 'bob', password: 'bob-secret-1' } });
  t.equal(held.status, 429, 'after ten failures even the right password waits');
  t.ok(Number(held.headers['retry-after']) > 0, 'with Retry-After');
});

t.test('signup closed: only the admin makes accounts', async (t) => {
  const node = await startTestNode(t, {}, { signup: 'closed' });
  t.same((await httpsRequest(node.config.httpsPort, 'GET', '/api/node')).json, { domain: 'test.mesh', signup: 'closed' });
  const a = await httpsRequest(node.config.httpsPort, 'POST', '/api/signup', { json: { name: 'dora', password: 'dora-secret' } });
  t.equal(a.status, 403);
  t.match((a.json as { error: string }).error, /ask its admin/);
  t.notOk(node.node.accounts.ha1('dora', 'MD5'));
});

t.test('change the password, then leave: the account and its history go, other people keep theirs', async (t) => {
  const node = await startTestNode(t, { alice: 'alice-secret' });
  const port = node.config.httpsPort;
  const api = (method: string, path: string, opts: Parameters<typeof httpsRequest>[3] = {}) => httpsRequest(port, method, path, opts);
  const signup = await api('POST', '/api/signup', { json: { name: 'dora', password: 'dora-first' } });
  const first = { Cookie: cookieOf(signup), 'X-CSRF-Token': (signup.json as { csrf: string }).csrf };

  const phone = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'alice', password: 'alice-secret' });
  t.equal((await phone.send({ method: 'INVITE', to: 'dora' })).status, 480, 'alice calls dora, who has no device');

  t.equal((await api('POST', '/api/password', { json: { password: 'dora-first', newPassword: 'dora-second' }, headers: { Cookie: first.Cookie } })).status, 403, 'the token is needed');
  const wrongOld = await api('POST', '/api/password', { json: { password: 'not-it', newPassword: 'dora-second' }, headers: first });
  t.equal(wrongOld.status, 403);
  t.match((wrongOld.json as { error: string }).error, /not your password/);
  t.equal((await api('POST', '/api/password', { json: { password: 'dora-first', newPassword: 'short' }, headers: first })).status, 400);
  const elsewhere = await api('POST', '/api/login', { json: { name: 'dora', password: 'dora-first' } });
  const changed = await api('POST', '/api/password', { json: { password: 'dora-first', newPassword: 'dora-second' }, headers: first });
  t.equal(changed.status, 200);
  t.equal((await api('GET', '/api/me', { headers: { Cookie: cookieOf(elsewhere) } })).status, 401, 'the other sessions end');
  t.equal((await api('POST', '/api/login', { json: { name: 'dora', password: 'dora-first' } })).status, 401, 'the old password is gone');
  const second = { Cookie: cookieOf(changed), 'X-CSRF-Token': (changed.json as { csrf: string }).csrf };
  t.equal(second.Cookie, first.Cookie, 'the session that changed it goes on: its page phone is authenticated by it');
  t.equal((await api('GET', '/api/me', { headers: { Cookie: second.Cookie } })).status, 200, 'and holds');

  t.equal((await api('POST', '/api/leave', { json: { password: 'dora-first' }, headers: second })).status, 403, 'leaving asks for the password');
  const left = await api('POST', '/api/leave', { json: { password: 'dora-second' }, headers: second });
  t.equal(left.status, 200);
  t.match(String(left.headers['set-cookie']), /Max-Age=0/);
  t.notOk(node.node.accounts.ha1('dora', 'MD5'), 'the account is gone');
  t.equal((await api('POST', '/api/login', { json: { name: 'dora', password: 'dora-second' } })).status, 401);

  const again = await api('POST', '/api/signup', { json: { name: 'dora', password: 'another-dora' } });
  t.equal(again.status, 201, 'the name is free again');
  const newDora = await api('GET', '/api/history', { headers: { Cookie: cookieOf(again) } });
  t.same(newDora.json, { calls: [] }, 'and whoever takes it sees none of the old history');
  const aliceLogin = await api('POST', '/api/login', { json: { name: 'alice', password: 'alice-secret' } });
  const aliceHistory = await api('GET', '/api/history', { headers: { Cookie: cookieOf(aliceLogin) } });
  t.match((aliceHistory.json as { calls: unknown[] }).calls, [{ peer: 'dora', direction: 'made' }], 'alice keeps her side');
});
