import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import t, { type Test } from 'tap';
import { hostFromHeader, httpsUrl, plainPage } from '../../src/http/plain-page.js';
import { startHttpServers } from '../../src/http/server.js';
import { ConnectionTotal } from '../../src/transport/connection-limits.js';
import { silentLogger } from '../../src/log.js';
import { freePorts } from '../helpers/ports.js';
import { TLS, testConfig } from '../helpers/transport-harness.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(secure: boolean, port: number, path: string, options: https.RequestOptions = {}): Promise<Reply> {
  const request = secure ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: TLS.cert, agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(t: Test, upgrades: boolean[] = []) {
  const [sip, httpPort, httpsPort] = (await freePorts(3)) as [number, number, number];
  const config = testConfig({ sip, http: httpPort, https: httpsPort });
  const servers = await startHttpServers({
    config,
    tls: TLS,
    logger: silentLogger,
    connectionTotal: new ConnectionTotal(100),
    onUpgrade: (_req, socket, _head, secure) => {
      upgrades.push(secure);
      socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
    },
  });
  t.teardown(() => servers.stop());
  return { config, servers };
}

t.test('the plain port explains HTTPS and links to it on the host asked for', async (t) => {
  const { config } = await start(t);
  const r = await get(false, config.httpPort, '/anything', { headers: { Host: `node1.mesh:${config.httpPort}` } });
  t.equal(r.status, 200);
  t.match(r.headers['content-type'], /^text\/html/);
  t.match(r.headers['content-security-policy'], /default-src 'none'/);
  t.match(r.body, `href="https://node1.mesh:${config.httpsPort}/"`);
  t.match(r.body, /microphone/);
  t.notMatch(r.body, /<(script|img|link)\b/, 'nothing loaded from anywhere');
  const head = await get(false, config.httpPort, '/', { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.body, '');
  const post = await get(false, config.httpPort, '/', { method: 'POST' });
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
});

t.test('a hostile Host header is neither trusted nor reflected', async (t) => {
  const { config } = await start(t);
  const hostile = '"><script>alert(1)</script>';
  const r = await get(false, config.httpPort, '/', { headers: { Host: hostile } });
  t.equal(r.status, 200);
  t.notMatch(r.body, /<script>/);
  t.notMatch(r.body, /alert/);
  t.match(r.body, `href="https://127.0.0.1:${config.httpsPort}/"`, 'falls back to the address reached');
});

t.test('Host header parsing and escaping', async (t) => {
  t.equal(hostFromHeader('Node1.Mesh:8080'), 'node1.mesh');
  t.equal(hostFromHeader('[2001:db8::1]:8080'), '[2001:db8::1]');
  t.equal(hostFromHeader('198.18.0.1'), '198.18.0.1');
  for (const bad of [undefined, '', 'a b', 'x/y', '[::g]', 'evil.com@x', 'a..b', `${'a'.repeat(64)}.mesh`, 'h:99999999']) {
    t.equal(hostFromHeader(bad), undefined, `refused: ${bad}`);
  }
  t.equal(httpsUrl(undefined, 'fe80::1%br-lan', 443), 'https://[fe80::1%25br-lan]/');
  t.match(plainPage(undefined, '1.2.3.4"<', 8443, 'AB:CD'), '1.2.3.4&#34;&#60;');
});

t.test('the HTTPS port serves the placeholder at / only, GET only', async (t) => {
  const { config } = await start(t);
  const r = await get(true, config.httpsPort, '/');
  t.equal(r.status, 200);
  t.match(r.body, 'trucada node — softphone coming');
  t.equal((await get(true, config.httpsPort, '/nope')).status, 404);
  t.equal((await get(true, config.httpsPort, '/', { method: 'PUT' })).status, 405);
});

t.test('upgrades go to onUpgrade with the port they came on', async (t) => {
  const upgrades: boolean[] = [];
  const { config } = await start(t, upgrades);
  for (const [secure, port] of [[false, config.httpPort], [true, config.httpsPort]] as const) {
    const r = await new Promise<number>((resolve, reject) => {
      const request = secure ? https.request : http.request;
      const req = request({ host: '127.0.0.1', port, ca: TLS.cert, agent: false, headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode!);
      });
      req.on('response', (res) => resolve(res.statusCode!));
      req.on('error', reject);
      req.end();
    });
    t.equal(r, 418);
  }
  t.same(upgrades, [false, true]);
});

t.test('stop closes idle keep-alive connections and the listeners', async (t) => {
  const { config, servers } = await start(t);
  const socket = net.connect(config.httpPort, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await once(socket, 'data');
  const closed = once(socket, 'close');
  await servers.stop();
  await closed;
  t.equal(servers.http[0]!.listening, false);
  t.equal(servers.https[0]!.listening, false);
});
