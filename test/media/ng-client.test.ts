/**
 * The ng client against the real rtpengine (offer, answer, query, delete, ping, its refusals), and
 * against sockets that misbehave on purpose: a relay that loses the first try, one that never
 * answers, replies that are not ours or not bencode.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { createLogger } from '../../src/log.js';
import { decode } from '../../src/media/bencode.js';
import { NgClient, NgRefused, NgUnanswered } from '../../src/media/ng-client.js';
import { RelayHealth } from '../../src/media/relay-health.js';
import { rtpengineMissing, startRtpengine } from '../helpers/rtpengine.js';

function logged(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger('debug', (l) => lines.push(l.trimEnd())) };
}

function client(t: Test, port: number, extra: { timeoutMs?: number; tries?: number; maxPending?: number } = {}) {
  const log = logged();
  const c = new NgClient({ address: { host: '127.0.0.1', port }, logger: log.logger, ...extra });
  t.teardown(() => c.close());
  return { c, lines: log.lines };
}

/** A UDP socket that plays rtpengine: `answer` sees each datagram's cookie and body and may reply. */
async function fakeRelay(t: Test, answer: (cookie: string, body: unknown, n: number, reply: (text: string | Buffer) => void) => void) {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  t.teardown(() => socket.close());
  const seen: string[] = [];
  socket.on('message', (m, from) => {
    const space = m.indexOf(0x20);
    const cookie = m.toString('latin1', 0, space);
    seen.push(cookie);
    answer(cookie, decode(m, space + 1), seen.length, (text) => socket.send(text, from.port, from.address));
  });
  return { port: socket.address().port, seen };
}

const OFFER_SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
const ANSWER_SDP = OFFER_SDP.replace('o=- 1 1', 'o=- 2 2').replace('40000', '40002');

t.test('offer, answer, query and delete with the real rtpengine', { skip: rtpengineMissing }, async (t) => {
  const rtpe = await startRtpengine(t);
  const { c } = client(t, rtpe.ngPort);
  t.same(await c.ping(), { result: 'pong' });
  const call = { 'call-id': 'ng-test-1@127.0.0.1', 'from-tag': 'a1' };
  const offer = await c.request('offer', { ...call, sdp: OFFER_SDP, flags: ['trust-address'], replace: ['origin', 'session-connection'] });
  t.equal(offer.result, 'ok');
  const port = Number(/^m=audio (\d+) RTP\/AVP/m.exec(String(offer.sdp))?.[1]);
  t.ok(port >= rtpe.rtpPorts[0] && port <= rtpe.rtpPorts[1], `the offer's audio now goes to rtpengine's port ${port}`);
  t.match(String(offer.sdp), /c=IN IP4 127\.0\.0\.1/);
  const answer = await c.request('answer', { ...call, 'to-tag': 'b1', sdp: ANSWER_SDP, flags: ['trust-address'] });
  t.equal(answer.result, 'ok');
  const query = await c.request('query', { 'call-id': call['call-id'] });
  t.equal(query.result, 'ok');
  t.type(query.tags, 'object', 'the query lists the call legs');
  t.equal((await c.request('delete', call)).result, 'ok');
  t.match(await c.request('delete', { 'call-id': 'never-offered@127.0.0.1', 'from-tag': 'x' }), { result: 'ok', warning: /Call-ID not found/ }, 'a call it never had: ok, with a warning');
  await t.rejects(c.request('frobnicate'), NgRefused, 'an unknown command is refused');
  await t.rejects(c.request('frobnicate'), { name: 'NgRefused', message: /refused frobnicate: Unrecognized command/ }, 'with rtpengine\'s reason');
});

t.test('a lost request is tried again with the same cookie', async (t) => {
  const relay = await fakeRelay(t, (cookie, _body, n, reply) => {
    if (n >= 2) reply(`${cookie} d6:result4:ponge`);
  });
  const { c } = client(t, relay.port, { timeoutMs: 100 });
  t.same(await c.ping(), { result: 'pong' });
  t.equal(relay.seen.length, 2);
  t.equal(relay.seen[0], relay.seen[1], 'rtpengine knows a retransmission by its cookie');
});

t.test('a relay that never answers: the request fails after every try', async (t) => {
  const relay = await fakeRelay(t, () => {});
  const { c } = client(t, relay.port, { timeoutMs: 80, tries: 3 });
  const started = Date.now();
  await t.rejects(c.request('offer', { sdp: OFFER_SDP }), { name: 'NgUnanswered', message: /did not answer offer: no reply in 3 tries of 80 ms/ });
  t.ok(Date.now() - started >= 230, 'it waited for every try');
  t.equal(relay.seen.length, 3);
});

t.test('replies that are not ours, not bencode or not a dictionary are dropped', async (t) => {
  const relay = await fakeRelay(t, (cookie, body, _n, reply) => {
    reply('0123456789abcdef d6:result4:ponge');
    reply(`${cookie} d6:result`);
    reply(`${cookie} l4:ponge`);
    reply(`${cookie} d6:result2:ok7:warning10:be carefule`);
    t.match(body, { command: 'ping' });
  });
  const { c, lines } = client(t, relay.port);
  t.same(await c.ping(), { result: 'ok', warning: 'be careful' });
  t.ok(lines.some((l) => /a reply with no request waiting/.test(l)));
  t.ok(lines.some((l) => /unreadable reply to ping dropped/.test(l)));
  t.ok(lines.some((l) => /reply to ping is not a dictionary/.test(l)));
  t.ok(lines.some((l) => /rtpengine warns about ping: be careful/.test(l)));
});

t.test('requests in flight are bounded, and closing fails what waits', async (t) => {
  const relay = await fakeRelay(t, () => {});
  const { c } = client(t, relay.port, { maxPending: 2, timeoutMs: 5000 });
  const first = c.ping();
  const second = c.ping();
  await t.rejects(c.ping(), { name: 'NgUnanswered', message: /2 requests already waiting/ });
  c.close();
  await t.rejects(first, NgUnanswered);
  await t.rejects(second, { name: 'NgUnanswered', message: /the client is closed/ });
  await t.rejects(c.ping(), { name: 'NgUnanswered', message: /the client is closed/ });
});

t.test('the health check marks the relay down when it stops and up when it is back', { skip: rtpengineMissing }, async (t) => {
  const rtpe = await startRtpengine(t);
  const { c } = client(t, rtpe.ngPort, { timeoutMs: 100, tries: 2 });
  const log = logged();
  const health = new RelayHealth({ client: c, logger: log.logger, name: `udp:127.0.0.1:${rtpe.ngPort}` });
  t.equal(health.state, 'unknown');
  await health.check();
  t.equal(health.state, 'up');
  await rtpe.stop();
  await health.check();
  t.equal(health.state, 'down');
  await health.check();
  await rtpe.restart();
  await health.check();
  t.equal(health.state, 'up');
  t.same(log.lines.map((l) => l.replace(/^.*?(info|warn): /, '$1: ')), [
    `info: media relay rtpengine at udp:127.0.0.1:${rtpe.ngPort} is up`,
    `warn: media relay rtpengine at udp:127.0.0.1:${rtpe.ngPort} is down (rtpengine did not answer ping: no reply in 2 tries of 100 ms): calls go on without it`,
    `info: media relay rtpengine at udp:127.0.0.1:${rtpe.ngPort} is up again`,
  ], 'each change logged once');
});
