/**
 * The page gets its phone back by itself when the node goes away and returns (issue 10: lost
 * connection, automatic reconnection and re-registration): headless Chromium logged in, the node
 * stopped, left down while the page's first tries fail, and started again on the same ports and
 * data; the page registered again with no reload and is reachable: a message from another page
 * reaches it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { silentLogger } from '../../src/log.js';
import { startNode } from '../../src/main.js';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { until } from '../helpers/sip-ua.js';
import { startTestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');

/** Long enough for the page's first two tries (1 s and 3 s after the drop) to find no node. */
const DOWN_MS = 3500;
/** The next try is 7 s after the drop, 3.5 s after the node is back; the rest is margin for a busy machine. */
const BACK_WITHIN_MS = 10_000;

async function loggedIn(browser: Browser, url: string, name: string, password: string): Promise<Page> {
  const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(url);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('button[value=login]');
  await page.getByText('Ready for calls').waitFor();
  return page;
}

t.test('the node restarts; the page connects, registers again and is reached', { skip, timeout: 60_000 }, async (t) => {
  const node = await startTestNode(t, { gina: 'gina-secret', hugo: 'hugo-secret' });
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const browser = await launchChromium(t);
  const gina = await loggedIn(browser, url, 'gina', 'gina-secret');

  await node.stop();
  await gina.getByText('The connection to the node was lost: trying again').waitFor({ timeout: 5000 });
  t.equal(await gina.locator('.registration').textContent(), 'Not connected', 'the page says it is not connected');
  await new Promise((r) => setTimeout(r, DOWN_MS));
  const again = await startNode(node.config, silentLogger);
  t.teardown(() => again.stop());
  const restarted = Date.now();
  await gina.getByText('Ready for calls').waitFor({ timeout: BACK_WITHIN_MS });
  t.pass(`ready for calls again ${Date.now() - restarted} ms after the node restarted, with no reload`);
  await until(() => again.location.lookup('gina').length === 1, 'the restarted node to have gina registered', 5000);
  t.equal(await gina.locator('.message').textContent(), '', 'the lost-connection message is gone');
  t.ok(await gina.getByRole('button', { name: 'Call', exact: true }).isEnabled(), 'the call button works again');

  const hugo = await loggedIn(browser, url, 'hugo', 'hugo-secret');
  await hugo.fill('input[name=target]', 'gina');
  await hugo.getByRole('button', { name: 'Message', exact: true }).click();
  await hugo.fill('input[name=message]', 'are you back?');
  await hugo.getByRole('button', { name: 'Send' }).click();
  await gina.locator('.people button[data-peer=hugo] .unread', { hasText: '1' }).waitFor({ timeout: 5000 });
  t.pass('a message from another page reaches the page on its new connection');
  await hugo.locator('.lines li.mine .meta', { hasText: 'sending' }).waitFor({ state: 'detached', timeout: 5000 });
  t.equal(await hugo.locator('.lines li.mine', { hasText: 'kept for gina' }).count(), 0, 'taken by gina, not kept for later');
});
