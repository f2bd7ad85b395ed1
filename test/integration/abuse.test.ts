/**
 * What a stranger on the mesh tries with a SIP node (issue 12, abuse), from real sockets: relaying
 * through it to an address it does not serve (a "victim" socket on another loopback address, which
 * must receive nothing), speaking for another user, loose-routing through it with forged Routes,
 * learning which users exist, and getting answers much larger than the request to an address it
 * never proved it holds (reflection and amplification over UDP).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { rawSipPeer } from '../helpers/raw-sip-peer.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };
/** No reply may be more than this many times the size of the unauthenticated request. */
const MAX_AMPLIFICATION = 3;

/** A socket on another loopback address standing in for a host the node must never be made to reach. */
async function victim(t: Test) {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.9');
  await once(socket, 'listening');
  t.teardown(() => socket.close());
  const got: string[] = [];
  socket.on('message', (m) => got.push(m.toString('latin1')));
  return { port: socket.address().port, got };
}

t.test('no open relay: a proven user cannot reach a foreign address directly or by a Route', async (t) => {
  const node = await startTestNode(t, USERS);
  const v = await victim(t);
  const alice = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'alice', password: USERS.alice });
  const foreign = `sip:victim@127.0.0.9:${v.port}`;
  t.equal((await alice.send({ method: 'MESSAGE', ruri: foreign, to: 'victim', body: 'spam' })).status, 403, 'a MESSAGE to a foreign host');
  t.equal((await alice.send({ method: 'INVITE', ruri: foreign, to: 'victim' })).status, 403, 'an INVITE to a foreign host');
  const forged = await alice.send({ method: 'MESSAGE', to: 'bob', extra: [`Route: <sip:127.0.0.9:${v.port};lr>`], body: 'via a forged Route' });
  t.ok(forged.status >= 400, `a preloaded Route to a foreign host is refused (${forged.status})`);
  const ownRoute = await alice.send({
    method: 'MESSAGE',
    ruri: foreign,
    to: 'victim',
    extra: [`Route: <sip:127.0.0.1:${node.config.sipPort};lr>`],
    body: 'through a Route naming the node, with no token of its own',
  });
  t.ok(ownRoute.status >= 400, `a Route naming the node without its token does not open the way (${ownRoute.status})`);
  await new Promise((r) => setTimeout(r, 300));
  t.same(v.got, [], 'the foreign host received nothing');
});

t.test('a stranger cannot loose-route through the node with a dialog it never had', async (t) => {
  const node = await startTestNode(t, USERS);
  const v = await victim(t);
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  t.teardown(() => socket.close());
  const replies: string[] = [];
  socket.on('message', (m) => replies.push(m.toString('latin1')));
  const local = socket.address().port;
  for (const route of [`<sip:127.0.0.1:${node.config.sipPort};lr>`, `<sip:${TEST_DOMAIN};lr>`, `<sip:127.0.0.1:${node.config.sipPort};lr;ftag=x;tk=forged>`]) {
    const text = [
      `BYE sip:victim@127.0.0.9:${v.port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-lr-${replies.length}-${route.length};rport`,
      'Max-Forwards: 70',
      `Route: ${route}`,
      `From: <sip:alice@${TEST_DOMAIN}>;tag=a`,
      `To: <sip:victim@127.0.0.9>;tag=v`,
      `Call-ID: forged-${route.length}@127.0.0.1`,
      'CSeq: 2 BYE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    socket.send(text, node.config.sipPort, '127.0.0.1');
  }
  await new Promise((r) => setTimeout(r, 500));
  t.same(v.got, [], 'no forged in-dialog request reached the foreign host');
  t.equal(replies.filter((r) => /^SIP\/2\.0 [4-6]\d\d /.test(r)).length, 3, 'each got an error response');
});

t.test('a proven user cannot speak for another', async (t) => {
  const node = await startTestNode(t, USERS);
  const bob = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'bob', password: USERS.bob });
  await bob.send({ method: 'REGISTER', to: 'bob', contact: `<sip:bob@127.0.0.1:${bob.localPort}>` });
  const alice = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'alice', password: USERS.alice });
  const res = await alice.send({ method: 'MESSAGE', to: 'bob', from: `sip:carol@${TEST_DOMAIN}`, body: 'not from carol' });
  t.equal(res.status, 403, `alice's credentials for a From of carol: ${res.status} ${res.reason}`);
  await t.rejects(bob.requests.next(300), 'bob got nothing');
});

