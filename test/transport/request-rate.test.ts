/**
 * The per-address request limit (`request_rate`) over real sockets: a source past its burst has its
 * requests dropped before the sink sees them, responses from it still arrive, another source is not
 * affected, the bucket refills with time, and loopback is exempt when the limit comes from the config.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import t, { type Test } from 'tap';
import { RateLimiter } from '../../src/net/rate-limit.js';
import { type Harness, rawRequest, startHarness } from '../helpers/transport-harness.js';

const BURST = 10;

async function udpFrom(t: Test, host: string) {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, host);
  await once(socket, 'listening');
  t.teardown(() => socket.close());
  return (data: string, port: number) => socket.send(Buffer.from(data), port, '127.0.0.1');
}

function requests(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => rawRequest({ callId: `${tag}-${i}@198.18.0.7` }));
}

/** Waits until nothing new has reached the sink for `quietMs`, and takes what had arrived. */
async function settle(h: Harness, quietMs = 400): Promise<number> {
  let seen = -1;
  while (seen !== h.sink.messages.items.length) {
    seen = h.sink.messages.items.length;
    await new Promise((r) => setTimeout(r, quietMs));
  }
  return h.sink.messages.items.splice(0).length;
}

function limitedHarness(t: Test, clock: { ms: number }) {
  const requestLimiter = new RateLimiter({ now: () => clock.ms, perSecond: BURST / 2, burst: BURST, maxAddresses: 100 });
  return startHarness(t, {}, ['127.0.0.1'], { requestLimiter });
}

t.test('over UDP a source gets its burst, the rest is dropped and logged, and time refills it', async (t) => {
  const clock = { ms: 0 };
  const h = await limitedHarness(t, clock);
  const send = await udpFrom(t, '127.0.0.1');
  for (const r of requests(3 * BURST, 'flood')) send(r, h.config.sipPort);
  t.equal(await settle(h), BURST, 'only the burst reached the sink');
  t.ok(h.log.some((l) => l.includes('requests from 127.0.0.1 over request_rate: dropped')), 'the drop is logged');

  send('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-ours-1\r\nFrom: <sip:a@test.mesh>;tag=1\r\nTo: <sip:b@test.mesh>;tag=2\r\nCall-ID: r@198.18.0.7\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n', h.config.sipPort);
  const response = await h.sink.messages.next();
  t.equal(response.message.kind, 'response', 'a response from the limited source still arrives');

  const other = await udpFrom(t, '127.0.0.2');
  for (const r of requests(3, 'other')) other(r, h.config.sipPort);
  t.equal(await settle(h), 3, 'another source is not limited');

  clock.ms += 1000;
  for (const r of requests(BURST, 'later')) send(r, h.config.sipPort);
  t.equal(await settle(h), BURST / 2, 'one second later the source has perSecond more');
});

t.test('over TCP the limit counts the framed requests of a connection', async (t) => {
  const clock = { ms: 0 };
  const h = await limitedHarness(t, clock);
  const socket = net.connect({ host: '127.0.0.1', port: h.config.sipPort, localAddress: '127.0.0.3' });
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  socket.write(requests(2 * BURST, 'tcp').map((r) => r.replace('SIP/2.0/UDP', 'SIP/2.0/TCP')).join(''));
  t.equal(await settle(h), BURST, 'only the burst of one connection reached the sink');
  t.notOk(socket.destroyed, 'the connection stays open');
});

t.test('request_rate from the config leaves loopback alone', async (t) => {
  const h = await startHarness(t, { requestRate: 1 });
  const send = await udpFrom(t, '127.0.0.1');
  for (const r of requests(20, 'loopback')) send(r, h.config.sipPort);
  t.equal(await settle(h), 20, 'every request from loopback arrived');
});
