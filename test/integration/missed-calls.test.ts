/**
 * Missed calls: a call to a user with no device, and one nobody answers before the ring timeout,
 * each leave one history row; when the user next registers the node sends one MESSAGE listing
 * them, which any SIP client shows, and does not send it again.
 */
import t from 'tap';
import { startSipJs, until, within } from '../helpers/sip-ua.js';
import { startSipJsPhone } from '../helpers/sipjs-phone.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';
import { installSipWebSocket } from '../helpers/ws-for-sip-clients.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };
const BOB = `sip:bob@${TEST_DOMAIN}`;

t.test('bob is told of the calls he missed when he next registers, once', async (t) => {
  const node = await startTestNode(t, USERS, { ringTimeout: 1 });
  const sockets = installSipWebSocket(t);
  const alice = await startSipJsPhone(t, sockets, {
    server: `ws://127.0.0.1:${node.config.httpPort}`,
    name: 'alice',
    user: 'alice',
    password: USERS.alice,
    domain: TEST_DOMAIN,
  });

  const phone = await startSipJsPhone(t, sockets, {
    server: `ws://127.0.0.1:${node.config.httpPort}`,
    name: 'bob-phone',
    user: 'bob',
    password: USERS.bob,
    domain: TEST_DOMAIN,
  });
  await phone.register();
  const { final } = alice.call(BOB);
  await phone.nextInvitation('bob’s phone to ring');
  t.equal((await within(final, 'the ring timeout', 6000)).status, 480, 'nobody answers: 480 at the ring timeout');
  await phone.stop();
  await until(() => node.node.location.lookup('bob').length === 0, 'bob’s phone to unregister');
  t.equal((await within(alice.call(BOB).final, 'the call to offline bob')).status, 480, 'bob has no device: 480');

  const rows = node.node.history.list('bob', { limit: 10 });
  t.equal(rows.length, 2, 'two calls in bob’s history');
  t.ok(rows.every((r) => r.outcome === 'missed' && r.caller === 'alice' && r.answeredAt === null), 'both missed, from alice');
  t.same(rows.map((r) => r.devices.length), [0, 1], 'newest first: no device rang for the second, one for the first');
  t.same(node.node.history.list('alice', { limit: 10 }).length, 2, 'alice sees the same calls in hers');

  const bob = await startSipJs(t, { url: `ws://127.0.0.1:${node.config.httpPort}/bob`, user: 'bob', password: USERS.bob, domain: TEST_DOMAIN });
  const messages: Array<{ body: string; contentType: string | undefined }> = [];
  bob.ua.delegate = {
    onMessage: (m) => {
      messages.push({ body: m.request.body, contentType: m.request.getHeader('content-type') });
      void m.accept();
    },
  };
  t.same(await bob.register(), { registered: true });
  await until(() => messages.length === 1, 'the missed-call summary');
  t.match(messages[0]!.contentType, /^text\/plain/, 'plain text, which any client shows');
  t.match(messages[0]!.body, /You missed 2 calls/, 'it counts the calls');
  t.equal(messages[0]!.body.match(/alice/g)?.length, 2, 'and names the caller of each');

  await bob.unregister();
  t.same(await bob.register(), { registered: true }, 'bob registers again');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(messages.length, 1, 'the summary is not sent twice');
});