t.test('no user enumeration: strangers get the same answer for users that exist and users that do not', async (t) => {
  const node = await startTestNode(t, USERS);
  const stranger = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'mallory', password: 'guess' });
  for (const method of ['INVITE', 'MESSAGE', 'OPTIONS', 'SUBSCRIBE']) {
    const known = await stranger.send({ method, to: 'bob' });
    const unknown = await stranger.send({ method, to: 'nobody' });
    t.equal(`${unknown.status} ${unknown.reason}`, `${known.status} ${known.reason}`, `${method}: ${known.status} either way`);
  }
  const guesser = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'bob', password: 'wrong' });
  const wrongPassword = await guesser.send({ method: 'REGISTER', to: 'bob' });
  const noAccount = await stranger.send({ method: 'REGISTER', to: 'mallory' });
  t.equal(`${noAccount.status} ${noAccount.reason}`, `${wrongPassword.status} ${wrongPassword.reason}`, 'REGISTER: a wrong password and no account look alike');
});

t.test(`no reply to an unproven UDP address is more than ${MAX_AMPLIFICATION} times its request`, async (t) => {
  const node = await startTestNode(t, USERS);
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  t.teardown(() => socket.close());
  const local = socket.address().port;
  const replies = new Map<string, number>();
  socket.on('message', (m) => {
    const callId = /^Call-ID: (.*)$/m.exec(m.toString('latin1'))?.[1]?.trim();
    if (callId) replies.set(callId, (replies.get(callId) ?? 0) + m.length);
  });
  const sizes = new Map<string, number>();
  const requests = [
    ['REGISTER', `sip:${TEST_DOMAIN}`, 'bob'],
    ['INVITE', `sip:bob@${TEST_DOMAIN}`, 'bob'],
    ['MESSAGE', `sip:bob@${TEST_DOMAIN}`, 'bob'],
    ['OPTIONS', `sip:${TEST_DOMAIN}`, ''],
    ['SUBSCRIBE', `sip:bob@${TEST_DOMAIN}`, 'bob'],
    ['BYE', `sip:bob@${TEST_DOMAIN}`, 'bob'],
  ];
  for (const [method, ruri, to] of requests) {
    // As small as a valid request gets: what an attacker who wants the largest ratio would send.
    const callId = `a${method}`;
    const text = [
      `${method} ${ruri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${method}`,
      'Max-Forwards: 70',
      `From: <sip:x@${TEST_DOMAIN}>;tag=1`,
      `To: <sip:${to ? `${to}@` : ''}${TEST_DOMAIN}>`,
      `Call-ID: ${callId}`,
      `CSeq: 1 ${method}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    sizes.set(callId, Buffer.byteLength(text));
    socket.send(text, node.config.sipPort, '127.0.0.1');
  }
  // Past Timer G's first two retransmissions (T1 = 500 ms, then 1 s), had the 407 been sent statefully.
  await new Promise((r) => setTimeout(r, 1700));
  for (const [callId, size] of sizes) {
    const reply = replies.get(callId) ?? 0;
    t.ok(reply > 0, `${callId.slice(1)} is answered`);
    t.ok(reply <= MAX_AMPLIFICATION * size, `${callId.slice(1)}: ${reply} bytes back for ${size} (${(reply / size).toFixed(2)}x)`);
  }
});
