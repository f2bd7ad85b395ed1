/** POST /.well-known/trucada/peers over real HTTPS against a running node: what it refuses, and why. */
import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { encodeBeacon } from '../../src/federation/beacon.js';
import { signDescriptor } from '../../src/federation/descriptor.js';
import { signExchange } from '../../src/federation/exchange-signature.js';
import { identityOf } from '../../src/federation/node-identity.js';
import { httpsRequest } from '../helpers/https-client.js';
import { startTestNode } from '../helpers/test-node.js';

const PATH = '/.well-known/trucada/peers';
const STRANGER = identityOf(generateKeyPairSync('ed25519').privateKey);
const text = { 'Content-Type': 'text/plain' };

t.test('a node with peer exchange on refuses what is not a peer node’s signed list, with the reason', async (t) => {
  const node = await startTestNode(t, {}, { peerExchange: 'on' });
  const port = node.config.httpsPort;
  const get = await httpsRequest(port, 'GET', PATH);
  t.same([get.status, get.headers.allow], [405, 'POST']);
  const json = await httpsRequest(port, 'POST', PATH, { json: {} });
  t.same([json.status, JSON.parse(json.text).error], [415, 'send the beacons as text/plain, one a line']);
  const big = await httpsRequest(port, 'POST', PATH, { body: Buffer.alloc(140_000, 'a'), headers: text });
  t.equal(big.status, 413);
  const unsigned = await httpsRequest(port, 'POST', PATH, { body: 'trucada1\n', headers: text });
  t.same([unsigned.status, JSON.parse(unsigned.text).error], [403, 'an exchange must be signed by a peer node']);

  // A node it does not know: refused, and its own beacon (the first line) is heard, so it is fetched.
  const body = Buffer.from(encodeBeacon({ id: STRANGER.id, domain: 'stranger.mesh', address: '127.0.0.1', port: 9, seq: 1 }));
  const stranger = await httpsRequest(port, 'POST', PATH, { body, headers: { ...text, 'Trucada-Signature': signExchange(body, STRANGER, 'x', Date.now()) } });
  t.equal(stranger.status, 403);
  t.match(JSON.parse(stranger.text).error, /does not know yours yet/);
  const fetched = /exchange: cannot fetch the descriptor of node \S+ from 127\.0\.0\.1:9/;
  for (let i = 0; i < 50 && !node.logs.some((l) => fetched.test(l)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  t.ok(node.logs.some((l) => fetched.test(l)), 'the node tried to fetch the stranger where its beacon said');
});

t.test('a node it does not know that introduces itself, from an address its descriptor lists, is admitted from the request itself', async (t) => {
  const node = await startTestNode(t, {}, { peerExchange: 'on' });
  const port = node.config.httpsPort;
  const own = JSON.parse((await httpsRequest(port, 'GET', '/.well-known/trucada')).text) as { id: string };
  const descriptor = signDescriptor(STRANGER, { domain: 'stranger.mesh', sip: { udp: 5999 }, addresses: ['127.0.0.1'], seq: 1, time: Date.now(), users: ['zoe'], online: [], offline: [] });
  const body = Buffer.from(`${encodeBeacon({ id: STRANGER.id, domain: 'stranger.mesh', address: '127.0.0.1', port: 9, seq: 1 })}${descriptor}\n`);
  const answer = await httpsRequest(port, 'POST', PATH, { body, headers: { ...text, 'Trucada-Signature': signExchange(body, STRANGER, own.id, Date.now()) } });
  t.equal(answer.status, 200, 'the exchange is taken as from a peer');
  t.ok(node.logs.some((l) => new RegExp(`node ${STRANGER.id} \\(stranger\\.mesh\\) at 127\\.0\\.0\\.1 joined \\(exchange, introduced by itself`).test(l)), 'admitted from its introduction');
  t.notOk(node.logs.some((l) => /cannot fetch the descriptor/.test(l)), 'with no fetch of its descriptor (nothing listens at its port 9)');
});

t.test('with peer exchange off the path says so', async (t) => {
  const node = await startTestNode(t);
  const answer = await httpsRequest(node.config.httpsPort, 'POST', PATH, { body: 'x', headers: text });
  t.same([answer.status, JSON.parse(answer.text).error], [404, 'this node does not take part in peer exchange']);
});
