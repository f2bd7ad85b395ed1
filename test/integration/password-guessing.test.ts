/**
 * Password guessing has one budget per address and per user across every path that checks a
 * password (issue 12, abuse): guesses made with REGISTER (JsSIP, a real client, with a wrong
 * password) hold back a MESSAGE with the right password too, which the proxy would otherwise take.
 */
import t from 'tap';
import { startJsSip, within } from '../helpers/sip-ua.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';
import { installSipWebSocket } from '../helpers/ws-for-sip-clients.js';

/** FailureThrottle's default: failures tolerated in a minute before the cool-down. */
const TOLERATED = 10;

t.test('REGISTER guesses lock the proxy path out for the cool-down', async (t) => {
  const node = await startTestNode(t, { alice: 'alice-secret', bob: 'bob-secret' });
  installSipWebSocket(t);
  const url = `ws://127.0.0.1:${node.config.httpPort}/`;
  const guesser = await startJsSip(t, { url, user: 'alice', password: 'not-her-password', domain: TEST_DOMAIN });
  for (let i = 0; i < TOLERATED; i++) {
    t.match(await guesser.register(), { registered: false, status: 401 }, `guess ${i + 1} refused`);
  }
  t.match(await guesser.register(), { registered: false, status: 503 }, 'then the registrar holds the guesser');

  const alice = await startJsSip(t, { url, user: 'alice', password: 'alice-secret', domain: TEST_DOMAIN });
  const status = await within(
    new Promise<{ status: number | undefined; retryAfter: string | undefined }>((resolve) => {
      alice.ua.sendMessage(`sip:bob@${TEST_DOMAIN}`, 'hola', {
        eventHandlers: {
          succeeded: (e) => resolve({ status: e.response.status_code, retryAfter: undefined }),
          failed: (e) => resolve({ status: e.response?.status_code, retryAfter: e.response?.getHeader('Retry-After') }),
        },
      });
    }),
    'the MESSAGE to be answered',
  );
  t.equal(status.status, 503, 'the proxy counts the same failures: 503 even with the right password');
  t.ok(Number(status.retryAfter) > 0, 'with Retry-After');
  t.ok(node.logs.some((l) => l.includes('authentication failed for "alice" (REGISTER as alice)')), 'the guesses were logged');
});

t.test('nothing secret reaches the log, even at debug level', async (t) => {
  const node = await startTestNode(t, { carol: 'carol-secret' });
  installSipWebSocket(t);
  const url = `ws://127.0.0.1:${node.config.httpPort}/`;
  const wrong = await startJsSip(t, { url, user: 'carol', password: 'carol-guess', domain: TEST_DOMAIN });
  t.match(await wrong.register(), { registered: false, status: 401 });
  const right = await startJsSip(t, { url, user: 'carol', password: 'carol-secret', domain: TEST_DOMAIN });
  t.match(await right.register(), { registered: true });
  const log = node.logs.join('\n');
  t.ok(log.includes('carol'), 'the log names the user');
  t.notOk(log.includes('carol-secret') || log.includes('carol-guess'), 'no password');
  t.notOk(/response="?[0-9a-f]{32}/i.test(log), 'no digest response, which would allow an offline guess');
  t.notOk(/Authorization:/i.test(log), 'no Authorization header at all');
});
