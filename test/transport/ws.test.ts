import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import t, { type Test } from 'tap';
import { WebSocket, type ClientOptions } from 'ws';
import { createResponse } from '../../src/sip/response.js';
import { parseVia } from '../../src/sip/via.js';
import { hasIpv6Loopback } from '../helpers/ports.js';
import { Queue, TLS, asRequest, headLines, rawRequest, startHarness } from '../helpers/transport-harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WS_VIA = 'SIP/2.0/WSS k3v8q2df7m.invalid;branch=z9hG4bK-ws-1';

async function open(t: Test, url: string, options: ClientOptions = {}, protocols: string[] = ['sip']) {
  const ws = new WebSocket(url, protocols, { ca: TLS.cert, ...options });
  const texts = new Queue<string>();
  ws.on('message', (data) => texts.push(data.toString()));
  ws.on('error', () => {});
  const closed = once(ws, 'close') as Promise<[number, Buffer]>;
  await once(ws, 'open');
  t.teardown(() => ws.terminate());
  return { ws, texts, closed };
}

/** The refusal of a handshake: its status and body. */
async function refused(url: string, protocols: string[]): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url, protocols, { ca: TLS.cert });
  ws.on('error', () => {});
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
  let body = '';
  for await (const chunk of res) body += chunk;
  ws.terminate();
  return { status: res.statusCode!, body };
}

t.test('the sip subprotocol is required', async (t) => {
  const h = await startHarness(t);
  for (const url of [`ws://127.0.0.1:${h.ports.http}/`, `wss://127.0.0.1:${h.ports.https}/`]) {
    const r = await refused(url, []);
    t.equal(r.status, 400, url);
    t.match(r.body, /subprotocol "sip" is required/);
    t.equal((await refused(url, ['chat'])).status, 400);
  }
  const c = await open(t, `ws://127.0.0.1:${h.ports.http}/any/path`, {}, ['chat', 'sip']);
  t.equal(c.ws.protocol, 'sip');
});

for (const secure of [false, true]) {
  const name = secure ? 'wss' : 'ws';
  t.test(`a message round trip on ${name}://, and the flow closes with the socket`, async (t) => {
    const h = await startHarness(t);
    const port = secure ? h.ports.https : h.ports.http;
    const c = await open(t, `${name}://127.0.0.1:${port}/`);
    c.ws.send(rawRequest({ method: 'REGISTER', via: WS_VIA }));
    const { message, flow } = await h.sink.messages.next();
    t.match(flow, { transport: name, remoteAddress: '127.0.0.1', reliable: true, open: true });
    t.match(flow.id, new RegExp(`^${name}#\\d+$`));
    t.equal(h.transports.flowById(flow.id), flow);
    t.equal(h.transports.flowTo({ transport: name, remoteAddress: '127.0.0.1', remotePort: flow.remotePort }), flow);
    const via = parseVia(message.headers.getAll('via')[0]!);
    t.equal(via.host, 'k3v8q2df7m.invalid');
    t.equal(via.params.get('received'), '127.0.0.1');

    t.ok(flow.send(createResponse(asRequest(message), 200)));
    const reply = headLines(await c.texts.next());
    t.equal(reply[0], 'SIP/2.0 200 OK');
    t.ok(reply.includes(`Via: ${WS_VIA};received=127.0.0.1`), 'the reply goes on the flow, not to the .invalid host');

    c.ws.close();
    const gone = await h.sink.closed.next();
    t.equal(gone.id, flow.id);
    t.equal(flow.open, false);
    t.equal(flow.send(createResponse(asRequest(message), 200)), false);
    t.equal(h.transports.flowTo({ transport: name, remoteAddress: '127.0.0.1', remotePort: flow.remotePort }), undefined);
  });
}

