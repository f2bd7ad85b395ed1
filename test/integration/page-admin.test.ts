/**
 * `signup approval` on the page in headless Chromium (issue 10): a neighbour signs up and is told
 * the account waits; logging in says so too; the node's admin sees the waiting sign-up counted,
 * approves it, and the neighbour's phone registers; the admin then removes the account for good,
 * after a second click, and the neighbour's session ends with it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { startTestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const skip = chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');

async function fillLogin(page: Page, name: string, password: string, button: 'login' | 'signup'): Promise<void> {
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click(`button[value=${button}]`);
}

t.test('an admin lets a sign-up in, then removes it', { skip, timeout: 90_000 }, async (t) => {
  const node = await startTestNode(t, {}, { signup: 'approval' });
  node.addUser('root', 'root-secret', { admin: true });
  const browser = await launchChromium(t);
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const open = async (width: number) => {
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB', viewport: { width, height: 800 } })).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(url);
    return page;
  };

  const eva = await open(1280);
  await eva.getByText('an admin of the node lets new accounts in').waitFor();
  await fillLogin(eva, 'eva', 'eva-secret', 'signup');
  await eva.getByText('Thank you, eva. An admin of this node lets your account in').waitFor();
  t.ok(await eva.isVisible('input[name=name]'), 'still on the login screen');
  await fillLogin(eva, 'eva', 'eva-secret', 'login');
  await eva.getByText('Your account waits for an admin of this node to approve it').waitFor();
  t.pass('logging in before the approval says why it cannot');

  const root = await open(360);
  await fillLogin(root, 'root', 'root-secret', 'login');
  await root.getByText('Ready for calls').waitFor();
  const summary = root.locator('details.admin summary');
  await summary.getByText('(1 waiting)').waitFor();
  await summary.click();
  const waiting = root.locator('.users li[data-user=eva]');
  await waiting.getByText('waits for approval').waitFor();
  t.equal(await root.locator('.users li[data-user=root] button').count(), 0, 'no button to remove oneself');
  mkdirSync(RESULTS, { recursive: true });
  await root.screenshot({ path: `${RESULTS}admin-360.png`, fullPage: true });
  await waiting.getByRole('button', { name: 'Approve' }).click();
  await root.getByText('eva can log in now.').waitFor();
  await summary.getByText('(1 waiting)').waitFor({ state: 'detached' });

  await fillLogin(eva, 'eva', 'eva-secret', 'login');
  await eva.getByText('Ready for calls').waitFor();
  t.ok(node.node.location.lookup('eva').length > 0, 'the approved account registers over the WebSocket');

  const approved = root.locator('.users li[data-user=eva]');
  await approved.getByRole('button', { name: 'Remove' }).click();
  await approved.getByRole('button', { name: 'Cancel' }).click();
  t.equal(node.node.accounts.ha1('eva', 'MD5') !== undefined, true, 'Cancel removes nothing');
  await approved.getByRole('button', { name: 'Remove' }).click();
  await approved.getByRole('button', { name: 'Delete eva for good' }).click();
  await root.getByText('eva is removed, with their calls and messages.').waitFor();
  await approved.waitFor({ state: 'detached' });
  t.equal(node.node.accounts.ha1('eva', 'MD5'), undefined, 'the account is gone');
  t.same(node.node.location.lookup('eva'), [], 'and its registrations');
  await eva.reload();
  await eva.locator('input[name=name]').waitFor();
  t.pass('the removed user is back at the login screen');
});
