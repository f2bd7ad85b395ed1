/**
 * MESSAGE (RFC 3428) between SIP.js user agents over WebSocket through the node: delivered at once
 * to a registered user, and for a user with no device stored (202), then delivered in order, once,
 * when one of their devices registers.
 */
import t, { type Test } from 'tap';
import { Messager, UserAgent } from 'sip.js';
import { silentLogger } from '../../src/log.js';
import { startNode } from '../../src/main.js';
import { startSipJs, until, within, type SipJsClient } from '../helpers/sip-ua.js';
import { startTestNode, TEST_DOMAIN, type TestNode } from '../helpers/test-node.js';
import { installSipWebSocket } from '../helpers/ws-for-sip-clients.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

interface Inbox {
  client: SipJsClient;
  received: Array<{ body: string; from: string; date: string | undefined }>;
}

async function client(t: Test, node: TestNode, user: keyof typeof USERS): Promise<Inbox> {
  const c = await startSipJs(t, { url: `ws://127.0.0.1:${node.config.httpPort}/`, user, password: USERS[user], domain: TEST_DOMAIN });
  const received: Inbox['received'] = [];
  c.ua.delegate = {
    onMessage: (message) => {
      const req = message.request;
      received.push({ body: req.body, from: req.from.uri.user ?? '', date: req.getHeader('date') });
      void message.accept();
    },
  };
  return { client: c, received };
}

/** alice sends `body` to bob; resolves with the final status. */
function send(from: SipJsClient, body: string): Promise<number> {
  const target = UserAgent.makeURI(`sip:bob@${TEST_DOMAIN}`)!;
  const messager = new Messager(from.ua, target, body, 'text/plain');
  return within(
    new Promise<number>((resolve, reject) => {
      messager
        .message({
          requestDelegate: {
            onAccept: (r) => resolve(r.message.statusCode ?? 0),
            onReject: (r) => resolve(r.message.statusCode ?? 0),
          },
        })
        .catch(reject);
    }),
    'the MESSAGE to be answered',
  );
}

t.test('a MESSAGE reaches a registered user at once', async (t) => {
  const node = await startTestNode(t, USERS);
  installSipWebSocket(t);
  const alice = await client(t, node, 'alice');
  const bob = await client(t, node, 'bob');
  t.same(await bob.client.register(), { registered: true });
  t.equal(await send(alice.client, 'hola bob'), 200, 'alice learns bob took it');
  await until(() => bob.received.length === 1, 'bob to get the message');
  t.equal(bob.received[0]!.body, 'hola bob');
  t.equal(bob.received[0]!.from, 'alice', 'from alice');
});

t.test('a MESSAGE for a user with no device is stored, then delivered in order, once, at registration', async (t) => {
  const node = await startTestNode(t, USERS);
  installSipWebSocket(t);
  const alice = await client(t, node, 'alice');
  t.equal(await send(alice.client, 'first'), 202, 'stored: 202 Accepted (RFC 3428 §7)');
  t.equal(await send(alice.client, 'second'), 202);

  const bob = await client(t, node, 'bob');
  t.same(await bob.client.register(), { registered: true });
  await until(() => bob.received.length === 2, 'bob to get both stored messages');
  t.same(bob.received.map((m) => m.body), ['first', 'second'], 'in the order they were sent');
  t.same(bob.received.map((m) => m.from), ['alice', 'alice'], 'from the sender');
  t.ok(bob.received.every((m) => m.date !== undefined), 'each with the Date it arrived');

  t.same(await bob.client.register(), { registered: true }, 'a refresh');
  const second = await client(t, node, 'bob');
  t.same(await second.client.register(), { registered: true }, 'and a second device');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(bob.received.length + second.received.length, 2, 'deliver nothing twice');
});

t.test('stored messages outlive a restart of the node', async (t) => {
  const first = await startTestNode(t, USERS);
  installSipWebSocket(t);
  const alice = await client(t, first, 'alice');
  t.equal(await send(alice.client, 'before the restart'), 202);
  await alice.client.stop();
  await first.stop();

  const node = await startNode(first.config, silentLogger);
  t.teardown(() => node.stop());
  const bob = await client(t, { ...first, node }, 'bob');
  t.same(await bob.client.register(), { registered: true });
  await until(() => bob.received.length === 1, 'bob to get the message stored before the restart');
  t.equal(bob.received[0]!.body, 'before the restart');
});

t.test('a MESSAGE over message_max_body is refused with 413', async (t) => {
  const node = await startTestNode(t, USERS, { messageMaxBody: 16 });
  installSipWebSocket(t);
  const alice = await client(t, node, 'alice');
  t.equal(await send(alice.client, 'x'.repeat(17)), 413);
  t.equal(await send(alice.client, 'x'.repeat(16)), 202, 'the limit itself is allowed');
});
