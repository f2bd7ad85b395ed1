/**
 * RFC 7118 §7: the page's wss:// connection is authenticated by its login session cookie, so the
 * page keeps no SIP password. A real WebSocket client logs in over the HTTPS API, opens wss:// with
 * the session cookie and the page's Origin, and registers and sends MESSAGE with no Authorization;
 * without the cookie, from another origin, over plain ws://, for another user, or after logout, the
 * node challenges as for any other client.
 */
import { once } from 'node:events';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { cookieOf, httpsRequest } from '../helpers/https-client.js';
import { startTestNode, TEST_DOMAIN, type TestNode } from '../helpers/test-node.js';

let serial = 0;

function register(user: string): string {
  const n = ++serial;
  return [
    `REGISTER sip:${TEST_DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/WSS client${n}.invalid;branch=z9hG4bKsess${n}${Date.now()}`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${TEST_DOMAIN}>;tag=f${n}`,
    `To: <sip:${user}@${TEST_DOMAIN}>`,
    `Call-ID: sess${n}@client.invalid`,
    `CSeq: ${n} REGISTER`,
    `Contact: <sip:${user}@client${n}.invalid;transport=ws>`,
    'Expires: 300',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function message(from: string, to: string): string {
  const n = ++serial;
  return [
    `MESSAGE sip:${to}@${TEST_DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/WSS client${n}.invalid;branch=z9hG4bKmsg${n}${Date.now()}`,
    'Max-Forwards: 70',
    `From: <sip:${from}@${TEST_DOMAIN}>;tag=m${n}`,
    `To: <sip:${to}@${TEST_DOMAIN}>`,
    `Call-ID: msg${n}@client.invalid`,
    `CSeq: 1 MESSAGE`,
    'Content-Type: text/plain',
    'Content-Length: 2',
    '',
    'hi',
  ].join('\r\n');
}

async function login(node: TestNode, name: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const origin = `https://127.0.0.1:${node.config.httpsPort}`;
  const res = await httpsRequest(node.config.httpsPort, 'POST', '/api/login', { json: { name, password }, headers: { Origin: origin } });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  return { cookie: cookieOf(res), csrf: (res.json as { csrf: string }).csrf };
}

interface Socket {
  /** Sends `text` and resolves with the status of the first response to it. */
  status(text: string): Promise<number>;
  /** The close code, once the node closes the connection. */
  readonly closed: Promise<number>;
}

async function open(t: Test, url: string, headers: Record<string, string>): Promise<Socket> {
  const ws = new WebSocket(url, 'sip', { headers, rejectUnauthorized: false, handshakeTimeout: 5000 });
  t.teardown(() => ws.terminate());
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await once(ws, 'open');
  return {
    closed,
    status: (text) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no SIP response within 5 s')), 5000);
        ws.once('message', (data) => {
          clearTimeout(timer);
          resolve(Number(/^SIP\/2\.0 (\d{3})/.exec(data.toString())?.[1] ?? 0));
        });
        ws.send(text);
      }),
  };
}

t.test("the page's wss:// connection registers and sends as its session's user with no password", async (t) => {
  // Connections are checked every idle_timeout / 2: 5 s here.
  const node = await startTestNode(t, { alice: 'alice-secret', bob: 'bob-secret' }, { idleTimeout: 10 });
  const { cookie, csrf } = await login(node, 'alice', 'alice-secret');
  const origin = `https://127.0.0.1:${node.config.httpsPort}`;
  const wss = `wss://127.0.0.1:${node.config.httpsPort}/`;
  const page = await open(t, wss, { Cookie: cookie, Origin: origin });
  t.equal(await page.status(register('alice')), 200, 'REGISTER with no Authorization: 200');
  t.equal(node.node.location.lookup('alice').length, 1, 'alice is registered');
  t.equal(await page.status(message('alice', 'bob')), 202, 'a MESSAGE as alice needs no digest either (stored for bob: 202)');
  t.equal(await page.status(register('bob')), 401, 'the session speaks for alice only: another user is challenged');
  t.equal(await page.status(message('bob', 'alice')), 407, 'and so is a MESSAGE from another user');

  const elsewhere = await open(t, wss, { Cookie: cookie, Origin: 'https://evil.example' });
  t.equal(await elsewhere.status(register('alice')), 401, "another site's page with the visitor's cookie is challenged");
  const noOrigin = await open(t, wss, { Cookie: cookie });
  t.equal(await noOrigin.status(register('alice')), 401, 'no Origin: not the page');
  const plain = await open(t, `ws://127.0.0.1:${node.config.httpPort}/`, { Cookie: cookie, Origin: `http://127.0.0.1:${node.config.httpPort}` });
  t.equal(await plain.status(register('alice')), 401, 'plain ws:// is never authenticated by the cookie');
  const forged = await open(t, wss, { Cookie: 'trucada_session=forged', Origin: origin });
  t.equal(await forged.status(register('alice')), 401, 'an unknown session is challenged');

  const out = await httpsRequest(node.config.httpsPort, 'POST', '/api/logout', { headers: { Cookie: cookie, Origin: origin, 'X-CSRF-Token': csrf } });
  t.equal(out.status, 200, 'logged out');
  t.equal(await page.status(register('alice')), 401, 'after logout the same connection is challenged at once');
  const code = await Promise.race([page.closed, new Promise<string>((r) => setTimeout(() => r('still open'), 8000))]);
  t.equal(code, 1008, 'and the node closes it at its next check (a tab left open after logging out elsewhere)');
});
