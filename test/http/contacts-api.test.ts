/**
 * Contacts and presence over real HTTPS against a running node (issue 10): each user's list, who of
 * it is online as far as each contact allows (everyone on the mesh, their contacts, nobody), seen
 * through real SIP registrations, and every refusal with its message.
 */
import t from 'tap';
import { cookieOf, httpsRequest, type HttpsAnswer } from '../helpers/https-client.js';
import { rawSipPeer } from '../helpers/raw-sip-peer.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

type Headers = { Cookie: string; 'X-CSRF-Token': string };

async function session(node: TestNode, name: string, password: string): Promise<Headers> {
  const res = await httpsRequest(node.config.httpsPort, 'POST', '/api/login', { json: { name, password } });
  if (res.status !== 200) throw new Error(`login ${name}: ${res.status}`);
  return { Cookie: cookieOf(res), 'X-CSRF-Token': (res.json as { csrf: string }).csrf };
}

const error = (a: HttpsAnswer) => (a.json as { error?: string } | undefined)?.error ?? '';

t.test('contacts, and who of them shows online to whom', async (t) => {
  const node = await startTestNode(t, { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret', dan: 'dan-secret' });
  const api = (method: string, path: string, opts: Parameters<typeof httpsRequest>[3] = {}) => httpsRequest(node.config.httpsPort, method, path, opts);
  const alice = await session(node, 'alice', 'alice-secret');
  const bob = await session(node, 'bob', 'bob-secret');
  const carol = await session(node, 'carol', 'carol-secret');
  const seen = async (who: Headers) => (await api('GET', '/api/contacts', { headers: { Cookie: who.Cookie } })).json as { presence: string; contacts: { name: string; seen: string }[] };

  t.same(await seen(alice), { presence: 'contacts', contacts: [] }, 'a new user shows their presence to their contacts, and has none');
  for (const name of ['Bob', 'carol', 'dan@Node3.Mesh', 'dan@test.mesh']) {
    const added = await api('POST', '/api/contacts/add', { json: { name }, headers: alice });
    t.equal(added.status, 200, `add ${name}`);
  }
  t.equal((await api('POST', '/api/contacts/add', { json: { name: 'bob' }, headers: alice })).status, 200, 'adding twice is no error');
  t.same((await seen(alice)).contacts.map((c) => c.name), ['bob', 'carol', 'dan', 'dan@node3.mesh'], 'lower-cased; this node\'s own domain dropped');

  // bob and carol register; dan does not.
  for (const [user, password] of [['bob', 'bob-secret'], ['carol', 'carol-secret']]) {
    const phone = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: user!, password: password! });
    t.equal((await phone.send({ method: 'REGISTER', to: user!, contact: `<sip:${user}@127.0.0.1:${phone.localPort}>` })).status, 200, `${user} registers`);
  }
  const status = async () => Object.fromEntries((await seen(alice)).contacts.map((c) => [c.name, c.seen]));
  t.same(await status(), { bob: 'hidden', carol: 'hidden', dan: 'hidden', 'dan@node3.mesh': 'hidden' }, 'nobody has alice among their contacts yet');

  t.equal((await api('POST', '/api/contacts/add', { json: { name: 'alice' }, headers: bob })).status, 200);
  t.same(await status(), { bob: 'online', carol: 'hidden', dan: 'hidden', 'dan@node3.mesh': 'hidden' }, 'bob has alice among his contacts: she sees him online');

  t.same((await api('POST', '/api/presence', { json: { presence: 'mesh' }, headers: carol })).json, { presence: 'mesh' });
  t.equal((await seen(carol)).presence, 'mesh');
  t.same(await status(), { bob: 'online', carol: 'online', dan: 'hidden', 'dan@node3.mesh': 'hidden' }, 'carol shows herself to everyone');
  const directory = (await api('GET', '/api/users', { headers: { Cookie: alice.Cookie } })).json as { users: { name: string; seen: string }[] };
  t.same(Object.fromEntries(directory.users.map((u) => [u.name, u.seen])), { alice: 'offline', bob: 'online', carol: 'online', dan: 'hidden' }, "the node's directory shows the same to alice, contacts or not");
  const toDan = (await api('GET', '/api/users', { headers: { Cookie: (await session(node, 'dan', 'dan-secret')).Cookie } })).json as { users: { name: string; seen: string }[] };
  t.same(Object.fromEntries(toDan.users.map((u) => [u.name, u.seen])), { alice: 'offline', bob: 'hidden', carol: 'online', dan: 'offline' }, 'and to dan: alice has him among her contacts, carol shows herself to all, bob has not added him');
  t.equal((await api('POST', '/api/presence', { json: { presence: 'nobody' }, headers: bob })).status, 200);
  t.same((await status()).bob, 'hidden', 'bob shows himself to nobody, not even his contacts');
  t.ok(node.logs.some((l) => l.includes('web: bob shows their presence to nobody')));

  const removed = await api('POST', '/api/contacts/remove', { json: { name: 'carol' }, headers: alice });
  t.same([removed.status, removed.json], [200, { name: 'carol' }]);
  t.same((await seen(alice)).contacts.map((c) => c.name), ['bob', 'dan', 'dan@node3.mesh']);

  const refused = async (answer: Promise<HttpsAnswer>, status: number, message: RegExp, what: string) => {
    const a = await answer;
    t.equal(a.status, status, `${what}: ${status}`);
    t.match(error(a), message, `${what}: says why`);
  };
  await refused(api('GET', '/api/contacts'), 401, /not logged in/, 'no session');
  await refused(api('POST', '/api/contacts/add', { json: { name: 'bob' }, headers: { Cookie: alice.Cookie } }), 403, /CSRF/, 'no CSRF token');
  await refused(api('POST', '/api/contacts/add', { json: { name: 'bob' }, headers: { ...alice, Origin: 'https://evil.example' } }), 403, /cross-site/, 'another origin');
  await refused(api('POST', '/api/contacts/add', { json: { name: 'nobody' }, headers: alice }), 404, /no user nobody on this node/, 'an unknown local user');
  await refused(api('POST', '/api/contacts/add', { json: { name: 'alice' }, headers: alice }), 400, /That is you/, 'oneself');
  await refused(api('POST', '/api/contacts/add', { json: { name: 'bad name' }, headers: alice }), 400, /A contact is a name/, 'a bad name');
  await refused(api('POST', '/api/contacts/add', { json: { name: 'dan@bad_domain!' }, headers: alice }), 400, /A contact is a name/, 'a bad domain');
  await refused(api('POST', '/api/contacts/add', { json: {}, headers: alice }), 400, /send \{"name"/, 'no name');
  await refused(api('POST', '/api/contacts/remove', { json: { name: 'carol' }, headers: alice }), 404, /not among your contacts/, 'removing twice');
  await refused(api('POST', '/api/presence', { json: { presence: 'friends' }, headers: alice }), 400, /mesh" \| "contacts" \| "nobody/, 'an unknown setting');
  await refused(api('GET', '/api/contacts/add', { headers: alice }), 405, /takes POST/, 'the wrong method');

  // An account that goes takes its list with it, and leaves no one's list.
  const leave = await api('POST', '/api/leave', { json: { password: 'bob-secret' }, headers: bob });
  t.equal(leave.status, 200);
  t.same((await seen(alice)).contacts.map((c) => c.name), ['dan', 'dan@node3.mesh'], 'bob left alice\'s list when he left the node');
});