t.test('a malformed message gets 400 and the connection stays; CRLF keep-alives are answered', async (t) => {
  const h = await startHarness(t);
  const c = await open(t, `ws://127.0.0.1:${h.ports.http}/`);
  c.ws.send(rawRequest({ via: WS_VIA }).replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'));
  t.equal(headLines(await c.texts.next())[0], 'SIP/2.0 400 CSeq method does not match request method');
  c.ws.send('\r\n');
  c.ws.send('\r\n\r\n');
  t.equal(await c.texts.next(), '\r\n');
  c.ws.send(Buffer.from(rawRequest({ via: WS_VIA, callId: 'binary' })), { binary: true });
  t.equal((await h.sink.messages.next()).message.headers.get('call-id'), 'binary');
  await sleep(50);
  t.equal(c.texts.items.length, 0, 'one pong for the ping; a lone CRLF is not answered');
});

t.test('a frame larger than maxMessageSize closes the connection', async (t) => {
  const h = await startHarness(t, { maxMessageSize: 2000 });
  const c = await open(t, `ws://127.0.0.1:${h.ports.http}/`);
  c.ws.send(rawRequest({ via: WS_VIA, body: 'x'.repeat(2500) }));
  const [code] = await c.closed;
  t.equal(code, 1009, 'message too big');
  t.ok(await h.sink.closed.next());
  t.equal(h.sink.messages.items.length, 0);
});

t.test('idle connections are pinged; one that answers stays, one that does not is ended', async (t) => {
  const h = await startHarness(t, { idleTimeout: 0.3 });
  const alive = await open(t, `ws://127.0.0.1:${h.ports.http}/`);
  const mute = await open(t, `ws://127.0.0.1:${h.ports.http}/`, { autoPong: false });
  let pings = 0;
  alive.ws.on('ping', () => pings++);
  const started = Date.now();
  await mute.closed;
  t.ok(Date.now() - started < 1500, `the mute one ended after ${Date.now() - started} ms`);
  await sleep(600);
  t.equal(alive.ws.readyState, WebSocket.OPEN, 'the answering one is still open');
  t.ok(pings >= 2, `pinged ${pings} times`);
});

t.test('the per-address connection limit counts TCP and WebSocket together', async (t) => {
  const h = await startHarness(t, { maxConnectionsPerAddress: 2 });
  const tcp = net.connect(h.config.sipPort, '127.0.0.1');
  t.teardown(() => tcp.destroy());
  await once(tcp, 'connect');
  const secure = await open(t, `wss://127.0.0.1:${h.ports.https}/`);
  const r = await refused(`ws://127.0.0.1:${h.ports.http}/`, ['sip']);
  t.equal(r.status, 503);
  t.ok(h.log.some((l) => /WebSocket: refused a connection from 127\.0\.0\.1/.test(l)));

  tcp.destroy();
  await h.sink.closed.next();
  const c = await open(t, `ws://127.0.0.1:${h.ports.http}/`);
  t.equal(c.ws.protocol, 'sip', 'a slot freed by TCP serves a WebSocket');
  secure.ws.close();
  await h.sink.closed.next();
  t.equal((await open(t, `ws://127.0.0.1:${h.ports.http}/`)).ws.protocol, 'sip', 'and one freed by a WebSocket');
  t.equal((await refused(`ws://127.0.0.1:${h.ports.http}/`, ['sip'])).status, 503, 'still two at most');
});

t.test('stopping the transports closes connected WebSockets instead of waiting for them', async (t) => {
  const h = await startHarness(t);
  const plain = await open(t, `ws://127.0.0.1:${h.ports.http}/`);
  const secure = await open(t, `wss://127.0.0.1:${h.ports.https}/`);
  const started = Date.now();
  const stopped = Promise.all([h.transports.stop(), plain.closed, secure.closed]).then(([, a, b]) => [a[0], b[0]]);
  const codes = await Promise.race([stopped, sleep(3000).then(() => 'still waiting after 3 s')]);
  t.same(codes, [1001, 1001], `stopped in ${Date.now() - started} ms, both clients told the node is going away`);
});

const ipv6 = await hasIpv6Loopback();
t.test('IPv6: wss:// from ::1', { skip: ipv6 ? false : 'this machine has no ::1' }, async (t) => {
  const h = await startHarness(t, {}, ['127.0.0.1', '::1']);
  const c = await open(t, `wss://[::1]:${h.ports.https}/`);
  c.ws.send(rawRequest({ via: WS_VIA }));
  const { message, flow } = await h.sink.messages.next();
  t.match(flow, { transport: 'wss', remoteAddress: '::1' });
  t.equal(parseVia(message.headers.getAll('via')[0]!).params.get('received'), '::1');
  t.ok(flow.send(createResponse(asRequest(message), 200)));
  t.match(await c.texts.next(), /^SIP\/2\.0 200 OK\r\n/);
});
