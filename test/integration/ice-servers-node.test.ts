// The running node answers GET /api/ice-servers on its HTTPS port with its own STUN server at the
// address the request came to, and never a public one; TURN credentials for a logged-in page.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { request } from 'node:https';
import { cookieOf, httpsRequest } from '../helpers/https-client.js';
import { freePorts } from '../helpers/ports.js';
import { startTestNode } from '../helpers/test-node.js';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    req.end();
  });
}

t.test('GET /api/ice-servers lists the node itself as STUN server', async (t) => {
  const [stunPort] = await freePorts(1);
  const n = await startTestNode(t, { alice: 'wonderland' }, { stunPort: stunPort! });
  const res = await get(n.config.httpsPort, '/api/ice-servers');
  t.equal(res.status, 200);
  const body = JSON.parse(res.body) as { iceServers: { urls: string | string[] }[]; ttl: number };
  t.same(body.iceServers, [{ urls: [`stun:127.0.0.1:${stunPort}`] }], 'only the node, at the address asked');
  t.type(body.ttl, 'number');
  t.equal((await get(n.config.httpsPort, '/')).status, 200, 'the page is still served');
  t.equal((await get(n.config.httpsPort, '/nothing-here')).status, 404);
});

t.test("the page's login session gets TURN credentials for its user; no session, STUN only", async (t) => {
  const [stunPort] = await freePorts(1);
  const secret = 'coturn-static-auth-secret';
  const turnUrls = ['turn:198.18.0.9:3478?transport=udp'];
  const n = await startTestNode(t, { alice: 'wonderland' }, { stunPort: stunPort!, turnUrls, turnSecret: secret, turnTtl: 600 });
  const origin = `https://127.0.0.1:${n.config.httpsPort}`;
  const login = await httpsRequest(n.config.httpsPort, 'POST', '/api/login', { json: { name: 'alice', password: 'wonderland' }, headers: { Origin: origin } });
  t.equal(login.status, 200);
  const cookie = cookieOf(login);
  const res = await httpsRequest(n.config.httpsPort, 'GET', '/api/ice-servers', { headers: { Cookie: cookie } });
  t.equal(res.status, 200);
  const servers = (JSON.parse(res.body.toString()) as { iceServers: { urls: string[]; username?: string; credential?: string }[] }).iceServers;
  const turn = servers.find((s) => s.urls[0]!.startsWith('turn:'));
  t.same(turn?.urls, turnUrls);
  t.match(turn?.username, /^\d+:alice$/, "coturn's REST scheme: expiry:user");
  const expiry = Number(turn!.username!.split(':')[0]);
  t.ok(Math.abs(expiry - (Date.now() / 1000 + 600)) < 30, 'valid turn_ttl seconds from now');
  t.equal(turn?.credential, createHmac('sha1', secret).update(turn!.username!).digest('base64'), 'signed with the static-auth-secret');

  const anonymous = JSON.parse((await httpsRequest(n.config.httpsPort, 'GET', '/api/ice-servers')).body.toString()) as { iceServers: unknown[] };
  t.same(anonymous.iceServers, [{ urls: [`stun:127.0.0.1:${stunPort}`] }], 'no session: STUN only');
  const csrf = (JSON.parse(login.body.toString()) as { csrf: string }).csrf;
  t.equal((await httpsRequest(n.config.httpsPort, 'POST', '/api/logout', { headers: { Cookie: cookie, Origin: origin, 'X-CSRF-Token': csrf } })).status < 300, true, 'logged out');
  const after = JSON.parse((await httpsRequest(n.config.httpsPort, 'GET', '/api/ice-servers', { headers: { Cookie: cookie } })).body.toString()) as { iceServers: unknown[] };
  t.equal(after.iceServers.length, 1, 'an ended session: STUN only');
});
