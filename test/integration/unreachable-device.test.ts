/**
 * A desk phone on TCP that cannot be reached any more (issue: Linphone over TCP). Linphone puts its
 * connection's own ephemeral port in its Contact; once that connection closes nothing listens
 * there. Against a real node on loopback sockets:
 *
 *   - such a binding goes with its connection, and a call for the user gets 480 at once;
 *   - a binding whose listening Contact refuses the connection is dialled, the refusal fails that
 *     branch (RFC 3261 §16.9), and every method sent to the user gets a final response at once
 *     (a MESSAGE is stored for later): no request is left unanswered, and nothing throws in the node.
 */
import { once } from 'node:events';
import net from 'node:net';
import t from 'tap';
import { freePorts } from '../helpers/ports.js';
import { rawSipPeer } from '../helpers/raw-sip-peer.js';
import { until } from '../helpers/sip-ua.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

/** Bob registers on a TCP connection of his own, with `contact`, then that connection closes. */
async function bobRegistersAndLeaves(node: TestNode, contact: (localPort: number) => string): Promise<string> {
  const bob = await rawSipPeer(t, { transport: 'tcp', nodePort: node.config.sipPort, user: 'bob', password: USERS.bob });
  const uri = contact(bob.localPort);
  const ok = await bob.send({ method: 'REGISTER', to: 'bob', contact: `<${uri}>`, extra: ['Expires: 600'] });
  t.equal(ok.status, 200, 'bob is registered');
  t.equal(node.node.location.lookup('bob').length, 1);
  await bob.close();
  return uri;
}

/** A port on loopback that nothing listens on while the test runs. */
async function closedPort(): Promise<number> {
  const [port] = await freePorts(1);
  const probe = net.connect({ host: '127.0.0.1', port: port! });
  const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
  if (err.code !== 'ECONNREFUSED') throw new Error(`port ${port} is not closed: ${err.code}`);
  return port!;
}

function noHandlerFailure(node: TestNode): string[] {
  return node.logs.filter((l) => /failed|RangeError|TypeError/.test(l) && /error/.test(l));
}

t.test('a TCP Contact that is the connection\'s own port goes with the connection: 480 at once', async (t) => {
  const node = await startTestNode(t, USERS);
  await bobRegistersAndLeaves(node, (port) => `sip:bob@127.0.0.1:${port};transport=tcp`);
  await until(() => node.node.location.lookup('bob').length === 0, 'bob\'s binding to go with its connection');

  const alice = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'alice', password: USERS.alice });
  const started = Date.now();
  const res = await alice.send({ method: 'INVITE', to: 'bob', contact: `<sip:alice@127.0.0.1:${alice.localPort}>` });
  t.equal(res.status, 480, 'nothing left to ring');
  t.ok(Date.now() - started < 2000, 'answered at once, not after a timer');
  t.ok(node.logs.some((l) => /unregister bob .*connection tcp#\d+ closed/.test(l)), 'the node says why the binding went');
  t.same(noHandlerFailure(node), []);
});

t.test('a TCP Contact nobody listens on: every method gets its final response at once', async (t) => {
  const node = await startTestNode(t, USERS);
  const port = await closedPort();
  await bobRegistersAndLeaves(node, () => `sip:bob@127.0.0.1:${port};transport=tcp`);
  t.equal(node.node.location.lookup('bob').length, 1, 'a listening Contact outlives the connection it was registered on');

  const alice = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'alice', password: USERS.alice });
  const contact = `<sip:alice@127.0.0.1:${alice.localPort}>`;
  // Requests that open something at bob's device are dialled; the refused connection is their answer.
  const routed: Record<string, string[]> = {
    INVITE: ['Content-Type: application/sdp'],
    OPTIONS: [],
    SUBSCRIBE: ['Event: presence', 'Expires: 600'],
    NOTIFY: ['Event: presence', 'Subscription-State: active'],
    REFER: ['Refer-To: <sip:alice@test.mesh>'],
  };
  for (const [method, extra] of Object.entries(routed)) {
    const started = Date.now();
    const res = await alice.send({ method, to: 'bob', contact, extra });
    t.equal(res.status, 480, `${method}: 480, no device of bob's could be reached`);
    t.ok(Date.now() - started < 2000, `${method}: answered at once`);
  }
  const message = await alice.send({ method: 'MESSAGE', to: 'bob', contact, extra: ['Content-Type: text/plain'], body: 'hello' });
  t.equal(message.status, 202, 'a MESSAGE no device could take is stored, as for a user with none (RFC 3428 §7)');
  t.ok(node.logs.some((l) => /MESSAGE for bob stored until a device registers/.test(l)));
  // Requests the node answers itself, whatever bob's devices: no dialog, not implemented, unknown.
  const answered: Record<string, number> = { BYE: 481, INFO: 481, UPDATE: 481, PRACK: 481, PUBLISH: 501 };
  for (const [method, status] of Object.entries(answered)) {
    t.equal((await alice.send({ method, to: 'bob', contact })).status, status, `${method}: ${status}`);
  }
  const unknown = await alice.send({ method: 'FROBNICATE', to: 'bob', contact });
  t.ok(unknown.status >= 400, `a method nobody knows still gets a final response (${unknown.status})`);
  t.ok(node.logs.some((l) => /could not connect to tcp 127\.0\.0\.1:\d+/.test(l)), 'the node says it could not connect');
  t.same(noHandlerFailure(node), [], 'nothing threw in the node');
});
