/**
 * Where a UDP device is reached (issue 12, registrar/udp-reach.ts), with real sockets: a phone that
 * sends from one port and listens on another gets its calls at the port it listens on; a phone
 * whose Via shows a NAT rewrote its address gets them where its REGISTER came from.
 */
import t from 'tap';
import { rawSipPeer } from '../helpers/raw-sip-peer.js';
import { startTestNode } from '../helpers/test-node.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

t.test('a phone that sends from another port than it listens on is reached at its Contact', async (t) => {
  const node = await startTestNode(t, USERS);
  const sender = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'bob', password: USERS.bob });
  const listener = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'bob', password: USERS.bob });
  const reg = await sender.send({ method: 'REGISTER', to: 'bob', contact: `<sip:bob@127.0.0.1:${listener.localPort}>` });
  t.equal(reg.status, 200);
  const alice = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'alice', password: USERS.alice });
  const sent = alice.send({ method: 'MESSAGE', to: 'bob', body: 'hola', extra: ['Content-Type: text/plain'] });
  const arrived = await listener.requests.next(3000);
  t.equal(arrived.method, 'MESSAGE');
  t.equal(arrived.body.toString(), 'hola');
  listener.reply(arrived, 200);
  t.equal((await sent).status, 200, 'the answer from the listening port reaches alice');
  t.same(sender.requests.items, [], 'nothing went to the port it sent the REGISTER from');
});

t.test('a phone behind NAT (its Via names another address than the source) is reached at the source', async (t) => {
  const node = await startTestNode(t, USERS);
  // The Via and Contact name the phone's private side; the datagrams come from 127.0.0.1.
  const phone = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'bob', password: USERS.bob, viaHost: '198.18.0.50' });
  const reg = await phone.send({ method: 'REGISTER', to: 'bob', contact: '<sip:bob@198.18.0.50:5060>' });
  t.equal(reg.status, 200);
  const alice = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'alice', password: USERS.alice });
  const sent = alice.send({ method: 'MESSAGE', to: 'bob', body: 'nat', extra: ['Content-Type: text/plain'] });
  const arrived = await phone.requests.next(3000);
  t.equal(arrived.method, 'MESSAGE');
  phone.reply(arrived, 200);
  t.equal((await sent).status, 200);
  t.ok(node.logs.some((l) => /register bob sip:bob@198\.18\.0\.50:5060 via udp 127\.0\.0\.1:/.test(l)), 'registered from the NAT side');
});
