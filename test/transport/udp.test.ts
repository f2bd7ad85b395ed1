import dgram from 'node:dgram';
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { parseMessage } from '../../src/sip/parser.js';
import { createResponse } from '../../src/sip/response.js';
import { parseVia } from '../../src/sip/via.js';
import { hasIpv6Loopback } from '../helpers/ports.js';
import { asRequest, headLines, rawRequest, startHarness } from '../helpers/transport-harness.js';

async function client(t: Test, type: 'udp4' | 'udp6', host: string) {
  const socket = dgram.createSocket(type);
  socket.bind(0, host);
  await once(socket, 'listening');
  t.teardown(() => socket.close());
  const received: Buffer[] = [];
  const waiting: ((b: Buffer) => void)[] = [];
  socket.on('message', (m) => (waiting.length ? waiting.shift()!(m) : received.push(m)));
  return {
    port: socket.address().port,
    send: (data: string, port: number) => socket.send(Buffer.from(data), port, host),
    next: (ms = 3000) =>
      received.length
        ? Promise.resolve(received.shift()!.toString())
        : new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no datagram')), ms);
            waiting.push((b) => {
              clearTimeout(timer);
              resolve(b.toString());
            });
          }),
  };
}

t.test('an OPTIONS datagram reaches the sink with received and rport, and the reply comes back', async (t) => {
  const h = await startHarness(t);
  const c = await client(t, 'udp4', '127.0.0.1');
  c.send(rawRequest(), h.config.sipPort);
  const { message, flow } = await h.sink.messages.next();
  t.equal(message.kind, 'request');
  t.match(flow, { transport: 'udp', remoteAddress: '127.0.0.1', remotePort: c.port, reliable: false, open: true });
  const via = parseVia(message.headers.getAll('via')[0]!);
  t.equal(via.host, '192.0.2.7', 'sent-by untouched');
  t.equal(via.params.get('received'), '127.0.0.1');
  t.equal(via.params.get('rport'), String(c.port));
  t.equal(via.params.get('branch'), 'z9hG4bK-test-1');

  t.ok(flow.send(createResponse(asRequest(message), 200)));
  const reply = headLines(await c.next());
  t.equal(reply[0], 'SIP/2.0 200 OK');
  t.ok(reply.some((l) => /^Via: .*received=127\.0\.0\.1/.test(l)));

  const again = h.transports.flowById(flow.id);
  t.equal(again?.id, flow.id, 'a UDP flow is found again by its id');
  t.ok(again?.send(createResponse(asRequest(message), 202)));
  t.equal(headLines(await c.next())[0], 'SIP/2.0 202 Accepted');
});

t.test('received is added without rport only when the sent-by differs', async (t) => {
  const h = await startHarness(t);
  const c = await client(t, 'udp4', '127.0.0.1');
  c.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bK-same` }), h.config.sipPort);
  const first = await h.sink.messages.next();
  t.equal(first.message.headers.getAll('via')[0], `SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bK-same`);
  c.send(rawRequest({ via: 'SIP/2.0/UDP 9bd2.invalid;branch=z9hG4bK-other', callId: 'c2' }), h.config.sipPort);
  const second = await h.sink.messages.next();
  const via = parseVia(second.message.headers.getAll('via')[0]!);
  t.equal(via.params.get('received'), '127.0.0.1');
  t.notOk(via.params.has('rport'));
});

t.test('a malformed request is answered 400 with the reason; a malformed response is dropped', async (t) => {
  const h = await startHarness(t);
  const c = await client(t, 'udp4', '127.0.0.1');
  c.send(rawRequest().replace('CSeq: 1 OPTIONS', 'CSeq: one OPTIONS'), h.config.sipPort);
  const reply = headLines(await c.next());
  t.equal(reply[0], 'SIP/2.0 400 Bad CSeq header');
  t.ok(reply.some((l) => l.startsWith('Call-ID: call-1@192.0.2.7')));

  c.send('SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n', h.config.sipPort);
  c.send('\x00\x01 garbage', h.config.sipPort);
  c.send('\r\n\r\n', h.config.sipPort);
  c.send(rawRequest({ callId: 'after' }), h.config.sipPort);
  const next = await h.sink.messages.next();
  t.equal(next.message.headers.get('call-id'), 'after', 'only the valid message reached the sink');
  t.equal(h.sink.messages.items.length, 0);
  t.ok(h.log.some((l) => l.includes('dropped a malformed message')));
});

t.test('flowTo gives a flow from our socket to any UDP peer', async (t) => {
  const h = await startHarness(t);
  const c = await client(t, 'udp4', '127.0.0.1');
  const flow = h.transports.flowTo({ transport: 'udp', remoteAddress: '127.0.0.1', remotePort: c.port });
  t.ok(flow);
  t.equal(flow!.localPort, h.config.sipPort);
  t.ok(flow!.send(parseMessage(Buffer.from(rawRequest({ via: 'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-out' })))));
  t.match(await c.next(), /^OPTIONS sip:test\.mesh SIP\/2\.0\r\n/);
  t.notOk(h.transports.flowTo({ transport: 'udp', remoteAddress: 'example.org', remotePort: 5060 }), 'names are not resolved');
  t.notOk(h.transports.flowTo({ transport: 'udp', remoteAddress: '::1', remotePort: 5060 }), 'no IPv6 socket here');
});

const ipv6 = await hasIpv6Loopback();
t.test('IPv6: received carries the IPv6 source', { skip: ipv6 ? false : 'this machine has no ::1' }, async (t) => {
  const h = await startHarness(t, {}, ['127.0.0.1', '::1']);
  const c = await client(t, 'udp6', '::1');
  c.send(rawRequest({ via: 'SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK-v6;rport' }), h.config.sipPort);
  const { message, flow } = await h.sink.messages.next();
  t.equal(flow.remoteAddress, '::1');
  const via = parseVia(message.headers.getAll('via')[0]!);
  t.equal(via.host, '[2001:db8::9]');
  t.equal(via.params.get('received'), '::1');
  t.equal(via.params.get('rport'), String(c.port));
  t.ok(flow.send(createResponse(asRequest(message), 200)));
  t.equal(headLines(await c.next())[0], 'SIP/2.0 200 OK');
});
