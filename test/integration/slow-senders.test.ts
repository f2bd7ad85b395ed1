/**
 * Slow senders (slowloris) lose their connection in bounded time on every port (issue 12): a SIP
 * message trickled over TCP a byte at a time is never idle, so the bound is on the message
 * (`tcp_message_timeout`); HTTP and HTTPS requests whose headers never end, and TLS handshakes that
 * never start, are closed by the web servers' own timeouts (10 s). Real sockets on loopback.
 */
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import t from 'tap';
import { startTestNode } from '../helpers/test-node.js';

/**
 * Web servers' header and handshake timeouts (src/http/server.ts), and the slack allowed past them:
 * Node checks them once a second, and on a loaded 2-core machine the cases closed at about 12 s.
 */
const WEB_TIMEOUT_MS = 10_000;
const SLACK_MS = 5_000;

/** Writes `first`, then one more short line every `everyMs` until the socket closes; resolves with ms until close. */
async function trickle(socket: net.Socket, first: string, everyMs: number, line = 'X-Slow: 1\r\n'): Promise<number> {
  const started = Date.now();
  socket.write(first);
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(line);
  }, everyMs);
  await closed(socket);
  clearInterval(timer);
  return Date.now() - started;
}

/** Writes `bytes` one every `everyMs`, all but the last, until the socket closes; resolves with ms until close. */
async function trickleBytes(socket: net.Socket, bytes: Buffer, everyMs: number): Promise<number> {
  const started = Date.now();
  let sent = 0;
  const timer = setInterval(() => {
    if (!socket.destroyed && sent < bytes.length - 1) socket.write(bytes.subarray(sent, ++sent));
  }, everyMs);
  await closed(socket);
  clearInterval(timer);
  return Date.now() - started;
}

/** The first flight of a real TLS client (Node's own), caught by a plain TCP server. */
async function clientHello(): Promise<Buffer> {
  const catcher = net.createServer();
  const caught = new Promise<Buffer>((resolve) => catcher.once('connection', (s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy()))));
  await new Promise<void>((resolve) => catcher.listen(0, '127.0.0.1', resolve));
  const client = tls.connect({ host: '127.0.0.1', port: (catcher.address() as net.AddressInfo).port, rejectUnauthorized: false });
  client.on('error', () => {});
  const hello = await caught;
  client.destroy();
  catcher.close();
  return hello;
}

/** Not `once(socket, 'close')`, which rejects on the EPIPE that may come first. */
function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed && socket.closed ? resolve() : socket.once('close', () => resolve())));
}

async function connected(socket: net.Socket, event = 'connect'): Promise<net.Socket> {
  // A write racing the server's close fails with EPIPE or ECONNRESET: the close is what is awaited.
  socket.on('error', () => {});
  await once(socket, event);
  return socket;
}

t.test('a SIP message trickled over TCP is cut at tcp_message_timeout; whole messages sent slowly are not', async (t) => {
  const node = await startTestNode(t, {}, { tcpMessageTimeout: 2 });
  const slow = await connected(net.connect({ host: '127.0.0.1', port: node.config.sipPort }));
  t.teardown(() => slow.destroy());
  const steady = await connected(net.connect({ host: '127.0.0.1', port: node.config.sipPort }));
  t.teardown(() => steady.destroy());
  let answers = 0;
  steady.on('data', (d: Buffer) => (answers += (d.toString().match(/^SIP\/2\.0 200 /gm) ?? []).length));
  const options = (n: number) =>
    [
      'OPTIONS sip:test.mesh SIP/2.0',
      `Via: SIP/2.0/TCP 127.0.0.1:${steady.localPort};branch=z9hG4bK-steady-${n}`,
      'Max-Forwards: 70',
      `From: <sip:x@test.mesh>;tag=${n}`,
      'To: <sip:test.mesh>',
      `Call-ID: steady-${n}@127.0.0.1`,
      `CSeq: ${n} OPTIONS`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  let n = 0;
  steady.write(options(++n));
  const steadyTimer = setInterval(() => steady.write(options(++n)), 700);
  t.teardown(() => clearInterval(steadyTimer));

  const ms = await trickle(slow, 'OPTIONS sip:test.mesh SIP/2.0\r\n', 300);
  t.ok(ms >= 1900 && ms < 2000 + SLACK_MS, `the trickled message's connection closed after ${ms} ms`);
  t.ok(node.logs.some((l) => /took over 2000 ms to send one message: closed/.test(l)), 'and logged');
  await new Promise((r) => setTimeout(r, 1500));
  clearInterval(steadyTimer);
  t.notOk(steady.destroyed, 'a peer sending whole messages slowly keeps its connection');
  t.ok(answers >= 4, `and each of its messages was answered (${answers})`);
});

t.test('HTTP, HTTPS and WebSocket upgrades with endless headers, and TLS that never starts or never ends, are closed', async (t) => {
  const node = await startTestNode(t);
  const { httpPort, httpsPort } = node.config;
  const hello = await clientHello();
  const plain = await connected(net.connect({ host: '127.0.0.1', port: httpPort }));
  const upgrade = await connected(net.connect({ host: '127.0.0.1', port: httpPort }));
  const secure = await connected(tls.connect({ host: '127.0.0.1', port: httpsPort, rejectUnauthorized: false }), 'secureConnect');
  const silent = await connected(net.connect({ host: '127.0.0.1', port: httpsPort }));
  const handshaking = await connected(net.connect({ host: '127.0.0.1', port: httpsPort }));
  for (const s of [plain, upgrade, secure, silent, handshaking]) t.teardown(() => s.destroy());
  const started = Date.now();
  const [p, u, s, quiet, hs] = await Promise.all([
    trickle(plain, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n', 1000),
    trickle(upgrade, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n', 1000),
    trickle(secure, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n', 1000),
    closed(silent).then(() => Date.now() - started),
    // Bytes keep coming, and the handshake never finishes: the bound is on the handshake, not on silence.
    trickleBytes(handshaking, hello, 1000),
  ]);
  const cases = [['HTTP headers', p], ['WebSocket upgrade headers', u], ['HTTPS headers', s], ['a TLS handshake never begun', quiet], ['a ClientHello trickled a byte a second', hs]] as const;
  for (const [what, ms] of cases) {
    t.ok(ms < WEB_TIMEOUT_MS + SLACK_MS, `${what}: closed after ${ms} ms`);
  }
});
