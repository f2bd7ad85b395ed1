/**
 * Chat on the call page in headless Chromium (issue 10): SIP MESSAGE through the node between two
 * pages, one conversation per person with a count of what is not read, and a message for someone
 * offline kept by the node and shown to them when they log in; and the account view: a password
 * changed, and leaving the node only with the password and a tick in the box.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { startTestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');

async function loggedIn(browser: Browser, url: string, name: string, password: string, action: 'login' | 'signup'): Promise<Page> {
  const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(url);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click(`button[value=${action}]`);
  await page.getByText('Ready for calls').waitFor();
  return page;
}

async function write(page: Page, peer: string, body: string): Promise<void> {
  await page.fill('input[name=target]', peer);
  await page.getByRole('button', { name: 'Message', exact: true }).click();
  await page.fill('input[name=message]', body);
  await page.getByRole('button', { name: 'Send' }).click();
}

t.test('two pages chat, and a message waits for someone offline', { skip, timeout: 60_000 }, async (t) => {
  const node = await startTestNode(t, { carol: 'carol-secret' });
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const browser = await launchChromium(t);
  const alice = await loggedIn(browser, url, 'alice', 'alice-secret', 'signup');
  const bob = await loggedIn(browser, url, 'bob', 'bob-secret-4', 'signup');

  await write(alice, 'bob', 'hola bob');
  await bob.locator('.people button[data-peer=alice] .unread', { hasText: '1' }).waitFor();
  t.pass('bob sees one message not read from alice');
  await bob.click('.people button[data-peer=alice]');
  await bob.locator('.lines li.theirs', { hasText: 'hola bob' }).waitFor();
  t.equal(await bob.locator('.people .unread').count(), 0, 'opened, it is read');
  await bob.fill('input[name=message]', 'hola alice, què tal?');
  await bob.getByRole('button', { name: 'Send' }).click();
  await alice.locator('.lines li.theirs', { hasText: 'hola alice, què tal?' }).waitFor();
  t.pass('the reply reaches the open conversation');
  t.equal(await alice.locator('.lines li.mine .meta', { hasText: 'sending' }).count(), 0, 'alice\'s message was taken');

  await write(alice, 'carol', 'call me when you are back');
  await alice.locator('.lines li.mine', { hasText: 'kept for carol until they are online' }).waitFor();
  t.pass('for carol, offline, the node keeps it');
  const carol = await loggedIn(browser, url, 'carol', 'carol-secret', 'login');
  await carol.locator('.people button[data-peer=alice] .unread', { hasText: '1' }).waitFor();
  await carol.click('.people button[data-peer=alice]');
  await carol.locator('.lines li.theirs', { hasText: 'call me when you are back' }).waitFor();
  t.pass('carol gets it when she logs in');
});

t.test('change the password and leave the node from the page', { skip, timeout: 60_000 }, async (t) => {
  const node = await startTestNode(t);
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const browser = await launchChromium(t);
  const page = await loggedIn(browser, url, 'erin', 'erin-first', 'signup');
  await page.click('details.account summary');
  await page.fill('input[name=current-password]', 'erin-first');
  await page.fill('input[name=new-password]', 'erin-second');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed.').waitFor();
  t.pass('the page says the password changed');

  await page.fill('input[name=leave-password]', 'erin-second');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  t.ok(await page.locator('input[name=leave-confirm]:invalid').count(), 'not without the tick in the box');
  await page.check('input[name=leave-confirm]');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await page.getByText('Your account is deleted.').waitFor();
  t.notOk(node.node.accounts.ha1('erin', 'MD5'), 'the node has no account erin');
  t.equal(node.node.location.lookup('erin').length, 0, 'nor her registration');
});
