import { once } from 'node:events';
import net from 'node:net';
import t, { type Test } from 'tap';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';
import { parseMessage } from '../../src/sip/parser.js';
import { createResponse } from '../../src/sip/response.js';
import { type FramerEvent, StreamFramer } from '../../src/sip/stream-framer.js';
import { parseVia } from '../../src/sip/via.js';
import { hasIpv6Loopback } from '../helpers/ports.js';
import { Queue, asRequest, headLines, rawRequest, startHarness } from '../helpers/transport-harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw TCP peer that frames what it receives like a SIP stream. */
async function connect(t: Test, port: number) {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await once(socket, 'connect');
  t.teardown(() => socket.destroy());
  const framer = new StreamFramer(DEFAULT_LIMITS);
  const events = new Queue<FramerEvent>();
  const closed = once(socket, 'close');
  socket.on('data', (chunk) => framer.push(chunk).forEach((e) => events.push(e)));
  socket.on('error', () => {});
  return { socket, events, closed, localPort: socket.localPort! };
}

async function nextText(events: Queue<FramerEvent>): Promise<string> {
  const e = await events.next();
  if (e.type !== 'message') throw new Error(`expected a message, got ${e.type}`);
  return e.data.toString();
}

t.test('a request split byte by byte, then three pipelined, all on one flow', async (t) => {
  const h = await startHarness(t);
  const c = await connect(t, h.config.sipPort);
  const text = rawRequest({ via: 'SIP/2.0/TCP 192.0.2.7:5070;branch=z9hG4bK-split', body: 'hello' });
  for (const byte of Buffer.from(text)) {
    c.socket.write(Buffer.of(byte));
    await new Promise((r) => setImmediate(r));
  }
  const first = await h.sink.messages.next();
  t.match(first.flow, { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: c.localPort, reliable: true, open: true });
  t.match(first.flow.id, /^tcp#\d+$/);
  t.equal(first.message.body.toString(), 'hello');
  t.equal(parseVia(first.message.headers.getAll('via')[0]!).params.get('received'), '127.0.0.1');

  c.socket.write(['a', 'b', 'c'].map((id) => rawRequest({ callId: id })).join(''));
  for (const id of ['a', 'b', 'c']) {
    const { message, flow } = await h.sink.messages.next();
    t.equal(message.headers.get('call-id'), id);
    t.equal(flow.id, first.flow.id);
  }
  t.equal(h.transports.flowById(first.flow.id), first.flow);

  t.ok(first.flow.send(createResponse(asRequest(first.message), 200)));
  t.equal(headLines(await nextText(c.events))[0], 'SIP/2.0 200 OK');
});

t.test('a CRLF CRLF ping is answered with a CRLF pong', async (t) => {
  const h = await startHarness(t);
  const c = await connect(t, h.config.sipPort);
  c.socket.write('\r\n\r\n');
  t.same(await c.events.next(), { type: 'pong' });
});

t.test('a malformed request gets 400 and the stream goes on; a framing error closes it', async (t) => {
  const h = await startHarness(t);
  const c = await connect(t, h.config.sipPort);
  c.socket.write(rawRequest({ method: 'OPTIONS' }).replace('Max-Forwards: 70', 'Max-Forwards: many'));
  t.equal(headLines(await nextText(c.events))[0], 'SIP/2.0 400 Bad Max-Forwards header');
  c.socket.write(rawRequest({ callId: 'still-open' }));
  const ok = await h.sink.messages.next();
  t.equal(ok.message.headers.get('call-id'), 'still-open');

  c.socket.write(`OPTIONS sip:x SIP/2.0\r\nX-Long: ${'a'.repeat(DEFAULT_LIMITS.maxLineLength + 10)}\r\n`);
  await c.closed;
  const gone = await h.sink.closed.next();
  t.equal(gone.id, ok.flow.id);
  t.equal(gone.open, false);
  t.equal(gone.send(createResponse(asRequest(ok.message), 200)), false, 'a closed flow takes nothing');
});

t.test('a request without Content-Length (RFC 3261 §18.3) gets 400 and then the connection closes', async (t) => {
  const h = await startHarness(t);
  const c = await connect(t, h.config.sipPort);
  c.socket.write(rawRequest({ callId: 'no-length' }).replace(/Content-Length: 0\r\n/, ''));
  const reply = headLines(await nextText(c.events));
  t.equal(reply[0], 'SIP/2.0 400 Missing Content-Length header');
  t.match(reply[0], /Content-Length/);
  t.ok(reply.some((l) => l === 'Call-ID: no-length'), 'answered by the request’s own fields');
  t.ok(reply.some((l) => l.startsWith('Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK-test-1')));
  await c.closed;
  t.equal(h.sink.messages.items.length, 0, 'nothing reached the sink');
  t.equal((await h.sink.closed.next()).remotePort, c.localPort);
});

t.test('a body that would pass maxMessageSize gets 513 before the body is sent', async (t) => {
  const h = await startHarness(t, { maxMessageSize: 2000 });
  const c = await connect(t, h.config.sipPort);
  c.socket.write(rawRequest({ callId: 'too-big' }).replace('Content-Length: 0', 'Content-Length: 5000'));
  const reply = headLines(await nextText(c.events));
  t.equal(reply[0], 'SIP/2.0 513 Message too large');
  t.ok(reply.some((l) => l === 'Call-ID: too-big'));
  await c.closed;
});

t.test('a silent connection is closed after idleTimeout', async (t) => {
  const h = await startHarness(t, { idleTimeout: 0.3 });
  const c = await connect(t, h.config.sipPort);
  const started = Date.now();
  await c.closed;
  const elapsed = Date.now() - started;
  t.ok(elapsed >= 250 && elapsed < 2000, `closed after ${elapsed} ms`);
  const gone = await h.sink.closed.next();
  t.equal(gone.remotePort, c.localPort);
});

t.test('connections beyond maxConnectionsPerAddress are closed at once', async (t) => {
  const h = await startHarness(t, { maxConnectionsPerAddress: 2 });
  const a = await connect(t, h.config.sipPort);
  const b = await connect(t, h.config.sipPort);
  const extra = await connect(t, h.config.sipPort);
  await extra.closed;
  t.ok(h.log.some((l) => /refused a connection from 127\.0\.0\.1/.test(l)));
  a.socket.write(rawRequest({ callId: 'from-a' }));
  t.equal((await h.sink.messages.next()).message.headers.get('call-id'), 'from-a', 'the others still work');

  b.socket.destroy();
  await h.sink.closed.next();
  const again = await connect(t, h.config.sipPort);
  again.socket.write(rawRequest({ callId: 'after-release' }));
  t.equal((await h.sink.messages.next()).message.headers.get('call-id'), 'after-release');
});

t.test('flowTo opens a connection to a listening peer and reuses it', async (t) => {
  const h = await startHarness(t);
  const peer = net.createServer();
  peer.listen(0, '127.0.0.1');
  await once(peer, 'listening');
  const accepted = new Queue<net.Socket>();
  peer.on('connection', (s) => accepted.push(s));
  t.teardown(() => new Promise((r) => peer.close(r)));
  const port = (peer.address() as net.AddressInfo).port;

  t.equal(h.transports.flowTo({ transport: 'tcp', remoteAddress: 'peer.example', remotePort: port }), undefined);
  const flow = h.transports.flowTo({ transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: port });
  t.ok(flow);
  const request = parseMessage(Buffer.from(rawRequest({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-out' })));
  t.ok(flow!.send(request));
  const socket = await accepted.next();
  t.teardown(() => socket.destroy());
  const framer = new StreamFramer(DEFAULT_LIMITS);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  const [event] = framer.push(chunk);
  t.equal(event?.type, 'message');
  t.equal(flow!.localAddress, '127.0.0.1');
  t.equal(flow!.localPort, h.config.sipPort, 'the peer is told the listening port, not the one the connection leaves from (§18.1.1)');
  t.not(socket.remotePort, h.config.sipPort);
  t.equal(h.transports.flowTo({ transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: port }), flow, 'reused');

  socket.write(`SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-out\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@b>;tag=2\r\nCall-ID: call-1@192.0.2.7\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
  const reply = await h.sink.messages.next();
  t.equal(reply.message.kind, 'response');
  t.equal(reply.flow.id, flow!.id);
  t.notOk(reply.message.headers.getAll('via')[0]!.includes('received'), 'responses are delivered as they are');

  socket.destroy();
  t.equal((await h.sink.closed.next()).id, flow!.id);
  t.equal(h.sink.ends.get(flow!.id), 'closed', 'a connection that was up ends as closed');
  await sleep(10);
  const fresh = h.transports.flowTo({ transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: port });
  t.not(fresh?.id, flow!.id, 'a gone connection is replaced by a new one');
});

t.test('a refused outgoing connection reports its flow unreachable', async (t) => {
  const h = await startHarness(t);
  const flow = h.transports.flowTo({ transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 1 });
  t.ok(flow);
  // A Via or Record-Route is written before the connection is up: the node's end is already named.
  t.equal(flow!.localAddress, '127.0.0.1', 'the configured address it connects from');
  t.equal(flow!.localPort, h.config.sipPort);
  t.ok(flow!.send(parseMessage(Buffer.from(rawRequest({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-refused' })))), 'queued until the connection fails');
  t.equal((await h.sink.closed.next()).id, flow!.id);
  t.equal(h.sink.ends.get(flow!.id), 'unreachable', 'nothing sent on it arrived');
  t.equal(flow!.open, false);
});

const ipv6 = await hasIpv6Loopback();
t.test('IPv6: a TCP request from ::1 is stamped and answered', { skip: ipv6 ? false : 'this machine has no ::1' }, async (t) => {
  const h = await startHarness(t, {}, ['127.0.0.1', '::1']);
  const socket = net.connect({ port: h.config.sipPort, host: '::1' });
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  socket.write(rawRequest({ via: 'SIP/2.0/TCP [2001:db8::5]:5060;branch=z9hG4bK-v6;rport' }));
  const { message, flow } = await h.sink.messages.next();
  t.match(flow, { transport: 'tcp', remoteAddress: '::1', localAddress: '::1', localPort: h.config.sipPort });
  t.match(message.headers.getAll('via')[0], /;branch=z9hG4bK-v6;rport=\d+;received=::1$/);
  t.ok(flow.send(createResponse(asRequest(message), 200)));
  const [reply] = (await once(socket, 'data')) as [Buffer];
  t.match(reply.toString(), /^SIP\/2\.0 200 OK\r\n/);
});
