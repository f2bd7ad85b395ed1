import dgram from 'node:dgram';
import t, { type Test } from 'tap';
import { silentLogger } from '../../src/log.js';
import { decodeXorMappedAddress } from '../../src/stun/address.js';
import { attribute, decodeStunMessage, encodeStunMessage } from '../../src/stun/codec.js';
import { ATTR, MAGIC_COOKIE, METHOD_BINDING } from '../../src/stun/constants.js';
import type { StunMessage } from '../../src/stun/message.js';
import { RateLimiter } from '../../src/net/rate-limit.js';
import { startStunResponder, type StunResponder } from '../../src/stun/responder.js';
import { hasIpv6Loopback } from '../helpers/ports.js';
import { SAMPLE_REQUEST } from './rfc5769-vectors.js';
import { prng } from '../helpers/prng.js';

/** A client socket that sends datagrams and collects what comes back. */
async function client(t: Test, host: string) {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const received: Buffer[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (m) => {
    received.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  return {
    port: socket.address().port,
    send: (data: Buffer, port: number) => new Promise<void>((resolve) => socket.send(data, port, host, () => resolve())),
    received,
    /** Waits until `n` answers are in or `ms` pass. */
    async waitFor(n: number, ms = 2000) {
      const end = Date.now() + ms;
      while (received.length < n && Date.now() < end) {
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 20);
        });
      }
      return received.length;
    },
  };
}

function binding(id: number, fingerprint = true): Buffer {
  const transactionId = Buffer.alloc(12);
  transactionId.writeUInt32BE(id, 8);
  return encodeStunMessage({ method: METHOD_BINDING, cls: 'request', cookie: MAGIC_COOKIE, transactionId, attributes: [] }, { fingerprint });
}

async function responder(t: Test, host: string, limiter?: RateLimiter): Promise<StunResponder> {
  const r = await startStunResponder({
    binds: [{ host, ipv6Only: host.includes(':'), required: true }],
    port: 0,
    logger: silentLogger,
    software: 'trucada test',
    ...(limiter && { limiter }),
  });
  t.teardown(r.stop);
  return r;
}

const ipv6 = await hasIpv6Loopback();

for (const host of ['127.0.0.1', '::1']) {
  const skip = host === '::1' && !ipv6 ? 'no IPv6 loopback' : false;
  t.test(`answers Binding requests on ${host} with the sender's address`, { skip }, async (t) => {
    const r = await responder(t, host);
    const c = await client(t, host);
    await c.send(binding(1), r.addresses[0]!.port);
    t.equal(await c.waitFor(1), 1);
    const m: StunMessage = decodeStunMessage(c.received[0]!);
    t.equal(m.cls, 'success');
    t.same(decodeXorMappedAddress(attribute(m, ATTR.XOR_MAPPED_ADDRESS)!, m.transactionId), { address: host, port: c.port });
  });
}

t.test('fuzzed and truncated datagrams never stop it answering', async (t) => {
  const r = await responder(t, '127.0.0.1');
  const port = r.addresses[0]!.port;
  const c = await client(t, '127.0.0.1');
  const random = prng(0x5eed);
  const seeds = [SAMPLE_REQUEST, binding(7), binding(8, false)];
  let sent = 0;
  for (let i = 0; i < 5000; i++) {
    const base = seeds[i % seeds.length]!;
    let data: Buffer;
    const kind = i % 4;
    if (kind === 0) data = base.subarray(0, Math.floor(random() * base.length));
    else if (kind === 1) {
      data = Buffer.from(base);
      for (let k = 0; k < 1 + random() * 4; k++) data[Math.floor(random() * data.length)] = Math.floor(random() * 256);
    } else if (kind === 2) {
      // Keep a valid header and length, scramble the body: exercises the attribute walk.
      data = Buffer.from(base);
      for (let k = 20; k < data.length; k++) if (random() < 0.2) data[k] = Math.floor(random() * 256);
    } else data = Buffer.from(Array.from({ length: Math.floor(random() * 120) }, () => Math.floor(random() * 256)));
    await c.send(data, port);
    sent++;
    // Let the responder read: a flood faster than that only tests the kernel's socket buffer.
    if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  t.equal(sent, 5000);
  // Everything answered must be a well-formed response to a request.
  const before = c.received.length;
  const wrong = c.received.slice(0, before).filter((answer) => {
    const m = decodeStunMessage(answer);
    return m.cls === 'success' ? !attribute(m, ATTR.XOR_MAPPED_ADDRESS) && !attribute(m, ATTR.MAPPED_ADDRESS) : m.cls !== 'error' || !attribute(m, ATTR.ERROR_CODE);
  });
  t.ok(before > 100, `answers came back (${before})`);
  t.equal(wrong.length, 0, 'each one a success with an address or an error with ERROR-CODE');
  // UDP under load drops datagrams (this flood shares one process with the responder): retransmit
  // as a STUN client does (RFC 8489 §6.2.1) until the answer comes.
  let answered = false;
  for (let attempt = 0; attempt < 10 && !answered; attempt++) {
    await c.send(binding(99), port);
    await new Promise((resolve) => setTimeout(resolve, 300));
    answered = c.received.some((b) => b.length >= 20 && b.readUInt32BE(16) === 99);
  }
  t.ok(answered, `a good request afterwards is answered (${c.received.length} answers in all)`);
});

t.test('the rate limit drops answers beyond the burst from one address', async (t) => {
  let now = 0;
  const limiter = new RateLimiter({ now: () => now, perSecond: 1, burst: 5, maxAddresses: 16 });
  const r = await responder(t, '127.0.0.1', limiter);
  const c = await client(t, '127.0.0.1');
  for (let i = 0; i < 50; i++) await c.send(binding(i), r.addresses[0]!.port);
  await c.waitFor(50, 500);
  t.equal(c.received.length, 5, 'the burst only');
  now += 2000;
  await c.send(binding(100), r.addresses[0]!.port);
  t.equal(await c.waitFor(6), 6, 'refilled after two seconds');
});

t.test('a port in use is an error; stop() closes the sockets', async (t) => {
  const r = await responder(t, '127.0.0.1');
  const port = r.addresses[0]!.port;
  await t.rejects(startStunResponder({ binds: [{ host: '127.0.0.1', ipv6Only: false, required: true }], port, logger: silentLogger, software: 'x' }));
  await r.stop();
  const again = await startStunResponder({ binds: [{ host: '127.0.0.1', ipv6Only: false, required: true }], port, logger: silentLogger, software: 'x' });
  await again.stop();
});
