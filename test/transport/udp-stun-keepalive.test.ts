import dgram from 'node:dgram';
import t, { type Test } from 'tap';
import { createLogger } from '../../src/log.js';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';
import { parseVia } from '../../src/sip/via.js';
import { decodeMappedAddress, decodeXorMappedAddress } from '../../src/stun/address.js';
import { attribute, decodeStunMessage, encodeStunMessage } from '../../src/stun/codec.js';
import { ATTR, MAGIC_COOKIE, METHOD_BINDING } from '../../src/stun/constants.js';
import { decodeErrorCode } from '../../src/stun/error-attributes.js';
import type { StunAttribute } from '../../src/stun/message.js';
import { RateLimiter } from '../../src/net/rate-limit.js';
import { RateLimitedLog } from '../../src/transport/rate-limited-log.js';
import { startUdp } from '../../src/transport/udp.js';
import { VERSION } from '../../src/version.js';
import { RecordingSink, headLines, rawRequest, startHarness } from '../helpers/transport-harness.js';

/** A UDP peer on 127.0.0.1 that keeps every datagram it gets. */
async function client(t: Test) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  return {
    port: socket.address().port,
    received,
    send: (data: Buffer | string, port: number) =>
      new Promise<void>((resolve) => socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1', () => resolve())),
    /** Waits until `n` datagrams are in or `ms` pass; how many there are. */
    async waitFor(n: number, ms = 2000) {
      const end = Date.now() + ms;
      while (received.length < n && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
      return received.length;
    },
  };
}

function transactionId(n: number): Buffer {
  const id = Buffer.alloc(12);
  id.writeUInt32BE(n, 8);
  return id;
}

/** A Binding request as an RFC 5626 §8.4 client sends it (with FINGERPRINT). */
function binding(n: number, attributes: StunAttribute[] = [], cookie = MAGIC_COOKIE): Buffer {
  return encodeStunMessage(
    { method: METHOD_BINDING, cls: 'request', cookie, transactionId: transactionId(n), attributes },
    { fingerprint: true },
  );
}

t.test('a Binding request on the SIP port gets its XOR-MAPPED-ADDRESS back, and SIP goes on as before', async (t) => {
  const h = await startHarness(t);
  const c = await client(t);
  await c.send(binding(1), h.config.sipPort);
  t.equal(await c.waitFor(1), 1, 'one answer');
  const answer = decodeStunMessage(c.received[0]!);
  t.equal(answer.cls, 'success');
  t.equal(answer.method, METHOD_BINDING);
  t.same(answer.transactionId, transactionId(1), 'the transaction id is echoed');
  t.same(decodeXorMappedAddress(attribute(answer, ATTR.XOR_MAPPED_ADDRESS)!, answer.transactionId), { address: '127.0.0.1', port: c.port });
  t.equal(attribute(answer, ATTR.SOFTWARE)?.toString(), `trucada ${VERSION}`);
  t.ok(attribute(answer, ATTR.FINGERPRINT), 'with a FINGERPRINT (checked by the decoder)');

  // An RFC 3489 client (no magic cookie) is answered too, with MAPPED-ADDRESS.
  await c.send(binding(2, [], 0x01020304), h.config.sipPort);
  t.equal(await c.waitFor(2), 2);
  const old = decodeStunMessage(c.received[1]!);
  t.equal(old.cls, 'success');
  t.same(decodeMappedAddress(attribute(old, ATTR.MAPPED_ADDRESS)!), { address: '127.0.0.1', port: c.port });

  await c.send(rawRequest({ callId: 'after-stun' }), h.config.sipPort);
  const { message, flow } = await h.sink.messages.next();
  t.equal(message.headers.get('call-id'), 'after-stun');
  t.equal(flow.remotePort, c.port);
  t.equal(parseVia(message.headers.getAll('via')[0]!).params.get('rport'), String(c.port));
  t.equal(h.sink.messages.items.length, 0, 'the STUN datagrams never reached the SIP sink');
  t.notOk(h.log.some((l) => l.includes('malformed')), 'nor the SIP parser');
});

t.test('malformed STUN is answered or dropped as the codec says, and SIP works right after', async (t) => {
  const h = await startHarness(t);
  const c = await client(t);
  const port = h.config.sipPort;

  // An attribute whose length runs past the message: MALFORMED, so the request gets 400.
  const overrun = Buffer.from(binding(3, [{ type: ATTR.USERNAME, value: Buffer.from('abcd') }]));
  overrun.writeUInt16BE(200, 22);
  await c.send(overrun, port);
  t.equal(await c.waitFor(1), 1);
  const refused = decodeStunMessage(c.received[0]!);
  t.equal(refused.cls, 'error');
  t.same(refused.transactionId, transactionId(3));
  t.equal(decodeErrorCode(attribute(refused, ATTR.ERROR_CODE)!).code, 400);

  // A FINGERPRINT that does not match, a success response, an indication: all dropped in silence.
  const badFingerprint = Buffer.from(binding(4));
  badFingerprint[badFingerprint.length - 1]! ^= 0xff;
  await c.send(badFingerprint, port);
  const response = encodeStunMessage({ method: METHOD_BINDING, cls: 'success', cookie: MAGIC_COOKIE, transactionId: transactionId(5), attributes: [] });
  await c.send(response, port);
  const indication = encodeStunMessage({ method: METHOD_BINDING, cls: 'indication', cookie: MAGIC_COOKIE, transactionId: transactionId(6), attributes: [] });
  await c.send(indication, port);

  await c.send(rawRequest({ callId: 'still-sip' }), port);
  const { message } = await h.sink.messages.next();
  t.equal(message.headers.get('call-id'), 'still-sip', 'the next SIP request is delivered');
  t.equal(h.sink.messages.items.length, 0);
  t.equal(c.received.length, 1, 'nothing answered the dropped ones');
  t.notOk(h.log.some((l) => l.includes('malformed')), 'STUN-shaped datagrams never reach the SIP parser');

  // A malformed SIP request is still answered by SIP's rules.
  await c.send(rawRequest({ callId: 'bad-cseq' }).replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS'), port);
  t.equal(await c.waitFor(2), 2);
  t.equal(headLines(c.received[1]!.toString())[0], 'SIP/2.0 400 Bad CSeq header');
});

t.test('STUN answers are rate-limited per source address; SIP is not', async (t) => {
  let now = 0;
  const log: string[] = [];
  const logger = createLogger('debug', (line) => log.push(line));
  const sink = new RecordingSink();
  const udp = await startUdp({
    binds: [{ host: '127.0.0.1', ipv6Only: false, required: true }],
    port: 0,
    ctx: { sink, limits: DEFAULT_LIMITS, logger, warnings: new RateLimitedLog(logger, () => now) },
    software: 'keepalive test',
    // No loopback exemption here, so the limit can be seen from 127.0.0.1.
    stunLimiter: new RateLimiter({ now: () => now, perSecond: 1, burst: 3, maxAddresses: 8 }),
  });
  t.teardown(udp.stop);
  const c = await client(t);
  const port = udp.flowTo('127.0.0.1', c.port)!.localPort;

  for (let i = 0; i < 20; i++) await c.send(binding(100 + i), port);
  await c.waitFor(20, 500);
  t.equal(c.received.length, 3, 'the burst only');
  t.equal(attribute(decodeStunMessage(c.received[0]!), ATTR.SOFTWARE)?.toString(), 'keepalive test', 'the SOFTWARE option');

  for (const id of ['a', 'b', 'c']) await c.send(rawRequest({ callId: id }), port);
  for (const id of ['a', 'b', 'c']) t.equal((await sink.messages.next()).message.headers.get('call-id'), id, `SIP request ${id} delivered`);

  now += 1000;
  await c.send(binding(200), port);
  t.equal(await c.waitFor(4), 4, 'one more token a second later');
  t.same(decodeStunMessage(c.received[3]!).transactionId, transactionId(200));
});
