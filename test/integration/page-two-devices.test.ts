/**
 * One user on two browsers (issue 10 item 10): a call rings both pages, one answers, and the other
 * stops ringing at once (the node cancels that branch, RFC 3261 §16.7 step 10), and is free for the
 * next call.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { pageUser } from '../helpers/page-user.js';
import { startTestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');


t.test('both of bob\'s pages ring; one answers, the other stops ringing', { skip, timeout: 60_000 }, async (t) => {
  const node = await startTestNode(t, { alice: 'alice-secret', bob: 'bob-secret' });
  const browser = await launchChromium(t);
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const alice = await pageUser(browser, url, 'alice', { logIn: true });
  const laptop = await pageUser(browser, url, 'bob', { logIn: true });
  const phone = await pageUser(browser, url, 'bob', { logIn: true });
  t.equal(node.node.location.lookup('bob').length, 2, 'bob is registered from both');

  await alice.fill('input[name=target]', 'bob');
  await alice.click('form.dial button[type=submit]');
  for (const page of [laptop, phone]) await page.getByText('alice is calling').waitFor();
  t.pass('both ring');
  await phone.getByRole('button', { name: 'Answer' }).click();
  await alice.getByText('In a call with bob').waitFor();
  await laptop.locator('form.dial').waitFor({ state: 'visible' });
  t.equal(await laptop.getByRole('button', { name: 'Answer' }).count(), 0, 'the laptop stopped ringing');
  t.equal(await laptop.getAttribute('html', 'data-ringing'), null, 'and its ring tone with it');
  t.equal(await laptop.locator('p.message').textContent(), '', 'with nothing to report: the call was taken elsewhere');
  await alice.getByRole('button', { name: 'Hang up' }).click();
  await phone.locator('form.dial').waitFor({ state: 'visible' });
});
