/**
 * What the page says when a call does not happen (issue 10 item 4), in headless Chromium against a
 * real node: a name with no account, a user with no device online, a call declined on the other
 * page, and a callee already in a call (486 from the callee's page itself).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { pageUser } from '../helpers/page-user.js';
import { startTestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');


async function dial(page: Page, peer: string): Promise<void> {
  await page.fill('input[name=target]', peer);
  await page.click('form.dial button[type=submit]');
}

/** The sentence the page shows once the call attempt is over and the dial box is back. */
async function saysAfter(page: Page): Promise<string> {
  await page.locator('form.dial').waitFor({ state: 'visible' });
  return (await page.locator('p.message').textContent()) ?? '';
}

t.test('every refused call gets a sentence that says why', { skip, timeout: 90_000 }, async (t) => {
  const node = await startTestNode(t, { carol: 'carol-secret' });
  const browser = await launchChromium(t);
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const alice = await pageUser(browser, url, 'alice');
  const bob = await pageUser(browser, url, 'bob');
  const dave = await pageUser(browser, url, 'dave');

  await dial(alice, 'nobody');
  t.equal(await saysAfter(alice), 'There is no user nobody.', '404');

  await dial(alice, 'carol');
  t.equal(await saysAfter(alice), 'carol is not online now.', '480 with nothing rung: carol has no device online');

  await dial(alice, 'bob');
  await bob.getByRole('button', { name: 'Decline' }).click();
  t.equal(await saysAfter(alice), 'bob declined the call.', '603 from the page that declined');
  await bob.locator('form.dial').waitFor({ state: 'visible' });

  await dial(alice, 'bob');
  await bob.getByRole('button', { name: 'Answer' }).click();
  await alice.getByText('In a call with bob').waitFor();
  await dial(dave, 'bob');
  t.equal(await saysAfter(dave), 'bob is busy.', "486 from bob's page, which is in a call");
  t.ok(await bob.getByText('In a call with alice').isVisible(), "and bob's call goes on");
  await alice.getByRole('button', { name: 'Hang up' }).click();
  await alice.locator('form.dial').waitFor({ state: 'visible' });
});

t.test('a microphone refused says so, and the call is not placed', { skip, timeout: 60_000 }, async (t) => {
  const node = await startTestNode(t);
  // No fake media prompt: headless Chromium turns down the page's request for the microphone.
  const refusing = await launchChromium(t, { mediaPermission: false });
  const allowing = await launchChromium(t);
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const alice = await pageUser(refusing, url, 'alice');
  const bob = await pageUser(allowing, url, 'bob');
  await dial(alice, 'bob');
  await alice.locator('.call-area').getByText(/Calling bob/).waitFor({ state: 'detached' });
  t.equal(await saysAfter(alice), 'The browser was refused the microphone: allow it for this page and try again.');
  t.equal(await bob.getByRole('button', { name: 'Answer' }).count(), 0, "bob's page never rang");
});
