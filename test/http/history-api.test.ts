/**
 * The call history through the page's API over real HTTPS (issue 10): a call alice made to bob, who
 * had no device (a real SIP INVITE from a UDP peer), shows as made for alice and as a missed call
 * received for bob; each deletes from their own history only, with the CSRF token.
 */
import t from 'tap';
import { cookieOf, httpsRequest } from '../helpers/https-client.js';
import { rawSipPeer } from '../helpers/raw-sip-peer.js';
import { startTestNode } from '../helpers/test-node.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret-3' };

t.test('made, received and missed, page by page, and deleted from one side only', async (t) => {
  const node = await startTestNode(t, USERS);
  const port = node.config.httpsPort;
  const login = async (name: keyof typeof USERS) => {
    const a = await httpsRequest(port, 'POST', '/api/login', { json: { name, password: USERS[name] } });
    return { Cookie: cookieOf(a), token: (a.json as { csrf: string }).csrf };
  };
  t.equal((await httpsRequest(port, 'GET', '/api/history')).status, 401, 'only for a session');

  const phone = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'alice', password: USERS.alice });
  for (let i = 0; i < 3; i++) t.equal((await phone.send({ method: 'INVITE', to: 'bob' })).status, 480, `call ${i + 1}: bob has no device`);

  const alice = await login('alice');
  const bob = await login('bob');
  const list = async (who: { Cookie: string }, query = '') => {
    const a = await httpsRequest(port, 'GET', `/api/history${query}`, { headers: { Cookie: who.Cookie } });
    t.equal(a.status, 200);
    return (a.json as { calls: Array<{ id: number; peer: string; direction: string; outcome: string; answeredAt: number | null }> }).calls;
  };
  const made = await list(alice);
  t.equal(made.length, 3);
  t.match(made[0], { peer: 'bob', direction: 'made', outcome: 'missed', answeredAt: null });
  const received = await list(bob);
  t.match(received[0], { peer: 'alice', direction: 'received', outcome: 'missed' });
  t.ok(made[0]!.id > made[1]!.id, 'newest first');
  t.same((await list(alice, `?limit=2`)).map((c) => c.id), made.slice(0, 2).map((c) => c.id), 'a page of two');
  t.same((await list(alice, `?before=${made[1]!.id}`)).map((c) => c.id), [made[2]!.id], 'the next page');
  t.equal((await httpsRequest(port, 'GET', '/api/history?limit=x', { headers: { Cookie: alice.Cookie } })).status, 400);

  const id = made[0]!.id;
  const noToken = await httpsRequest(port, 'DELETE', `/api/history/${id}`, { headers: { Cookie: alice.Cookie } });
  t.equal(noToken.status, 403, 'deleting needs the CSRF token');
  const del = await httpsRequest(port, 'DELETE', `/api/history/${id}`, { headers: { Cookie: alice.Cookie, 'X-CSRF-Token': alice.token } });
  t.equal(del.status, 204);
  t.notOk((await list(alice)).some((c) => c.id === id), 'gone from alice\'s history');
  t.ok((await list(bob)).some((c) => c.id === id), 'still in bob\'s');
  const again = await httpsRequest(port, 'DELETE', `/api/history/${id}`, { headers: { Cookie: alice.Cookie, 'X-CSRF-Token': alice.token } });
  t.equal(again.status, 404, 'nor deleted twice');
  t.equal((await httpsRequest(port, 'POST', '/api/history', { headers: { Cookie: alice.Cookie } })).status, 405);
});
